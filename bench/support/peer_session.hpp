#pragma once

// The client side of a node-to-node connection, for load generators and
// latency probes: a socket this program opened to a node and on which it
// completed the handshake as a peer node would.
//
// `open` is the one place that knows how a session starts (today: the
// preamble and the hello exchange of protocol version 1), so that moving
// the benchmarks to another handshake changes only this file.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

namespace p2pchat::bench {

/// Who a benchmark peer claims to be.
struct peer_identity {
  node_id id;
  std::string name;
  /// The listening port its hello announces (nothing listens there).
  uint16_t listen_port = 1;
};

/// A random identity named `name`.
peer_identity random_identity(const std::string& name, uint16_t listen_port);

class peer_session {
public:
  /// Connects to 127.0.0.1:`port` and completes the handshake as `me`
  /// within `timeout`; throws `std::runtime_error` saying what failed.
  /// `plain` asks for the node's plaintext mode (protocol version 1).
  static peer_session open(uint16_t port, const peer_identity& me, bool plain,
                           std::chrono::milliseconds timeout);

  peer_session(peer_session&& other) noexcept;
  peer_session& operator=(peer_session&& other) noexcept;
  ~peer_session();

  /// Sends one message (blocking until the kernel took it).
  void send(const message& msg);

  /// The next message from the node, skipping none, or nothing if the node
  /// closed the connection or `timeout` passed.
  std::optional<message> receive(std::chrono::milliseconds timeout);

  /// The hello the node answered with.
  const hello& node_hello() const { return node_hello_; }

private:
  explicit peer_session(int fd);

  int fd_ = -1;
  frame_reader reader_;
  hello node_hello_;
};

} // namespace p2pchat::bench
