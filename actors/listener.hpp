#pragma once

#include <caf/io/broker.hpp>
#include <caf/io/network/native_socket.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/connection.hpp"

namespace p2pchat {

struct listener_state {
  /// Accepted connections still running (handshake or established).
  size_t open = 0;
  /// Accepted connections refused since the count last fell below the cap
  /// (logged once per episode, not once per socket).
  size_t refused = 0;
  static inline const char* name = "listener";
};

using listener_broker = caf::stateful_actor<listener_state, caf::io::broker>;

/// The broker that owns the listening socket `fd` (bound and listening; see
/// `open_listen_socket`) and forks one `connection` broker per accepted
/// socket. At most `max_open` accepted sockets run at once, counting those
/// still in their handshake: more are closed right away, so that idle or
/// slow sockets cannot pile up.
caf::behavior listener(listener_broker* self,
                       caf::io::network::native_socket fd,
                       connection_config cfg, size_t max_open);

} // namespace p2pchat
