// One node holding many connections: this program opens COUNT connections
// to node A, each completing the handshake as a peer of its own
// (support/peer_session), holds them, and then has a second node B, a
// legitimate peer, send A a chat: how long it takes to show up at A while
// the COUNT are held, and A's resident memory per held connection.
//
// node_connections --node BINARY --dir DIR --count COUNT [--plain]

#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <sys/resource.h>
#include <thread>

#include "support/node_process.hpp"
#include "support/peer_session.hpp"

using namespace p2pchat;
using namespace p2pchat::bench;
using namespace std::chrono_literals;

namespace {

/// Everything A prints, read by one thread so that A never blocks on a
/// full pipe: peers found and lost, and when the legitimate chat arrived.
struct a_watcher {
  std::atomic<size_t> found{0};
  std::atomic<size_t> left{0};
  std::atomic<bool> chat_seen{false};
  std::atomic<int64_t> chat_at_ns{0};
  std::atomic<size_t> held_at_chat{0};

  void run(child_process& a, bench_clock::time_point deadline) {
    while (auto line = a.read_line(deadline)) {
      if (line->find("\"event\":\"peer_found\"") != std::string::npos)
        ++found;
      else if (line->find("\"event\":\"peer_left\"") != std::string::npos)
        ++left;
      else if (line->find("\"event\":\"chat\"") != std::string::npos &&
               line->find("legitimate") != std::string::npos) {
        chat_at_ns = bench_clock::now().time_since_epoch().count();
        held_at_chat = found - left;
        chat_seen = true;
        return;
      }
    }
  }
};

void raise_fd_limit(rlim_t want) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur >= want)
    return;
  lim.rlim_cur = std::min(want, lim.rlim_max);
  setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < want)
    throw std::runtime_error("cannot raise the file-descriptor limit to " +
                             std::to_string(want) + " (hard limit " +
                             std::to_string(lim.rlim_max) +
                             "): run with a higher `ulimit -Hn`");
}

} // namespace

int main(int argc, char** argv) {
  try {
    auto binary = arg(argc, argv, "--node", "build/p2pchat");
    auto dir = arg(argc, argv, "--dir", "/tmp");
    auto count = std::stoul(arg(argc, argv, "--count", "10000"));
    auto plain = flag(argc, argv, "--plain");
    raise_fd_limit(count + 256);
    auto extra = session_options(plain);
    auto a_options = extra;
    a_options.insert(a_options.end(),
                     {"--max-connections", std::to_string(count + 100)});
    node_process a{binary, "bench_hub", dir, a_options};
    std::this_thread::sleep_for(500ms);
    auto rss_before = a.process().rss_kib();
    a_watcher watch;
    std::thread watcher{[&] {
      watch.run(a.process(), bench_clock::now() + 600s);
    }};
    std::vector<peer_session> held;
    held.reserve(count);
    auto start = bench_clock::now();
    try {
      for (size_t i = 0; i < count; ++i)
        held.push_back(peer_session::open(
            a.port(),
            random_identity("load" + std::to_string(i),
                            static_cast<uint16_t>(1 + i % 65535)),
            plain, 10s));
    } catch (const std::exception& e) {
      a.process().close_stdin();
      watcher.join();
      throw std::runtime_error("connection " + std::to_string(held.size()) +
                               ": " + e.what());
    }
    auto opened = bench_clock::now() - start;
    // Let the node finish what each hello started (registry, console).
    auto settle = bench_clock::now() + 30s;
    while (watch.found < count && bench_clock::now() < settle)
      std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(1s);
    auto rss_after = a.process().rss_kib();
    result("handshakes_per_s",
           static_cast<double>(count) / (micros(opened) / 1e6));
    result("rss_per_connection_kib",
           static_cast<double>(rss_after - rss_before) /
               static_cast<double>(count));
    result("rss_held_mib", static_cast<double>(rss_after) / 1024);
    // The legitimate peer: a node of its own, connected after the load.
    node_process b{binary, "bench_legit", dir, [&] {
                     auto x = extra;
                     x.insert(
                         x.end(),
                         {"--peer", "127.0.0.1:" + std::to_string(a.port())});
                     return x;
                   }()};
    if (!b.process().wait_for("peer_found", bench_clock::now() + 10s))
      throw std::runtime_error("the legitimate peer did not connect");
    auto sent = bench_clock::now();
    b.process().write(node_process::send_lines(a.port(), "legitimate message"));
    auto until = sent + 10s;
    while (!watch.chat_seen && bench_clock::now() < until)
      std::this_thread::sleep_for(100us);
    if (!watch.chat_seen) {
      a.process().close_stdin();
      watcher.join();
      throw std::runtime_error("the legitimate chat did not arrive in 10 s");
    }
    watcher.join();
    auto arrived = bench_clock::time_point{bench_clock::duration{
        static_cast<bench_clock::rep>(watch.chat_at_ns.load())}};
    result("legit_chat_ms", micros(arrived - sent) / 1000);
    result("held_at_chat", static_cast<double>(watch.held_at_chat.load()));
    if (watch.held_at_chat < count)
      std::fprintf(stderr, "node_connections: only %zu of %zu held\n",
                   watch.held_at_chat.load(), count);
    // Let A quit on its own: end its input and read what it prints meanwhile.
    a.process().close_stdin();
    auto quit_deadline = bench_clock::now() + 20s;
    while (a.process().read_line(quit_deadline))
      ; // nop
  } catch (const std::exception& e) {
    std::fprintf(stderr, "node_connections: %s\n", e.what());
    return 1;
  }
  return 0;
}
