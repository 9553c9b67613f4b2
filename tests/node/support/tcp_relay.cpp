#include "node/support/tcp_relay.hpp"

#include <cerrno>
#include <chrono>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace p2pchat::test {

namespace {

sockaddr_in loopback_address(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

/// One relayed connection: the dialing side and ours to the target.
struct relayed {
  int client = -1;
  int target = -1;
};

/// Moves what is readable on `from` to `to` and appends it to `capture`;
/// false once `from` closed or either side failed.
bool forward(int from, int to, std::string& capture) {
  char chunk[65536];
  auto n = ::recv(from, chunk, sizeof(chunk), MSG_DONTWAIT);
  if (n < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  if (n == 0)
    return false;
  capture.append(chunk, static_cast<size_t>(n));
  // The target and the client are local nodes that read promptly: a
  // blocking send of one chunk cannot stall the relay for long.
  for (ssize_t sent = 0; sent < n;) {
    auto m =
        ::send(to, chunk + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
    if (m < 0 && errno == EINTR)
      continue;
    if (m <= 0)
      return false;
    sent += m;
  }
  return true;
}

} // namespace

tcp_relay::tcp_relay(uint16_t target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto addr = loopback_address(0);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 ||
      ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return;
  port_ = ntohs(addr.sin_port);
  worker_ = std::thread{[this] {
    run();
  }};
}

tcp_relay::~tcp_relay() {
  stop();
}

void tcp_relay::stop() {
  stopping_ = true;
  if (worker_.joinable())
    worker_.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

void tcp_relay::run() {
  std::vector<relayed> links;
  // Bounded: the test stops the relay, and no test runs for an hour.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::hours{1};
  while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (auto& x : links) {
      fds.push_back({x.client, POLLIN, 0});
      fds.push_back({x.target, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 20) <= 0)
      continue;
    // Forward what is ready; drop the links that closed.
    std::vector<relayed> alive_links;
    for (size_t i = 0; i < links.size(); ++i) {
      auto& x = links[i];
      bool alive = true;
      if (fds[1 + 2 * i].revents != 0)
        alive = forward(x.client, x.target, to_target_);
      if (alive && fds[2 + 2 * i].revents != 0)
        alive = forward(x.target, x.client, from_target_);
      if (alive) {
        alive_links.push_back(x);
      } else {
        ::close(x.client);
        ::close(x.target);
      }
    }
    links = std::move(alive_links);
    if (fds[0].revents & POLLIN) {
      int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      int target = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      auto addr = loopback_address(target_port_);
      if (client >= 0 && target >= 0 &&
          ::connect(target, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) ==
              0) {
        links.push_back({client, target});
      } else {
        if (client >= 0)
          ::close(client);
        if (target >= 0)
          ::close(target);
      }
    }
  }
  for (auto& x : links) {
    ::close(x.client);
    ::close(x.target);
  }
}

} // namespace p2pchat::test
