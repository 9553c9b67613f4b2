#include "protocol/errors.hpp"

#include <set>
#include <string>

#include <boost/test/unit_test.hpp>
#include <caf/sec.hpp>

#include "protocol/support/test_helpers.hpp"

using namespace p2pchat;

BOOST_AUTO_TEST_SUITE(errors_tests)

BOOST_AUTO_TEST_CASE(make_error_uses_our_category_and_code) {
  auto err = make_error(ec::frame_too_large);
  BOOST_TEST(static_cast<bool>(err));
  BOOST_TEST(err.category() == ec_category);
  BOOST_TEST(err.code() == static_cast<uint8_t>(ec::frame_too_large));
  BOOST_TEST(err.context().empty());
  BOOST_TEST(code_of(err) == ec::frame_too_large);
}

BOOST_AUTO_TEST_CASE(detail_travels_in_the_context) {
  auto err = make_error(ec::invalid_name, "empty name");
  BOOST_TEST_REQUIRE(err.context().match_elements<std::string>());
  BOOST_TEST(err.context().get_as<std::string>(0) == "empty name");
  BOOST_TEST(code_of(err) == ec::invalid_name);
}

BOOST_AUTO_TEST_CASE(describe_renders_reason_and_detail) {
  BOOST_TEST(describe(make_error(ec::empty_frame)) == "empty frame");
  BOOST_TEST(describe(make_error(ec::unknown_message_type, "9")) ==
             "unknown message type: 9");
}

BOOST_AUTO_TEST_CASE(foreign_errors_are_not_ours) {
  caf::error err = caf::sec::request_timeout;
  BOOST_TEST(code_of(err) == ec::none);
  BOOST_TEST(describe(err) == caf::to_string(err));
  BOOST_TEST(code_of(caf::error{}) == ec::none);
  // A foreign category with one of our code numbers is still not ours.
  caf::error other{static_cast<uint8_t>(ec::empty_frame), caf::atom("other")};
  BOOST_TEST(code_of(other) == ec::none);
}

BOOST_AUTO_TEST_CASE(none_is_no_error) {
  BOOST_TEST(!make_error(ec::none));
}

BOOST_AUTO_TEST_CASE(every_code_has_its_own_reason) {
  std::set<std::string> reasons;
  for (int i = 1; i <= static_cast<int>(ec::trust_store_error); ++i) {
    auto reason = to_string(static_cast<ec>(i));
    BOOST_TEST(!reason.empty());
    BOOST_TEST(reason.find("unknown error") == std::string::npos);
    reasons.insert(reason);
  }
  BOOST_TEST(reasons.size() == static_cast<size_t>(ec::trust_store_error));
}

BOOST_AUTO_TEST_SUITE_END()
