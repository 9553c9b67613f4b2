#include "actors/seen_cache.hpp"

#include <boost/test/unit_test.hpp>

using namespace p2pchat;

namespace {

message_id make_message_id(uint32_t x) {
  message_id result{};
  for (int i = 0; i < 4; ++i)
    result[i] = static_cast<uint8_t>(x >> (8 * i));
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(seen_cache_tests)

BOOST_AUTO_TEST_CASE(an_id_is_new_once) {
  seen_cache cache;
  BOOST_CHECK(cache.insert(make_message_id(1), 0));
  BOOST_CHECK(!cache.insert(make_message_id(1), 5));
  BOOST_CHECK(cache.insert(make_message_id(2), 5));
  BOOST_CHECK_EQUAL(cache.size(), 2u);
}

BOOST_AUTO_TEST_CASE(contains_looks_without_remembering) {
  seen_cache cache{10, 1000};
  // Looking does not insert: a broadcast checked and found forged leaves
  // its id free for the genuine copy.
  BOOST_CHECK(!cache.contains(make_message_id(1), 0));
  BOOST_CHECK(cache.insert(make_message_id(1), 0));
  BOOST_CHECK(cache.contains(make_message_id(1), 1000));
  // Past the age limit it is gone.
  BOOST_CHECK(!cache.contains(make_message_id(1), 1001));
  BOOST_CHECK_EQUAL(cache.size(), 0u);
}

BOOST_AUTO_TEST_CASE(the_oldest_id_leaves_when_full) {
  seen_cache cache{3, 1000000};
  for (uint32_t i = 1; i <= 4; ++i)
    BOOST_CHECK(cache.insert(make_message_id(i), i));
  BOOST_CHECK_EQUAL(cache.size(), 3u);
  // 1 was evicted: it counts as new again; 2-4 are still known.
  BOOST_CHECK(!cache.insert(make_message_id(4), 10));
  BOOST_CHECK(!cache.insert(make_message_id(2), 10));
  BOOST_CHECK(cache.insert(make_message_id(1), 10));
}

BOOST_AUTO_TEST_CASE(ids_older_than_the_age_limit_leave) {
  seen_cache cache{100, 1000};
  cache.insert(make_message_id(1), 0);
  cache.insert(make_message_id(2), 600);
  BOOST_CHECK(!cache.insert(make_message_id(1), 1000));
  // At 1200 ms id 1 is older than the limit, id 2 is not.
  BOOST_CHECK(cache.insert(make_message_id(1), 1200));
  BOOST_CHECK(!cache.insert(make_message_id(2), 1200));
  BOOST_CHECK_EQUAL(cache.size(), 2u);
}

BOOST_AUTO_TEST_SUITE_END()
