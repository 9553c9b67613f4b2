#pragma once

// Many raw TCP connections to one port on 127.0.0.1, driven together from
// one thread, for attacks that need volume (hundreds of sockets, megabytes
// of bytes). Every socket is non-blocking and every wait is bounded.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace p2pchat::test {

class socket_swarm {
public:
  /// `receive_buffer`, if not 0, sets SO_RCVBUF before connecting (a small
  /// one makes a client that does not read hold back less).
  explicit socket_swarm(uint16_t port, int receive_buffer = 0);
  ~socket_swarm();

  socket_swarm(const socket_swarm&) = delete;
  socket_swarm& operator=(const socket_swarm&) = delete;

  /// Opens `n` more connections; returns how many connected.
  size_t open(size_t n);

  /// Connections opened so far (open or closed since).
  size_t size() const noexcept { return fds_.size(); }

  /// Writes what the kernel takes now of `size` bytes to connection `i`;
  /// returns the bytes written, or -1 once the connection is closed.
  long write_some(size_t i, const char* data, size_t size);

  /// Replaces connection `i` (closed by the node) with a new one.
  bool reopen(size_t i);

  /// True if the node closed connection `i` (end of stream or reset),
  /// reading and discarding what it sent meanwhile.
  bool closed(size_t i);

  /// Waits up to `timeout` for the node to close connections; returns how
  /// many are closed then.
  size_t wait_closed(std::chrono::milliseconds timeout);

private:
  int connect_one();

  uint16_t port_;
  int receive_buffer_;
  std::vector<int> fds_;
  std::vector<bool> closed_;
};

} // namespace p2pchat::test
