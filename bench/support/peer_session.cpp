#include "peer_session.hpp"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "protocol/errors.hpp"
#include "protocol/noise_identity.hpp"

namespace p2pchat::bench {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + strerror(errno));
}

void send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    auto n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail("send");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

int connect_loopback(uint16_t port) {
  auto fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    fail("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    auto err = errno;
    close(fd);
    errno = err;
    fail("connect to 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

} // namespace

peer_identity random_identity(const std::string& name, uint16_t listen_port) {
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium cannot be initialised");
  peer_identity result;
  std::array<uint8_t, 64> secret_key{};
  crypto_sign_keypair(result.id.bytes.data(), secret_key.data());
  result.static_key = noise_static_keypair(secret_key);
  sodium_memzero(secret_key.data(), secret_key.size());
  result.name = name;
  result.listen_port = listen_port;
  return result;
}

peer_session::peer_session(int fd) : fd_(fd) {
  // nop
}

peer_session::peer_session(peer_session&& other) noexcept
    : fd_(other.fd_), reader_(std::move(other.reader_)),
      session_(std::move(other.session_)),
      node_hello_(std::move(other.node_hello_)) {
  other.fd_ = -1;
}

peer_session& peer_session::operator=(peer_session&& other) noexcept {
  std::swap(fd_, other.fd_);
  std::swap(reader_, other.reader_);
  std::swap(session_, other.session_);
  std::swap(node_hello_, other.node_hello_);
  return *this;
}

peer_session::~peer_session() {
  if (fd_ >= 0)
    close(fd_);
}

peer_session peer_session::open(uint16_t port, const peer_identity& me,
                                bool plain, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  peer_session result{connect_loopback(port)};
  std::vector<char> out;
  if (plain) {
    out.assign(preamble_v1.begin(), preamble_v1.end());
    append_frame(
        hello{plaintext_protocol_version, me.id, me.name, me.listen_port, 0},
        out);
    send_all(result.fd_, out.data(), out.size());
    auto answer = result.receive(timeout);
    if (!answer)
      throw std::runtime_error("no hello from the node within " +
                               std::to_string(timeout.count()) + " ms");
    auto x = std::get_if<hello>(&*answer);
    if (x == nullptr)
      throw std::runtime_error("the node's first message is not a hello");
    result.node_hello_ = std::move(*x);
    return result;
  }
  auto& session = result.session_.emplace(
      noise_role::initiator, me.static_key,
      hello{protocol_version, me.id, me.name, me.listen_port, 0});
  if (auto err = session.start(out))
    throw std::runtime_error("handshake: " + describe(err));
  send_all(result.fd_, out.data(), out.size());
  while (!session.established()) {
    auto frame = result.next_frame(deadline);
    if (!frame)
      throw std::runtime_error("the node did not complete the handshake "
                               "within " +
                               std::to_string(timeout.count()) + " ms");
    out.clear();
    auto peer = session.read_handshake(frame->data(), frame->size(), out);
    if (!peer)
      throw std::runtime_error("handshake: " + describe(peer.error()));
    if (!out.empty())
      send_all(result.fd_, out.data(), out.size());
    if (*peer)
      result.node_hello_ = std::move(**peer);
  }
  return result;
}

void peer_session::send(const message& msg) {
  std::vector<char> out;
  if (session_) {
    if (auto err = session_->seal(msg, out))
      throw std::runtime_error("seal: " + describe(err));
  } else {
    append_frame(msg, out);
  }
  send_all(fd_, out.data(), out.size());
}

std::optional<message>
peer_session::receive(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto frame = next_frame(deadline);
    if (!frame)
      return std::nullopt;
    auto msg = session_ ? session_->open(frame->data(), frame->size())
                        : decode_payload(frame->data(), frame->size());
    if (msg)
      return std::move(*msg);
    if (code_of(msg.error()) != ec::unknown_message_type)
      throw std::runtime_error("bad message from the node: " +
                               describe(msg.error()));
  }
}

std::optional<std::vector<char>>
peer_session::next_frame(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto frame = reader_.next();
    if (frame.error)
      throw std::runtime_error("bad frame from the node: " +
                               describe(frame.error));
    if (frame.data != nullptr)
      return std::vector<char>(frame.data, frame.data + frame.size);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0)
      return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    auto ready = poll(&p, 1, static_cast<int>(left.count()) + 1);
    if (ready < 0 && errno != EINTR)
      fail("poll");
    if (ready <= 0)
      continue;
    char chunk[16384];
    auto n = recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return std::nullopt;
    reader_.append(chunk, static_cast<size_t>(n));
  }
}

} // namespace p2pchat::bench
