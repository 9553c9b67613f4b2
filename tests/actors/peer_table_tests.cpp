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
