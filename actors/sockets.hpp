#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <caf/io/network/native_socket.hpp>

#include "protocol/address.hpp"

namespace p2pchat {

/// A bound, listening TCP socket and the port it really got.
struct listen_socket {
  caf::io::network::native_socket fd;
  uint16_t port;
};

/// Binds and listens on `host:port` (port 0: the OS chooses). Fails with a
/// reason that names the address ("cannot listen on H:P: Address already in
/// use"). Blocking, but instant: called once at start.
caf::expected<listen_socket> open_listen_socket(const std::string& host,
                                                uint16_t port);

/// Resolves `addr` and connects to it, giving up after `timeout` in total.
/// Blocks the calling thread: never call it from a broker. Returns a
/// non-blocking connected socket, or a reason naming the address.
caf::expected<caf::io::network::native_socket>
connect_with_timeout(const peer_address& addr,
                     std::chrono::milliseconds timeout);

/// The local IP address of the connected socket `fd` (normalized like
/// `normalize_host`).
caf::expected<std::string> local_host_of(caf::io::network::native_socket fd);

/// Writes all of `bytes` to the non-blocking socket `fd`, giving up after
/// `timeout`. Blocks the calling thread.
caf::error write_all(caf::io::network::native_socket fd, std::string_view bytes,
                     std::chrono::milliseconds timeout);

} // namespace p2pchat
