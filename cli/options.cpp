#include "cli/options.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <caf/message.hpp>

#include "protocol/errors.hpp"
#include "protocol/validation.hpp"

namespace po = boost::program_options;

namespace p2pchat {

namespace {

constexpr const char* help_hint = "Try 'p2pchat --help'.\n";

/// Ends parsing with exit code 2; the message lacks the "p2pchat: " prefix.
class usage_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Longest handshake or connect timeout we accept: one day.
constexpr uint64_t max_timeout_ms = 24 * 60 * 60 * 1000;

/// The length of the UTF-8 sequence that `lead` starts (1 if it starts none).
size_t utf8_length(unsigned char lead) {
  if ((lead & 0xE0) == 0xC0)
    return 2;
  if ((lead & 0xF0) == 0xE0)
    return 3;
  if ((lead & 0xF8) == 0xF0)
    return 4;
  return 1;
}

/// Escapes control characters in user-supplied text for an error message,
/// so that echoing bad input cannot drive the terminal: C0 controls and DEL,
/// C1 controls (U+0080-U+009F: U+009B is a CSI to some terminals) and any
/// byte that is not part of valid UTF-8 become \xNN; other characters stay.
std::string escape_controls(std::string_view text) {
  std::string result;
  auto escape = [&](unsigned char byte) {
    constexpr const char* digits = "0123456789abcdef";
    result += "\\x";
    result += digits[byte >> 4];
    result += digits[byte & 0x0f];
  };
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (byte < 0x20 || byte == 0x7f)
        escape(byte);
      else
        result += text[i];
      ++i;
      continue;
    }
    // One character, kept only if it is valid UTF-8 and no control.
    auto character = text.substr(i, utf8_length(byte));
    if (character.size() > 1 && !validate_text(character, character.size())) {
      result += character;
      i += character.size();
    } else {
      escape(byte);
      ++i;
    }
  }
  return result;
}

/// Quotes a user-supplied value, escaped like `escape_controls`.
std::string quote(std::string_view text) {
  return "'" + escape_controls(text) + "'";
}

/// What is wrong, in the words of the check that found it: the detail of
/// one of our errors, without the generic reason in front of it.
std::string detail_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return describe(err);
}

bool has_whitespace(std::string_view text) {
  return text.find_first_of(" \t\n\v\f\r") != std::string_view::npos;
}

// Each check_* function returns an empty string and sets `result` if `text`
// is valid, or else the reason why not. The prompts reuse them, so they must
// not throw.

std::string check_name(const std::string& text, std::string& result) {
  if (auto err = validate_name(text))
    return quote(text) + ": " + detail_of(err);
  result = text;
  return {};
}

std::string check_port(const std::string& text, uint16_t& result) {
  auto port = parse_port(text, true);
  if (!port)
    return quote(text) + " is not a port (0-65535)";
  result = *port;
  return {};
}

std::string check_bind(const std::string& text, std::string& result) {
  if (text.empty())
    return "must not be empty";
  if (has_whitespace(text))
    return quote(text) + " contains whitespace";
  // It is echoed later (e.g. "cannot resolve ..."): no controls in it.
  if (auto err = validate_text(text, text.size()))
    return quote(text) + ": " + detail_of(err);
  result = text;
  return {};
}

std::string check_ip(const std::string& text, std::string& result) {
  if (!is_ipv4_literal(text) && !is_ipv6_literal(text))
    return quote(text) + " is not an IPv4 or IPv6 address";
  result = text;
  return {};
}

std::string check_peer(const std::string& text, peer_address& result) {
  auto addr = parse_peer_address(text);
  if (!addr)
    return quote(text) + ": " + detail_of(addr.error());
  result = std::move(*addr);
  return {};
}

std::string check_path(const std::string& text, std::string& result) {
  if (text.empty())
    return "must not be empty";
  result = text;
  return {};
}

std::string check_log_level(const std::string& text, std::string& result) {
  for (const char* level :
       {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (text == level) {
      result = text;
      return {};
    }
  }
  return quote(text) +
         " is not one of trace, debug, info, warn, error, critical, off";
}

std::string check_bool(const std::string& text, bool& result) {
  if (text == "true" || text == "yes" || text == "1")
    result = true;
  else if (text == "false" || text == "no" || text == "0")
    result = false;
  else
    return quote(text) + " is not one of true, false, yes, no, 1, 0";
  return {};
}

std::string check_output(const std::string& text, output_format& result) {
  if (text == "text")
    result = output_format::text;
  else if (text == "jsonl")
    result = output_format::jsonl;
  else
    return quote(text) + " is not one of text, jsonl";
  return {};
}

/// Checks a whole number of `what` in `min`-`max` (at most ten digits).
std::string check_count(const std::string& text, size_t min, size_t max,
                        const char* what, size_t& result) {
  auto reason = quote(text) + " is not a number of " + what + " (" +
                std::to_string(min) + "-" + std::to_string(max) + ")";
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return reason;
  auto value = std::stoull(text);
  if (value < min || value > max)
    return reason;
  result = value;
  return {};
}

std::string check_max_connections(const std::string& text, size_t& result) {
  return check_count(text, 1, 100000, "connections", result);
}

std::string check_target_peers(const std::string& text, size_t& result) {
  return check_count(text, 0, 1000, "peers", result);
}

std::string check_pending_messages(const std::string& text, size_t& result) {
  return check_count(text, 1, 1000000, "messages", result);
}

std::string check_send_buffer(const std::string& text, size_t& result) {
  return check_count(text, 65536, 1073741824, "bytes", result);
}

std::string check_timeout(const std::string& text,
                          std::chrono::milliseconds& result) {
  auto reason = quote(text) + " is not a number of milliseconds (1-" +
                std::to_string(max_timeout_ms) + ")";
  // from_chars alone would accept a prefix such as "10ms" and "-0".
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return reason;
  uint64_t value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 ||
      value > max_timeout_ms)
    return reason;
  result = std::chrono::milliseconds{value};
  return {};
}

/// Every option takes a list of strings, so that program_options neither
/// converts nor rejects repetitions itself: we do both, with our messages.
po::typed_value<std::vector<std::string>>* text(const char* value_name) {
  return po::value<std::vector<std::string>>()->value_name(value_name);
}

/// The options allowed both on the command line and in the config file.
po::options_description settings_description() {
  node_options defaults;
  po::options_description desc("Options");
  desc.add_options()                                                     //
      ("name", text("NAME"),                                             //
       "this node's name: 1-32 characters, no spaces")                   //
      ("port", text("PORT"),                                             //
       "TCP port to listen on, 0-65535 (0: the OS chooses)")             //
      ("bind", text("ADDRESS"),                                          //
       ("address to listen on (default " + defaults.bind + ")").c_str()) //
      ("peer", text("HOST:PORT"),                                        //
       "a peer to connect to at start; repeatable")                      //
      ("legacy-peer", text("HOST:PORT"),                                 //
       "a peer known to run the original plain-text app; repeatable")    //
      ("allow-legacy",
       text("BOOL")->implicit_value(std::vector<std::string>{"true"}, ""),
       "send plain text to peers running the original app without asking "
       "first (in a config file: allow-legacy = true)")                 //
      ("advertise-host", text("ADDRESS"),                               //
       "the IP sent to original-app peers as ours (default: the local " //
       "address of each connection)")                                   //
      ("data-dir", text("DIR"),                                         //
       "where the node key is kept (default "                           //
       "$XDG_DATA_HOME/p2pchat/NAME, else "                             //
       "$HOME/.local/share/p2pchat/NAME)")                              //
      ("log-level", text("LEVEL"),                                      //
       ("trace, debug, info, warn, error, critical or off (default "    //
        + defaults.log_level + ")")
           .c_str()) //
      ("output", text("FORMAT"),
       "what stdout carries: text (default; the menu, for people) or jsonl "
       "(one JSON object per event and line, no menu, for programs)") //
      ("handshake-timeout", text("MS"),
       ("how long a new connection may take to exchange hellos, in "
        "milliseconds (default " +
        std::to_string(defaults.handshake_timeout.count()) + ")")
           .c_str()) //
      ("connect-timeout", text("MS"),
       ("how long an outgoing connect may take, in milliseconds (default " +
        std::to_string(defaults.connect_timeout.count()) + ")")
           .c_str()) //
      ("legacy-detect-timeout", text("MS"),
       ("how long a dialed peer may stay silent before it is taken for the "
        "original app, in milliseconds (default " +
        std::to_string(defaults.legacy_detect_timeout.count()) + ")")
           .c_str()) //
      ("max-connections", text("N"),
       ("most links held at once, 1-100000; more inbound ones are refused "
        "(default " +
        std::to_string(defaults.max_connections) + ")")
           .c_str()) //
      ("target-peers", text("N"),
       ("peers to stay connected to, 0-1000: below it the node dials "
        "peers it learned of (default " +
        std::to_string(defaults.target_peers) + ")")
           .c_str()) //
      ("discovery-interval", text("MS"),
       ("how often to ask peers for more peers, in milliseconds; also the "
        "least time between two requests a peer gets answered (default " +
        std::to_string(defaults.discovery_interval.count()) + ")")
           .c_str()) //
      ("max-pending-messages", text("N"),
       ("messages from one peer that may wait to be shown; at this many the "
        "node stops reading from that peer until they are (default " +
        std::to_string(defaults.max_pending_messages) + ")")
           .c_str()) //
      ("max-send-buffer", text("BYTES"),
       ("bytes that may wait to be sent to one peer: above half of it chats "
        "wait for the peer to read; a peer that takes nothing for a ping "
        "interval meanwhile, or leaves more unsent, is disconnected (default " +
        std::to_string(defaults.max_send_buffer) + ")")
           .c_str()) //
      ("ping-interval", text("MS"),
       ("how often an idle link is pinged, in milliseconds; a peer silent "
        "for 3 intervals is dropped (default " +
        std::to_string(defaults.ping_interval.count()) + ")")
           .c_str()) //
      ("legacy-read-timeout", text("MS"),
       ("how long an original-app sender may take to send and close, in "
        "milliseconds (default " +
        std::to_string(defaults.legacy_read_timeout.count()) + ")")
           .c_str());
  return desc;
}

/// The options that only make sense on the command line.
po::options_description command_line_description() {
  po::options_description desc("Command line only");
  desc.add_options()                                                 //
      ("config", text("FILE"),                                       //
       "read options from FILE, one 'option = value' per line; the " //
       "command line wins, and its --peer replace the file's")       //
      ("insecure-plaintext",                                         //
       "talk to peers in clear (protocol version 1), only to nodes " //
       "started with it too: for measuring what encryption costs, "  //
       "never for chatting")                                         //
      ("help", "print this help and exit")                           //
      ("version", "print the version and exit");
  return desc;
}

/// Collects positional arguments, which we reject, so that we can name them.
constexpr const char* positional_key = "unexpected-argument";

void print_usage(std::ostream& out) {
  // One parent aligns the columns of both groups.
  po::options_description all;
  all.add(settings_description()).add(command_line_description());
  out << "Usage: p2pchat [OPTIONS]\n"
         "A peer-to-peer chat node.\n"
      << all;
}

/// True if `name` ("--NAME") is one of our options.
bool is_known_option(const std::string& name) {
  if (name.rfind("--", 0) != 0)
    return false;
  auto key = name.substr(2);
  return settings_description().find_nothrow(key, false) != nullptr ||
         command_line_description().find_nothrow(key, false) != nullptr;
}

/// Turns a program_options exception into our wording.
std::string reword(const po::error& e) {
  if (auto* x = dynamic_cast<const po::unknown_option*>(&e)) {
    // "--bogus=1" is reported as that whole token: name the option only.
    auto name = x->get_option_name();
    return "unknown option " + quote(name.substr(0, name.find('=')));
  }
  if (auto* x = dynamic_cast<const po::invalid_syntax*>(&e)) {
    switch (x->kind()) {
      case po::invalid_syntax::empty_adjacent_parameter:
        // "--NAME=": raised before the name is checked.
        if (!is_known_option(x->get_option_name()))
          return "unknown option " + quote(x->get_option_name());
        [[fallthrough]];
      case po::invalid_syntax::missing_parameter:
        return escape_controls(x->get_option_name()) + ": missing value";
      case po::invalid_syntax::extra_parameter:
        return escape_controls(x->get_option_name()) + ": takes no value";
      default:
        break;
    }
  }
  if (auto* x = dynamic_cast<const po::multiple_occurrences*>(&e))
    return escape_controls(x->get_option_name()) + ": given more than once";
  return e.what();
}

po::variables_map parse_command_line(int argc, const char* const* argv) {
  po::options_description desc;
  desc.add(settings_description()).add(command_line_description());
  desc.add_options()(positional_key, text("ARG"));
  po::positional_options_description positional;
  positional.add(positional_key, -1);
  // No short options and no guessing: "-1" then stays a value (--port -1
  // reports a bad port, not an unknown option "-1"), and "--na" is no name.
  auto style = po::command_line_style::allow_long |
               po::command_line_style::long_allow_adjacent |
               po::command_line_style::long_allow_next;
  // program_options copies argv[1..argc), which must not run backwards.
  if (argc < 1)
    argc = 1;
  po::variables_map result;
  try {
    auto parsed = po::command_line_parser(argc, argv)
                      .options(desc)
                      .positional(positional)
                      .style(style)
                      .run();
    // program_options takes the token after "--name" as its value even if
    // it is "--port": then the user forgot the value. "--name=--x" still
    // sets a value that starts with dashes.
    for (auto& opt : parsed.options)
      if (opt.original_tokens.size() == 2 &&
          opt.original_tokens[1].rfind("--", 0) == 0)
        throw usage_error(opt.original_tokens[0] + ": missing value before " +
                          quote(opt.original_tokens[1]));
    po::store(parsed, result);
  } catch (const po::error& e) {
    throw usage_error(reword(e));
  }
  return result;
}

/// Reads a whole file, or fails naming --config, the path and the reason.
std::string read_config_file(const std::string& path) {
  auto fail = [&path] {
    throw usage_error("--config: cannot read " + quote(path) + ": " +
                      std::strerror(errno));
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail();
  std::string content;
  char buf[4096];
  for (;;) {
    auto n = ::read(fd, buf, sizeof(buf));
    if (n == 0)
      break;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      auto saved = errno;
      ::close(fd);
      errno = saved;
      fail();
    }
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

po::variables_map parse_config_file(const std::string& path) {
  std::istringstream content{read_config_file(path)};
  po::variables_map result;
  try {
    po::store(po::parse_config_file(content, settings_description()), result);
  } catch (const po::invalid_config_file_syntax& e) {
    throw usage_error("--config: " + quote(path) + ": invalid line " +
                      quote(e.tokens()) + " (expected 'option = value')");
  } catch (const po::error& e) {
    throw usage_error("--config: " + quote(path) + ": " + reword(e));
  }
  return result;
}

/// The values of the command line and config file, the former winning.
class settings {
public:
  explicit settings(po::variables_map command_line, po::variables_map file = {},
                    std::string file_path = {})
      : command_line_(std::move(command_line)), file_(std::move(file)),
        file_path_(std::move(file_path)) {
    // Nothing else reads the positional arguments.
    if (auto* args = find(command_line_, positional_key))
      throw usage_error("unexpected argument " + quote(args->front()));
  }

  /// All values of `key` from the command line if any, else from the file.
  /// Each one is checked with `check` and stored with `store`.
  template <class T, class Store>
  void get_all(const char* key, std::string (*check)(const std::string&, T&),
               Store store) const {
    auto [values, origin] = lookup(key);
    if (values == nullptr)
      return;
    for (auto& text : *values) {
      T value{};
      if (auto reason = check(text, value); !reason.empty())
        throw usage_error(std::string{"--"} + key + ": " + reason + origin);
      store(std::move(value));
    }
  }

  /// The single value of `key`, checked with `check`; false if not given.
  template <class T>
  bool get(const char* key, std::string (*check)(const std::string&, T&),
           T& result) const {
    auto [values, origin] = lookup(key);
    if (values == nullptr)
      return false;
    if (values->size() > 1)
      throw usage_error(std::string{"--"} + key + ": given more than once" +
                        origin);
    get_all(key, check, [&result](T value) { result = std::move(value); });
    return true;
  }

private:
  static const std::vector<std::string>* find(const po::variables_map& vm,
                                              const char* key) {
    auto i = vm.find(key);
    if (i == vm.end())
      return nullptr;
    return &i->second.as<std::vector<std::string>>();
  }

  /// The values for `key` and a note naming the config file if they come
  /// from there.
  std::pair<const std::vector<std::string>*, std::string>
  lookup(const char* key) const {
    if (auto* values = find(command_line_, key))
      return {values, ""};
    if (auto* values = find(file_, key))
      return {values, " (in config file " + quote(file_path_) + ")"};
    return {nullptr, ""};
  }

  po::variables_map command_line_;
  po::variables_map file_;
  std::string file_path_;
};

/// Asks for a value until `check` accepts it; false at the end of input.
template <class T>
bool prompt(const char* question, std::string (*check)(const std::string&, T&),
            std::istream& in, std::ostream& out, T& result) {
  for (;;) {
    out << question << std::flush;
    std::string line;
    if (!std::getline(in, line)) {
      out << '\n';
      return false;
    }
    // Terminals may deliver "\r\n"; stray blanks around a name are typos.
    auto first = line.find_first_not_of(" \t\r");
    auto last = line.find_last_not_of(" \t\r");
    line =
        first == std::string::npos ? "" : line.substr(first, last - first + 1);
    auto reason = check(line, result);
    if (reason.empty())
      return true;
    out << reason << ". Please try again.\n";
  }
}

std::string default_data_dir(const std::string& name, const std::string& home,
                             const std::string& xdg_data_home) {
  // The XDG base directory spec says to ignore relative paths.
  if (!xdg_data_home.empty() && xdg_data_home.front() == '/')
    return xdg_data_home + "/p2pchat/" + name;
  if (!home.empty())
    return home + "/.local/share/p2pchat/" + name;
  throw usage_error("--data-dir: not given, and neither $XDG_DATA_HOME nor "
                    "$HOME is set");
}

} // namespace

options_result parse_options(int argc, const char* const* argv,
                             bool interactive, std::istream& in,
                             std::ostream& out, std::ostream& err,
                             const std::string& env_home,
                             const std::string& env_xdg_data_home) {
  options_result result;
  auto& opts = result.options;
  try {
    auto command_line = parse_command_line(argc, argv);
    if (command_line.count("help") > 0) {
      print_usage(out);
      return result;
    }
    if (command_line.count("version") > 0) {
      out << "p2pchat " P2PCHAT_VERSION "\n";
      return result;
    }
    opts.insecure_plaintext = command_line.count("insecure-plaintext") > 0;
    std::string config_path;
    po::variables_map file;
    if (settings{command_line}.get("config", check_path, config_path))
      file = parse_config_file(config_path);
    settings given{std::move(command_line), std::move(file), config_path};
    bool has_name = given.get("name", check_name, opts.name);
    bool has_port = given.get("port", check_port, opts.port);
    given.get("bind", check_bind, opts.bind);
    given.get_all("peer", check_peer, [&opts](peer_address addr) {
      opts.peers.emplace_back(std::move(addr));
    });
    given.get_all("legacy-peer", check_peer, [&opts](peer_address addr) {
      opts.legacy_peers.emplace_back(std::move(addr));
    });
    given.get("allow-legacy", check_bool, opts.allow_legacy);
    given.get("advertise-host", check_ip, opts.advertise_host);
    bool has_data_dir = given.get("data-dir", check_path, opts.data_dir);
    given.get("log-level", check_log_level, opts.log_level);
    given.get("output", check_output, opts.output);
    given.get("handshake-timeout", check_timeout, opts.handshake_timeout);
    given.get("connect-timeout", check_timeout, opts.connect_timeout);
    given.get("legacy-detect-timeout", check_timeout,
              opts.legacy_detect_timeout);
    given.get("legacy-read-timeout", check_timeout, opts.legacy_read_timeout);
    given.get("ping-interval", check_timeout, opts.ping_interval);
    given.get("max-connections", check_max_connections, opts.max_connections);
    given.get("target-peers", check_target_peers, opts.target_peers);
    given.get("max-pending-messages", check_pending_messages,
              opts.max_pending_messages);
    given.get("max-send-buffer", check_send_buffer, opts.max_send_buffer);
    given.get("discovery-interval", check_timeout, opts.discovery_interval);
    if (!interactive && (!has_name || !has_port)) {
      for (auto [has, key] :
           {std::pair{has_name, "--name"}, std::pair{has_port, "--port"}})
        if (!has)
          err << "p2pchat: missing required option " << key << '\n';
      err << help_hint;
      result.exit_code = 2;
      return result;
    }
    if (!has_name &&
        !prompt("Enter your name: ", check_name, in, out, opts.name))
      throw usage_error("missing required option --name (end of input)");
    if (!has_port &&
        !prompt("Enter your port number: ", check_port, in, out, opts.port))
      throw usage_error("missing required option --port (end of input)");
    if (!has_data_dir)
      opts.data_dir = default_data_dir(opts.name, env_home, env_xdg_data_home);
  } catch (const usage_error& e) {
    err << "p2pchat: " << e.what() << '\n' << help_hint;
    result.exit_code = 2;
    return result;
  }
  result.run = true;
  return result;
}

} // namespace p2pchat
