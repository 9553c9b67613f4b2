#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "protocol/address.hpp"

namespace p2pchat {

/// How the console writes to stdout (--output).
enum class output_format {
  /// For people: the menu, prompts and one sentence per event.
  text,
  /// For programs: one JSON object per event and line, no menu or prompts.
  jsonl,
};

/// Everything the node needs from its command line and config file.
struct node_options {
  std::string name;
  /// 0 lets the OS choose.
  uint16_t port = 0;
  std::string bind = "0.0.0.0";
  /// Bootstrap peers (--peer, repeatable).
  std::vector<peer_address> peers;
  /// Peers known to run the original plain-text app (--legacy-peer).
  std::vector<peer_address> legacy_peers;
  /// Send to original-app peers without asking first (--allow-legacy).
  bool allow_legacy = false;
  /// The IP literal claimed in texts to original-app peers; empty: the
  /// local address of each connection.
  std::string advertise_host;
  std::string data_dir;
  /// One of trace, debug, info, warn, error, critical, off.
  std::string log_level = "info";
  /// What stdout carries.
  output_format output = output_format::text;
  /// How long a new connection may take to exchange hellos (1 ms to 1 day).
  std::chrono::milliseconds handshake_timeout{10000};
  /// How long a dialed peer may stay silent before it is taken for the
  /// original app.
  std::chrono::milliseconds legacy_detect_timeout{2000};
  /// How long an original-app sender may take to send its text and close.
  std::chrono::milliseconds legacy_read_timeout{3000};
  /// Idle links are pinged this often and closed after 3 silent intervals.
  std::chrono::milliseconds ping_interval{30000};
  /// Most links held at once; more inbound ones are refused with a bye.
  size_t max_connections = 125;
  /// Messages from one peer that may wait to be shown before the node stops
  /// reading from it.
  size_t max_pending_messages = 1024;
  /// Bytes that may wait to be sent to one peer before it is dropped.
  size_t max_send_buffer = 4 * 1024 * 1024;
  /// Peers to stay connected to by dialing peers learned of.
  size_t target_peers = 8;
  /// How often to ask peers for peers (and to answer one peer at most).
  std::chrono::milliseconds discovery_interval{60000};
  /// Protocol version 1 in clear instead of Noise sessions, with peers that
  /// run so too (command line only; for benchmarks).
  bool insecure_plaintext = false;
  /// How long an outgoing TCP connect may take (1 ms to 1 day).
  std::chrono::milliseconds connect_timeout{5000};
};

/// What `parse_options` decided.
struct options_result {
  /// True if the node should start with `options`.
  bool run = false;
  /// Exit status when `run` is false: 0 after --help/--version, 2 on errors.
  int exit_code = 0;
  node_options options;
};

/// Parses the command line and the --config file it names. The command line
/// wins: a single-valued option given there hides the file's, and any --peer
/// given there replaces the file's peers. Help, version and error messages
/// go to `out` / `err`; every error names the option and the reason.
/// Without --name or --port, asks for them on `in`/`out` when `interactive`
/// (stdin is a terminal), re-asking with the reason after bad input, else
/// fails naming the missing option. `env_home` and `env_xdg_data_home` are
/// $HOME and $XDG_DATA_HOME (empty if unset), for the default data dir
/// $XDG_DATA_HOME/p2pchat/NAME, else $HOME/.local/share/p2pchat/NAME (a
/// relative $XDG_DATA_HOME is ignored, as the XDG spec asks).
options_result parse_options(int argc, const char* const* argv,
                             bool interactive, std::istream& in,
                             std::ostream& out, std::ostream& err,
                             const std::string& env_home,
                             const std::string& env_xdg_data_home);

} // namespace p2pchat
