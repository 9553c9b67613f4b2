#pragma once

#include <chrono>

#include <caf/typed_event_based_actor.hpp>

#include "actors/connection.hpp"
#include "actors/types.hpp"

namespace p2pchat {

struct dialer_config {
  /// Template for every outgoing connection (its `dialed` is filled in).
  connection_config connection;
  /// Upper bound for resolving and connecting.
  std::chrono::milliseconds connect_timeout{5000};
  /// The IP we claim in texts in the original format; empty: the local
  /// address of each connection.
  std::string advertise_host;
};

/// Opens outgoing connections. Each attempt runs in its own detached actor,
/// because connecting blocks and must never stall the multiplexer; a
/// connected socket becomes an `outbound_connection` broker, a failure is
/// reported to the registry as `(dialfail_atom, address, reason)`. Texts in
/// the original format go out the original way (connect, write, close) and
/// are reported as `(lsent_atom, address, text, error)`.
dialer_actor::behavior_type dialer(dialer_actor::pointer self,
                                   dialer_config cfg);

} // namespace p2pchat
