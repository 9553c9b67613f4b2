#include "node/support/socket_swarm.hpp"

#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace p2pchat::test {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr int connect_timeout_ms = 5000;

} // namespace

socket_swarm::socket_swarm(uint16_t port, int receive_buffer)
    : port_(port), receive_buffer_(receive_buffer) {
  // nop
}

socket_swarm::~socket_swarm() {
  for (auto fd : fds_)
    if (fd >= 0)
      ::close(fd);
}

int socket_swarm::connect_one() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  if (receive_buffer_ > 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_,
                 sizeof(receive_buffer_));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    if (err == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      err = ETIMEDOUT;
      if (::poll(&pfd, 1, connect_timeout_ms) == 1) {
        socklen_t len = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err != 0) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

size_t socket_swarm::open(size_t n) {
  size_t opened = 0;
  for (size_t i = 0; i < n; ++i) {
    auto fd = connect_one();
    fds_.push_back(fd);
    closed_.push_back(fd < 0);
    if (fd >= 0)
      ++opened;
  }
  return opened;
}

long socket_swarm::write_some(size_t i, const char* data, size_t size) {
  if (closed(i))
    return -1;
  auto n = ::send(fds_[i], data, size, MSG_NOSIGNAL);
  if (n >= 0)
    return static_cast<long>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    return 0;
  closed_[i] = true;
  return -1;
}

bool socket_swarm::reopen(size_t i) {
  if (fds_[i] >= 0)
    ::close(fds_[i]);
  fds_[i] = connect_one();
  closed_[i] = fds_[i] < 0;
  return fds_[i] >= 0;
}

bool socket_swarm::closed(size_t i) {
  if (closed_[i])
    return true;
  char chunk[4096];
  for (int round = 0; round < 64; ++round) {
    auto n = ::recv(fds_[i], chunk, sizeof(chunk), 0);
    if (n > 0)
      continue; // What the node sends does not matter here.
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return false;
    // End of stream, or a reset: the node closed it.
    closed_[i] = true;
    return true;
  }
  return false;
}

size_t socket_swarm::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    std::vector<pollfd> open;
    size_t count = 0;
    for (size_t i = 0; i < fds_.size(); ++i) {
      if (closed(i))
        ++count;
      else
        open.push_back(pollfd{fds_[i], POLLIN, 0});
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock_type::now());
    if (open.empty() || left.count() <= 0)
      return count;
    ::poll(open.data(), open.size(), static_cast<int>(left.count()));
  }
}

} // namespace p2pchat::test
