#include "actors/peer_table.hpp"

#include <boost/test/unit_test.hpp>

using namespace p2pchat;

namespace {

node_id make_id(uint8_t x) {
  node_id result;
  result.bytes.fill(x);
  return result;
}

const peer_address bob_addr{"127.0.0.1", 6556};

/// An entry as a peer would send it: node `x` at 10.0.0.`x`:7000.
peer_entry entry_of(uint8_t x, int64_t last_seen_ms) {
  return peer_entry{make_id(x), "n" + std::to_string(x),
                    "10.0.0." + std::to_string(x), 7000, last_seen_ms};
}

/// Picks index 0 every time: a sample in table order.
size_t first(size_t) {
  return 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(peer_table_tests)

BOOST_AUTO_TEST_CASE(known_then_connected_then_disconnected) {
  peer_table table{make_id(5)};
  BOOST_CHECK(table.list().empty());
  auto hello = table.on_hello(1, false, make_id(7), "bob", bob_addr);
  BOOST_CHECK(hello.new_peer);
  BOOST_CHECK(hello.duplicates.empty());
  BOOST_CHECK(table.connected(make_id(7)));
  BOOST_CHECK(table.route(make_id(7)) == connection_id{1});
  auto closed = table.on_closed(1);
  BOOST_CHECK(closed.registered);
  BOOST_CHECK(closed.peer_disconnected);
  BOOST_CHECK_EQUAL(closed.peer.name, "bob");
  BOOST_REQUIRE_EQUAL(table.list().size(), 1u);
  BOOST_CHECK(!table.list()[0].connected);
  BOOST_CHECK(!table.route(make_id(7)));
  // Closing again, or an unknown connection, changes nothing.
  BOOST_CHECK(!table.on_closed(1).registered);
}

BOOST_AUTO_TEST_CASE(a_different_node_at_a_known_address_replaces_it) {
  peer_table table{make_id(5)};
  table.on_hello(1, false, make_id(7), "bob", bob_addr);
  table.on_closed(1);
  // bob restarted with a fresh key on the same address.
  auto hello = table.on_hello(2, false, make_id(8), "bob", bob_addr);
  BOOST_CHECK(hello.new_peer);
  BOOST_REQUIRE_EQUAL(table.list().size(), 1u);
  BOOST_CHECK(table.list()[0].id == make_id(8));
}

BOOST_AUTO_TEST_CASE(simultaneous_open_both_sides_keep_the_same_link) {
  // Link A was opened by node 3, link B by node 9. Both tables must keep A.
  peer_table at3{make_id(3)};
  peer_table at9{make_id(9)};
  // Node 3 sees B (inbound) first, then A (its own).
  at3.on_hello(200, false, make_id(9), "nine", bob_addr);
  auto dup3 = at3.on_hello(100, true, make_id(9), "nine", bob_addr);
  // Node 9 sees A (inbound) first, then B (its own).
  at9.on_hello(100, false, make_id(3), "three", bob_addr);
  auto dup9 = at9.on_hello(200, true, make_id(3), "three", bob_addr);
  BOOST_CHECK(dup3.duplicates == std::vector<connection_id>{200});
  BOOST_CHECK(dup9.duplicates == std::vector<connection_id>{200});
  BOOST_CHECK(at3.route(make_id(9)) == connection_id{100});
  BOOST_CHECK(at9.route(make_id(3)) == connection_id{100});
}

BOOST_AUTO_TEST_CASE(the_dialing_side_closes_its_newer_duplicate) {
  peer_table dialer{make_id(5)};
  dialer.on_hello(1, true, make_id(7), "bob", bob_addr);
  auto second = dialer.on_hello(2, true, make_id(7), "bob", bob_addr);
  BOOST_CHECK(second.duplicates == std::vector<connection_id>{2});
  BOOST_CHECK(!second.new_peer);
  // The accepting side leaves both open: the dialer decides.
  peer_table acceptor{make_id(7)};
  acceptor.on_hello(1, false, make_id(5), "alice", bob_addr);
  auto other = acceptor.on_hello(2, false, make_id(5), "alice", bob_addr);
  BOOST_CHECK(other.duplicates.empty());
  // When the dialer's choice closes, the peer stays connected via the rest.
  auto closed = acceptor.on_closed(2);
  BOOST_CHECK(closed.registered);
  BOOST_CHECK(!closed.peer_disconnected);
  BOOST_CHECK(acceptor.route(make_id(5)) == connection_id{1});
}

BOOST_AUTO_TEST_CASE(hello_from_ourselves_is_flagged_and_not_stored) {
  peer_table table{make_id(5)};
  auto hello = table.on_hello(1, true, make_id(5), "me", bob_addr);
  BOOST_CHECK(hello.self_connection);
  BOOST_CHECK(table.list().empty());
  BOOST_CHECK(table.connections().empty());
}

BOOST_AUTO_TEST_CASE(forget_removes_the_peer_but_not_its_links_yet) {
  peer_table table{make_id(5)};
  table.on_hello(1, false, make_id(7), "bob", bob_addr);
  auto gone = table.forget(make_id(7));
  BOOST_REQUIRE(gone.has_value());
  BOOST_CHECK_EQUAL(gone->name, "bob");
  BOOST_CHECK(table.list().empty());
  BOOST_CHECK(!table.find(bob_addr));
  // Its link closes later without announcing a second disconnect.
  auto closed = table.on_closed(1);
  BOOST_CHECK(closed.registered);
  BOOST_CHECK(!closed.peer_disconnected);
}

BOOST_AUTO_TEST_CASE(list_keeps_first_seen_order_across_updates) {
  peer_table table{make_id(5)};
  table.on_hello(1, false, make_id(9), "zed", {"127.0.0.1", 1});
  table.on_hello(2, false, make_id(7), "amy", {"127.0.0.1", 2});
  table.on_hello(3, false, make_id(9), "zed2", {"127.0.0.1", 3});
  auto peers = table.list();
  BOOST_REQUIRE_EQUAL(peers.size(), 2u);
  BOOST_CHECK_EQUAL(peers[0].name, "zed2");
  BOOST_CHECK_EQUAL(peers[1].name, "amy");
  BOOST_CHECK(table.find({"127.0.0.1", 3}).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(discovery)

BOOST_AUTO_TEST_CASE(learned_peers_are_dial_candidates_but_not_listed) {
  peer_table table{make_id(5)};
  BOOST_CHECK_EQUAL(table.learn({entry_of(7, 100), entry_of(8, 100)}, 1000),
                    2u);
  BOOST_CHECK_EQUAL(table.size(), 2u);
  // The menu lists peers we talked to, not hearsay.
  BOOST_CHECK(table.list().empty());
  BOOST_CHECK(!table.find(peer_address{"10.0.0.7", 7000}));
  auto candidates = table.dial_candidates(1000);
  BOOST_REQUIRE_EQUAL(candidates.size(), 2u);
  BOOST_CHECK_EQUAL(to_string(candidates[0].listen), "10.0.0.7:7000");
  // Once met, it is a peer like any other and no longer a candidate.
  auto hello = table.on_hello(1, true, make_id(7), "n7",
                              peer_address{"10.0.0.7", 7000}, 2000);
  BOOST_CHECK(hello.new_peer);
  BOOST_CHECK_EQUAL(table.list().size(), 1u);
  BOOST_CHECK_EQUAL(table.dial_candidates(2000).size(), 1u);
}

BOOST_AUTO_TEST_CASE(
    learning_ignores_ourselves_and_never_overrides_what_we_saw) {
  peer_table table{make_id(5)};
  table.on_hello(1, false, make_id(7), "bob", bob_addr, 500);
  auto liar = entry_of(7, 900); // bob, claimed elsewhere
  auto me = entry_of(5, 900);
  BOOST_CHECK_EQUAL(table.learn({liar, me}, 1000), 0u);
  BOOST_CHECK_EQUAL(table.size(), 1u);
  BOOST_CHECK_EQUAL(to_string(table.list()[0].listen), "127.0.0.1:6556");
  // Another id claiming an address where we met bob is not learned either.
  auto squatter = entry_of(9, 900);
  squatter.host = "127.0.0.1";
  squatter.port = 6556;
  BOOST_CHECK_EQUAL(table.learn({squatter}, 1000), 0u);
  // Hearsay about a learned peer: the freshest claim wins.
  table.learn({entry_of(8, 100)}, 1000);
  auto moved = entry_of(8, 200);
  moved.host = "10.0.0.88";
  table.learn({moved}, 1000);
  auto stale = entry_of(8, 150);
  table.learn({stale}, 1000);
  auto candidates = table.dial_candidates(1000);
  BOOST_REQUIRE_EQUAL(candidates.size(), 1u);
  BOOST_CHECK_EQUAL(to_string(candidates[0].listen), "10.0.0.88:7000");
}

BOOST_AUTO_TEST_CASE(a_full_table_evicts_the_longest_unseen_never_met_peer) {
  peer_table table{make_id(5), 3};
  table.on_hello(1, false, make_id(7), "bob", bob_addr, 10);
  table.on_closed(1, 10); // met, long ago
  table.learn({entry_of(20, 300), entry_of(21, 200)}, 1000);
  BOOST_CHECK_EQUAL(table.size(), 3u);
  // Newer than the oldest learned one (21): 21 goes, not bob whom we met.
  BOOST_CHECK_EQUAL(table.learn({entry_of(22, 250)}, 1000), 1u);
  BOOST_CHECK_EQUAL(table.size(), 3u);
  std::vector<std::string> left;
  for (auto& x : table.dial_candidates(1000))
    left.push_back(to_string(x.listen));
  BOOST_CHECK(
      (left == std::vector<std::string>{"10.0.0.20:7000", "10.0.0.22:7000"}));
  // Older than every learned entry: the newcomer is the one dropped.
  BOOST_CHECK_EQUAL(table.learn({entry_of(23, 100)}, 1000), 0u);
  BOOST_CHECK_EQUAL(table.size(), 3u);
  BOOST_CHECK_EQUAL(table.list().size(), 1u); // bob stays
  // A claim from the future counts as now, not as forever fresh.
  BOOST_CHECK_EQUAL(table.learn({entry_of(24, 999999)}, 1000), 1u);
  BOOST_CHECK_EQUAL(table.learn({entry_of(25, 1000)}, 1000), 1u);
  // Both 24 and 25 were seen "at 1000"; 22 and 20 are gone.
  BOOST_CHECK_EQUAL(table.dial_candidates(1000).size(), 2u);
}

BOOST_AUTO_TEST_CASE(a_new_link_makes_room_even_in_a_full_table) {
  peer_table table{make_id(5), 2};
  table.learn({entry_of(20, 300), entry_of(21, 200)}, 1000);
  table.on_hello(1, false, make_id(7), "bob", bob_addr, 1000);
  BOOST_CHECK_EQUAL(table.size(), 2u);
  BOOST_CHECK(table.connected(make_id(7)));
  // Every known peer connected: the table grows rather than drop a link.
  table.on_hello(2, false, make_id(8), "carol", peer_address{"10.1.0.8", 1},
                 1000);
  table.on_hello(3, false, make_id(9), "dave", peer_address{"10.1.0.9", 1},
                 1000);
  BOOST_CHECK_EQUAL(table.size(), 3u);
  BOOST_CHECK_EQUAL(table.connected_peers(), 3u);
}

BOOST_AUTO_TEST_CASE(only_peers_we_met_are_handed_out) {
  peer_table table{make_id(5)};
  table.learn({entry_of(20, 300)}, 1000); // hearsay: never handed out
  table.on_hello(1, false, make_id(7), "bob", peer_address{"192.168.0.7", 6556},
                 1000);
  table.on_hello(2, false, make_id(8), "carol",
                 peer_address{"192.168.0.8", 6557}, 1000);
  table.on_closed(2, 2000);
  auto shared = table.shareable(100, make_id(99), 5000, first);
  BOOST_REQUIRE_EQUAL(shared.size(), 2u);
  for (auto& x : shared) {
    BOOST_CHECK(x.id == make_id(7) || x.id == make_id(8));
    // Connected: seen now; disconnected: when the link closed.
    BOOST_CHECK_EQUAL(x.last_seen_ms, x.id == make_id(7) ? 5000 : 2000);
  }
  // Not the requester itself, and no more than asked for.
  BOOST_CHECK_EQUAL(table.shareable(100, make_id(7), 5000, first).size(), 1u);
  BOOST_CHECK_EQUAL(table.shareable(1, make_id(99), 5000, first).size(), 1u);
  // A peer gone for longer than the share horizon is not handed out.
  auto later = 2000 + peer_table::share_horizon_ms + 1;
  auto fresh = table.shareable(100, make_id(99), later, first);
  BOOST_REQUIRE_EQUAL(fresh.size(), 1u);
  BOOST_CHECK(fresh[0].id == make_id(7));
}

BOOST_AUTO_TEST_CASE(at_most_a_hundred_are_handed_out) {
  peer_table table{make_id(5)};
  for (uint8_t i = 10; i < 200; ++i)
    table.on_hello(i, false, make_id(i), "n" + std::to_string(i),
                   peer_address{"10.0.1." + std::to_string(i), 7000}, 1000);
  auto shared = table.shareable(max_peer_entries, make_id(1), 1000, first);
  BOOST_CHECK_EQUAL(shared.size(), max_peer_entries);
  BOOST_CHECK(!validate(peers{shared}));
}

BOOST_AUTO_TEST_CASE(failed_learned_addresses_wait_then_are_dropped) {
  peer_table table{make_id(5)};
  table.learn({entry_of(20, 300)}, 1000);
  peer_address addr{"10.0.0.20", 7000};
  table.on_dial_failed(addr, 1000);
  BOOST_CHECK(table.dial_candidates(1000).empty());
  BOOST_CHECK(table.dial_candidates(1000 + 29999).empty());
  auto again = table.dial_candidates(1000 + 30000);
  BOOST_REQUIRE_EQUAL(again.size(), 1u);
  BOOST_CHECK_EQUAL(again[0].dial_failures, 1u);
  table.on_dial_failed(addr, 40000);
  BOOST_CHECK(table.dial_candidates(40000 + 59999).empty());
  BOOST_CHECK_EQUAL(table.dial_candidates(40000 + 60000).size(), 1u);
  table.on_dial_failed(addr, 200000);
  BOOST_CHECK_EQUAL(table.size(), 0u); // third failure: forgotten
}

BOOST_AUTO_TEST_SUITE_END()
