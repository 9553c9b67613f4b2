#include "protocol/node_id.hpp"

#include <boost/test/unit_test.hpp>

#include "protocol/support/test_helpers.hpp"

using namespace p2pchat;

BOOST_AUTO_TEST_SUITE(node_id_tests)

BOOST_AUTO_TEST_CASE(hex_is_lower_case_and_complete) {
  auto id = test::counting_id(0);
  BOOST_TEST(id.to_hex() == "000102030405060708090a0b0c0d0e0f"
                            "101112131415161718191a1b1c1d1e1f");
  BOOST_TEST(id.short_hex() == "0001020304050607");
  auto high = test::counting_id(0xE0);
  BOOST_TEST(high.to_hex().substr(0, 8) == "e0e1e2e3");
  BOOST_TEST(high.to_hex().substr(56) == "fcfdfeff");
  BOOST_TEST(node_id{}.to_hex() == std::string(64, '0'));
}

BOOST_AUTO_TEST_CASE(ids_compare_by_bytes) {
  auto a = test::counting_id(0);
  auto b = test::counting_id(1);
  BOOST_TEST((a < b));
  BOOST_TEST((a != b));
  BOOST_TEST((a == test::counting_id(0)));
}

BOOST_AUTO_TEST_SUITE_END()
