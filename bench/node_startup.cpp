// Start-up and idle: the time from starting a node to its "Server listening
// on" line, and its resident memory once it has been idle for a second.
//
// node_startup --node BINARY --dir DIR

#include <cstdio>
#include <stdexcept>
#include <thread>

#include "support/node_process.hpp"

using namespace p2pchat::bench;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  try {
    auto binary = arg(argc, argv, "--node", "build/p2pchat");
    auto dir = arg(argc, argv, "--dir", "/tmp");
    node_process node{binary, "bench_idle", dir, {}};
    result("startup_ms", micros(node.startup()) / 1000);
    std::this_thread::sleep_for(1s);
    result("idle_rss_kib", static_cast<double>(node.process().rss_kib()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "node_startup: %s\n", e.what());
    return 1;
  }
  return 0;
}
