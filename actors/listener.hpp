#pragma once

#include <caf/io/broker.hpp>
#include <caf/io/network/native_socket.hpp>

#include "actors/connection.hpp"

namespace p2pchat {

/// The broker that owns the listening socket `fd` (bound and listening; see
/// `open_listen_socket`) and forks one `connection` broker per accepted
/// socket.
caf::behavior listener(caf::io::broker* self,
                       caf::io::network::native_socket fd,
                       connection_config cfg);

} // namespace p2pchat
