#include "actors/listener.hpp"

#include <spdlog/spdlog.h>

namespace p2pchat {

caf::behavior listener(listener_broker* self,
                       caf::io::network::native_socket fd,
                       connection_config cfg, size_t max_open) {
  self->add_doorman(fd);
  // Die with the registry, like every connection.
  self->link_to(cfg.registry);
  self->set_down_handler([self](const caf::down_msg&) {
    auto& st = self->state;
    --st.open;
    st.refused = 0;
  });
  return {
      [self, cfg, max_open](const caf::io::new_connection_msg& msg) {
        auto& st = self->state;
        auto from = self->remote_addr(msg.handle);
        if (st.open >= max_open) {
          if (st.refused++ == 0)
            spdlog::warn("refusing connections: {} accepted connections are "
                         "open, the most allowed (--max-connections)",
                         st.open);
          spdlog::debug("refused connection from {}", from);
          self->close(msg.handle);
          return;
        }
        spdlog::debug("accepted connection from {}", from);
        auto child = self->fork(connection, msg.handle, cfg);
        self->monitor(child);
        ++st.open;
      },
      [](const caf::io::acceptor_closed_msg&) {
        spdlog::error("listening socket closed unexpectedly");
      },
  };
}

} // namespace p2pchat
