#include "actors/dialer.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/spdlog.h>

#include "actors/sockets.hpp"
#include "protocol/errors.hpp"

namespace p2pchat {

namespace {

/// One connection attempt; the actor ends when the attempt does.
void dial_once(caf::event_based_actor* self, peer_address addr,
               dialer_config cfg) {
  auto fd = connect_with_timeout(addr, cfg.connect_timeout);
  if (!fd) {
    auto reason = describe(fd.error());
    spdlog::debug("dialing {} failed: {}", to_string(addr), reason);
    self->send(cfg.connection.registry, dialfail_atom::value, addr, reason);
    return;
  }
  auto conn = cfg.connection;
  conn.dialed = addr;
  self->system().middleman().spawn_broker(outbound_connection, *fd,
                                          std::move(conn));
}

} // namespace

dialer_actor::behavior_type dialer(dialer_actor::pointer self,
                                   dialer_config cfg) {
  return {
      [self, cfg](dial_atom, const peer_address& addr) {
        spdlog::debug("dialing {}", to_string(addr));
        self->spawn<caf::detached>(dial_once, addr, cfg);
      },
  };
}

} // namespace p2pchat
