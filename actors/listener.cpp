#include "actors/listener.hpp"

#include <spdlog/spdlog.h>

namespace p2pchat {

caf::behavior listener(caf::io::broker* self,
                       caf::io::network::native_socket fd,
                       connection_config cfg) {
  self->add_doorman(fd);
  // Die with the registry, like every connection.
  self->link_to(cfg.registry);
  return {
      [self, cfg](const caf::io::new_connection_msg& msg) {
        spdlog::debug("accepted connection from {}",
                      self->remote_addr(msg.handle));
        self->fork(connection, msg.handle, cfg);
      },
      [](const caf::io::acceptor_closed_msg&) {
        spdlog::error("listening socket closed unexpectedly");
      },
  };
}

} // namespace p2pchat
