// Round trips between a peer and a node's network path: this program
// connects as a peer (support/peer_session) and sends ROUNDS pings, one at
// a time; the node's connection answers each with a pong.
//
// node_ping --node BINARY --dir DIR --rounds ROUNDS [--plain]

#include <cstdio>
#include <stdexcept>

#include "support/node_process.hpp"
#include "support/peer_session.hpp"
#include "support/stats.hpp"

using namespace p2pchat;
using namespace p2pchat::bench;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  try {
    auto binary = arg(argc, argv, "--node", "build/p2pchat");
    auto dir = arg(argc, argv, "--dir", "/tmp");
    auto rounds = std::stoul(arg(argc, argv, "--rounds", "10000"));
    auto plain = flag(argc, argv, "--plain");
    node_process node{binary, "bench_ping", dir, session_options(plain)};
    auto session = peer_session::open(node.port(), random_identity("pinger", 9),
                                      plain, 5s);
    std::vector<double> samples;
    samples.reserve(rounds);
    for (uint64_t i = 0; i < rounds; ++i) {
      auto start = bench_clock::now();
      session.send(ping{i});
      for (;;) {
        auto msg = session.receive(5s);
        if (!msg)
          throw std::runtime_error("no pong for ping " + std::to_string(i));
        auto x = std::get_if<pong>(&*msg);
        if (x != nullptr && x->nonce == i)
          break;
        // Anything else (the node asking for peers) is not the answer.
      }
      samples.push_back(micros(bench_clock::now() - start));
    }
    print_latency("ping_rtt", samples);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "node_ping: %s\n", e.what());
    return 1;
  }
  return 0;
}
