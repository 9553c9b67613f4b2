// The original app's pattern: every message is a new TCP connection that
// carries one text in the original format ("IP:PORT NAME MESSAGE") and is
// closed. COUNT 100-byte messages to one node, at most WINDOW of them sent
// and not yet printed by the node (as the original app's users would not
// outrun the receiver); messages/s as the node prints them.
//
// legacy_sender --node BINARY --dir DIR --count COUNT [--window WINDOW]

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "support/node_process.hpp"

using namespace p2pchat::bench;
using namespace std::chrono_literals;

namespace {

/// Connects, writes `text`, closes: one message the original way.
void send_one(uint16_t port, const std::string& text) {
  auto fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect: " + std::string{strerror(errno)});
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("write: " + std::string{strerror(errno)});
  close(fd);
}

} // namespace

int main(int argc, char** argv) {
  try {
    auto binary = arg(argc, argv, "--node", "build/p2pchat");
    auto dir = arg(argc, argv, "--dir", "/tmp");
    auto count = std::stoul(arg(argc, argv, "--count", "200000"));
    auto window = std::stoul(arg(argc, argv, "--window", "100"));
    node_process node{binary,
                      "bench_legacy",
                      dir,
                      {"--max-connections", std::to_string(window + 100)}};
    std::atomic<size_t> shown{0};
    std::thread reader{[&] {
      auto deadline = bench_clock::now() + 600s;
      while (shown < count) {
        auto line = node.process().read_line(deadline);
        if (!line)
          return;
        if (line->find("\"event\":\"chat\"") != std::string::npos)
          ++shown;
      }
    }};
    std::string text(100, 'x');
    auto start = bench_clock::now();
    auto give_up = start + 300s;
    try {
      for (size_t i = 0; i < count; ++i) {
        while (i - shown >= window) {
          if (bench_clock::now() > give_up)
            throw std::runtime_error("the node stopped printing after " +
                                     std::to_string(shown) + " messages");
          std::this_thread::yield();
        }
        char head[32];
        std::snprintf(head, sizeof head, "l%010zu", i);
        text.replace(0, 11, head, 11);
        send_one(node.port(), "127.0.0.1:1 original " + text);
      }
    } catch (...) {
      node.process().close_stdin();
      reader.join();
      throw;
    }
    while (shown < count && bench_clock::now() < give_up)
      std::this_thread::sleep_for(100us);
    auto took = bench_clock::now() - start;
    node.process().close_stdin();
    reader.join();
    if (shown < count)
      throw std::runtime_error(std::to_string(shown) + " of " +
                               std::to_string(count) + " messages shown");
    result("msgs_per_s", static_cast<double>(count) / (micros(took) / 1e6));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "legacy_sender: %s\n", e.what());
    return 1;
  }
  return 0;
}
