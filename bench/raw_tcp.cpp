// The baselines: 100-byte length-prefixed messages over one loopback TCP
// connection between two threads, with nothing else in the way.
//
//   raw_tcp naive N      one write per message (a simple hand-written sender)
//   raw_tcp batched N    as many messages per write as fit in 64 KiB (the
//                        physical limit of this machine's loopback)
//   raw_tcp pingpong N   N round trips of one message, answered at once
//
// Prints `metric value` lines; exits non-zero if a message is missing.

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support/node_process.hpp"
#include "support/stats.hpp"

using namespace p2pchat::bench;

namespace {

constexpr size_t payload_size = 100;
constexpr size_t message_size = 4 + payload_size;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + strerror(errno));
}

/// A connected pair of loopback TCP sockets: {client, server}.
std::pair<int, int> loopback_pair() {
  auto lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(lfd, 1) != 0 ||
      getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    fail("listen");
  auto cfd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(cfd, reinterpret_cast<sockaddr*>(&addr), len) != 0)
    fail("connect");
  auto sfd = accept(lfd, nullptr, nullptr);
  if (sfd < 0)
    fail("accept");
  close(lfd);
  int one = 1;
  setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return {cfd, sfd};
}

void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    auto n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail("write");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void read_exactly(int fd, char* data, size_t size) {
  while (size > 0) {
    auto n = read(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      fail("read");
    data += n;
    size -= static_cast<size_t>(n);
  }
}

/// Message number `i`: its length prefix and 100 bytes of text.
void put_message(char* out, size_t i) {
  uint32_t len = htonl(payload_size);
  std::memcpy(out, &len, 4);
  std::memset(out + 4, 'x', payload_size);
  // Ten decimal digits, the number modulo 10^10.
  for (int d = 9; d >= 0; --d, i /= 10)
    out[4 + d] = static_cast<char>('0' + i % 10);
}

/// Reads until `count` messages arrived, cutting them out by their length
/// prefix; returns how many arrived in order (by their number).
size_t receive_messages(int fd, size_t count) {
  std::vector<char> buf(1 << 20);
  size_t have = 0;
  size_t received = 0;
  size_t in_order = 0;
  while (received < count) {
    auto n = read(fd, buf.data() + have, buf.size() - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    have += static_cast<size_t>(n);
    size_t pos = 0;
    while (have - pos >= 4) {
      uint32_t len;
      std::memcpy(&len, buf.data() + pos, 4);
      len = ntohl(len);
      if (have - pos < 4 + len)
        break;
      if (std::strtoull(std::string(buf.data() + pos + 4, 10).c_str(), nullptr,
                        10) == received)
        ++in_order;
      ++received;
      pos += 4 + len;
    }
    std::memmove(buf.data(), buf.data() + pos, have - pos);
    have -= pos;
  }
  return in_order;
}

int throughput(size_t count, size_t per_write) {
  auto [cfd, sfd] = loopback_pair();
  size_t arrived = 0;
  auto start = bench_clock::now();
  std::thread receiver{[&, fd = sfd] {
    arrived = receive_messages(fd, count);
  }};
  std::vector<char> buf(per_write * message_size);
  for (size_t i = 0; i < count; i += per_write) {
    auto n = std::min(per_write, count - i);
    for (size_t k = 0; k < n; ++k)
      put_message(buf.data() + k * message_size, i + k);
    write_all(cfd, buf.data(), n * message_size);
  }
  receiver.join();
  auto took = bench_clock::now() - start;
  close(cfd);
  close(sfd);
  if (arrived != count) {
    std::fprintf(stderr, "raw_tcp: %zu of %zu messages arrived in order\n",
                 arrived, count);
    return 1;
  }
  result("msgs_per_s", static_cast<double>(count) / (micros(took) / 1e6));
  return 0;
}

int pingpong(size_t count) {
  auto [cfd, sfd] = loopback_pair();
  std::thread echo{[&, fd = sfd] {
    char msg[message_size];
    for (size_t i = 0; i < count; ++i) {
      read_exactly(fd, msg, sizeof msg);
      write_all(fd, msg, sizeof msg);
    }
  }};
  std::vector<double> samples;
  samples.reserve(count);
  char msg[message_size];
  char back[message_size];
  for (size_t i = 0; i < count; ++i) {
    put_message(msg, i);
    auto start = bench_clock::now();
    write_all(cfd, msg, sizeof msg);
    read_exactly(cfd, back, sizeof back);
    samples.push_back(micros(bench_clock::now() - start));
    if (std::memcmp(msg, back, sizeof msg) != 0) {
      std::fprintf(stderr, "raw_tcp: round trip %zu came back changed\n", i);
      return 1;
    }
  }
  echo.join();
  close(cfd);
  close(sfd);
  print_latency("rtt", samples);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: raw_tcp naive|batched|pingpong COUNT\n");
    return 2;
  }
  std::string mode = argv[1];
  auto count = std::stoul(argv[2]);
  try {
    if (mode == "naive")
      return throughput(count, 1);
    if (mode == "batched")
      return throughput(count, 65536 / message_size);
    if (mode == "pingpong")
      return pingpong(count);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raw_tcp: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "raw_tcp: unknown mode %s\n", mode.c_str());
  return 2;
}
