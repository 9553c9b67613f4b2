#pragma once

// A p2pchat node (or any program) started for a benchmark: stdin and stdout
// are pipes, stderr goes to a log file. Every wait is bounded.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace p2pchat::bench {

using bench_clock = std::chrono::steady_clock;

/// Microseconds between two time points, as a double.
double micros(bench_clock::duration d);

class child_process {
public:
  /// Starts `argv[0]` with `argv`; stderr is appended to `log_path`.
  child_process(const std::vector<std::string>& argv,
                const std::string& log_path);

  /// Closes stdin and waits up to 5 s for the child to exit, then kills it.
  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Writes all of `data` to the child's stdin (blocking).
  void write(const std::string& data);

  /// Closes the child's stdin (the node quits at end of input).
  void close_stdin();

  /// The next line of stdout (without the newline), or nothing if none
  /// arrived before `deadline` or the child closed stdout.
  std::optional<std::string> read_line(bench_clock::time_point deadline);

  /// Reads lines until one contains `needle`; returns it, or nothing at
  /// the deadline.
  std::optional<std::string> wait_for(const std::string& needle,
                                      bench_clock::time_point deadline);

  /// Resident set size now, in KiB (VmRSS of /proc/PID/status).
  long rss_kib() const;

  /// Waits up to `timeout` for the child to exit; returns its exit status
  /// or nothing.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }

private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  size_t scan_ = 0;
  bool exited_ = false;
};

/// A p2pchat node on 127.0.0.1 with --output jsonl and an OS-chosen port.
class node_process {
public:
  /// Starts `binary` as node `name` with its key in `dir`/`name`, plus
  /// `extra` options; waits (up to 10 s) for "Server listening on" and
  /// throws if it does not come.
  node_process(const std::string& binary, const std::string& name,
               const std::string& dir, const std::vector<std::string>& extra);

  child_process& process() { return process_; }
  uint16_t port() const { return port_; }

  /// Time from fork to the "Server listening on" line.
  bench_clock::duration startup() const { return startup_; }

  /// The menu lines that send `text` to the node listening on `port`.
  static std::string send_lines(uint16_t port, const std::string& text);

private:
  child_process process_;
  uint16_t port_ = 0;
  bench_clock::duration startup_{};
};

/// The options that turn a node's plain-text mode on, if the binary has
/// them (`--insecure-plaintext` when `plain`), else nothing.
std::vector<std::string> session_options(bool plain);

/// Reads `--node BINARY`, `--dir DIR`, `--plain` and `--count N` style
/// arguments: returns the value after `name`, or `fallback`.
std::string arg(int argc, char** argv, const std::string& name,
                const std::string& fallback);

/// True if `name` is among the arguments.
bool flag(int argc, char** argv, const std::string& name);

/// Prints one result line: `metric value`.
void result(const std::string& metric, double value);

} // namespace p2pchat::bench
