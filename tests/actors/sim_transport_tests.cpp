// The in-process transport (support/sim_network.hpp): complete nodes, that
// is production registries and production connection brokers, talking over
// simulated sockets on virtual time.

#include <chrono>
#include <set>
#include <sstream>
#include <vector>

#include "support/sim_network.hpp"

using namespace p2pchat;
using namespace p2pchat::test;
using namespace std::chrono_literals;

namespace {

size_t count_named(const std::vector<peer_view>& views,
                   const std::string& name) {
  return static_cast<size_t>(
      std::count_if(views.begin(), views.end(),
                    [&](const peer_view& x) { return x.name == name; }));
}

size_t count_text(const std::vector<std::pair<peer_view, std::string>>& xs,
                  const std::string& text) {
  return static_cast<size_t>(std::count_if(
      xs.begin(), xs.end(), [&](const auto& x) { return x.second == text; }));
}

bool contains(const std::vector<size_t>& xs, size_t x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::string name_of(size_t i) {
  return "node" + std::to_string(i);
}

// The assertions below hold whatever else the registry does on its own
// (e.g. dialing peers it learned about): where the topology matters, they
// ask the network which links exist instead of assuming them.

/// Node i + 1 dials node i: 0 - 1 - 2 - ... - (n - 1).
void make_chain(simulation& sim, size_t n) {
  sim.add_nodes(n);
  for (size_t i = 0; i + 1 < n; ++i)
    sim.connect(i + 1, i);
  sim.run_until_idle();
}

/// Every other node dials node 0.
void make_star(simulation& sim, size_t n) {
  sim.add_nodes(n);
  for (size_t i = 1; i < n; ++i)
    sim.connect(i, 0);
  sim.run_until_idle();
}

/// Everything every console received, rendered: equal runs render equally.
std::string transcript(simulation& sim) {
  std::ostringstream out;
  for (size_t i = 0; i < sim.size(); ++i)
    for (auto& msg : *sim.node(i).console.log)
      out << i << ": " << caf::to_string(msg) << '\n';
  return out.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(sim_transport_tests)

BOOST_AUTO_TEST_CASE(two_nodes_find_each_other) {
  simulation sim;
  sim.add_nodes(2);
  sim.connect(1, 0);
  sim.run_until_idle();
  auto at_a = sim.node(0).found();
  BOOST_REQUIRE_EQUAL(at_a.size(), 1u);
  BOOST_CHECK_EQUAL(at_a[0].name, "node1");
  // The host is the simulated socket's remote address, the port the one
  // from the hello.
  BOOST_CHECK_EQUAL(to_string(at_a[0].listen), "10.0.0.2:6555");
  BOOST_CHECK(at_a[0].id == simulation::id_of(1));
  BOOST_CHECK(at_a[0].connected);
  auto at_b = sim.node(1).found();
  BOOST_REQUIRE_EQUAL(at_b.size(), 1u);
  BOOST_CHECK_EQUAL(at_b[0].name, "node0");
  BOOST_CHECK_EQUAL(to_string(at_b[0].listen), "10.0.0.1:6555");
  BOOST_CHECK_EQUAL(sim.net.open_links(), 1u);
  BOOST_CHECK_GT(sim.net.bytes_delivered(), 0u);
  BOOST_CHECK_EQUAL(sim.net.queued(), 0u);
  // Nothing needed time to pass.
  BOOST_CHECK_EQUAL(sim.elapsed().count(), 0);
}

BOOST_AUTO_TEST_CASE(chats_arrive_exactly_once_both_ways) {
  simulation sim;
  sim.add_nodes(2);
  sim.connect(1, 0);
  sim.run_until_idle();
  sim.send_chat(1, 0, "hello A");
  sim.send_chat(0, 1, "hello B");
  sim.run_until_idle();
  auto at_a = sim.node(0).chats();
  BOOST_REQUIRE_EQUAL(at_a.size(), 1u);
  BOOST_CHECK_EQUAL(at_a[0].first.name, "node1");
  BOOST_CHECK_EQUAL(at_a[0].second, "hello A");
  auto at_b = sim.node(1).chats();
  BOOST_REQUIRE_EQUAL(at_b.size(), 1u);
  BOOST_CHECK_EQUAL(at_b[0].first.name, "node0");
  BOOST_CHECK_EQUAL(at_b[0].second, "hello B");
  // The link was reused: still one.
  BOOST_CHECK_EQUAL(sim.net.links_created(), 1u);
}

BOOST_AUTO_TEST_CASE(a_chat_to_a_new_address_dials_then_arrives) {
  simulation sim;
  sim.add_nodes(2);
  sim.send_chat(1, 0, "first contact");
  sim.run_until_idle();
  BOOST_CHECK_EQUAL(sim.node(0).found().size(), 1u);
  BOOST_CHECK_EQUAL(count_text(sim.node(0).chats(), "first contact"), 1u);
  BOOST_CHECK_EQUAL(sim.net.links_created(), 1u);
}

BOOST_AUTO_TEST_CASE(a_chat_bigger_than_a_read_arrives_whole) {
  simulation sim;
  sim.add_nodes(2);
  sim.connect(1, 0);
  sim.run_until_idle();
  // 16 KiB: four times the idle read size, so the receiving broker reads it
  // in several pieces.
  std::string text(max_text_bytes, 'x');
  sim.send_chat(1, 0, text);
  sim.send_chat(1, 0, "after the big one");
  sim.run_until_idle();
  auto chats = sim.node(0).chats();
  BOOST_REQUIRE_EQUAL(chats.size(), 2u);
  BOOST_CHECK(chats[0].second == text);
  BOOST_CHECK_EQUAL(chats[1].second, "after the big one");
}

BOOST_AUTO_TEST_CASE(dialing_a_node_that_is_down_fails) {
  simulation sim;
  sim.add_nodes(2);
  sim.crash(0);
  sim.run_until_idle();
  sim.send_chat(1, 0, "anyone there?");
  sim.run_until_idle();
  auto notices = sim.node(1).notices();
  BOOST_REQUIRE_EQUAL(notices.size(), 1u);
  BOOST_CHECK_EQUAL(notices[0], "Could not connect to 10.0.0.1:6555: "
                                "connection refused (1 message not sent)");
  BOOST_CHECK_EQUAL(sim.net.links_created(), 0u);
}

BOOST_AUTO_TEST_CASE(broadcast_on_a_five_node_chain_reaches_everyone_once) {
  simulation sim;
  make_chain(sim, 5);
  // Each node found its chain neighbours, each once.
  for (size_t i = 0; i + 1 < 5; ++i) {
    BOOST_CHECK_EQUAL(count_named(sim.node(i).found(), name_of(i + 1)), 1u);
    BOOST_CHECK_EQUAL(count_named(sim.node(i + 1).found(), name_of(i)), 1u);
    BOOST_CHECK(contains(sim.linked(i), i + 1));
  }
  sim.broadcast(0, "hello chain");
  sim.run_until_idle();
  BOOST_CHECK(sim.node(0).broadcasts().empty());
  for (size_t i = 1; i < 5; ++i) {
    auto got = sim.node(i).broadcasts();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_CHECK_EQUAL(got[0].second, "hello chain");
    BOOST_CHECK_EQUAL(got[0].first.name, "node0");
    // The first hop filled in the origin's IP from its socket.
    BOOST_CHECK_EQUAL(to_string(got[0].first.listen), "10.0.0.1:6555");
  }
}

BOOST_AUTO_TEST_CASE(broadcast_on_a_five_node_star_reaches_everyone_once) {
  simulation sim;
  make_star(sim, 5);
  auto hub_found = sim.node(0).found();
  for (size_t i = 1; i < 5; ++i)
    BOOST_CHECK_EQUAL(count_named(hub_found, name_of(i)), 1u);
  // From a leaf: through the hub to the other leaves.
  sim.broadcast(2, "hello star");
  sim.run_until_idle();
  BOOST_CHECK(sim.node(2).broadcasts().empty());
  for (size_t i : {0, 1, 3, 4}) {
    auto got = sim.node(i).broadcasts();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_CHECK_EQUAL(got[0].second, "hello star");
    BOOST_CHECK_EQUAL(got[0].first.name, "node2");
  }
}

BOOST_AUTO_TEST_CASE(a_crash_is_seen_by_the_neighbours_at_once) {
  simulation sim;
  make_chain(sim, 5);
  auto neighbours = sim.linked(2);
  BOOST_REQUIRE(contains(neighbours, 1) && contains(neighbours, 3));
  sim.crash(2);
  sim.run_until_idle();
  // No time passed: the closes did it.
  BOOST_CHECK_EQUAL(sim.elapsed().count(), 0);
  for (size_t i : {0, 1, 3, 4}) {
    auto left = sim.node(i).left();
    BOOST_CHECK_EQUAL(count_named(left, "node2"),
                      contains(neighbours, i) ? 1u : 0u);
    for (auto& x : left)
      BOOST_CHECK(!x.connected);
  }
  BOOST_CHECK(sim.linked(2).empty());
  BOOST_CHECK_EQUAL(sim.net.open_ends(simulation::host_of(2)), 0u);
  // The rest of the chain still works, on both sides of the gap.
  sim.send_chat(0, 1, "still here");
  sim.send_chat(4, 3, "me too");
  sim.run_until_idle();
  BOOST_CHECK_EQUAL(count_text(sim.node(1).chats(), "still here"), 1u);
  BOOST_CHECK_EQUAL(count_text(sim.node(3).chats(), "me too"), 1u);
}

BOOST_AUTO_TEST_CASE(stopped_brokers_close_after_what_they_flushed) {
  simulation sim;
  sim.add_nodes(2);
  sim.connect(1, 0);
  sim.run_until_idle();
  // Node 0's actors stop without a bye (as if its process exited) right
  // after handing a chat to its connection: the chat goes out first, then
  // the socket closes. Node 1 is silenced meanwhile, so that both wait in
  // the queue together.
  sim.silence(1);
  sim.send_chat(0, 1, "last words");
  caf::anon_send_exit(sim.node(0).registry, caf::exit_reason::user_shutdown);
  sim.run_until_idle();
  BOOST_CHECK(sim.node(1).chats().empty());
  BOOST_CHECK_EQUAL(sim.net.queued(), 2u);
  sim.restore(1);
  sim.run_until_idle();
  BOOST_CHECK_EQUAL(count_text(sim.node(1).chats(), "last words"), 1u);
  auto left = sim.node(1).left();
  BOOST_REQUIRE_EQUAL(left.size(), 1u);
  BOOST_CHECK_EQUAL(left[0].name, "node0");
  BOOST_CHECK_EQUAL(sim.net.open_links(), 0u);
  BOOST_CHECK_EQUAL(sim.net.attached_ends(), 0u);
}

BOOST_AUTO_TEST_CASE(quitting_says_bye_to_every_peer) {
  simulation sim;
  make_star(sim, 5);
  auto asker = sim.make_stand_in();
  caf::send_as(asker.handle, sim.node(0).registry, shutdown_atom::value);
  sim.run_until_idle();
  // Answered once every connection closed.
  BOOST_CHECK_EQUAL(asker.received<done_atom>().size(), 1u);
  for (size_t i = 1; i < 5; ++i)
    BOOST_CHECK_EQUAL(count_named(sim.node(i).left(), "node0"), 1u);
  BOOST_CHECK_EQUAL(sim.net.open_ends(simulation::host_of(0)), 0u);
}

BOOST_AUTO_TEST_CASE(a_crashed_node_is_redialed_and_refused) {
  simulation sim;
  sim.add_nodes(2);
  sim.connect(1, 0);
  sim.run_until_idle();
  sim.crash(0);
  sim.run_until_idle();
  BOOST_CHECK_EQUAL(sim.node(1).left().size(), 1u);
  BOOST_CHECK(sim.node(1).notices().empty());
  // The registry redials a lost peer after about a second (+/- 20 %).
  sim.advance(2s);
  auto notices = sim.node(1).notices();
  BOOST_REQUIRE_EQUAL(notices.size(), 1u);
  BOOST_CHECK_EQUAL(notices[0],
                    "Could not connect to 10.0.0.1:6555: connection refused");
}

BOOST_AUTO_TEST_CASE(a_restarted_node_is_redialed_by_its_peers) {
  simulation sim;
  sim.add_nodes(2);
  sim.connect(1, 0);
  sim.run_until_idle();
  sim.crash(0);
  sim.advance(2s);
  BOOST_CHECK_EQUAL(sim.node(1).notices().size(), 1u);
  sim.restart(0);
  // Next redial: about 2 s after the failed one.
  sim.advance(5s);
  // The new registry knew nobody: node 1 is new to it again.
  BOOST_CHECK_EQUAL(count_named(sim.node(0).found(), "node1"), 2u);
  BOOST_CHECK_EQUAL(sim.net.open_links(), 1u);
  sim.send_chat(1, 0, "welcome back");
  sim.run_until_idle();
  BOOST_CHECK_EQUAL(count_text(sim.node(0).chats(), "welcome back"), 1u);
}

BOOST_AUTO_TEST_CASE(a_silenced_node_is_dropped_only_by_the_ping_timeout) {
  simulation sim;
  auto interval = sim.opts.ping_interval;
  make_chain(sim, 5);
  auto neighbours = sim.linked(2);
  BOOST_REQUIRE(contains(neighbours, 1) && contains(neighbours, 3));
  sim.silence(2);
  sim.run_until_idle();
  // Three whole intervals: pings go unanswered, nobody gives up yet.
  sim.advance(3 * interval);
  for (size_t i = 0; i < 5; ++i)
    BOOST_CHECK_MESSAGE(sim.node(i).left().empty(), "node " << i);
  BOOST_CHECK(sim.linked(2) == neighbours);
  // The tick after the third silent interval closes the link.
  sim.advance(interval);
  for (size_t i : {0, 1, 3, 4}) {
    auto left = sim.node(i).left();
    BOOST_CHECK_EQUAL(count_named(left, "node2"),
                      contains(neighbours, i) ? 1u : 0u);
    // The other links kept answering pings.
    BOOST_CHECK_EQUAL(left.size(), count_named(left, "node2"));
  }
  BOOST_CHECK(sim.linked(2).empty());
  // The silenced node, still running, gave up on each of its links as well.
  auto left = sim.node(2).left();
  BOOST_CHECK_EQUAL(left.size(), neighbours.size());
  for (auto i : neighbours)
    BOOST_CHECK_EQUAL(count_named(left, name_of(i)), 1u);
}

BOOST_AUTO_TEST_CASE(a_restored_node_gets_what_was_held_in_order) {
  simulation sim;
  sim.add_nodes(2);
  sim.connect(1, 0);
  sim.run_until_idle();
  sim.silence(0);
  sim.send_chat(1, 0, "one");
  sim.send_chat(1, 0, "two");
  sim.run_until_idle();
  BOOST_CHECK(sim.node(0).chats().empty());
  BOOST_CHECK_GT(sim.net.queued(), 0u);
  sim.restore(0);
  sim.run_until_idle();
  auto chats = sim.node(0).chats();
  BOOST_REQUIRE_EQUAL(chats.size(), 2u);
  BOOST_CHECK_EQUAL(chats[0].second, "one");
  BOOST_CHECK_EQUAL(chats[1].second, "two");
  BOOST_CHECK(sim.node(1).left().empty());
}

BOOST_AUTO_TEST_CASE(dialing_a_silenced_node_times_out) {
  simulation sim;
  sim.add_nodes(2);
  sim.silence(0);
  sim.send_chat(1, 0, "hello?");
  sim.run_until_idle();
  BOOST_CHECK(sim.node(1).notices().empty());
  sim.advance(sim.opts.connect_timeout);
  auto notices = sim.node(1).notices();
  BOOST_REQUIRE_EQUAL(notices.size(), 1u);
  BOOST_CHECK_EQUAL(notices[0], "Could not connect to 10.0.0.1:6555: "
                                "connection timed out (1 message not sent)");
}

BOOST_AUTO_TEST_CASE(registry_settings_can_be_adjusted_per_node) {
  sim_options opts;
  opts.configure_registry = [](size_t i, registry_config& cfg) {
    if (i == 0)
      cfg.max_connections = 0;
  };
  simulation sim{opts};
  sim.add_nodes(2);
  sim.connect(1, 0);
  sim.run_until_idle();
  // Node 0 takes no inbound link: it answers node 1's hello with a bye.
  BOOST_CHECK(sim.node(0).found().empty());
  BOOST_CHECK_EQUAL(count_named(sim.node(1).found(), "node0"), 1u);
  BOOST_CHECK_EQUAL(count_named(sim.node(1).left(), "node0"), 1u);
  BOOST_CHECK_EQUAL(sim.net.open_links(), 0u);
}

BOOST_AUTO_TEST_CASE(equal_runs_are_identical) {
  auto run = [] {
    simulation sim;
    make_star(sim, 5);
    sim.broadcast(3, "same every time");
    sim.send_chat(4, 1, "direct");
    sim.run_until_idle();
    sim.crash(0);
    sim.advance(5s);
    return transcript(sim);
  };
  auto first = run();
  BOOST_CHECK_NE(first.find("same every time"), std::string::npos);
  BOOST_CHECK_EQUAL(first, run());
}

BOOST_AUTO_TEST_CASE(teardown_stops_every_actor_and_frees_every_scribe) {
  {
    simulation sim;
    make_chain(sim, 5);
    sim.send_chat(0, 4, "across");
    sim.crash(2);
    sim.silence(3);
    sim.advance(1s);
    BOOST_CHECK_GT(sim_scribe::instances(), 0u);
    BOOST_CHECK_GT(sim.running_actors(), 0u);
    sim.shutdown();
    BOOST_CHECK_EQUAL(sim.running_actors(), 0u);
    BOOST_CHECK_EQUAL(sim.net.attached_ends(), 0u);
  }
  BOOST_CHECK_EQUAL(sim_scribe::instances(), 0u);
}

BOOST_AUTO_TEST_CASE(two_hundred_nodes_flood_crash_and_silence) {
  constexpr size_t n = 200;
  simulation sim;
  sim.add_nodes(n);
  // A binary tree (depth 7, so every node is within the 16 hops of a
  // broadcast) plus a chain through all nodes.
  std::vector<std::set<size_t>> dialed(n);
  auto link = [&](size_t from, size_t to) {
    if (dialed[from].insert(to).second) {
      dialed[to].insert(from);
      sim.connect(from, to);
    }
  };
  for (size_t i = 1; i < n; ++i) {
    link(i, (i - 1) / 2);
    link(i, i - 1);
  }
  sim.run_until_idle();
  for (size_t i = 0; i < n; ++i) {
    auto found = sim.node(i).found();
    auto linked = sim.linked(i);
    for (auto j : dialed[i]) {
      BOOST_CHECK_EQUAL(count_named(found, name_of(j)), 1u);
      BOOST_CHECK(contains(linked, j));
    }
  }
  sim.broadcast(0, "to all");
  sim.run_until_idle();
  for (size_t i = 1; i < n; ++i)
    BOOST_CHECK_EQUAL(count_text(sim.node(i).broadcasts(), "to all"), 1u);
  // A crash is seen at once, a silence after the ping timeout.
  auto crashed_with = sim.linked(5);
  sim.crash(5);
  sim.run_until_idle();
  for (size_t i = 0; i < n; ++i)
    if (i != 5)
      BOOST_CHECK_EQUAL(count_named(sim.node(i).left(), "node5"),
                        contains(crashed_with, i) ? 1u : 0u);
  auto silenced_with = sim.linked(7);
  sim.silence(7);
  sim.advance(3 * sim.opts.ping_interval);
  for (size_t i = 0; i < n; ++i)
    BOOST_CHECK_EQUAL(count_named(sim.node(i).left(), "node7"), 0u);
  sim.advance(sim.opts.ping_interval);
  for (size_t i = 0; i < n; ++i)
    if (i != 5 && i != 7)
      BOOST_CHECK_EQUAL(count_named(sim.node(i).left(), "node7"),
                        contains(silenced_with, i) ? 1u : 0u);
  sim.shutdown();
  BOOST_CHECK_EQUAL(sim.running_actors(), 0u);
  BOOST_CHECK_EQUAL(sim.net.attached_ends(), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
