// Broadcast signatures and safety numbers (protocol/signing.*).

#include <boost/test/unit_test.hpp>

#include <regex>
#include <set>

#include "protocol/messages.hpp"
#include "protocol/signing.hpp"

using namespace p2pchat;

namespace {

ed25519_secret_key key_of(uint8_t x) {
  std::array<uint8_t, 32> seed;
  seed.fill(x);
  return secret_key_from_seed(seed);
}

broadcast signed_broadcast(const ed25519_secret_key& key) {
  broadcast msg;
  msg.id.fill(0xaa);
  msg.origin = id_of(key);
  msg.origin_name = "al";
  msg.origin_port = 6555;
  msg.sent_at_ms = 1700000000000;
  msg.hops_left = 16;
  msg.text = "to everyone";
  sign_broadcast(msg, key);
  return msg;
}

node_id filled(uint8_t x) {
  node_id result;
  result.bytes.fill(x);
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(signing_tests)

BOOST_AUTO_TEST_CASE(a_signed_broadcast_verifies) {
  auto msg = signed_broadcast(key_of(1));
  BOOST_TEST(verify_broadcast(msg));
  // Ed25519 is deterministic: the same message, the same signature.
  BOOST_TEST(signed_broadcast(key_of(1)).signature == msg.signature);
}

BOOST_AUTO_TEST_CASE(the_hop_dependent_fields_are_outside_the_signature) {
  auto msg = signed_broadcast(key_of(1));
  msg.hops_left = 3;
  msg.origin_host = "10.0.0.1";
  BOOST_TEST(verify_broadcast(msg));
}

BOOST_AUTO_TEST_CASE(every_signed_field_is_covered) {
  auto good = signed_broadcast(key_of(1));
  std::vector<std::pair<const char*, std::function<void(broadcast&)>>> changes{
      {"id",
       [](broadcast& x) {
         x.id[15] ^= 1;
       }},
      {"origin",
       [](broadcast& x) {
         x.origin = id_of(key_of(2));
       }},
      {"name",
       [](broadcast& x) {
         x.origin_name = "am";
       }},
      {"port",
       [](broadcast& x) {
         x.origin_port = 6556;
       }},
      {"sent at",
       [](broadcast& x) {
         x.sent_at_ms += 1;
       }},
      {"text",
       [](broadcast& x) {
         x.text = "to everyone!";
       }},
      {"signature",
       [](broadcast& x) {
         x.signature[0] ^= 0x80;
       }},
  };
  for (auto& [field, change] : changes) {
    auto bad = good;
    change(bad);
    BOOST_TEST(!verify_broadcast(bad), "altered " << field << " verifies");
  }
}

BOOST_AUTO_TEST_CASE(a_signature_by_another_key_fails) {
  auto msg = signed_broadcast(key_of(1));
  sign_broadcast(msg, key_of(2)); // origin still names key 1
  BOOST_TEST(!verify_broadcast(msg));
  // An origin that is no Ed25519 key at all fails too, without crashing.
  msg.origin = filled(0xff);
  BOOST_TEST(!verify_broadcast(msg));
}

BOOST_AUTO_TEST_CASE(signed_bytes_start_with_the_domain_and_omit_hops) {
  auto msg = signed_broadcast(key_of(1));
  auto data = broadcast_signed_bytes(msg);
  std::string domain{broadcast_signature_domain};
  BOOST_TEST_REQUIRE(data.size() > domain.size());
  BOOST_TEST(std::string(data.begin(), data.begin() + domain.size()) == domain);
  BOOST_TEST(data[domain.size()] == 0);
  // domain + NUL + id 16 + origin 32 + name 1+2 + port 2 + time 8 +
  // text 4+11.
  BOOST_TEST(data.size() == domain.size() + 1 + 16 + 32 + 3 + 2 + 8 + 15);
}

BOOST_AUTO_TEST_CASE(safety_number_known_answer) {
  // python3: hashlib.blake2b(b'p2pchat safety number v1\0' + a + b,
  // digest_size=64), 6 groups of 5 bytes big-endian mod 100000.
  BOOST_TEST(safety_number(filled(1), filled(2)) ==
             "75967 82066 31878 57974 09128 80645");
}

BOOST_AUTO_TEST_CASE(safety_number_is_the_same_on_both_sides) {
  auto a = id_of(key_of(1));
  auto b = id_of(key_of(2));
  auto c = id_of(key_of(3));
  BOOST_TEST(safety_number(a, b) == safety_number(b, a));
  BOOST_TEST(safety_number(a, b) != safety_number(a, c));
  BOOST_TEST(safety_number(a, b) != safety_number(c, b));
  std::regex format{R"(\d{5}( \d{5}){5})"};
  BOOST_TEST(std::regex_match(safety_number(a, b), format));
}

BOOST_AUTO_TEST_CASE(fingerprint_groups_the_whole_id) {
  node_id id;
  for (size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<uint8_t>(i);
  BOOST_TEST(fingerprint(id) == "00010203 04050607 08090a0b 0c0d0e0f "
                                "10111213 14151617 18191a1b 1c1d1e1f");
}

BOOST_AUTO_TEST_SUITE_END()
