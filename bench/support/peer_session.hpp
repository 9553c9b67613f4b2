#pragma once

// The client side of a node-to-node connection, for load generators and
// latency probes: a socket this program opened to a node and on which it
// completed the handshake as a peer node would.
//
// `open` is the one place that knows how a session starts: the Noise XX
// handshake of protocol version 2 (protocol/session.hpp), whose payloads
// carry both hellos, or, in plaintext (a node run with
// --insecure-plaintext), the preamble and hello exchange of version 1.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "protocol/frame.hpp"
#include "protocol/messages.hpp"
#include "protocol/noise_crypto.hpp"
#include "protocol/session.hpp"

namespace p2pchat::bench {

/// Who a benchmark peer is: a real node key, so that it can prove it.
struct peer_identity {
  node_id id;
  /// The Noise static key derived from the node's Ed25519 key.
  noise::keypair static_key;
  std::string name;
  /// The listening port its hello announces (nothing listens there).
  uint16_t listen_port = 1;
};

/// A fresh random identity named `name`.
peer_identity random_identity(const std::string& name, uint16_t listen_port);

class peer_session {
public:
  /// Connects to 127.0.0.1:`port` and completes the handshake as `me`
  /// within `timeout`; throws `std::runtime_error` saying what failed.
  /// `plain` speaks protocol version 1 in the clear, for a node run with
  /// --insecure-plaintext; otherwise the session is encrypted.
  static peer_session open(uint16_t port, const peer_identity& me, bool plain,
                           std::chrono::milliseconds timeout);

  peer_session(peer_session&& other) noexcept;
  peer_session& operator=(peer_session&& other) noexcept;
  ~peer_session();

  /// Sends one message, sealed unless plain (blocking until the kernel took
  /// it).
  void send(const message& msg);

  /// The next message from the node, skipping none, or nothing if the node
  /// closed the connection or `timeout` passed.
  std::optional<message> receive(std::chrono::milliseconds timeout);

  /// The hello the node answered with.
  const hello& node_hello() const { return node_hello_; }

private:
  explicit peer_session(int fd);

  /// The next frame's payload, or nothing if the node closed or `deadline`
  /// passed.
  std::optional<std::vector<char>>
  next_frame(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  frame_reader reader_;
  /// Empty when plain.
  std::optional<secure_session> session_;
  hello node_hello_;
};

} // namespace p2pchat::bench
