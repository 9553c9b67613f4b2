#include "actors/peer_exchange.hpp"

#include <boost/test/unit_test.hpp>

using namespace p2pchat;

namespace {

node_id make_id(uint8_t x) {
  node_id result;
  result.bytes.fill(x);
  return result;
}

using verdict = peer_exchange::verdict;

constexpr int64_t minute = 60000;

} // namespace

BOOST_AUTO_TEST_SUITE(peer_exchange_tests)

BOOST_AUTO_TEST_CASE(one_request_per_interval_is_answered) {
  peer_exchange exchange{minute};
  auto bob = make_id(7);
  BOOST_CHECK(exchange.on_request(bob, 0) == verdict::answer);
  BOOST_CHECK(exchange.on_request(bob, 1) == verdict::ignore);
  BOOST_CHECK(exchange.on_request(bob, minute - 1) == verdict::ignore);
  BOOST_CHECK(exchange.on_request(bob, minute) == verdict::answer);
  // Each peer has its own allowance.
  BOOST_CHECK(exchange.on_request(make_id(8), minute) == verdict::answer);
}

BOOST_AUTO_TEST_CASE(a_flood_of_requests_is_called_one) {
  peer_exchange exchange{minute, 10};
  auto bob = make_id(7);
  for (int i = 0; i < 10; ++i)
    BOOST_CHECK(exchange.on_request(bob, i) != verdict::flood);
  BOOST_CHECK(exchange.on_request(bob, 10) == verdict::flood);
  // Ten requests spread over ten intervals are no flood.
  peer_exchange calm{minute, 10};
  for (int i = 0; i < 30; ++i)
    BOOST_CHECK(calm.on_request(bob, i * minute / 2) != verdict::flood);
}

BOOST_AUTO_TEST_CASE(we_ask_each_peer_at_most_every_other_interval) {
  peer_exchange exchange{minute};
  auto bob = make_id(7);
  BOOST_CHECK(exchange.may_ask(bob, 0));
  exchange.asked(bob, 0);
  BOOST_CHECK(!exchange.may_ask(bob, 2 * minute - 1));
  BOOST_CHECK(exchange.may_ask(bob, 2 * minute));
}

BOOST_AUTO_TEST_CASE(only_answers_to_our_requests_are_accepted) {
  peer_exchange exchange{minute};
  auto bob = make_id(7);
  BOOST_CHECK(!exchange.accept_reply(bob)); // unsolicited
  exchange.asked(bob, 0);
  BOOST_CHECK(exchange.accept_reply(bob));
  BOOST_CHECK(!exchange.accept_reply(bob)); // one per request
  exchange.asked(bob, 0);
  exchange.forget(bob);
  BOOST_CHECK(!exchange.accept_reply(bob));
  BOOST_CHECK(exchange.may_ask(bob, 0));
}

BOOST_AUTO_TEST_SUITE_END()
