#include "actors/registry.hpp"

#include "support/registry_fixture.hpp"

using namespace p2pchat;
using namespace p2pchat::test;
using std::chrono::milliseconds;

namespace {

/// A registry that wants three peers and asks for more every minute.
struct discovery_fixture : registry_fixture {
  discovery_fixture()
      : registry_fixture([](registry_config& cfg) {
          cfg.target_peers = 3;
          cfg.discovery_interval = milliseconds{60000};
        }) {
    // nop
  }

  /// Entries for nodes `first`..`last` at 10.0.0.X:7000.
  static peers entries(uint8_t first, uint8_t last) {
    peers result;
    for (int x = first; x <= last; ++x)
      result.entries.push_back(
          peer_entry{make_id(static_cast<uint8_t>(x)), "n" + std::to_string(x),
                     "10.0.0." + std::to_string(x), 7000, 1700000000000});
    return result;
  }

  /// The peer-list requests `conn` was told to send.
  static size_t requests_sent(const stand_in& conn) {
    return conn.received<send_atom, peers_request>().size();
  }

  /// The peer lists `conn` was told to send.
  static std::vector<peers> lists_sent(const stand_in& conn) {
    std::vector<peers> result;
    for (auto& msg : conn.received<send_atom, peers>())
      result.push_back(msg.get_as<peers>(1));
    return result;
  }

  std::vector<std::string> dialed() const {
    std::vector<std::string> result;
    for (auto& msg : dialer.received<dial_atom, peer_address>())
      result.push_back(to_string(msg.get_as<peer_address>(1)));
    return result;
  }

  void peer_sends(const stand_in& conn, peers msg) {
    caf::anon_send(reg, peers_atom::value, conn.handle, std::move(msg));
    run();
  }

  void peer_asks(const stand_in& conn) {
    caf::anon_send(reg, getpeers_atom::value, conn.handle,
                   peers_request{max_peer_entries});
    run();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(registry_discovery_tests, discovery_fixture)

BOOST_AUTO_TEST_CASE(a_new_peer_is_asked_for_peers) {
  auto bob = connect(7, "bob", 6556);
  auto requests = bob.received<send_atom, peers_request>();
  BOOST_REQUIRE_EQUAL(requests.size(), 1u);
  BOOST_CHECK_EQUAL(requests[0].get_as<peers_request>(1).max_entries,
                    max_peer_entries);
}

BOOST_AUTO_TEST_CASE(learned_peers_are_dialed_up_to_the_target) {
  auto bob = connect(7, "bob", 6556);
  peer_sends(bob, entries(20, 29));
  // Bob counts: two more reach the target of three.
  BOOST_CHECK_EQUAL(dialed().size(), 2u);
  for (auto& addr : dialed())
    BOOST_CHECK(addr.rfind("10.0.0.2", 0) == 0);
  // Learned peers are not listed as peers before we meet them.
  BOOST_CHECK_EQUAL(list().size(), 1u);
}

BOOST_AUTO_TEST_CASE(failed_background_dials_are_quiet_and_replaced) {
  auto bob = connect(7, "bob", 6556);
  peer_sends(bob, entries(20, 21));
  BOOST_REQUIRE_EQUAL(dialed().size(), 2u);
  auto first =
      dialer.received<dial_atom, peer_address>()[0].get_as<peer_address>(1);
  caf::anon_send(reg, dialfail_atom::value, first,
                 std::string{"connection refused"});
  run();
  // The user did not ask for that dial: no console line.
  BOOST_CHECK(notices().empty());
  // No other candidate; the failed one waits for its retry time.
  BOOST_CHECK_EQUAL(dialed().size(), 2u);
}

BOOST_AUTO_TEST_CASE(unsolicited_peer_lists_are_ignored) {
  auto bob = connect(7, "bob", 6556);
  peer_sends(bob, entries(20, 29)); // answers our request
  auto before = dialed().size();
  peer_sends(bob, entries(30, 39)); // nobody asked
  // A failed dial makes room, but only a peer from the answer is dialed.
  caf::anon_send(
      reg, dialfail_atom::value,
      dialer.received<dial_atom, peer_address>()[0].get_as<peer_address>(1),
      std::string{"refused"});
  run();
  BOOST_CHECK_EQUAL(dialed().size(), before + 1);
  for (auto& addr : dialed())
    BOOST_CHECK(addr.rfind("10.0.0.3", 0) != 0);
}

BOOST_AUTO_TEST_CASE(requests_get_only_peers_we_met_and_not_the_asker) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  peer_sends(bob, entries(20, 29)); // hearsay: never handed on
  peer_asks(carol);
  auto lists = lists_sent(carol);
  BOOST_REQUIRE_EQUAL(lists.size(), 1u);
  BOOST_REQUIRE_EQUAL(lists[0].entries.size(), 1u);
  BOOST_CHECK(lists[0].entries[0].id == make_id(7));
  BOOST_CHECK_EQUAL(lists[0].entries[0].host, "127.0.0.1");
  BOOST_CHECK_EQUAL(lists[0].entries[0].port, 6556);
}

BOOST_AUTO_TEST_CASE(one_request_per_interval_is_answered_and_floods_cut) {
  auto bob = connect(7, "bob", 6556);
  connect(8, "carol", 6557);
  peer_asks(bob);
  peer_asks(bob);
  BOOST_CHECK_EQUAL(lists_sent(bob).size(), 1u);
  BOOST_CHECK(close_codes(bob).empty());
  sched.advance_time(milliseconds{60000});
  run();
  peer_asks(bob);
  BOOST_CHECK_EQUAL(lists_sent(bob).size(), 2u);
  for (int i = 0; i < 10; ++i)
    peer_asks(bob);
  BOOST_CHECK(close_codes(bob) ==
              std::vector<bye_code>{bye_code::protocol_error});
}

BOOST_AUTO_TEST_CASE(below_target_every_peer_is_asked_again_later) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  peer_sends(bob, peers{});
  peer_sends(carol, peers{});
  BOOST_CHECK_EQUAL(requests_sent(bob), 1u);
  // One interval later it is too soon to ask the same peers again.
  sched.advance_time(milliseconds{60000});
  run();
  BOOST_CHECK_EQUAL(requests_sent(bob), 1u);
  sched.advance_time(milliseconds{60000});
  run();
  BOOST_CHECK_EQUAL(requests_sent(bob), 2u);
  BOOST_CHECK_EQUAL(requests_sent(carol), 2u);
}

BOOST_AUTO_TEST_CASE(at_target_one_random_peer_is_asked_per_interval) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  auto dave = connect(9, "dave", 6558);
  for (auto* conn : {&bob, &carol, &dave})
    peer_sends(*conn, peers{});
  sched.advance_time(milliseconds{120000});
  run();
  auto total = requests_sent(bob) + requests_sent(carol) + requests_sent(dave);
  BOOST_CHECK_EQUAL(total, 3u + 1u);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

struct full_fixture : registry_fixture {
  full_fixture()
      : registry_fixture(
            [](registry_config& cfg) { cfg.max_connections = 1; }) {
    // nop
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(a_refused_node_gets_peers_to_try_instead,
                        full_fixture) {
  connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  auto lists = carol.received<send_atom, peers>();
  BOOST_REQUIRE_EQUAL(lists.size(), 1u);
  auto& entries = lists[0].get_as<peers>(1).entries;
  BOOST_REQUIRE_EQUAL(entries.size(), 1u);
  BOOST_CHECK(entries[0].id == make_id(7));
  // The list goes out before the bye, on the same link.
  BOOST_CHECK(close_codes(carol) ==
              std::vector<bye_code>{bye_code::too_many_connections});
  auto& log = *carol.log;
  BOOST_REQUIRE_EQUAL(log.size(), 2u);
  BOOST_CHECK((log[0].match_elements<send_atom, peers>()));
  BOOST_CHECK((log[1].match_elements<close_atom, bye>()));
}
