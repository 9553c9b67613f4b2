#pragma once

// A test double of the original Python classroom app, written from its
// description (design.md §5, issue 4), not from its code: it listens on
// 127.0.0.1, reads what each accepted connection carries and never answers;
// it sends the original way: one connection per message carrying
// `127.0.0.1:MYPORT NAME TEXT`, then close.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "node/support/node_process.hpp"
#include "protocol/legacy.hpp"

namespace p2pchat::test {

/// How the double treats a connection it accepted. In every mode it never
/// writes a byte.
enum class legacy_mode {
  /// Reads until the sender closes (at most 64 KiB, at most the double's
  /// read timeout), then closes.
  read_until_close,
  /// Like the original app: one read of at most 1024 bytes as soon as
  /// something arrives, then closes. A p2pchat dialer sees the close right
  /// after its first bytes.
  read_once,
  /// Reads until the sender closes and keeps the connection open, silently,
  /// until then (bounded only by the double's life): a p2pchat dialer hears
  /// nothing and must give up on its own.
  stay_silent,
};

/// Why the double stopped reading a connection.
enum class connection_end {
  /// Still reading.
  open,
  /// The sender closed (end of stream).
  sender_closed,
  /// `legacy_mode::read_once`: read once, then closed.
  read_once,
  /// More than 64 KiB arrived.
  too_large,
  /// The double's read timeout passed.
  timed_out,
  /// A reset or another read error.
  reset,
  /// The double stopped.
  stopped,
};

std::ostream& operator<<(std::ostream& out, connection_end x);

/// What one accepted connection carried.
struct received_connection {
  /// Every byte read, as it arrived.
  std::string bytes;
  connection_end end = connection_end::open;

  /// Whether the double is done with this connection.
  bool finished() const noexcept { return end != connection_end::open; }

  /// The bytes parsed as one original-format message (`parse_legacy`), if
  /// they parse.
  std::optional<legacy_message> legacy() const;

  /// Whether the bytes parse as one original-format message.
  bool is_legacy() const { return legacy().has_value(); }

  /// Whether the bytes start with the p2pchat preamble 0x00 'P' 'C' 0x02.
  bool starts_with_preamble() const;
};

/// `bytes` with every byte outside printable ASCII written as \xNN, cut to
/// `max` bytes (for failure messages).
std::string printable(const std::string& bytes, size_t max = 200);

class legacy_peer;

/// Streams what a failing test needs to know about a double: its address
/// and every connection it accepted.
struct legacy_peer_report {
  const legacy_peer* peer;
};

std::ostream& operator<<(std::ostream& out, const legacy_peer_report& x);

/// The original app, as a test double: listens on 127.0.0.1 with an
/// OS-chosen port, on a thread of its own that stops in the destructor.
class legacy_peer {
public:
  /// The most the double reads from one connection (except in `read_once`).
  static constexpr size_t max_read_bytes = 64 * 1024;

  /// What `legacy_mode::read_once` reads, as the original did.
  static constexpr size_t original_read_bytes = 1024;

  /// Starts listening. In `read_until_close` a connection is closed at the
  /// latest `read_timeout` after it was accepted.
  explicit legacy_peer(std::string name,
                       legacy_mode mode = legacy_mode::read_until_close,
                       milliseconds read_timeout = default_timeout);

  /// Stops the thread and closes every socket.
  ~legacy_peer();

  legacy_peer(const legacy_peer&) = delete;
  legacy_peer& operator=(const legacy_peer&) = delete;

  /// The name the double sends in its texts.
  const std::string& name() const noexcept { return name_; }

  /// The port the double listens on.
  uint16_t port() const noexcept { return port_; }

  /// "127.0.0.1:PORT" (for --peer, --legacy-peer).
  std::string address() const;

  /// "NAME [127.0.0.1:PORT]", as a node shows the double.
  std::string display() const;

  /// "127.0.0.1:PORT NAME TEXT": what the double sends for `text`.
  std::string format(const std::string& text) const;

  // -- what the double received ----------------------------------------------

  /// Every connection accepted so far, in the order they were accepted
  /// (those still open with the bytes read so far).
  std::vector<received_connection> connections() const;

  /// How many connections the double accepted so far.
  size_t connection_count() const;

  /// Waits until the double accepted at least `n` connections and is done
  /// with the first `n` of them.
  bool wait_for_connections(size_t n, milliseconds timeout = default_timeout);

  /// Waits until a finished connection parses as an original-format message
  /// whose text is `text`; returns that message.
  std::optional<legacy_message>
  wait_for_text(const std::string& text,
                milliseconds timeout = default_timeout);

  /// How many finished connections parse as a message with text `text`.
  size_t count_text(const std::string& text) const;

  // -- sending the original way ----------------------------------------------

  /// Connects to 127.0.0.1:`to_port`, writes `format(text)` and closes.
  /// Returns the local port of that connection (the source port the node
  /// logs), or nothing if connecting or writing failed.
  std::optional<uint16_t> send(uint16_t to_port, const std::string& text,
                               milliseconds timeout = default_timeout) const;

  /// Connects to 127.0.0.1:`to_port`, writes exactly `bytes` and closes.
  /// Returns the local port as `send` does.
  static std::optional<uint16_t>
  send_raw(uint16_t to_port, const std::string& bytes,
           milliseconds timeout = default_timeout);

  /// What a failing check should print about this double.
  legacy_peer_report report() const { return legacy_peer_report{this}; }

private:
  friend std::ostream& operator<<(std::ostream&, const legacy_peer_report&);

  /// One accepted connection the thread still reads.
  struct open_connection {
    int fd;
    size_t index;
    std::chrono::steady_clock::time_point deadline;
  };

  /// The thread: accepts and reads until `stop_` or the life bound.
  void run();

  /// Reads what `c` has; true if the double is done with it.
  bool read_from(open_connection& c);

  /// Records the end of `c` and closes it.
  void finish(open_connection& c, connection_end end);

  template <class Pred>
  bool wait_until(Pred pred, milliseconds timeout);

  std::string name_;
  legacy_mode mode_;
  milliseconds read_timeout_;
  int listen_fd_ = -1;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;
  uint16_t port_ = 0;

  mutable std::mutex mtx_;
  std::condition_variable changed_;
  std::vector<received_connection> received_; // guarded by mtx_
  bool stop_ = false;                         // guarded by mtx_

  std::thread thread_;
};

} // namespace p2pchat::test
