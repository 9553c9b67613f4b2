// The network at a scale no real-process test reaches: 200 complete nodes
// (production registries and connection brokers over the in-process
// transport of support/sim_network.hpp) on virtual time, all bootstrapped
// from one node. Discovery must link them into one network with every node
// at its target of peers; a broadcast must reach every node exactly once;
// after a fifth of the nodes die or drop off the network, reconnects must
// restore one network that a new broadcast again crosses exactly once.
//
// The figures (links, hops, duplicates, messages per broadcast) are printed
// with --log_level=message and asserted against the bounds in
// docs/architecture.md.

#include <algorithm>
#include <chrono>
#include <numeric>
#include <queue>
#include <random>
#include <set>
#include <vector>

#include "support/sim_network.hpp"

using namespace p2pchat;
using namespace p2pchat::test;
using namespace std::chrono_literals;

namespace {

constexpr size_t node_count = 200;
constexpr size_t target_peers = 8;
constexpr uint64_t seed = 20261125;

/// Links between live nodes, as adjacency lists.
using graph = std::vector<std::vector<size_t>>;

graph links_among(simulation& sim, const std::vector<bool>& live) {
  graph result(sim.size());
  for (size_t i = 0; i < sim.size(); ++i)
    if (live[i])
      for (auto j : sim.linked(i))
        if (live[j])
          result[i].push_back(j);
  return result;
}

/// Hops from `origin` to every node (SIZE_MAX where unreachable).
std::vector<size_t> distances(const graph& g, size_t origin) {
  std::vector<size_t> result(g.size(), SIZE_MAX);
  std::queue<size_t> todo;
  result[origin] = 0;
  todo.push(origin);
  while (!todo.empty()) {
    auto x = todo.front();
    todo.pop();
    for (auto y : g[x])
      if (result[y] == SIZE_MAX) {
        result[y] = result[x] + 1;
        todo.push(y);
      }
  }
  return result;
}

size_t count_live(const std::vector<bool>& live) {
  return static_cast<size_t>(std::count(live.begin(), live.end(), true));
}

/// True if every live node reaches every other live node.
bool connected(const graph& g, const std::vector<bool>& live) {
  auto first = std::find(live.begin(), live.end(), true) - live.begin();
  auto dist = distances(g, static_cast<size_t>(first));
  for (size_t i = 0; i < g.size(); ++i)
    if (live[i] && dist[i] == SIZE_MAX)
      return false;
  return true;
}

/// The least number of links of a live node.
size_t min_degree(const graph& g, const std::vector<bool>& live) {
  size_t result = SIZE_MAX;
  for (size_t i = 0; i < g.size(); ++i)
    if (live[i])
      result = std::min(result, g[i].size());
  return result;
}

/// Links (each counted once) among live nodes.
size_t link_count(const graph& g) {
  size_t ends = 0;
  for (auto& xs : g)
    ends += xs.size();
  return ends / 2;
}

/// Advances in half-minute steps until every live node has `want` links and
/// the live nodes form one network, for at most `limit`. Returns the time
/// it took, or nothing.
std::optional<std::chrono::milliseconds>
settle(simulation& sim, const std::vector<bool>& live, size_t want,
       std::chrono::milliseconds limit) {
  auto start = sim.elapsed();
  while (sim.elapsed() - start <= limit) {
    auto g = links_among(sim, live);
    if (min_degree(g, live) >= want && connected(g, live))
      return sim.elapsed() - start;
    sim.advance(30s);
  }
  return std::nullopt;
}

/// What one broadcast cost, measured on the transport.
struct broadcast_figures {
  size_t reached = 0;
  size_t max_hops = 0;
  double mean_hops = 0;
  uint64_t messages = 0;
  uint64_t max_duplicates = 0;
  double mean_duplicates = 0;
};

size_t times_shown(sim_node& node, const std::string& text) {
  auto xs = node.broadcasts();
  return static_cast<size_t>(std::count_if(
      xs.begin(), xs.end(), [&](const auto& x) { return x.second == text; }));
}

/// Broadcasts `text` from `origin`, requires every live node but the origin
/// to show it exactly once (and no other node at all), and checks the
/// message count of a flood on the live graph `g`: the origin sends one copy
/// per link, every other node one per link but the one it came in on.
broadcast_figures broadcast_and_check(simulation& sim, const graph& g,
                                      const std::vector<bool>& live,
                                      size_t origin, const std::string& text) {
  auto before = sim.net.frames_received(message_type::broadcast);
  std::vector<uint64_t> before_at(sim.size());
  for (size_t i = 0; i < sim.size(); ++i)
    before_at[i] = sim.net.frames_received(message_type::broadcast,
                                           simulation::host_of(i));
  sim.broadcast(origin, text);
  sim.run_until_idle();
  broadcast_figures result;
  auto dist = distances(g, origin);
  size_t hops_sum = 0;
  uint64_t dup_sum = 0;
  for (size_t i = 0; i < sim.size(); ++i) {
    auto shown = times_shown(sim.node(i), text);
    if (!live[i] || i == origin) {
      BOOST_CHECK_MESSAGE(shown == 0,
                          "node " << i << " showed it " << shown << " times");
      continue;
    }
    BOOST_CHECK_MESSAGE(shown == 1, "live node " << i << " showed it " << shown
                                                 << " times");
    result.reached += shown == 1 ? 1 : 0;
    result.max_hops = std::max(result.max_hops, dist[i]);
    hops_sum += dist[i];
    auto copies = sim.net.frames_received(message_type::broadcast,
                                          simulation::host_of(i)) -
                  before_at[i];
    // One copy per link at most; all but the first are duplicates.
    BOOST_CHECK_LE(copies, g[i].size());
    auto duplicates = copies > 0 ? copies - 1 : 0;
    result.max_duplicates = std::max(result.max_duplicates, duplicates);
    dup_sum += duplicates;
  }
  auto others = count_live(live) - 1;
  result.mean_hops = static_cast<double>(hops_sum) / others;
  result.mean_duplicates = static_cast<double>(dup_sum) / others;
  result.messages = sim.net.frames_received(message_type::broadcast) - before;
  // Every node is within the hop limit, so the flood is complete: exactly
  // 2L - (N - 1) copies for L links among N live nodes.
  BOOST_CHECK_LT(result.max_hops, size_t{default_broadcast_hops});
  BOOST_CHECK_EQUAL(result.messages, 2 * link_count(g) - others);
  return result;
}

void report(const char* phase, simulation& sim, const graph& g,
            const std::vector<bool>& live, std::chrono::milliseconds took,
            const broadcast_figures& b) {
  size_t max_degree = 0;
  for (size_t i = 0; i < g.size(); ++i)
    if (live[i])
      max_degree = std::max(max_degree, g[i].size());
  BOOST_TEST_MESSAGE(
      phase << ": " << count_live(live) << " live nodes, settled after "
            << took.count() / 1000 << " s of virtual time; links "
            << link_count(g) << ", degree min " << min_degree(g, live)
            << " mean "
            << 2.0 * static_cast<double>(link_count(g)) / count_live(live)
            << " max " << max_degree << "; broadcast reached " << b.reached
            << " nodes, hops mean " << b.mean_hops << " max " << b.max_hops
            << ", " << b.messages << " messages, duplicates per node mean "
            << b.mean_duplicates << " max " << b.max_duplicates
            << "; virtual time " << sim.elapsed().count() / 1000 << " s");
}

} // namespace

BOOST_AUTO_TEST_SUITE(network_simulation_tests)

BOOST_AUTO_TEST_CASE(two_hundred_nodes_discover_broadcast_and_heal) {
  sim_options opts;
  opts.configure_registry = [](size_t i, registry_config& cfg) {
    cfg.target_peers = target_peers;
    cfg.discovery_interval = 60s;
    cfg.seed = seed + i;
  };
  simulation sim{opts};
  sim.add_nodes(node_count);
  std::mt19937_64 rng{seed};
  std::vector<bool> live(node_count, true);
  // Everyone starts at once with node 0 as its only --peer: node 0 takes
  // 125 of them and refuses the rest, handing them the peers it met.
  for (size_t i = 1; i < node_count; ++i)
    sim.bootstrap(i, 0);
  sim.run_until_idle();
  auto took = settle(sim, live, target_peers, 30min);
  BOOST_REQUIRE_MESSAGE(took, "no connected network with "
                                  << target_peers
                                  << " links per node after 30 minutes");
  auto g = links_among(sim, live);
  auto origin = static_cast<size_t>(rng() % node_count);
  auto first = broadcast_and_check(sim, g, live, origin, "first broadcast");
  report("discovery", sim, g, live, *took, first);
  // A fifth of the nodes go: half crash (their peers see the sockets
  // close), half drop off the network (only the ping timeout tells).
  std::vector<size_t> order(node_count);
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t k = 0; k < node_count / 5; ++k) {
    auto victim = order[k];
    live[victim] = false;
    if (k % 2 == 0)
      sim.crash(victim);
    else
      sim.silence(victim);
  }
  sim.run_until_idle();
  auto wanted = std::min(target_peers, count_live(live) - 1);
  auto healed = settle(sim, live, wanted, 30min);
  BOOST_REQUIRE_MESSAGE(healed, "the survivors did not heal within 30 "
                                "minutes");
  g = links_among(sim, live);
  do
    origin = static_cast<size_t>(rng() % node_count);
  while (!live[origin]);
  auto second = broadcast_and_check(sim, g, live, origin, "after the losses");
  report("after losing 20 %", sim, g, live, *healed, second);
}

BOOST_AUTO_TEST_SUITE_END()
