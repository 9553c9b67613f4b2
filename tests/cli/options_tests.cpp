#include "cli/options.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

using namespace p2pchat;
using namespace std::literals;

namespace {

/// What one call of parse_options returned and printed.
struct outcome {
  options_result result;
  std::string out;
  std::string err;

  bool contains_err(const std::string& text) const {
    return err.find(text) != std::string::npos;
  }
};

/// The environment and input of one parse_options call.
struct environment {
  bool interactive = false;
  std::string input;
  std::string home = "/home/u";
  std::string xdg;
};

outcome parse(const std::vector<std::string>& args, const environment& env) {
  std::vector<const char*> argv{"p2pchat"};
  for (auto& arg : args)
    argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  std::istringstream in{env.input};
  std::ostringstream out;
  std::ostringstream err;
  outcome result;
  result.result =
      parse_options(static_cast<int>(argv.size() - 1), argv.data(),
                    env.interactive, in, out, err, env.home, env.xdg);
  result.out = out.str();
  result.err = err.str();
  return result;
}

outcome parse(const std::vector<std::string>& args) {
  return parse(args, environment{});
}

/// Parses `args` plus a valid name and port.
outcome parse_with_required(std::vector<std::string> args) {
  args.insert(args.begin(), {"--name", "alice", "--port", "6000"});
  return parse(args);
}

/// Checks that parsing failed with exit code 2, printed `message` and the
/// help hint on `err`, and nothing on `out`.
void check_usage_error(const outcome& x, const std::string& message) {
  BOOST_TEST(!x.result.run);
  BOOST_TEST(x.result.exit_code == 2);
  BOOST_TEST(x.out.empty());
  BOOST_TEST(x.contains_err(message),
             "'" << x.err << "' lacks '" << message << "'");
  BOOST_TEST(x.contains_err("Try 'p2pchat --help'."));
}

/// A fresh directory for config files, removed at the end of each test.
struct temp_dir_fixture {
  std::filesystem::path dir;

  temp_dir_fixture() {
    auto pattern =
        (std::filesystem::temp_directory_path() / "p2pchat-options-XXXXXX")
            .string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    dir = pattern;
  }

  ~temp_dir_fixture() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  std::string write(const std::string& file_name, const std::string& content) {
    auto path = dir / file_name;
    std::ofstream{path} << content;
    return path.string();
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(options_tests)

BOOST_AUTO_TEST_CASE(name_and_port_suffice_and_the_rest_has_defaults) {
  auto x = parse({"--name", "alice", "--port", "6000"});
  BOOST_TEST(x.result.run);
  BOOST_TEST(x.out.empty());
  BOOST_TEST(x.err.empty());
  const auto& opts = x.result.options;
  BOOST_TEST(opts.name == "alice");
  BOOST_TEST(opts.port == 6000);
  BOOST_TEST(opts.bind == "0.0.0.0");
  BOOST_TEST(opts.peers.empty());
  BOOST_TEST(opts.data_dir == "/home/u/.local/share/p2pchat/alice");
  BOOST_TEST(opts.log_level == "info");
  BOOST_TEST(opts.handshake_timeout.count() == 10000);
  BOOST_TEST(opts.connect_timeout.count() == 5000);
}

BOOST_AUTO_TEST_CASE(every_option_is_read_in_both_spellings) {
  auto x = parse({"--name=bob", "--port=0", "--bind", "127.0.0.1",
                  "--peer=10.0.0.1:6000", "--peer", "[::1]:7000", "--data-dir",
                  "/var/lib/p2p", "--log-level=debug", "--handshake-timeout",
                  "250", "--connect-timeout=75"});
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  const auto& opts = x.result.options;
  BOOST_TEST(opts.name == "bob");
  BOOST_TEST(opts.port == 0);
  BOOST_TEST(opts.bind == "127.0.0.1");
  BOOST_TEST_REQUIRE(opts.peers.size() == 2u);
  BOOST_TEST((opts.peers[0] == peer_address{"10.0.0.1", 6000}));
  BOOST_TEST((opts.peers[1] == peer_address{"::1", 7000}));
  BOOST_TEST(opts.data_dir == "/var/lib/p2p");
  BOOST_TEST(opts.log_level == "debug");
  BOOST_TEST(opts.handshake_timeout.count() == 250);
  BOOST_TEST(opts.connect_timeout.count() == 75);
}

BOOST_AUTO_TEST_CASE(valid_names) {
  for (auto name : {"a"s, "zoë"s, "team-7_x.y"s, std::string(32, 'n')}) {
    auto x = parse({"--name", name, "--port", "1"});
    BOOST_TEST(x.result.run, name << ": " << x.err);
    BOOST_TEST(x.result.options.name == name);
  }
}

BOOST_AUTO_TEST_CASE(invalid_names) {
  check_usage_error(parse({"--name", "a b", "--port", "1"}),
                    "p2pchat: --name: 'a b': name contains whitespace");
  check_usage_error(parse({"--name", "", "--port", "1"}),
                    "p2pchat: --name: '': empty name");
  check_usage_error(parse({"--name", std::string(33, 'n'), "--port", "1"}),
                    "p2pchat: --name: '" + std::string(33, 'n') +
                        "': name longer than 32");
  check_usage_error(parse({"--name", "a\tb", "--port", "1"}),
                    "p2pchat: --name: 'a\\x09b'");
}

BOOST_AUTO_TEST_CASE(control_characters_are_escaped_when_echoed) {
  auto x = parse({"--name", "x\x1b[31m", "--port", "1"});
  check_usage_error(x, "--name: 'x\\x1b[31m'");
  BOOST_TEST(x.err.find('\x1b') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(valid_ports) {
  for (auto [text, port] : {std::pair{"0", 0}, std::pair{"1", 1},
                            std::pair{"65535", 65535}, std::pair{"007", 7}}) {
    auto x = parse({"--name", "a", "--port", text});
    BOOST_TEST(x.result.run, text << ": " << x.err);
    BOOST_TEST(x.result.options.port == port);
  }
}

BOOST_AUTO_TEST_CASE(invalid_ports) {
  for (auto text : {"abc", "-1", "70000", "65536", "", "+5", " 5", "5 ",
                    "99999999999999999999"}) {
    check_usage_error(parse({"--name", "a", "--port", text}),
                      "p2pchat: --port: '"s + text +
                          "' is not a port (0-65535)");
  }
}

BOOST_AUTO_TEST_CASE(bind_address) {
  BOOST_TEST(parse_with_required({"--bind", "::1"}).result.options.bind ==
             "::1");
  check_usage_error(parse_with_required({"--bind", ""}),
                    "p2pchat: --bind: must not be empty");
  check_usage_error(parse_with_required({"--bind", "1.2.3.4 x"}),
                    "p2pchat: --bind: '1.2.3.4 x' contains whitespace");
}

BOOST_AUTO_TEST_CASE(invalid_peers) {
  check_usage_error(parse_with_required({"--peer", "localhost"}),
                    "p2pchat: --peer: 'localhost': missing ':PORT'");
  check_usage_error(parse_with_required({"--peer", "localhost:0"}),
                    "p2pchat: --peer: 'localhost:0': port must be 1-65535");
  check_usage_error(parse_with_required({"--peer", ":6000"}),
                    "p2pchat: --peer: ':6000': empty host");
  check_usage_error(parse_with_required({"--peer", "::1:6000"}),
                    "p2pchat: --peer: '::1:6000': IPv6 address needs brackets");
  // One bad peer among good ones is still an error.
  check_usage_error(parse_with_required({"--peer", "a:1", "--peer", "b:x"}),
                    "p2pchat: --peer: 'b:x'");
}

BOOST_AUTO_TEST_CASE(data_dir_must_not_be_empty) {
  check_usage_error(parse_with_required({"--data-dir", ""}),
                    "p2pchat: --data-dir: must not be empty");
}

BOOST_AUTO_TEST_CASE(log_levels) {
  for (auto level :
       {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    auto x = parse_with_required({"--log-level", level});
    BOOST_TEST(x.result.run, level);
    BOOST_TEST(x.result.options.log_level == level);
  }
  for (auto level : {"verbose", "INFO", "", "warning"}) {
    check_usage_error(parse_with_required({"--log-level", level}),
                      "p2pchat: --log-level: '"s + level +
                          "' is not one of trace, debug, info, warn, error, "
                          "critical, off");
  }
}

BOOST_AUTO_TEST_CASE(output_formats) {
  auto defaults = parse_with_required({});
  BOOST_TEST_REQUIRE(defaults.result.run, defaults.err);
  BOOST_TEST((defaults.result.options.output == output_format::text));
  auto jsonl = parse_with_required({"--output", "jsonl"});
  BOOST_TEST_REQUIRE(jsonl.result.run, jsonl.err);
  BOOST_TEST((jsonl.result.options.output == output_format::jsonl));
  auto text = parse_with_required({"--output=text"});
  BOOST_TEST_REQUIRE(text.result.run, text.err);
  BOOST_TEST((text.result.options.output == output_format::text));
  for (auto bad : {"json", "JSONL", ""})
    check_usage_error(parse_with_required({"--output", bad}),
                      "p2pchat: --output: '"s + bad +
                          "' is not one of text, jsonl");
}

BOOST_AUTO_TEST_CASE(allow_legacy_is_a_switch_off_by_default) {
  auto defaults = parse_with_required({});
  BOOST_TEST_REQUIRE(defaults.result.run, defaults.err);
  BOOST_TEST(!defaults.result.options.allow_legacy);
  auto on = parse_with_required({"--allow-legacy"});
  BOOST_TEST_REQUIRE(on.result.run, on.err);
  BOOST_TEST(on.result.options.allow_legacy);
  // The switch takes no separate value: what follows is the next option.
  auto then_more = parse_with_required({"--allow-legacy", "--bind", "::1"});
  BOOST_TEST_REQUIRE(then_more.result.run, then_more.err);
  BOOST_TEST(then_more.result.options.allow_legacy);
  BOOST_TEST(then_more.result.options.bind == "::1");
  for (auto [text, value] : {std::pair{"true", true}, std::pair{"no", false},
                             std::pair{"1", true}, std::pair{"false", false}}) {
    auto x = parse_with_required({"--allow-legacy="s + text});
    BOOST_TEST_REQUIRE(x.result.run, x.err);
    BOOST_TEST(x.result.options.allow_legacy == value, text);
  }
  check_usage_error(parse_with_required({"--allow-legacy=maybe"}),
                    "p2pchat: --allow-legacy: 'maybe' is not one of true, "
                    "false, yes, no, 1, 0");
  check_usage_error(
      parse_with_required({"--allow-legacy", "--allow-legacy=no"}),
      "p2pchat: --allow-legacy: given more than once");
}

BOOST_FIXTURE_TEST_CASE(allow_legacy_in_a_config_file, temp_dir_fixture) {
  auto path = write("p2pchat.ini", "allow-legacy = true\n");
  auto x = parse_with_required({"--config", path});
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  BOOST_TEST(x.result.options.allow_legacy);
}

BOOST_AUTO_TEST_CASE(timeouts) {
  auto x = parse_with_required(
      {"--handshake-timeout", "1", "--connect-timeout", "86400000"});
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  BOOST_TEST(x.result.options.handshake_timeout.count() == 1);
  BOOST_TEST(x.result.options.connect_timeout.count() == 86400000);
  for (auto option : {"--handshake-timeout", "--connect-timeout"}) {
    for (auto text : {"0", "-5", "abc", "10ms", "", "+1", "86400001",
                      "99999999999999999999999"}) {
      check_usage_error(parse_with_required({option, text}),
                        "p2pchat: "s + option + ": '" + text +
                            "' is not a number of milliseconds (1-86400000)");
    }
  }
}

BOOST_AUTO_TEST_CASE(network_sizes_and_intervals) {
  auto defaults = parse_with_required({});
  BOOST_TEST_REQUIRE(defaults.result.run, defaults.err);
  BOOST_TEST(defaults.result.options.target_peers == 8u);
  BOOST_TEST(defaults.result.options.max_connections == 125u);
  BOOST_TEST(defaults.result.options.discovery_interval.count() == 60000);
  auto x = parse_with_required({"--target-peers", "0", "--max-connections",
                                "100000", "--discovery-interval", "1500"});
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  BOOST_TEST(x.result.options.target_peers == 0u);
  BOOST_TEST(x.result.options.max_connections == 100000u);
  BOOST_TEST(x.result.options.discovery_interval.count() == 1500);
  for (auto text : {"1001", "-1", "8 peers", ""})
    check_usage_error(parse_with_required({"--target-peers", text}),
                      "p2pchat: --target-peers: '"s + text +
                          "' is not a number of peers (0-1000)");
  check_usage_error(parse_with_required({"--max-connections", "0"}),
                    "p2pchat: --max-connections: '0' is not a number of "
                    "connections (1-100000)");
  auto bounds = parse_with_required(
      {"--max-pending-messages", "1", "--max-send-buffer", "1073741824"});
  BOOST_TEST_REQUIRE(bounds.result.run, bounds.err);
  BOOST_TEST(bounds.result.options.max_pending_messages == 1u);
  BOOST_TEST(bounds.result.options.max_send_buffer == 1073741824u);
  check_usage_error(parse_with_required({"--max-send-buffer", "65535"}),
                    "p2pchat: --max-send-buffer: '65535' is not a number of "
                    "bytes (65536-1073741824)");
  check_usage_error(parse_with_required({"--max-pending-messages", "0"}),
                    "p2pchat: --max-pending-messages: '0' is not a number of "
                    "messages (1-1000000)");
  check_usage_error(parse_with_required({"--discovery-interval", "0"}),
                    "p2pchat: --discovery-interval: '0' is not a number of "
                    "milliseconds (1-86400000)");
}

BOOST_AUTO_TEST_CASE(unknown_options_are_rejected) {
  check_usage_error(parse_with_required({"--bogus"}),
                    "p2pchat: unknown option '--bogus'");
  check_usage_error(parse_with_required({"--bogus=1"}),
                    "p2pchat: unknown option '--bogus'");
  // An empty value after '=' once made it "missing value".
  check_usage_error(parse_with_required({"--bogus="}),
                    "p2pchat: unknown option '--bogus'");
  // No abbreviations: a typo must not silently pick an option.
  check_usage_error(parse({"--na", "alice", "--port", "1"}),
                    "p2pchat: unknown option '--na'");
}

BOOST_AUTO_TEST_CASE(missing_values_are_rejected) {
  check_usage_error(parse({"--name", "alice", "--port"}),
                    "p2pchat: --port: missing value");
  check_usage_error(parse({"--name", "--port", "1"}),
                    "p2pchat: --name: missing value before '--port'");
  check_usage_error(parse({"--port", "1", "--name", "--"}),
                    "p2pchat: --name: missing value before '--'");
  check_usage_error(parse({"--name=", "--port", "1"}),
                    "p2pchat: --name: missing value");
  // With '=', a value may start with dashes.
  auto dashes = parse({"--name=--x", "--port", "1"});
  BOOST_TEST(dashes.result.run, dashes.err);
  BOOST_TEST(dashes.result.options.name == "--x");
  // A single dash is a value, not an option: "-1" is a bad port.
  check_usage_error(parse({"--name", "a", "--port", "-1"}),
                    "p2pchat: --port: '-1' is not a port (0-65535)");
}

BOOST_AUTO_TEST_CASE(positional_arguments_are_rejected) {
  check_usage_error(parse_with_required({"extra"}),
                    "p2pchat: unexpected argument 'extra'");
  check_usage_error(parse_with_required({"--", "--peer"}),
                    "p2pchat: unexpected argument '--peer'");
}

BOOST_AUTO_TEST_CASE(repeated_single_valued_options_are_rejected) {
  check_usage_error(parse({"--name", "a", "--port", "1", "--port", "2"}),
                    "p2pchat: --port: given more than once");
  check_usage_error(parse({"--name", "a", "--name", "a", "--port", "1"}),
                    "p2pchat: --name: given more than once");
  check_usage_error(
      parse_with_required({"--log-level=info", "--log-level=off"}),
      "p2pchat: --log-level: given more than once");
}

BOOST_AUTO_TEST_CASE(help_prints_usage_and_exits_zero) {
  for (auto args : {std::vector<std::string>{"--help"},
                    std::vector<std::string>{"--port", "bad", "--help"}}) {
    auto x = parse(args);
    BOOST_TEST(!x.result.run);
    BOOST_TEST(x.result.exit_code == 0);
    BOOST_TEST(x.err.empty());
    BOOST_TEST(x.out.find("Usage: p2pchat") == 0u);
    for (auto option : {"--name NAME", "--port PORT", "--bind ADDRESS",
                        "--peer HOST:PORT", "--data-dir DIR", "--config FILE",
                        "--log-level LEVEL", "--handshake-timeout MS",
                        "--connect-timeout MS", "--help", "--version"})
      BOOST_TEST(x.out.find(option) != std::string::npos, option);
  }
  check_usage_error(parse({"--help=yes"}), "p2pchat: --help: takes no value");
}

BOOST_AUTO_TEST_CASE(version_prints_the_version_and_exits_zero) {
  auto x = parse({"--version"});
  BOOST_TEST(!x.result.run);
  BOOST_TEST(x.result.exit_code == 0);
  BOOST_TEST(x.err.empty());
  BOOST_TEST(x.out == "p2pchat " P2PCHAT_VERSION "\n");
}

BOOST_AUTO_TEST_CASE(missing_name_or_port_fails_when_not_interactive) {
  auto no_name = parse({"--port", "1"});
  check_usage_error(no_name, "p2pchat: missing required option --name\n");
  BOOST_TEST(!no_name.contains_err("--port"));
  auto no_port = parse({"--name", "alice"});
  check_usage_error(no_port, "p2pchat: missing required option --port\n");
  BOOST_TEST(!no_port.contains_err("--name"));
  auto neither = parse({});
  check_usage_error(neither, "p2pchat: missing required option --name\n"
                             "p2pchat: missing required option --port\n");
}

BOOST_AUTO_TEST_CASE(no_arguments_at_all_is_not_a_crash) {
  const char* argv[] = {nullptr};
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  auto x = parse_options(0, argv, false, in, out, err, "/h", "");
  BOOST_TEST(x.exit_code == 2);
  BOOST_TEST(err.str().find("missing required option --name") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(interactive_prompts_for_name_and_port) {
  environment env;
  env.interactive = true;
  env.input = "alice\n6000\n";
  auto x = parse({}, env);
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  BOOST_TEST(x.out == "Enter your name: Enter your port number: ");
  BOOST_TEST(x.err.empty());
  BOOST_TEST(x.result.options.name == "alice");
  BOOST_TEST(x.result.options.port == 6000);
  // The default data dir follows the name typed in.
  BOOST_TEST(x.result.options.data_dir == "/home/u/.local/share/p2pchat/alice");
}

BOOST_AUTO_TEST_CASE(interactive_asks_again_after_bad_input) {
  environment env;
  env.interactive = true;
  env.input = "a b\n\n  alice \r\n70000\nabc\n0\n";
  auto x = parse({}, env);
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  BOOST_TEST(x.result.options.name == "alice");
  BOOST_TEST(x.result.options.port == 0);
  BOOST_TEST(x.out ==
             "Enter your name: 'a b': name contains whitespace U+0020. "
             "Please try again.\n"
             "Enter your name: '': empty name. Please try again.\n"
             "Enter your name: "
             "Enter your port number: '70000' is not a port (0-65535). "
             "Please try again.\n"
             "Enter your port number: 'abc' is not a port (0-65535). "
             "Please try again.\n"
             "Enter your port number: ");
}

BOOST_AUTO_TEST_CASE(interactive_asks_only_for_what_is_missing) {
  environment env;
  env.interactive = true;
  env.input = "7000\n";
  auto x = parse({"--name", "carol"}, env);
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  BOOST_TEST(x.out == "Enter your port number: ");
  BOOST_TEST(x.result.options.port == 7000);
  auto none = parse({"--name", "carol", "--port", "1"}, env);
  BOOST_TEST(none.result.run);
  BOOST_TEST(none.out.empty());
}

BOOST_AUTO_TEST_CASE(interactive_gives_up_at_end_of_input) {
  environment env;
  env.interactive = true;
  env.input = "a b\n";
  auto x = parse({"--port", "1"}, env);
  BOOST_TEST(!x.result.run);
  BOOST_TEST(x.result.exit_code == 2);
  BOOST_TEST(x.contains_err("p2pchat: missing required option --name"));
  env.input = "alice\n";
  auto y = parse({}, env);
  BOOST_TEST(y.result.exit_code == 2);
  BOOST_TEST(y.contains_err("p2pchat: missing required option --port"));
}

BOOST_AUTO_TEST_CASE(interactive_does_not_prompt_after_an_option_error) {
  environment env;
  env.interactive = true;
  env.input = "alice\n1\n";
  auto x = parse({"--bind", ""}, env);
  check_usage_error(x, "p2pchat: --bind: must not be empty");
}

BOOST_AUTO_TEST_CASE(default_data_dir_prefers_xdg_data_home) {
  environment env;
  env.xdg = "/xdg/data";
  auto x = parse({"--name", "alice", "--port", "1"}, env);
  BOOST_TEST(x.result.options.data_dir == "/xdg/data/p2pchat/alice");
  env.xdg = "";
  x = parse({"--name", "alice", "--port", "1"}, env);
  BOOST_TEST(x.result.options.data_dir == "/home/u/.local/share/p2pchat/alice");
  // The XDG spec says to ignore relative paths.
  env.xdg = "relative/data";
  x = parse({"--name", "alice", "--port", "1"}, env);
  BOOST_TEST(x.result.options.data_dir == "/home/u/.local/share/p2pchat/alice");
  env.home = "";
  env.xdg = "/xdg";
  x = parse({"--name", "alice", "--port", "1"}, env);
  BOOST_TEST(x.result.options.data_dir == "/xdg/p2pchat/alice");
}

BOOST_AUTO_TEST_CASE(without_home_or_xdg_the_data_dir_must_be_given) {
  environment env;
  env.home = "";
  auto x = parse({"--name", "alice", "--port", "1"}, env);
  check_usage_error(x, "p2pchat: --data-dir: not given, and neither "
                       "$XDG_DATA_HOME nor $HOME is set");
  x = parse({"--name", "alice", "--port", "1", "--data-dir", "/d"}, env);
  BOOST_TEST(x.result.run);
  BOOST_TEST(x.result.options.data_dir == "/d");
}

BOOST_FIXTURE_TEST_CASE(config_file_supplies_options, temp_dir_fixture) {
  auto path = write("p2pchat.conf", "# my node\n"
                                    "name = alice\n"
                                    "\n"
                                    "port=6555\n"
                                    "peer = 127.0.0.1:6556\n"
                                    "peer = [::1]:6557\n"
                                    "bind = 127.0.0.1\n"
                                    "data-dir = /srv/alice\n"
                                    "log-level = warn\n"
                                    "handshake-timeout = 300\n"
                                    "connect-timeout = 200\n");
  auto x = parse({"--config", path});
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  const auto& opts = x.result.options;
  BOOST_TEST(opts.name == "alice");
  BOOST_TEST(opts.port == 6555);
  BOOST_TEST(opts.bind == "127.0.0.1");
  BOOST_TEST_REQUIRE(opts.peers.size() == 2u);
  BOOST_TEST((opts.peers[0] == peer_address{"127.0.0.1", 6556}));
  BOOST_TEST((opts.peers[1] == peer_address{"::1", 6557}));
  BOOST_TEST(opts.data_dir == "/srv/alice");
  BOOST_TEST(opts.log_level == "warn");
  BOOST_TEST(opts.handshake_timeout.count() == 300);
  BOOST_TEST(opts.connect_timeout.count() == 200);
}

BOOST_FIXTURE_TEST_CASE(command_line_wins_over_config_file, temp_dir_fixture) {
  auto path = write("p2pchat.conf", "name = alice\n"
                                    "port = 6555\n"
                                    "peer = 127.0.0.1:6556\n"
                                    "peer = 127.0.0.1:6557\n"
                                    "log-level = warn\n");
  auto x = parse({"--port", "7000", "--config", path, "--peer", "h:1"});
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  const auto& opts = x.result.options;
  BOOST_TEST(opts.name == "alice");
  BOOST_TEST(opts.port == 7000);
  BOOST_TEST(opts.log_level == "warn");
  // Peers on the command line replace the file's list.
  BOOST_TEST_REQUIRE(opts.peers.size() == 1u);
  BOOST_TEST((opts.peers[0] == peer_address{"h", 1}));
  // A valid value on the command line hides a bad one in the file.
  auto bad = write("bad.conf", "port = abc\n");
  auto y = parse({"--config", bad, "--name", "a", "--port", "1"});
  BOOST_TEST(y.result.run, y.err);
}

BOOST_FIXTURE_TEST_CASE(config_file_errors_name_config_path_and_reason,
                        temp_dir_fixture) {
  auto missing = (dir / "missing.conf").string();
  check_usage_error(parse_with_required({"--config", missing}),
                    "p2pchat: --config: cannot read '" + missing +
                        "': No such file or directory");
  check_usage_error(parse_with_required({"--config", dir.string()}),
                    "p2pchat: --config: cannot read '" + dir.string() +
                        "': Is a directory");
  auto junk = write("junk.conf", "name = a\njust words\n");
  check_usage_error(parse_with_required({"--config", junk}),
                    "p2pchat: --config: '" + junk +
                        "': invalid line 'just words' (expected 'option = "
                        "value')");
  auto unknown = write("unknown.conf", "colour = red\n");
  check_usage_error(parse_with_required({"--config", unknown}),
                    "p2pchat: --config: '" + unknown +
                        "': unknown option 'colour'");
  // Options for the command line only are unknown in the file.
  auto help = write("help.conf", "help = 1\n");
  check_usage_error(parse_with_required({"--config", help}),
                    "p2pchat: --config: '" + help + "': unknown option 'help'");
  check_usage_error(parse_with_required({"--config", ""}),
                    "p2pchat: --config: must not be empty");
  check_usage_error(
      parse_with_required({"--config", junk, "--config", unknown}),
      "p2pchat: --config: given more than once");
}

BOOST_FIXTURE_TEST_CASE(bad_values_in_the_config_file_name_the_file,
                        temp_dir_fixture) {
  auto bad_port = write("port.conf", "name = a\nport = 70000\n");
  check_usage_error(parse({"--config", bad_port}),
                    "p2pchat: --port: '70000' is not a port (0-65535) (in "
                    "config file '" +
                        bad_port + "')");
  auto twice = write("twice.conf", "name = a\nname = b\nport = 1\n");
  check_usage_error(parse({"--config", twice}),
                    "p2pchat: --name: given more than once (in config file '" +
                        twice + "')");
  auto bad_peer = write("peer.conf", "peer = nowhere\n");
  check_usage_error(parse_with_required({"--config", bad_peer}),
                    "p2pchat: --peer: 'nowhere': missing ':PORT' (in config "
                    "file '" +
                        bad_peer + "')");
}

BOOST_FIXTURE_TEST_CASE(config_file_with_name_skips_the_name_prompt,
                        temp_dir_fixture) {
  auto path = write("p2pchat.conf", "name = dave\n");
  environment env;
  env.interactive = true;
  env.input = "5000\n";
  auto x = parse({"--config", path}, env);
  BOOST_TEST_REQUIRE(x.result.run, x.err);
  BOOST_TEST(x.out == "Enter your port number: ");
  BOOST_TEST(x.result.options.name == "dave");
  BOOST_TEST(x.result.options.port == 5000);
}

BOOST_AUTO_TEST_SUITE_END()

// Found by fuzz_options: error messages once echoed terminal escapes.
BOOST_AUTO_TEST_SUITE(options_escape_tests)

BOOST_AUTO_TEST_CASE(errors_never_echo_control_characters) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--name", "a", "--port", "1", "--peer",
                                 "1.2.3.4:\x1b[2J"},
        std::vector<std::string>{"--name", "a", "--port", "1", "--legacy-peer",
                                 "1.2.3.4:\x1b]0;x\a"},
        std::vector<std::string>{"--\x1b]0;x\a="},
        std::vector<std::string>{"--name", "a\x1b[2J"}}) {
    auto result = parse(args);
    BOOST_TEST(result.result.exit_code == 2);
    BOOST_TEST(!result.err.empty());
    for (char c : result.err)
      BOOST_TEST_REQUIRE((static_cast<unsigned char>(c) >= 0x20 || c == '\n'),
                         "control character in: " << result.err);
  }
}

// Found by hand: UTF-8 C1 controls (U+009B is a CSI to some terminals) went
// through the escaping, and --bind took control characters that "cannot
// resolve ..." later printed raw.
BOOST_AUTO_TEST_CASE(c1_controls_and_invalid_utf8_are_escaped) {
  auto c1 = parse({"--name",
                   "a\xc2\x9b"
                   "2J",
                   "--port", "1"});
  check_usage_error(c1, "--name: 'a\\xc2\\x9b2J'");
  BOOST_TEST(c1.err.find("\xc2\x9b") == std::string::npos);
  auto stray = parse({"--name",
                      "a\x9b"
                      "2J\xc3",
                      "--port", "1"});
  check_usage_error(stray, "--name: 'a\\x9b2J\\xc3'");
  // Other characters stay readable.
  check_usage_error(parse({"--name", "zo\xc3\xab\x1b", "--port", "1"}),
                    "--name: 'zo\xc3\xab\\x1b'");
}

BOOST_AUTO_TEST_CASE(bind_refuses_control_characters) {
  check_usage_error(parse_with_required({"--bind", "127.0.0.1\x1b[2J"}),
                    "p2pchat: --bind: '127.0.0.1\\x1b[2J': text contains "
                    "control character U+001B");
  check_usage_error(parse_with_required({"--bind", "host\xc2\x9b"
                                                   "2J"}),
                    "p2pchat: --bind: 'host\\xc2\\x9b2J': text contains "
                    "control character U+009B");
  check_usage_error(parse_with_required({"--bind", "host\xff"}),
                    "p2pchat: --bind: 'host\\xff': text has invalid UTF-8 "
                    "at byte 4");
}

BOOST_AUTO_TEST_SUITE_END()
