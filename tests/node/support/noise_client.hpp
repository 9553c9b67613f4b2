#pragma once

// A p2pchat peer for node tests that speaks the real protocol (version 2: the
// Noise handshake, then sealed frames) over a raw socket, so that a test can
// send what no node would: a forged broadcast, a crafted hello, a flood.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "node/support/node_process.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"
#include "protocol/session.hpp"
#include "support/test_keys.hpp"

namespace p2pchat::test {

class noise_client {
public:
  /// Connects to 127.0.0.1:`port` as `name` (not checked here, so a test may
  /// send an invalid one), listening on `listen_port`, with the node key
  /// derived from `key_seed`.
  noise_client(uint16_t port, const std::string& name, uint16_t listen_port,
               uint8_t key_seed);

  /// As above with the hello given whole (its id need not be ours).
  noise_client(uint16_t port, const hello& claim, uint8_t key_seed);

  /// Runs the handshake; true once the session is established.
  bool handshake(milliseconds timeout = default_timeout);

  /// The node's hello from the handshake (once established).
  const hello& peer_hello() const noexcept { return peer_hello_; }

  /// Our node id.
  const node_id& id() const noexcept { return key_.id; }

  /// The secret key whose public half is `id()`, for signing.
  const test_node_key& key() const noexcept { return key_; }

  /// Seals and sends `msg`.
  bool send(const message& msg, milliseconds timeout = default_timeout);

  /// Seals `msgs` into one buffer and sends it in one go.
  bool send_all(const std::vector<message>& msgs,
                milliseconds timeout = default_timeout);

  /// Seals `msgs` into one buffer, to be sent later with `send_bytes` (in
  /// order, and before anything else is sealed).
  std::vector<char> seal_all(const std::vector<message>& msgs);

  /// Sends bytes sealed before; false if the node closed or time ran out.
  bool send_bytes(const std::vector<char>& bytes,
                  milliseconds timeout = default_timeout) {
    return raw_.send(bytes, timeout);
  }

  /// The next message from the node, or nothing on timeout, close or an
  /// error (then `error()` says which).
  std::optional<message> receive(milliseconds timeout = default_timeout);

  /// Waits until the node closes the connection.
  bool wait_closed(milliseconds timeout = default_timeout) {
    return raw_.wait_closed(timeout);
  }

  /// Whether the TCP connect worked.
  bool connected() const noexcept { return raw_.connected(); }

  /// Our port as the node sees it.
  uint16_t local_port() const noexcept { return raw_.local_port(); }

  /// What went wrong last, for messages.
  const std::string& error() const noexcept { return error_; }

private:
  /// The next frame's payload, or nothing.
  std::optional<std::vector<char>> next_frame(milliseconds timeout);

  test_node_key key_;
  raw_client raw_;
  secure_session session_;
  frame_reader reader_;
  hello peer_hello_;
  std::string error_;
};

} // namespace p2pchat::test
