#include "actors/dialer.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/spdlog.h>

#include "actors/sockets.hpp"
#include "protocol/errors.hpp"
#include "protocol/legacy.hpp"

#include <unistd.h>

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

/// One text in the original format: its own connection, then close.
void legacy_send_once(caf::event_based_actor* self, peer_address addr,
                      std::string text, dialer_config cfg) {
  auto report = [&](caf::error err) {
    self->send(cfg.connection.registry, lsent_atom::value, addr, text,
               std::move(err));
  };
  auto fd = connect_with_timeout(addr, cfg.connect_timeout);
  if (!fd) {
    report(fd.error());
    return;
  }
  auto host =
      cfg.advertise_host.empty() ? local_host_of(*fd) : cfg.advertise_host;
  caf::error err;
  if (!host) {
    err = host.error();
  } else {
    auto& hello = cfg.connection.local_hello;
    auto line = format_legacy(
        legacy_message{{*host, hello.listen_port}, hello.name, text});
    err = line ? write_all(*fd, *line, cfg.connect_timeout) : line.error();
  }
  close(*fd);
  report(std::move(err));
}

} // namespace

dialer_actor::behavior_type dialer(dialer_actor::pointer self,
                                   dialer_config cfg) {
  return {
      [self, cfg](dial_atom, const peer_address& addr) {
        spdlog::debug("dialing {}", to_string(addr));
        self->spawn<caf::detached>(dial_once, addr, cfg);
      },
      [self, cfg](lsend_atom, const peer_address& addr,
                  const std::string& text) {
        self->spawn<caf::detached>(legacy_send_once, addr, text, cfg);
      },
  };
}

} // namespace p2pchat
