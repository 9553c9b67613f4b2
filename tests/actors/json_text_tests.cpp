#include "actors/json_text.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace p2pchat;

namespace {

/// What nlohmann::json writes for `text`, the console's other events.
std::string reference(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false);
}

std::string ours(const std::string& text) {
  std::string out = "prefix:";
  append_json_string(out, text);
  return out.substr(7);
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_text_tests)

BOOST_AUTO_TEST_CASE(plain_text_is_quoted_as_is) {
  BOOST_CHECK_EQUAL(ours("hello"), "\"hello\"");
  BOOST_CHECK_EQUAL(ours(""), "\"\"");
}

BOOST_AUTO_TEST_CASE(appends_to_what_is_there) {
  std::string out = "{\"text\":";
  append_json_string(out, "x");
  BOOST_CHECK_EQUAL(out, "{\"text\":\"x\"");
}

BOOST_AUTO_TEST_CASE(matches_nlohmann_for_every_byte_below_0x80) {
  for (int c = 0; c < 0x80; ++c) {
    std::string text = "a";
    text += static_cast<char>(c);
    text += "b";
    BOOST_CHECK_MESSAGE(ours(text) == reference(text),
                        "byte " << c << ": " << ours(text) << " vs "
                                << reference(text));
  }
}

BOOST_AUTO_TEST_CASE(matches_nlohmann_for_utf8_and_mixed_escapes) {
  for (const std::string& text : std::vector<std::string>{
           "✓ grüße 日本 🎉", "\"quoted\" \\ back\\slash", "tab\tand\nnewline\r",
           "\x1b[2J\x01\x1f", "end with escape\"", "\"start with escape",
           std::string(1000, 'x') + "\"" + std::string(1000, 'y')})
    BOOST_CHECK_EQUAL(ours(text), reference(text));
}

BOOST_AUTO_TEST_SUITE_END()
