// Fuzz target: parse_options, the command line and the --config file it
// names, as main() calls it when stdin is not a terminal.
//
// Input: NUL-separated argv words (argv[0] is "p2pchat"). A word "@config"
// ends them; every byte after its NUL is the content of the config file. The
// value of any --config option is replaced by the path of that file (one
// temporary file, rewritten per input), so that no input can make the parser
// read another file (/dev/zero, a FIFO, stdin).
//
// Properties:
// - parse_options returns, never throws or crashes;
// - the result is consistent: run, or exit 0 after help/version text on
//   `out`, or exit 2 with an error and the help hint on `err`;
// - options it accepts satisfy the bounds the node relies on;
// - what it writes is valid UTF-8 and carries no control characters (C0,
//   DEL, C1) but newlines (user values are quoted), so echoing hostile input
//   cannot drive the terminal.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fcntl.h>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "cli/options.hpp"
#include "fuzz/property.hpp"
#include "protocol/validation.hpp"

using namespace p2pchat;
using fuzz::require;

namespace {

constexpr std::string_view config_marker = "@config";
constexpr std::string_view config_option = "--config";
constexpr std::string_view help_hint = "Try 'p2pchat --help'.\n";

/// The path of this process's one temporary config file. A plain array:
/// the exit handler that removes the file may run after static strings are
/// destroyed.
char config_file[4096];

void remove_config_file() {
  ::unlink(config_file);
}

const char* config_path() {
  if (config_file[0] == '\0') {
    const char* dir = std::getenv("TMPDIR");
    std::snprintf(config_file, sizeof(config_file),
                  "%s/p2pchat-fuzz-options-XXXXXX",
                  dir != nullptr && dir[0] != '\0' ? dir : "/tmp");
    int fd = ::mkstemp(config_file);
    require(fd >= 0, "can create the temporary config file");
    ::close(fd);
    std::atexit(remove_config_file);
  }
  return config_file;
}

void write_config(std::string_view content) {
  int fd = ::open(config_path(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  require(fd >= 0, "can open the temporary config file");
  while (!content.empty()) {
    auto n = ::write(fd, content.data(), content.size());
    require(n > 0, "can write the temporary config file");
    content.remove_prefix(static_cast<size_t>(n));
  }
  ::close(fd);
}

/// Points every --config value at our file; true if any does.
bool redirect_config(std::vector<std::string>& words) {
  bool any = false;
  for (size_t i = 0; i < words.size(); ++i) {
    auto& word = words[i];
    if (word == config_option && i + 1 < words.size() &&
        !words[i + 1].empty()) {
      words[++i] = config_path();
      any = true;
    } else if (word.size() > config_option.size() + 1 &&
               word.compare(0, config_option.size() + 1, "--config=") == 0) {
      word = std::string{"--config="} + config_path();
      any = true;
    }
  }
  return any;
}

bool ends_with(std::string_view str, std::string_view suffix) {
  return str.size() >= suffix.size() &&
         str.substr(str.size() - suffix.size()) == suffix;
}

bool is_terminal_safe(std::string_view str) {
  // Invalid UTF-8 could hold a bare C1 byte (0x9B is a CSI to some
  // terminals); valid UTF-8 is checked for C1 controls (U+0080-U+009F).
  if (!p2pchat::is_valid_utf8(str))
    return false;
  for (size_t i = 0; i < str.size(); ++i) {
    auto b = static_cast<unsigned char>(str[i]);
    if ((b < 0x20 && b != '\n') || b == 0x7F)
      return false;
    if (b == 0xC2 && i + 1 < str.size() &&
        static_cast<unsigned char>(str[i + 1]) <= 0x9F)
      return false;
  }
  return true;
}

void check_accepted(const node_options& opts) {
  require(!validate_name(opts.name), "accepted name is valid");
  require(!opts.bind.empty(), "accepted bind address is not empty");
  require(!opts.data_dir.empty(), "accepted data dir is not empty");
  for (const auto* peers : {&opts.peers, &opts.legacy_peers})
    for (const auto& peer : *peers)
      require(!peer.host.empty() && peer.port != 0,
              "accepted peer has a host and a port of 1-65535");
  constexpr std::chrono::milliseconds one_day{24 * 60 * 60 * 1000};
  for (auto timeout : {opts.handshake_timeout, opts.connect_timeout,
                       opts.legacy_detect_timeout, opts.legacy_read_timeout,
                       opts.ping_interval})
    require(timeout.count() >= 1 && timeout <= one_day,
            "accepted timeout or interval is 1 ms to 1 day");
  require(opts.max_connections >= 1 && opts.max_connections <= 100000,
          "accepted connection cap is 1-100000");
  bool known_level = false;
  for (const char* level :
       {"trace", "debug", "info", "warn", "error", "critical", "off"})
    known_level = known_level || opts.log_level == level;
  require(known_level, "accepted log level is a known one");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input{reinterpret_cast<const char*>(bytes), size};
  std::vector<std::string> words{"p2pchat"};
  std::string_view config;
  while (!input.empty()) {
    auto end = input.find('\0');
    auto word = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view{}
                                          : input.substr(end + 1);
    if (word == config_marker) {
      config = input;
      break;
    }
    words.emplace_back(word);
  }
  if (redirect_config(words))
    write_config(config);
  std::vector<const char*> argv;
  for (auto& word : words)
    argv.push_back(word.c_str());
  argv.push_back(nullptr);

  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  options_result result;
  try {
    result = parse_options(static_cast<int>(words.size()), argv.data(), false,
                           in, out, err, "/home/fuzz", "");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parse_options threw: %s\n", e.what());
    require(false, "parse_options does not throw");
  } catch (...) {
    require(false, "parse_options does not throw");
  }

  if (result.run) {
    require(result.exit_code == 0, "a run has exit code 0");
    require(err.str().empty(), "a run writes no error");
    check_accepted(result.options);
  } else if (result.exit_code == 0) {
    require(!out.str().empty(), "help or version text when exiting with 0");
    require(err.str().empty(), "no error when exiting with 0");
  } else {
    require(result.exit_code == 2, "exit code is 0 or 2");
    require(ends_with(err.str(), help_hint), "an error ends with the hint");
  }
  require(is_terminal_safe(err.str()),
          "errors carry no control characters but newlines");
  require(is_terminal_safe(out.str()),
          "output carries no control characters but newlines");
  return 0;
}
