#include "actors/sockets.hpp"

#include <cerrno>
#include <cstring>
#include <memory>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/errors.hpp"

namespace p2pchat {

namespace {

using addrinfo_ptr = std::unique_ptr<addrinfo, decltype(&freeaddrinfo)>;

caf::expected<addrinfo_ptr> resolve(const std::string& host, uint16_t port,
                                    bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG | (passive ? AI_PASSIVE : 0);
  addrinfo* result = nullptr;
  auto service = std::to_string(port);
  if (auto rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result))
    return make_error(ec::connect_failed,
                      "cannot resolve " + host + ": " + gai_strerror(rc));
  return addrinfo_ptr{result, freeaddrinfo};
}

std::string errno_text(int code) {
  return std::strerror(code);
}

/// Waits until the non-blocking connect on `fd` finishes; returns errno.
int await_connect(int fd, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, POLLOUT, 0};
  int rc;
  do {
    rc = poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  if (rc == 0)
    return ETIMEDOUT;
  if (rc < 0)
    return errno;
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
    return errno;
  return err;
}

} // namespace

caf::expected<listen_socket> open_listen_socket(const std::string& host,
                                                uint16_t port) {
  auto where = host + ":" + std::to_string(port);
  auto infos = resolve(host, port, true);
  if (!infos)
    return infos.error();
  int last_error = EADDRNOTAVAIL;
  for (auto info = infos->get(); info != nullptr; info = info->ai_next) {
    int fd = socket(info->ai_family, info->ai_socktype | SOCK_CLOEXEC,
                    info->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, info->ai_addr, info->ai_addrlen) != 0 ||
        listen(fd, SOMAXCONN) != 0) {
      last_error = errno;
      close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof(bound);
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    uint16_t real_port = bound.ss_family == AF_INET6
                             ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                             : reinterpret_cast<sockaddr_in&>(bound).sin_port;
    return listen_socket{fd, ntohs(real_port)};
  }
  return make_error(ec::listen_failed, where + ": " + errno_text(last_error));
}

caf::expected<caf::io::network::native_socket>
connect_with_timeout(const peer_address& addr,
                     std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto infos = resolve(addr.host, addr.port, false);
  if (!infos)
    return infos.error();
  int last_error = EHOSTUNREACH;
  for (auto info = infos->get(); info != nullptr; info = info->ai_next) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      last_error = ETIMEDOUT;
      break;
    }
    int fd = socket(info->ai_family,
                    info->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    info->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int err = 0;
    if (connect(fd, info->ai_addr, info->ai_addrlen) != 0)
      err = errno == EINPROGRESS ? await_connect(fd, left) : errno;
    if (err == 0) {
      int on = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
      return fd;
    }
    last_error = err;
    close(fd);
  }
  return make_error(ec::connect_failed,
                    to_string(addr) + ": " + errno_text(last_error));
}

caf::expected<std::string> local_host_of(caf::io::network::native_socket fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return make_error(ec::connect_failed,
                      "cannot read local address: " + errno_text(errno));
  char buf[INET6_ADDRSTRLEN] = {};
  const void* src = addr.ss_family == AF_INET6
                        ? static_cast<const void*>(
                              &reinterpret_cast<sockaddr_in6&>(addr).sin6_addr)
                        : static_cast<const void*>(
                              &reinterpret_cast<sockaddr_in&>(addr).sin_addr);
  if (inet_ntop(addr.ss_family, src, buf, sizeof(buf)) == nullptr)
    return make_error(ec::connect_failed,
                      "cannot read local address: " + errno_text(errno));
  return normalize_host(buf);
}

caf::error write_all(caf::io::network::native_socket fd, std::string_view bytes,
                     std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!bytes.empty()) {
    auto n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return make_error(ec::connect_failed, "write: " + errno_text(errno));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLOUT, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) == 0)
      return make_error(ec::connect_failed, "write timed out");
  }
  return caf::none;
}

} // namespace p2pchat
