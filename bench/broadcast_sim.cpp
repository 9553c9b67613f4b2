// One broadcast through a network of NODES complete nodes in the in-process
// simulation (tests/actors/support/sim_network: production registries and
// connection brokers on CAF's test coordinator, virtual time). All nodes
// bootstrap from node 0 and discover each other until every node holds
// 8 links (at most 30 minutes of virtual time); then a random node
// broadcasts: how many nodes it reached, the messages it cost, the
// duplicates per node and the hops it took (the simulated transport has
// no latency, so hops stand in for time: a flood takes max-hops link
// delays).
//
// broadcast_sim NODES SEED

#include <chrono>
#include <cstdio>
#include <queue>
#include <random>

#include "support/node_process.hpp"
#include "support/sim_network.hpp"

using namespace p2pchat;
using namespace p2pchat::test;
using namespace std::chrono_literals;

namespace {

constexpr size_t target_peers = 8;

/// Hops from `origin` to every node over the current links.
std::vector<size_t> hops_from(simulation& sim, size_t origin) {
  std::vector<size_t> result(sim.size(), SIZE_MAX);
  std::queue<size_t> todo;
  result[origin] = 0;
  todo.push(origin);
  while (!todo.empty()) {
    auto x = todo.front();
    todo.pop();
    for (auto y : sim.linked(x))
      if (result[y] == SIZE_MAX) {
        result[y] = result[x] + 1;
        todo.push(y);
      }
  }
  return result;
}

/// True once every node has its target of links and all are one network.
bool settled(simulation& sim) {
  for (size_t i = 0; i < sim.size(); ++i)
    if (sim.linked(i).size() < target_peers)
      return false;
  for (auto h : hops_from(sim, 0))
    if (h == SIZE_MAX)
      return false;
  return true;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: broadcast_sim NODES SEED\n");
    return 2;
  }
  auto nodes = std::stoul(argv[1]);
  auto seed = std::stoull(argv[2]);
  auto wall_start = bench::bench_clock::now();
  sim_options opts;
  opts.configure_registry = [seed](size_t i, registry_config& cfg) {
    cfg.target_peers = target_peers;
    cfg.discovery_interval = 60s;
    cfg.seed = seed + i;
  };
  simulation sim{opts};
  sim.add_nodes(nodes);
  for (size_t i = 1; i < nodes; ++i)
    sim.bootstrap(i, 0);
  sim.run_until_idle();
  while (!settled(sim)) {
    if (sim.elapsed() > 30min) {
      std::fprintf(stderr, "broadcast_sim: not settled after 30 minutes\n");
      return 1;
    }
    sim.advance(30s);
  }
  bench::result("settle_virtual_s",
                static_cast<double>(sim.elapsed().count()) / 1000);
  std::mt19937_64 rng{seed};
  auto origin = static_cast<size_t>(rng() % nodes);
  std::vector<uint64_t> before(nodes);
  for (size_t i = 0; i < nodes; ++i)
    before[i] = sim.net.frames_received(message_type::broadcast,
                                        simulation::host_of(i));
  auto total_before = sim.net.frames_received(message_type::broadcast);
  auto flood_start = bench::bench_clock::now();
  sim.broadcast(origin, "bench broadcast");
  sim.run_until_idle();
  auto flood_took = bench::bench_clock::now() - flood_start;
  auto hops = hops_from(sim, origin);
  size_t reached = 0;
  size_t max_hops = 0;
  uint64_t duplicates = 0;
  uint64_t max_duplicates = 0;
  for (size_t i = 0; i < nodes; ++i) {
    if (i == origin)
      continue;
    size_t shown = 0;
    for (auto& x : sim.node(i).broadcasts())
      shown += x.second == "bench broadcast" ? 1 : 0;
    reached += shown == 1 ? 1 : 0;
    max_hops = std::max(max_hops, hops[i]);
    auto copies = sim.net.frames_received(message_type::broadcast,
                                          simulation::host_of(i)) -
                  before[i];
    auto dups = copies > 0 ? copies - 1 : 0;
    duplicates += dups;
    max_duplicates = std::max<uint64_t>(max_duplicates, dups);
  }
  bench::result("reached", static_cast<double>(reached));
  bench::result("others", static_cast<double>(nodes - 1));
  bench::result("messages", static_cast<double>(sim.net.frames_received(
                                                    message_type::broadcast) -
                                                total_before));
  bench::result("duplicates_mean", static_cast<double>(duplicates) /
                                       static_cast<double>(nodes - 1));
  bench::result("duplicates_max", static_cast<double>(max_duplicates));
  bench::result("max_hops", static_cast<double>(max_hops));
  bench::result("flood_wall_ms", bench::micros(flood_took) / 1000);
  bench::result("run_wall_s",
                bench::micros(bench::bench_clock::now() - wall_start) / 1e6);
  if (reached != nodes - 1) {
    std::fprintf(stderr, "broadcast_sim: reached %zu of %zu nodes\n", reached,
                 nodes - 1);
    return 1;
  }
  return 0;
}
