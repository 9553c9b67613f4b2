#pragma once

// Internal to the registry's sources: helpers shared by registry.cpp (peers,
// chats, links) and registry_discovery.cpp (peer exchange, dialing to reach
// the target of connections).

#include <string>

#include "actors/registry.hpp"

namespace p2pchat::detail {

using registry_ptr = registry_actor::stateful_pointer<registry_state>;

// -- registry.cpp
// ---------------------------------------------------------------

/// Dials `addr` unless a dial to it is in progress.
void dial(registry_ptr self, const peer_address& addr);

/// Tells connection `conn` to say bye and close.
void close_connection(registry_ptr self, connection_id conn, bye_code code,
                      std::string reason);

// -- registry_discovery.cpp
// -----------------------------------------------------

/// Starts the periodic discovery tick (if discovery is on).
void start_discovery(registry_ptr self);

/// A new link to `peer` completed its hello: ask it for peers.
void discovery_on_hello(registry_ptr self, connection_id conn,
                        const node_id& peer);

/// The last link to `peer` closed.
void discovery_on_disconnect(registry_ptr self, const node_id& peer);

/// An inbound link over the connection cap: hand it some peers to try
/// instead, then close it.
void refuse_with_peers(registry_ptr self, const caf::actor& conn,
                       const node_id& peer);

/// A peer asked for our peers.
void on_peers_request(registry_ptr self, const caf::actor& conn,
                      const peers_request& msg);

/// A peer sent its peers.
void on_peers(registry_ptr self, const caf::actor& conn, const peers& msg);

/// The discovery tick: asks peers for more and dials toward the target.
void on_discovery_tick(registry_ptr self);

/// Dials known addresses while below the target of connected peers.
void fill_connections(registry_ptr self);

} // namespace p2pchat::detail
