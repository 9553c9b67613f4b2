#include "protocol/legacy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"
#include "protocol/support/test_helpers.hpp"
#include "protocol/validation.hpp"

using namespace p2pchat;
using p2pchat::test::code_of;
using p2pchat::test::repeat;

namespace {

/// The detail text of a failed result ("" on success).
template <class T>
std::string describe_of(const caf::expected<T>& x) {
  return x ? std::string{} : describe(x.error());
}

bool equal(const legacy_message& x, const legacy_message& y) {
  return x.sender == y.sender && x.name == y.name && x.text == y.text;
}

/// True if `str` cannot move a terminal's cursor: no C0 controls or DEL.
bool log_safe(std::string_view str) {
  return std::none_of(str.begin(), str.end(), [](char c) {
    auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7F;
  });
}

/// Checked with the C library directly, not with the code under test.
bool is_ip_literal(const std::string& host) {
  in_addr v4;
  in6_addr v6;
  return host.find('\0') == std::string::npos &&
         (inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
          inet_pton(AF_INET6, host.c_str(), &v6) == 1);
}

struct reject_case {
  std::string input;
  ec code;
  std::string detail; // A substring of describe(error).
};

void check_rejected(const std::vector<reject_case>& cases) {
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("input: " << test::hex(c.input.data(), c.input.size())) {
      auto res = parse_legacy(c.input);
      BOOST_TEST(code_of(res) == c.code);
      BOOST_TEST(describe_of(res).find(c.detail) != std::string::npos,
                 "'" << describe_of(res) << "' lacks '" << c.detail << "'");
    }
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(legacy_tests)

// -- valid input --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(message_with_spaces_is_parsed) {
  auto res = parse_legacy("192.168.1.5:5000 alice hello there,  friend ");
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(res->sender.host == "192.168.1.5");
  BOOST_TEST(res->sender.port == 5000);
  BOOST_TEST(res->name == "alice");
  BOOST_TEST(res->text == "hello there,  friend ");
}

BOOST_AUTO_TEST_CASE(message_may_start_with_a_space_or_hold_tabs) {
  auto res = parse_legacy("10.0.0.1:1 bob  \tindented");
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(res->name == "bob");
  BOOST_TEST(res->text == " \tindented");
}

BOOST_AUTO_TEST_CASE(unicode_name_and_text_are_parsed) {
  auto res = parse_legacy("127.0.0.1:65535 J\xC3\xBCrgen gr\xC3\xBC\xC3\x9F "
                          "dich \xE2\x9C\x93 \xF0\x9F\x98\x80");
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(res->sender.port == 65535);
  BOOST_TEST(res->name == "J\xC3\xBCrgen");
  BOOST_TEST(res->text == "gr\xC3\xBC\xC3\x9F dich \xE2\x9C\x93 "
                          "\xF0\x9F\x98\x80");
}

BOOST_AUTO_TEST_CASE(ipv6_addresses_are_parsed) {
  auto res = parse_legacy("[::1]:6000 bob hi");
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(res->sender.host == "::1");
  BOOST_TEST(res->sender.port == 6000);
  res = parse_legacy("[2001:db8::ff:1]:1 bob hi");
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(res->sender.host == "2001:db8::ff:1");
  BOOST_TEST(res->sender.port == 1);
  res = parse_legacy("[::ffff:10.1.2.3]:7 bob hi");
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(res->sender.host == "::ffff:10.1.2.3");
}

BOOST_AUTO_TEST_CASE(one_trailing_newline_is_stripped) {
  for (std::string end : {"\n", "\r\n"}) {
    auto res = parse_legacy("1.2.3.4:5 bob hi there" + end);
    BOOST_REQUIRE_MESSAGE(res, describe_of(res));
    BOOST_TEST(res->text == "hi there");
  }
  // Only one: what is left is a control character in the text.
  BOOST_TEST(code_of(parse_legacy("1.2.3.4:5 bob hi\n\n")) == ec::invalid_text);
  BOOST_TEST(code_of(parse_legacy("1.2.3.4:5 bob hi\r")) == ec::invalid_text);
  BOOST_TEST(code_of(parse_legacy("1.2.3.4:5 bob hi\n\r\n")) ==
             ec::invalid_text);
}

BOOST_AUTO_TEST_CASE(command_texts_parse_as_plain_texts) {
  for (auto text : {legacy_exit_text, legacy_connect_text, legacy_hello_text}) {
    auto res = parse_legacy("1.2.3.4:5 bob " + std::string{text});
    BOOST_REQUIRE_MESSAGE(res, describe_of(res));
    BOOST_TEST(res->text == text);
  }
}

// -- bounds -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(exactly_1024_bytes_are_accepted_1025_are_not) {
  const std::string head = "1.2.3.4:5 bob ";
  auto at_limit = head + std::string(max_legacy_bytes - head.size(), 'x');
  BOOST_REQUIRE_EQUAL(at_limit.size(), 1024u);
  auto res = parse_legacy(at_limit);
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(res->text.size() == 1024 - head.size());
  auto over = at_limit + "x";
  BOOST_TEST(code_of(parse_legacy(over)) == ec::frame_too_large);
  BOOST_TEST(describe_of(parse_legacy(over)) ==
             "frame too large: 1025 bytes > 1024");
  // The limit counts everything the connection carried, newline included.
  BOOST_TEST(code_of(parse_legacy(at_limit + "\n")) == ec::frame_too_large);
  BOOST_TEST(code_of(parse_legacy(at_limit.substr(0, 1023) + "\n")) ==
             ec::none);
  BOOST_TEST(describe_of(parse_legacy(std::string(4096, 'x'))) ==
             "frame too large: 4096 bytes > 1024");
}

// -- malformed input ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(fewer_than_three_parts_are_rejected) {
  check_rejected({
      {"", ec::truncated_message, "fewer than three parts"},
      {"a", ec::truncated_message, "fewer than three parts"},
      {"\n", ec::truncated_message, "fewer than three parts"},
      {"1.2.3.4:5", ec::truncated_message, "fewer than three parts"},
      {"1.2.3.4:5 bob", ec::truncated_message, "fewer than three parts"},
      {"1.2.3.4:5 bob\n", ec::truncated_message, "fewer than three parts"},
      {"1.2.3.4:5 bob ", ec::truncated_message, "empty message"},
      {"1.2.3.4:5 bob \r\n", ec::truncated_message, "empty message"},
      {"1.2.3.4:5  ", ec::truncated_message, "empty message"},
  });
}

BOOST_AUTO_TEST_CASE(bad_addresses_are_rejected) {
  check_rejected({
      {"1.2.3.4 bob hi", ec::invalid_address, "'1.2.3.4' is not IP:PORT"},
      {"abc bob hi", ec::invalid_address, "'abc' is not IP:PORT"},
      {" bob hi", ec::invalid_address, "'' is not IP:PORT"},
      {"localhost:5 bob hi", ec::invalid_address,
       "host 'localhost' is not an IPv4 or IPv6 literal"},
      {"example.com:5 bob hi", ec::invalid_address, "'example.com'"},
      {":5 bob hi", ec::invalid_address, "empty host"},
      {"1.2.3:5 bob hi", ec::invalid_address, "host '1.2.3'"},
      {"1.2.3.4.5:5 bob hi", ec::invalid_address, "host '1.2.3.4.5'"},
      {"256.1.1.1:5 bob hi", ec::invalid_address, "host '256.1.1.1'"},
      {"1.2.3.-4:5 bob hi", ec::invalid_address, "host '1.2.3.-4'"},
      {"::1:5 bob hi", ec::invalid_address, "IPv6 needs [brackets]"},
      {"[::1] bob hi", ec::invalid_address, "'[::1]' is not IP:PORT"},
      {"[::1]5 bob hi", ec::invalid_address, "is not IP:PORT"},
      {"[::1:5 bob hi", ec::invalid_address, "is not IP:PORT"},
      {"[1.2.3.4]:5 bob hi", ec::invalid_address, "no IPv6 literal"},
      {"[]:5 bob hi", ec::invalid_address, "no IPv6 literal"},
      {"[fe80::1%eth0]:5 bob hi", ec::invalid_address, "no IPv6 literal"},
      {"[::g]:5 bob hi", ec::invalid_address, "no IPv6 literal"},
      // An embedded NUL must not hide the rest of the host from inet_pton.
      {std::string{"1.2.3.4\0x:5 bob hi", 18}, ec::invalid_address,
       "host '1.2.3.4\\x00x'"},
      {std::string{"[::1\0x]:5 bob hi", 17}, ec::invalid_address,
       "no IPv6 literal"},
  });
}

BOOST_AUTO_TEST_CASE(bad_ports_are_rejected) {
  check_rejected({
      {"1.2.3.4:0 bob hi", ec::invalid_port, "port '0' of address"},
      {"1.2.3.4:65536 bob hi", ec::invalid_port, "port '65536'"},
      {"1.2.3.4:99999999999 bob hi", ec::invalid_port, "not in 1-65535"},
      {"1.2.3.4:abc bob hi", ec::invalid_port, "port 'abc'"},
      {"1.2.3.4: bob hi", ec::invalid_port, "port ''"},
      {"1.2.3.4:-5 bob hi", ec::invalid_port, "port '-5'"},
      {"1.2.3.4:+5 bob hi", ec::invalid_port, "port '+5'"},
      {"[::1]:0 bob hi", ec::invalid_port, "port '0'"},
      {"[::1]:65536 bob hi", ec::invalid_port, "port '65536'"},
  });
}

BOOST_AUTO_TEST_CASE(bad_names_are_rejected) {
  check_rejected({
      {"1.2.3.4:5 bo\x1b[2Jb hi", ec::invalid_name, "control character U+001B"},
      {"1.2.3.4:5 bo\x01 hi", ec::invalid_name, "control character U+0001"},
      {"1.2.3.4:5 bo\x7f hi", ec::invalid_name, "control character U+007F"},
      {"1.2.3.4:5 bo\xC2\x9B hi", ec::invalid_name, "control character U+009B"},
      {"1.2.3.4:5 bo\tb hi", ec::invalid_name, "whitespace U+0009"},
      {"1.2.3.4:5 bo\xC2\xA0 hi", ec::invalid_name, "whitespace U+00A0"},
      {"1.2.3.4:5  hi", ec::invalid_name, "empty name"},
      {"1.2.3.4:5 " + std::string(33, 'n') + " hi", ec::invalid_name,
       "longer than 32"},
  });
}

BOOST_AUTO_TEST_CASE(bad_texts_are_rejected) {
  check_rejected({
      {"1.2.3.4:5 bob hi \x1b[31mred", ec::invalid_text, "U+001B"},
      {std::string{"1.2.3.4:5 bob a\0b", 17}, ec::invalid_text, "U+0000"},
      {"1.2.3.4:5 bob ring\x07", ec::invalid_text, "U+0007"},
      {"1.2.3.4:5 bob two\nlines", ec::invalid_text, "U+000A"},
      {"1.2.3.4:5 bob back\rwards", ec::invalid_text, "U+000D"},
      {"1.2.3.4:5 bob del\x7f", ec::invalid_text, "U+007F"},
      {"1.2.3.4:5 bob csi\xC2\x9B", ec::invalid_text, "U+009B"},
  });
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_rejected) {
  const char* cases[] = {
      "1.2.3.4:5 bob over\xC0\xAFlong",     // overlong '/'
      "1.2.3.4:5 bob \xE0\x80\xA0",         // overlong space
      "1.2.3.4:5 b\x80ob hi",               // lone continuation byte (name)
      "1.2.3.4:5 bob hi\xBF",               // lone continuation byte (text)
      "1.2.3.4:5 bob trunc\xE2\x9C",        // truncated sequence at the end
      "1.2.3.4:5 bob trunc\xE2\x9C more",   // truncated by a space
      "1.2.3.4:5 bo\xC3 hi",                // truncated sequence (name)
      "1.2.3.4:5 bob \xED\xA0\x80",         // surrogate
      "1.2.3.4:5 bob \xF4\x90\x80\x80",     // above U+10FFFF
      "1.2.3.4:5 bob \xFF",                 // never valid
      "1.2.3.\xC0\xB4:5 bob hi",            // overlong digit in the address
      "x\xC3",                              // ...checked before the split
      "1.2.3.4:5 bob ok\xE2\x9C\x93\n\xE2", // after the newline: not stripped
  };
  for (auto input : cases) {
    BOOST_TEST_CONTEXT("input: " << test::hex(input, std::strlen(input))) {
      auto res = parse_legacy(input);
      BOOST_TEST(code_of(res) == ec::invalid_utf8);
      BOOST_TEST(describe_of(res) ==
                 "invalid UTF-8: legacy text is not valid UTF-8");
    }
  }
}

BOOST_AUTO_TEST_CASE(rejection_details_are_safe_to_log) {
  // A hostile address must not smuggle escapes into the log line, nor make it
  // as long as the input.
  auto input = "\x1b[2J" + std::string(600, 'a') + ":5 bob hi";
  auto res = parse_legacy(input);
  BOOST_TEST(code_of(res) == ec::invalid_address);
  BOOST_TEST(log_safe(describe_of(res)), describe_of(res));
  BOOST_TEST(describe_of(res).size() < 120u, describe_of(res));
  res = parse_legacy("1.2.3.4:\x1b[2J bob hi");
  BOOST_TEST(code_of(res) == ec::invalid_port);
  BOOST_TEST(describe_of(res).find("port '\\x1b[2J'") != std::string::npos,
             describe_of(res));
}

// -- commands -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(exit_is_recognized_in_any_case) {
  for (auto text : {"exit", "EXIT", "eXiT", "Exit"})
    BOOST_TEST(is_legacy_exit(text), text);
  for (auto text : {"exit ", " exit", "exits", "exi", "", "ex it", "exit\n",
                    "\xC3\x8Bxit", "exi\x14"})
    BOOST_TEST(!is_legacy_exit(text), text);
}

BOOST_AUTO_TEST_CASE(connect_is_recognized_exactly) {
  BOOST_TEST(is_legacy_connect("connect"));
  for (auto text :
       {"Connect", "CONNECT", "connect ", " connect", "connected", ""})
    BOOST_TEST(!is_legacy_connect(text), text);
}

// -- formatting ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(format_writes_the_original_layout) {
  legacy_message msg{{"192.168.1.5", 5000}, "alice", "hi there  you"};
  auto res = format_legacy(msg);
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(*res == "192.168.1.5:5000 alice hi there  you");
  msg.sender = {"2001:db8::1", 42};
  res = format_legacy(msg);
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(*res == "[2001:db8::1]:42 alice hi there  you");
}

BOOST_AUTO_TEST_CASE(format_then_parse_round_trips) {
  std::vector<legacy_message> msgs{
      {{"10.0.0.1", 1}, "a", "x"},
      {{"255.255.255.255", 65535}, "bob", "exit"},
      {{"::1", 4242}, "J\xC3\xBCrgen", " lead and trail "},
      {{"fe80::1:2", 7}, "\xE5\x90\x8D", "tab\there \xF0\x9F\x98\x80"},
      {{"::ffff:1.2.3.4", 9}, std::string(32, 'n'), "Hello!"},
  };
  for (const auto& msg : msgs) {
    auto text = format_legacy(msg);
    BOOST_REQUIRE_MESSAGE(text, describe_of(text));
    auto back = parse_legacy(*text);
    BOOST_REQUIRE_MESSAGE(back, describe_of(back));
    BOOST_TEST(equal(*back, msg), *text);
  }
}

BOOST_AUTO_TEST_CASE(format_refuses_too_long_texts_without_truncating) {
  legacy_message msg{{"1.2.3.4", 5}, "bob", ""};
  const size_t head = std::string{"1.2.3.4:5 bob "}.size();
  msg.text = std::string(max_legacy_bytes - head, 'x');
  auto res = format_legacy(msg);
  BOOST_REQUIRE_MESSAGE(res, describe_of(res));
  BOOST_TEST(res->size() == 1024u);
  BOOST_TEST(res->substr(head) == msg.text);
  msg.text += 'x';
  res = format_legacy(msg);
  BOOST_TEST(code_of(res) == ec::frame_too_large);
  BOOST_TEST(describe_of(res) ==
             "frame too large: message needs 1025 bytes in the original "
             "format, at most 1024 fit");
  msg.text = std::string(5000, 'x');
  BOOST_TEST(describe_of(format_legacy(msg)) ==
             "frame too large: message needs 5014 bytes in the original "
             "format, at most 1024 fit");
  // A multi-byte character counts with all of its bytes.
  msg.text = repeat("\xE2\x9C\x93", 337); // 1011 bytes
  BOOST_TEST(code_of(format_legacy(msg)) == ec::frame_too_large);
  msg.text.resize(msg.text.size() - 3);
  BOOST_TEST(code_of(format_legacy(msg)) == ec::none);
}

BOOST_AUTO_TEST_CASE(format_refuses_invalid_fields) {
  auto code = [](legacy_message msg) {
    return code_of(format_legacy(msg));
  };
  legacy_message ok{{"1.2.3.4", 5}, "bob", "hi"};
  BOOST_TEST(code(ok) == ec::none);
  auto with = [&](auto change) {
    auto msg = ok;
    change(msg);
    return code(msg);
  };
  BOOST_TEST(with([](auto& m) { m.name = ""; }) == ec::invalid_name);
  BOOST_TEST(with([](auto& m) { m.name = "b b"; }) == ec::invalid_name);
  BOOST_TEST(with([](auto& m) { m.name = "b\x1b"; }) == ec::invalid_name);
  BOOST_TEST(with([](auto& m) { m.name = "b\xC3"; }) == ec::invalid_utf8);
  BOOST_TEST(with([](auto& m) { m.text = ""; }) == ec::invalid_text);
  BOOST_TEST(with([](auto& m) { m.text = "a\nb"; }) == ec::invalid_text);
  BOOST_TEST(with([](auto& m) { m.text = "\x1b[2J"; }) == ec::invalid_text);
  BOOST_TEST(with([](auto& m) { m.text = "\xC0\xAF"; }) == ec::invalid_utf8);
  BOOST_TEST(with([](auto& m) { m.sender.port = 0; }) == ec::invalid_port);
  for (auto host : {"", "localhost", "example.com", "1.2.3", "256.1.1.1",
                    "[::1]", "fe80::1%eth0", "1.2.3.4 "})
    BOOST_TEST(with([&](auto& m) { m.sender.host = host; }) ==
                   ec::invalid_address,
               host);
  BOOST_TEST(with([](auto& m) {
               m.sender.host = std::string{"1.2.3.4\0", 8};
             }) == ec::invalid_address);
}

// -- property: any byte string parses into a valid message or is rejected -----

namespace {

/// Fast, seeded source of everything random below.
class generator {
public:
  explicit generator(uint64_t seed) : rng_(seed) {}

  uint64_t below(uint64_t n) { return rng_() % n; }

  bool chance(unsigned percent) { return below(100) < percent; }

  char byte() { return static_cast<char>(rng_() & 0xFF); }

  std::string bytes(size_t n) {
    std::string result(n, '\0');
    for (size_t i = 0; i < n; i += 8) {
      auto x = rng_();
      for (size_t j = i; j < n && j < i + 8; ++j, x >>= 8)
        result[j] = static_cast<char>(x & 0xFF);
    }
    return result;
  }

  template <class T, size_t N>
  const T& pick(const std::array<T, N>& xs) {
    return xs[below(N)];
  }

private:
  std::mt19937_64 rng_;
};

/// Pieces of the format and of its failure modes, spliced into inputs.
const std::array<std::string_view, 21> tokens = {
    " ",
    ":",
    "[",
    "]",
    ".",
    "0",
    "65536",
    "::1",
    "255",
    "256",
    "\t",
    "\x1b",
    "\x80",
    "\xC3",
    "\xC0\xAF",
    "\xC2\xA0",
    "\xC3\xBC",
    "\xE2\x9C\x93",
    "\xF0\x9F\x98\x80",
    "\r\n",
    "\n",
};

const std::array<std::string_view, 8> name_chars = {
    "a", "Z", "_", "-", "7", "\xC3\xBC", "\xE5\x90\x8D", "\xF0\x9F\x98\x80",
};

const std::array<std::string_view, 9> text_chars = {
    "a",
    " ",
    "\t",
    ".",
    ":",
    "[",
    "\xC3\xBC",
    "\xE2\x9C\x93",
    "\xF0\x9F\x98\x80",
};

const std::array<std::string_view, 5> ipv6_hosts = {
    "::1", "2001:db8::ff:1", "fe80::1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8",
};

/// A valid message built by hand (not with format_legacy).
std::string valid_message(generator& gen, legacy_message& msg) {
  if (gen.chance(70)) {
    msg.sender.host.clear();
    for (int i = 0; i < 4; ++i) {
      if (i > 0)
        msg.sender.host += '.';
      msg.sender.host += std::to_string(gen.below(256));
    }
  } else {
    msg.sender.host = gen.pick(ipv6_hosts);
  }
  msg.sender.port = static_cast<uint16_t>(1 + gen.below(65535));
  msg.name.clear();
  for (auto n = 1 + gen.below(12); n > 0; --n)
    msg.name += gen.pick(name_chars);
  msg.text.clear();
  // Mostly short, sometimes around the 1024-byte limit.
  auto text_len = gen.chance(90) ? 1 + gen.below(80) : 900 + gen.below(200);
  while (msg.text.size() < text_len)
    msg.text += gen.pick(text_chars);
  auto host = msg.sender.host.find(':') == std::string::npos
                  ? msg.sender.host
                  : "[" + msg.sender.host + "]";
  auto result = host + ":" + std::to_string(msg.sender.port) + " " + msg.name +
                " " + msg.text;
  if (gen.chance(10))
    result += gen.chance(50) ? "\n" : "\r\n";
  return result;
}

void mutate(generator& gen, std::string& str) {
  auto pos = [&](size_t extra) {
    return gen.below(str.size() + extra);
  };
  switch (gen.below(6)) {
    case 0: // Flip one byte.
      if (!str.empty())
        str[pos(0)] = gen.byte();
      break;
    case 1: // Insert a random byte.
      str.insert(pos(1), 1, gen.byte());
      break;
    case 2: // Delete a few bytes.
      if (!str.empty())
        str.erase(pos(0), 1 + gen.below(4));
      break;
    case 3: // Splice in a piece of the format.
      str.insert(pos(1), std::string{gen.pick(tokens)});
      break;
    case 4: { // A separator, or a NUL to end a C string early.
      const char seps[] = {' ', ':', '\0'};
      str.insert(pos(1), 1, seps[gen.below(3)]);
      break;
    }
    default: // Duplicate a chunk, to cross the size limit.
      if (!str.empty()) {
        auto from = pos(0);
        auto chunk = str.substr(from, gen.below(600));
        str.insert(pos(1), chunk);
      }
  }
  if (str.size() > 2048)
    str.resize(2048);
}

} // namespace

BOOST_AUTO_TEST_CASE(any_byte_string_parses_to_a_valid_message_or_a_reason) {
  constexpr size_t runs = 200'000;
  generator gen{0x5eed'1e9a'c1u};
  size_t accepted = 0;
  size_t failures = 0;
  std::string first_failure;
  std::map<ec, size_t> reasons;
  auto fail = [&](const std::string& input, const std::string& why) {
    if (failures++ == 0)
      first_failure = why + "; input: " + test::hex(input.data(), input.size());
  };
  legacy_message generated;
  for (size_t run = 0; run < runs; ++run) {
    std::string input;
    bool pristine = false;
    switch (run % 4) {
      case 0: // Fully random bytes.
        input = gen.bytes(gen.below(2049));
        break;
      case 1: // Random pieces of the format: reaches deeper than noise.
        for (auto n = gen.below(40); n > 0; --n) {
          if (gen.chance(50))
            input += gen.pick(tokens);
          else
            input +=
                static_cast<char>((gen.chance(50) ? '0' : 'a') + gen.below(10));
        }
        break;
      default: { // A valid message, mutated a few times (or not at all).
        input = valid_message(gen, generated);
        auto mutations = gen.below(4);
        pristine = mutations == 0;
        for (; mutations > 0; --mutations)
          mutate(gen, input);
      }
    }
    auto res = parse_legacy(input);
    if (pristine && input.size() <= max_legacy_bytes &&
        !(res && equal(*res, generated))) {
      fail(input, "valid message not parsed as built: " + describe_of(res));
      continue;
    }
    if (!res) {
      auto why = describe(res.error());
      auto code = p2pchat::code_of(res.error());
      ++reasons[code];
      if (code == ec::none || why.find(": ") == std::string::npos ||
          !log_safe(why))
        fail(input, "rejected without a reason: '" + why + "'");
      continue;
    }
    ++accepted;
    const auto& msg = *res;
    if (validate_name(msg.name) || validate_text(msg.text, max_legacy_bytes) ||
        msg.sender.port == 0 || !is_ip_literal(msg.sender.host)) {
      fail(input, "accepted an invalid message");
      continue;
    }
    auto text = format_legacy(msg);
    if (!text) {
      fail(input, "cannot format what was parsed: " + describe_of(text));
      continue;
    }
    auto back = parse_legacy(*text);
    if (!back || !equal(*back, msg) || text->size() > input.size())
      fail(input, "round trip changed the message: " + *text);
  }
  BOOST_TEST(failures == 0u, failures << " failures, first: " << first_failure);
  // The generator must exercise both outcomes and every reason, or the
  // property says little.
  BOOST_TEST(accepted > runs / 10, accepted << " accepted");
  for (auto code : {ec::frame_too_large, ec::invalid_utf8,
                    ec::truncated_message, ec::invalid_address,
                    ec::invalid_port, ec::invalid_name, ec::invalid_text})
    BOOST_TEST(reasons[code] > 100u, to_string(code) << ": " << reasons[code]);
}

BOOST_AUTO_TEST_SUITE_END()
