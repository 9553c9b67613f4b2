#include "protocol/messages.hpp"

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <caf/deep_to_string.hpp>

#include "protocol/errors.hpp"
#include "protocol/frame.hpp"
#include "protocol/support/test_helpers.hpp"

using namespace p2pchat;
using namespace p2pchat::test;

namespace {

// -- hand-written payloads, independent of the encoder ------------------------

std::vector<char> hello_payload(uint8_t version, std::string_view name,
                                uint16_t port, uint32_t features = 0) {
  auto out = bytes({0x01, version});
  auto id = counting_id(0);
  out.insert(out.end(), id.bytes.begin(), id.bytes.end());
  append_be(out, name.size(), 1);
  append(out, name);
  append_be(out, port, 2);
  append_be(out, features, 4);
  return out;
}

std::vector<char> chat_payload(int64_t sent_at_ms, std::string_view text) {
  auto out = bytes({0x02});
  for (int i = 0; i < 16; ++i)
    out.push_back(static_cast<char>(0xA0 + i));
  append_be(out, static_cast<uint64_t>(sent_at_ms), 8);
  append_be(out, text.size(), 4);
  append(out, text);
  return out;
}

std::vector<char> bye_payload(uint8_t code, std::string_view reason) {
  auto out = bytes({0x03, code});
  append_be(out, reason.size(), 2);
  append(out, reason);
  return out;
}

caf::expected<message> decode(const std::vector<char>& payload) {
  return decode_payload(payload.data(), payload.size());
}

std::vector<char> encode(const message& msg) {
  std::vector<char> out;
  encode_payload(msg, out);
  return out;
}

std::vector<char> frame_of(const message& msg) {
  std::vector<char> out;
  append_frame(msg, out);
  return out;
}

// -- the golden messages ------------------------------------------------------

hello golden_hello() {
  hello x;
  x.version = 1;
  x.id = counting_id(0);
  x.name = "alice";
  x.listen_port = 4242;
  x.features = 0;
  return x;
}

chat golden_chat() {
  chat x;
  for (uint8_t i = 0; i < 16; ++i)
    x.id[i] = static_cast<uint8_t>(0xA0 + i);
  x.sent_at_ms = 1700000000000; // 2023-11-14T22:13:20Z
  x.text = "hi \xE2\x9C\x93";   // "hi ✓"
  return x;
}

bye golden_bye() {
  return bye{bye_code::duplicate_connection, "dup"};
}

const std::vector<char> golden_hello_frame = bytes({
    0x00, 0x00, 0x00, 0x2e,                         // length 46
    0x01,                                           // type: hello
    0x01,                                           // version
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, // node id
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, //
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, //
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, //
    0x05, 'a',  'l',  'i',  'c',  'e',              // name
    0x10, 0x92,                                     // listen port 4242
    0x00, 0x00, 0x00, 0x00,                         // features
});

const std::vector<char> golden_chat_frame = bytes({
    0x00, 0x00, 0x00, 0x23,                         // length 35
    0x02,                                           // type: chat
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, // message id
    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, //
    0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, // sent_at_ms
    0x00, 0x00, 0x00, 0x06,                         // text length
    'h',  'i',  ' ',  0xe2, 0x9c, 0x93,             // text
});

const std::vector<char> golden_bye_frame = bytes({
    0x00, 0x00, 0x00, 0x07, // length 7
    0x03,                   // type: bye
    0x01,                   // code: duplicate_connection
    0x00, 0x03,             // reason length
    'd', 'u', 'p',          // reason
});

std::vector<char> payload_of(const std::vector<char>& frame) {
  return {frame.begin() + frame_header_size, frame.end()};
}

std::vector<std::vector<char>> golden_payloads() {
  return {payload_of(golden_hello_frame), payload_of(golden_chat_frame),
          payload_of(golden_bye_frame)};
}

void check_round_trip(const message& msg) {
  BOOST_TEST_REQUIRE(!validate(msg));
  auto payload = encode(msg);
  auto decoded = decode(payload);
  BOOST_TEST_REQUIRE(code_of(decoded) == ec::none);
  BOOST_TEST(equal(*decoded, msg));
  BOOST_TEST(hex(encode(*decoded)) == hex(payload));
}

} // namespace

BOOST_AUTO_TEST_SUITE(messages_tests)

// -- golden bytes -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(hello_frame_matches_golden_bytes) {
  BOOST_TEST(hex(frame_of(golden_hello())) == hex(golden_hello_frame));
  auto decoded = decode(payload_of(golden_hello_frame));
  BOOST_TEST_REQUIRE(code_of(decoded) == ec::none);
  BOOST_TEST(equal(*decoded, message{golden_hello()}));
}

BOOST_AUTO_TEST_CASE(chat_frame_matches_golden_bytes) {
  BOOST_TEST(hex(frame_of(golden_chat())) == hex(golden_chat_frame));
  auto decoded = decode(payload_of(golden_chat_frame));
  BOOST_TEST_REQUIRE(code_of(decoded) == ec::none);
  BOOST_TEST(equal(*decoded, message{golden_chat()}));
}

BOOST_AUTO_TEST_CASE(bye_frame_matches_golden_bytes) {
  BOOST_TEST(hex(frame_of(golden_bye())) == hex(golden_bye_frame));
  auto decoded = decode(payload_of(golden_bye_frame));
  BOOST_TEST_REQUIRE(code_of(decoded) == ec::none);
  BOOST_TEST(equal(*decoded, message{golden_bye()}));
}

BOOST_AUTO_TEST_CASE(integers_are_big_endian_and_twos_complement) {
  auto h = golden_hello();
  h.features = 0x01020304;
  auto payload = encode(h);
  BOOST_TEST(hex(std::vector<char>(payload.end() - 4, payload.end())) ==
             "01 02 03 04");
  auto c = golden_chat();
  c.sent_at_ms = -2;
  payload = encode(c);
  BOOST_TEST(
      hex(std::vector<char>(payload.begin() + 17, payload.begin() + 25)) ==
      "ff ff ff ff ff ff ff fe");
  check_round_trip(c);
}

BOOST_AUTO_TEST_CASE(append_frame_appends_after_existing_bytes) {
  auto out = bytes({0xEE});
  append_frame(golden_bye(), out);
  auto expected = bytes({0xEE});
  expected.insert(expected.end(), golden_bye_frame.begin(),
                  golden_bye_frame.end());
  BOOST_TEST(hex(out) == hex(expected));
}

// -- round trips --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(hello_round_trips) {
  check_round_trip(golden_hello());
  auto h = golden_hello();
  h.version = 255;
  h.id = counting_id(0xE0);
  h.listen_port = 65535;
  h.features = 0xFFFFFFFF;
  // 32 two-byte characters: the longest name, 64 bytes on the wire.
  h.name.clear();
  for (int i = 0; i < 32; ++i)
    h.name += "\xC3\xA9"; // é
  check_round_trip(h);
  h.name = "\xF0\x9F\x98\x80"; // one 4-byte character
  h.listen_port = 1;
  check_round_trip(h);
}

BOOST_AUTO_TEST_CASE(chat_round_trips) {
  check_round_trip(golden_chat());
  auto c = golden_chat();
  c.sent_at_ms = INT64_MIN;
  c.text = "x";
  check_round_trip(c);
  c.sent_at_ms = INT64_MAX;
  c.text = std::string(max_text_bytes, 'a');
  check_round_trip(c);
  c.text = "tabs\tand spaces are fine";
  check_round_trip(c);
}

BOOST_AUTO_TEST_CASE(bye_round_trips) {
  check_round_trip(golden_bye());
  for (auto code : {bye_code::leaving, bye_code::duplicate_connection,
                    bye_code::protocol_error, bye_code::self_connection,
                    bye_code::unsupported_version})
    check_round_trip(bye{code, ""});
  check_round_trip(
      bye{bye_code::leaving, std::string(max_bye_reason_bytes, 'r')});
}

BOOST_AUTO_TEST_CASE(unknown_bye_codes_decode_as_is) {
  auto payload = bye_payload(200, "from the future");
  auto decoded = decode(payload);
  BOOST_TEST_REQUIRE(code_of(decoded) == ec::none);
  const auto& b = std::get<bye>(*decoded);
  BOOST_TEST(static_cast<int>(b.code) == 200);
  BOOST_TEST(b.reason == "from the future");
  BOOST_TEST(hex(encode(*decoded)) == hex(payload));
}

BOOST_AUTO_TEST_CASE(type_of_names_the_wire_type) {
  BOOST_TEST(static_cast<int>(type_of(golden_hello())) == 1);
  BOOST_TEST(static_cast<int>(type_of(golden_chat())) == 2);
  BOOST_TEST(static_cast<int>(type_of(golden_bye())) == 3);
}

BOOST_AUTO_TEST_CASE(messages_are_printable_by_caf) {
  // The same structs travel between actors: their inspect() must work.
  auto str = caf::deep_to_string(golden_hello());
  BOOST_TEST(str.find("alice") != std::string::npos);
  BOOST_TEST(str.find("4242") != std::string::npos);
  BOOST_TEST(caf::deep_to_string(golden_bye()).find("dup") !=
             std::string::npos);
  BOOST_TEST(caf::deep_to_string(golden_chat()).find("hi") !=
             std::string::npos);
}

// -- malformed payloads -------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_proper_prefix_is_truncated) {
  for (const auto& payload : golden_payloads()) {
    for (size_t n = 0; n < payload.size(); ++n) {
      BOOST_TEST_CONTEXT("type " << int{payload[0]} << ", prefix " << n) {
        BOOST_TEST(code_of(decode_payload(payload.data(), n)) ==
                   ec::truncated_message);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(huge_length_field_is_truncated_not_allocated) {
  auto payload = chat_payload(0, "");
  payload.resize(payload.size() - 4);
  append_be(payload, 0xFFFFFFFF, 4);
  append(payload, "abc");
  BOOST_TEST(code_of(decode(payload)) == ec::truncated_message);
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_rejected) {
  for (auto payload : golden_payloads()) {
    payload.push_back(0);
    BOOST_TEST_CONTEXT("type " << int{payload[0]}) {
      auto decoded = decode(payload);
      BOOST_TEST(code_of(decoded) == ec::trailing_bytes);
    }
  }
}

BOOST_AUTO_TEST_CASE(ping_and_pong_golden_bytes_and_round_trip) {
  // Hand-written: length 9, type 7 (ping) or 8 (pong), 8-byte nonce.
  auto ping_frame = bytes({0x00, 0x00, 0x00, 0x09, 0x07, 0x01, 0x02, 0x03, 0x04,
                           0x05, 0x06, 0x07, 0x08});
  auto pong_frame = bytes({0x00, 0x00, 0x00, 0x09, 0x08, 0xff, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x01});
  std::vector<char> out;
  append_frame(ping{0x0102030405060708}, out);
  BOOST_TEST(out == ping_frame);
  out.clear();
  append_frame(pong{0xff00000000000001}, out);
  BOOST_TEST(out == pong_frame);
  auto decoded = decode(payload_of(ping_frame));
  BOOST_TEST_REQUIRE(decoded.engaged());
  BOOST_TEST(std::get<ping>(*decoded).nonce == 0x0102030405060708u);
  decoded = decode(payload_of(pong_frame));
  BOOST_TEST_REQUIRE(decoded.engaged());
  BOOST_TEST(std::get<pong>(*decoded).nonce == 0xff00000000000001u);
  // Short or long bodies are rejected.
  BOOST_TEST(code_of(decode(bytes({0x07, 0x01, 0x02}))) ==
             ec::truncated_message);
  BOOST_TEST(code_of(decode(bytes({0x08, 0, 0, 0, 0, 0, 0, 0, 0, 9}))) ==
             ec::trailing_bytes);
}

BOOST_AUTO_TEST_CASE(broadcast_golden_bytes_and_round_trip) {
  broadcast msg;
  msg.id.fill(0xaa);
  msg.origin.bytes.fill(0x11);
  msg.origin_name = "al";
  msg.origin_host = "10.0.0.1";
  msg.origin_port = 6555;
  msg.sent_at_ms = 1;
  msg.hops_left = 16;
  msg.text = "hi";
  for (size_t i = 0; i < msg.signature.size(); ++i)
    msg.signature[i] = static_cast<uint8_t>(0xc0 + i);
  std::vector<char> expected = bytes({0x00, 0x00, 0x00, 0x8e, 0x09});
  expected.insert(expected.end(), 16, static_cast<char>(0xaa)); // id
  expected.insert(expected.end(), 32, static_cast<char>(0x11)); // origin
  for (int x : std::initializer_list<int>{
           0x02, 'a',  'l',                               // name
           0x08, '1',  '0', '.', '0', '.', '0', '.', '1', // host
           0x19, 0x9b,                                    // port 6555
           0,    0,    0,   0,   0,   0,   0,   1,        // sent at
           0x10,                                          // hops left
           0,    0,    0,   2,   'h', 'i'})               // text
    expected.push_back(static_cast<char>(x));
  for (int i = 0; i < 64; ++i) // signature
    expected.push_back(static_cast<char>(0xc0 + i));
  std::vector<char> out;
  append_frame(msg, out);
  BOOST_TEST(out == expected);
  auto decoded = decode(payload_of(out));
  BOOST_TEST_REQUIRE(decoded.engaged());
  auto& back = std::get<broadcast>(*decoded);
  BOOST_TEST(back.origin_name == "al");
  BOOST_TEST(back.origin_host == "10.0.0.1");
  BOOST_TEST(back.origin_port == 6555);
  BOOST_TEST(back.hops_left == 16);
  BOOST_TEST(back.text == "hi");
  BOOST_TEST(back.signature == msg.signature);
  // The signature is the last field: one byte short is a truncation.
  auto cut = payload_of(out);
  cut.pop_back();
  BOOST_TEST(code_of(decode(cut)) == ec::truncated_message);
}

BOOST_AUTO_TEST_CASE(invalid_broadcasts_are_rejected) {
  broadcast good;
  good.origin_name = "al";
  good.origin_port = 6555;
  good.text = "hi";
  BOOST_TEST(!validate(good));
  auto bad = good;
  bad.hops_left = 0;
  BOOST_TEST(code_of(validate(bad)) == ec::unexpected_message);
  bad = good;
  bad.origin_host = "evil host";
  BOOST_TEST(code_of(validate(bad)) == ec::invalid_address);
  bad = good;
  bad.origin_port = 0;
  BOOST_TEST(code_of(validate(bad)) == ec::invalid_port);
  bad = good;
  bad.text = "\x1b[2J";
  BOOST_TEST(code_of(validate(bad)) == ec::invalid_text);
  bad = good;
  bad.origin_name = "a b";
  BOOST_TEST(code_of(validate(bad)) == ec::invalid_name);
}

BOOST_AUTO_TEST_CASE(peers_request_golden_bytes_and_bounds) {
  std::vector<char> out;
  append_frame(peers_request{100}, out);
  BOOST_TEST(hex(out) == "00 00 00 02 05 64");
  auto decoded = decode(payload_of(out));
  BOOST_TEST_REQUIRE(decoded.engaged());
  BOOST_TEST(std::get<peers_request>(*decoded).max_entries == 100);
  BOOST_TEST(code_of(decode(bytes({0x05, 0}))) == ec::too_many_entries);
  BOOST_TEST(code_of(decode(bytes({0x05, 101}))) == ec::too_many_entries);
  BOOST_TEST(code_of(decode(bytes({0x05, 1}))) == ec::none);
  BOOST_TEST(code_of(decode(bytes({0x05}))) == ec::truncated_message);
  BOOST_TEST(code_of(decode(bytes({0x05, 1, 1}))) == ec::trailing_bytes);
}

peer_entry sample_entry(uint8_t fill, std::string host) {
  peer_entry result;
  result.id.bytes.fill(fill);
  result.name = "bo";
  result.host = std::move(host);
  result.port = 6556;
  result.last_seen_ms = 2;
  return result;
}

BOOST_AUTO_TEST_CASE(peers_golden_bytes_and_round_trip) {
  peers msg;
  msg.entries.push_back(sample_entry(0x22, "10.0.0.2"));
  msg.entries.push_back(sample_entry(0x33, "::1"));
  std::vector<char> expected = bytes({0x00, 0x00, 0x00, 0x69, 0x06, 0x02});
  expected.insert(expected.end(), 32, static_cast<char>(0x22));
  for (int x : std::initializer_list<int>{
           0x02, 'b',  'o',                               // name
           0x08, '1',  '0', '.', '0', '.', '0', '.', '2', // host
           0x19, 0x9c,                                    // port 6556
           0,    0,    0,   0,   0,   0,   0,   2})       // last seen
    expected.push_back(static_cast<char>(x));
  expected.insert(expected.end(), 32, static_cast<char>(0x33));
  for (int x : std::initializer_list<int>{0x02, 'b', 'o', 0x03, ':', ':', '1',
                                          0x19, 0x9c, 0, 0, 0, 0, 0, 0, 0, 2})
    expected.push_back(static_cast<char>(x));
  std::vector<char> out;
  append_frame(msg, out);
  BOOST_TEST(hex(out) == hex(expected));
  auto decoded = decode(payload_of(out));
  BOOST_TEST_REQUIRE(decoded.engaged());
  BOOST_TEST(equal(*decoded, message{msg}));
  // An empty list is a valid answer.
  BOOST_TEST(code_of(decode(bytes({0x06, 0x00}))) == ec::none);
}

BOOST_AUTO_TEST_CASE(peers_with_too_many_entries_are_refused_unread) {
  // 101 announced entries fail before any of them is read.
  BOOST_TEST(code_of(decode(bytes({0x06, 101}))) == ec::too_many_entries);
  BOOST_TEST(code_of(decode(bytes({0x06, 255}))) == ec::too_many_entries);
  peers full;
  full.entries.assign(max_peer_entries, sample_entry(0x44, "10.0.0.4"));
  BOOST_TEST(!validate(full));
  auto over = full;
  over.entries.push_back(sample_entry(0x44, "10.0.0.4"));
  BOOST_TEST(code_of(validate(over)) == ec::too_many_entries);
}

BOOST_AUTO_TEST_CASE(invalid_peer_entries_are_rejected) {
  auto check_entry = [](peer_entry entry) {
    return p2pchat::code_of(validate(peers{{std::move(entry)}}));
  };
  auto good = sample_entry(0x55, "192.168.1.9");
  BOOST_TEST(check_entry(good) == ec::none);
  auto bad = good;
  bad.host = "example.org"; // never resolve names from strangers
  BOOST_TEST(check_entry(bad) == ec::invalid_address);
  bad.host = "";
  BOOST_TEST(check_entry(bad) == ec::invalid_address);
  bad = good;
  bad.port = 0;
  BOOST_TEST(check_entry(bad) == ec::invalid_port);
  bad = good;
  bad.name = "\x1b[31mred";
  BOOST_TEST(check_entry(bad) == ec::invalid_name);
  // A truncated entry fails as such.
  std::vector<char> out;
  append_frame(peers{{good}}, out);
  auto payload = payload_of(out);
  payload.pop_back();
  BOOST_TEST(code_of(decode(payload)) == ec::truncated_message);
}

BOOST_AUTO_TEST_CASE(unknown_types_are_reported_with_their_number) {
  for (int type : {0, 4, 10, 127, 128, 255}) {
    BOOST_TEST_CONTEXT("type " << type) {
      auto payload = bytes({type, 0x01, 0x02});
      auto decoded = decode(payload);
      BOOST_TEST_REQUIRE(code_of(decoded) == ec::unknown_message_type);
      BOOST_TEST(describe(decoded.error()) ==
                 "unknown message type: " + std::to_string(type));
    }
  }
  // A lone type byte of an unknown type is unknown, not truncated.
  BOOST_TEST(code_of(decode(bytes({4}))) == ec::unknown_message_type);
}

BOOST_AUTO_TEST_CASE(hand_written_payloads_decode) {
  // Guards the helpers below: a well-formed hand-built payload is accepted.
  BOOST_TEST(code_of(decode(hello_payload(1, "bob", 80))) == ec::none);
  BOOST_TEST(code_of(decode(chat_payload(5, "hey"))) == ec::none);
  BOOST_TEST(code_of(decode(bye_payload(0, ""))) == ec::none);
}

BOOST_AUTO_TEST_CASE(hello_with_bad_name_is_rejected) {
  struct case_t {
    std::string name;
    ec expected;
  };
  std::vector<case_t> cases{
      {"", ec::invalid_name},
      {std::string(33, 'a'), ec::invalid_name},
      {"al ice", ec::invalid_name},
      {"al\tice", ec::invalid_name},
      {"al\x01ice", ec::invalid_name},
      {"\x1b[2Jalice", ec::invalid_name},
      {"al\x7Fice", ec::invalid_name},
      {"al\xC2\xA0ice", ec::invalid_name},     // no-break space
      {"al\xC2\x9Bice", ec::invalid_name},     // C1 CSI
      {"al\xC0\xAFice", ec::invalid_utf8},     // overlong '/'
      {"al\xED\xA0\x80ice", ec::invalid_utf8}, // surrogate
      {"alice\xE2\x9C", ec::invalid_utf8},     // truncated sequence
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("name '" << c.name << "'") {
      BOOST_TEST(code_of(decode(hello_payload(1, c.name, 4242))) == c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(hello_with_port_zero_is_rejected) {
  BOOST_TEST(code_of(decode(hello_payload(1, "alice", 0))) == ec::invalid_port);
}

BOOST_AUTO_TEST_CASE(hello_with_version_zero_is_rejected) {
  BOOST_TEST(code_of(decode(hello_payload(0, "alice", 4242))) ==
             ec::unsupported_version);
  // A newer version is the connection's business, not the codec's.
  BOOST_TEST(code_of(decode(hello_payload(2, "alice", 4242))) == ec::none);
}

BOOST_AUTO_TEST_CASE(hello_features_are_carried_unchanged) {
  auto decoded = decode(hello_payload(1, "alice", 4242, 0x80000001));
  BOOST_TEST_REQUIRE(code_of(decoded) == ec::none);
  BOOST_TEST(std::get<hello>(*decoded).features == 0x80000001u);
}

BOOST_AUTO_TEST_CASE(chat_with_bad_text_is_rejected) {
  struct case_t {
    std::string text;
    ec expected;
  };
  std::vector<case_t> cases{
      {"", ec::invalid_text},
      {std::string(max_text_bytes + 1, 'a'), ec::invalid_text},
      {"line\nbreak", ec::invalid_text},
      {"\x1b[31mred", ec::invalid_text},
      {"del\x7F", ec::invalid_text},
      {"c1\xC2\x85", ec::invalid_text},
      {"\xC0\x80", ec::invalid_utf8},         // overlong NUL
      {"\xE0\x80\xAF", ec::invalid_utf8},     // overlong 3-byte
      {"\xED\xBF\xBF", ec::invalid_utf8},     // surrogate
      {"\xF4\x90\x80\x80", ec::invalid_utf8}, // above U+10FFFF
      {"ok\xF0\x9F\x98", ec::invalid_utf8},   // truncated
      {"\x80", ec::invalid_utf8},             // stray continuation
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("text " << hex(c.text.data(), c.text.size())) {
      BOOST_TEST(code_of(decode(chat_payload(1, c.text))) == c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(bye_with_bad_reason_is_rejected) {
  BOOST_TEST(code_of(decode(bye_payload(0, std::string(257, 'r')))) ==
             ec::invalid_text);
  BOOST_TEST(code_of(decode(bye_payload(0, "bye\r\n"))) == ec::invalid_text);
  BOOST_TEST(code_of(decode(bye_payload(0, "\xFF"))) == ec::invalid_utf8);
  BOOST_TEST(code_of(decode(bye_payload(0, ""))) == ec::none);
}

// -- validate -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(validate_applies_the_decoding_rules) {
  BOOST_TEST(!validate(golden_hello()));
  BOOST_TEST(!validate(golden_chat()));
  BOOST_TEST(!validate(golden_bye()));
  auto h = golden_hello();
  h.name = "two words";
  BOOST_TEST(code_of(validate(h)) == ec::invalid_name);
  h = golden_hello();
  h.listen_port = 0;
  BOOST_TEST(code_of(validate(h)) == ec::invalid_port);
  h = golden_hello();
  h.version = 0;
  BOOST_TEST(code_of(validate(h)) == ec::unsupported_version);
  auto c = golden_chat();
  c.text.clear();
  BOOST_TEST(code_of(validate(c)) == ec::invalid_text);
  auto b = golden_bye();
  b.reason = "\xC3";
  BOOST_TEST(code_of(validate(b)) == ec::invalid_utf8);
}

BOOST_AUTO_TEST_SUITE_END()
