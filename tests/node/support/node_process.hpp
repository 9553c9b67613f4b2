#pragma once

// Drives real p2pchat processes and raw TCP clients on loopback for the node
// tests. Every wait is bounded by a deadline and wakes up on output (poll),
// never on a timer alone.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace p2pchat::test {

using std::chrono::milliseconds;

/// How long one expected event may take: generous, for a loaded 2-core CI.
constexpr milliseconds default_timeout{10000};

/// A fresh directory (mkdtemp, on /dev/shm if possible), removed with
/// everything in it at the end.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The directory's absolute path.
  const std::string& path() const noexcept { return path_; }

private:
  std::string path_;
};

/// A regular expression for a whole line (ECMAScript), with its source text
/// for failure reports.
struct line_pattern {
  explicit line_pattern(std::string source)
      : source(std::move(source)), regex(this->source) {}

  std::string source;
  std::regex regex;
};

/// One of a child's output streams.
enum class stream { out, err };

class node_process;

/// Streams what a failing test needs to know about a process: what it waited
/// for last, how it exited, and the tails of its stdout and stderr. Renders
/// when printed, so it shows the state after the check it is attached to,
/// including the output that is ready but was not read yet.
struct process_report {
  node_process* process;
};

/// Prints the report (for BOOST_*_MESSAGE).
std::ostream& operator<<(std::ostream& out, const process_report& x);

/// A child process with pipes on stdin, stdout and stderr.
class node_process {
public:
  /// Runs the built binary with exactly `args` (argv[1..]).
  explicit node_process(std::vector<std::string> args);

  /// Kills (SIGKILL) and reaps the child if it still runs.
  ~node_process();

  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  /// Renames the process in reports.
  void label(std::string x) { label_ = std::move(x); }

  /// Everything read from `s` so far.
  const std::string& output(stream s = stream::out) const;

  /// How many bytes of `s` were read so far: pass it as `from` to look only
  /// at output that comes after this point.
  size_t mark(stream s = stream::out) const { return output(s).size(); }

  /// Waits until `s` from byte `from` on contains `text`.
  bool wait_for(const std::string& text, milliseconds timeout = default_timeout,
                size_t from = 0, stream s = stream::out);

  /// Waits until a complete line of `s` that starts at or after byte
  /// `from` matches `line` as a whole.
  bool wait_for(const line_pattern& line,
                milliseconds timeout = default_timeout, size_t from = 0,
                stream s = stream::out);

  /// Waits until stderr contains a complete line matching `line`.
  bool wait_for_log(const line_pattern& line,
                    milliseconds timeout = default_timeout) {
    return wait_for(line, timeout, 0, stream::err);
  }

  /// Counts the complete lines of `s` that start at or after byte `from` and
  /// match `line`.
  size_t count_lines(const line_pattern& line, size_t from = 0,
                     stream s = stream::out) const;

  /// Waits until stdout from byte `from` on has at least `count` complete
  /// lines matching `line`.
  bool wait_for_count(const line_pattern& line, size_t count,
                      milliseconds timeout = default_timeout, size_t from = 0);

  /// Writes `line` and a newline to the child's stdin; false if it is gone.
  bool send_line(const std::string& line);

  /// Closes the child's stdin (end of input).
  void close_stdin();

  /// Waits for the child to exit, reading its output meanwhile. Returns its
  /// exit status (128 + signal if killed), or nothing on timeout.
  std::optional<int> wait_exit(milliseconds timeout = default_timeout);

  /// What a failing check should print about this process.
  process_report report() { return process_report{this}; }

  /// Sends `sig` to the child (e.g. SIGSTOP to freeze it with its sockets
  /// open); false if it is gone.
  bool signal(int sig);

  /// The child's resident set size in KiB (from /proc), or 0 if it is gone.
  size_t rss_kib() const;

private:
  friend std::ostream& operator<<(std::ostream&, const process_report&);

  /// Reads what is available; waits at most until `deadline` for something
  /// to happen (output, end of output, exit). Returns false if nothing more
  /// can happen (both streams ended and the child was reaped).
  bool pump(std::chrono::steady_clock::time_point deadline);

  /// Reaps the child without blocking; true once it has exited.
  bool try_reap();

  template <class Pred>
  bool wait_until(Pred pred, milliseconds timeout, std::string what);

  std::string label_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> status_;
  std::string last_wait_;
};

/// A p2pchat node on 127.0.0.1 with an OS-chosen port and a fresh data dir.
class chat_node {
public:
  /// Starts `--name name --bind 127.0.0.1 --port 0 --data-dir DIR` plus
  /// `extra`, and waits for "Server listening on 127.0.0.1:PORT".
  explicit chat_node(const std::string& name,
                     std::vector<std::string> extra = {});

  chat_node(const chat_node&) = delete;
  chat_node& operator=(const chat_node&) = delete;

  /// The node's name.
  const std::string& name() const noexcept { return name_; }

  /// The port the node listens on, as it reported.
  uint16_t port() const noexcept { return port_; }

  /// "NAME [127.0.0.1:PORT]", as the node's peers print it.
  std::string display() const;

  /// The process (for waiting, sending lines).
  node_process* operator->() noexcept { return proc_.get(); }

  /// Menu 1: sends `text` to 127.0.0.1:`port`.
  bool send_message(uint16_t port, const std::string& text);

  /// Menu 1 to another node.
  bool send_message(const chat_node& to, const std::string& text) {
    return send_message(to.port(), text);
  }

  /// Menu 2, then waits for `line` (a complete line) in the answer.
  bool query_shows(const std::string& line,
                   milliseconds timeout = default_timeout);

  /// Menu 2, then waits for a complete line matching `line` in the answer.
  bool query_shows(const line_pattern& line,
                   milliseconds timeout = default_timeout);

  /// What a failing check should print about this node.
  process_report report() const { return proc_->report(); }

private:
  std::string name_;
  temp_dir dir_;
  std::unique_ptr<node_process> proc_;
  uint16_t port_ = 0;
};

/// Node A, and node B bootstrapped to A (--peer), once each has printed
/// "New peer found" for the other.
struct node_pair {
  /// Starts A with `a_extra` options, then B.
  explicit node_pair(std::vector<std::string> a_extra = {});

  chat_node a;
  chat_node b;
};

/// Escapes `text` for use as a literal inside a std::regex.
/// Requires a message from `a` to reach `b` and one from `b` to reach `a`,
/// each text ending with `words` and the sender's name.
void check_chat_both_ways(chat_node& a, chat_node& b, const std::string& words);

std::string regex_escape(const std::string& text);

/// Matches a line that is exactly `text`.
inline line_pattern exact_line(const std::string& text) {
  return line_pattern{regex_escape(text)};
}

/// Matches a line that starts with `text`.
inline line_pattern line_starting(const std::string& text) {
  return line_pattern{regex_escape(text) + ".*"};
}

/// A port on 127.0.0.1 nobody listens on right now (bound, then released).
uint16_t free_port();

/// A raw, non-blocking TCP client on 127.0.0.1 that sends hostile input.
class raw_client {
public:
  /// Connects to 127.0.0.1:`port`; `connected()` says whether it worked.
  explicit raw_client(uint16_t port);
  ~raw_client();
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  /// Whether the connect succeeded.
  bool connected() const noexcept { return fd_ >= 0; }

  /// The client's own port, as the node sees it.
  uint16_t local_port() const noexcept { return local_port_; }

  /// Writes all of `bytes` within `timeout`; false if the peer closed first
  /// or the time ran out.
  bool send(const std::vector<char>& bytes,
            milliseconds timeout = default_timeout);

  /// Waits until the peer closes the connection (end of stream or reset),
  /// discarding what it sends meanwhile. False on timeout.
  bool wait_closed(milliseconds timeout = default_timeout);

  /// Waits for bytes from the peer and appends what arrived to `out`. False
  /// if nothing arrived within `timeout` or the peer closed.
  bool receive(std::vector<char>& out, milliseconds timeout = default_timeout);

private:
  int fd_ = -1;
  uint16_t local_port_ = 0;
  bool closed_ = false;
};

} // namespace p2pchat::test
