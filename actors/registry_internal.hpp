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

/// Sends `text` in the original format (a connection of its own), without
/// asking.
void legacy_send(registry_ptr self, const peer_address& addr, std::string text);

// -- registry_trust.cpp
// ---------------------------------------------------------

/// Loads the pinned keys; a broken file is reported and the node goes on.
void load_trust(registry_ptr self);

/// `peer` with its trust status filled in, as the console shows it.
peer_view with_trust(registry_ptr self, peer_view peer);

/// A hello from `peer` completed: pins a new name's key, or warns (once per
/// run and key) if the name came with another key before.
void trust_on_hello(registry_ptr self, const peer_view& peer);

/// The user verified `id` as the key of `name`.
void on_verify(registry_ptr self, const std::string& name, const node_id& id);

/// A text the user wrote for the legacy peer at `addr`: sent at once if
/// plain text to it is allowed, else held until the user says so.
void send_to_legacy(registry_ptr self, const peer_address& addr,
                    std::string text);

/// The user's answer about sending plain text to `addr`.
void on_legacy_confirm(registry_ptr self, const peer_address& addr, bool yes);

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
