#include "actors/backoff.hpp"

#include <boost/test/unit_test.hpp>

using namespace p2pchat;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(backoff_tests)

BOOST_AUTO_TEST_CASE(delays_double_up_to_the_maximum_with_bounded_jitter) {
  std::mt19937_64 rng{42};
  backoff delays;
  int64_t base = 1000;
  for (int i = 0; i < 20; ++i) {
    auto delay = delays.next(rng).count();
    BOOST_TEST_CONTEXT("attempt " << i << ", base " << base) {
      BOOST_TEST(delay >= base - base / 5);
      BOOST_TEST(delay <= base + base / 5);
    }
    base = std::min<int64_t>(base * 2, 300000);
  }
  // After 20 attempts the base has long reached 5 minutes.
  BOOST_TEST(base == 300000);
}

BOOST_AUTO_TEST_CASE(reset_starts_over) {
  std::mt19937_64 rng{7};
  backoff delays{milliseconds{100}, milliseconds{1000}};
  for (int i = 0; i < 5; ++i)
    delays.next(rng);
  delays.reset();
  auto delay = delays.next(rng).count();
  BOOST_TEST(delay >= 80);
  BOOST_TEST(delay <= 120);
}

BOOST_AUTO_TEST_CASE(jitter_spreads_nodes_with_different_seeds) {
  backoff a;
  backoff b;
  std::mt19937_64 rng_a{1};
  std::mt19937_64 rng_b{2};
  int differ = 0;
  for (int i = 0; i < 10; ++i)
    differ += a.next(rng_a) != b.next(rng_b);
  BOOST_TEST(differ > 5);
}

BOOST_AUTO_TEST_SUITE_END()
