#include "protocol/address.hpp"

#include <string>

#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"
#include "protocol/support/test_helpers.hpp"

using namespace p2pchat;
using namespace p2pchat::test;

BOOST_AUTO_TEST_SUITE(address_tests)

BOOST_AUTO_TEST_CASE(to_string_brackets_ipv6_only) {
  BOOST_TEST(to_string(peer_address{"127.0.0.1", 4242}) == "127.0.0.1:4242");
  BOOST_TEST(to_string(peer_address{"example.org", 1}) == "example.org:1");
  BOOST_TEST(to_string(peer_address{"::1", 65535}) == "[::1]:65535");
  BOOST_TEST(to_string(peer_address{"fe80::1", 80}) == "[fe80::1]:80");
}

BOOST_AUTO_TEST_CASE(parses_valid_addresses) {
  struct case_t {
    std::string text;
    std::string host;
    uint16_t port;
  };
  case_t cases[] = {
      {"127.0.0.1:4242", "127.0.0.1", 4242},
      {"localhost:1", "localhost", 1},
      {"example.org:65535", "example.org", 65535},
      {"[::1]:8080", "::1", 8080},
      {"[fe80::1:2]:80", "fe80::1:2", 80},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      auto addr = parse_peer_address(c.text);
      BOOST_TEST_REQUIRE(code_of(addr) == ec::none);
      BOOST_TEST(addr->host == c.host);
      BOOST_TEST(addr->port == c.port);
      // Rendering gives back what was parsed.
      BOOST_TEST(to_string(*addr) == c.text);
    }
  }
}

BOOST_AUTO_TEST_CASE(rejects_bad_addresses_naming_the_problem) {
  struct case_t {
    std::string text;
    std::string detail;
  };
  case_t cases[] = {
      {"", "missing ':PORT'"},
      {"127.0.0.1", "missing ':PORT'"},
      {"[::1]", "missing ':PORT'"},
      {"[::1]8080", "missing ':PORT'"},
      {":4242", "empty host"},
      {"[]:4242", "empty host"},
      {"my host:4242", "host contains spaces or control characters"},
      {"host\t:4242", "host contains spaces or control characters"},
      {"::1:4242", "IPv6 address needs brackets: [ADDRESS]:PORT"},
      {"[::1:4242", "missing ']' after IPv6 address"},
      {"[1.2.3.4]:80", "brackets are only for IPv6 addresses"},
      {"host:", "port must be 1-65535, got ''"},
      {"host:0", "port must be 1-65535"},
      {"host:65536", "port must be 1-65535"},
      {"host:99999999999999999999", "port must be 1-65535"},
      {"host:-1", "port must be 1-65535, got '-1'"},
      {"host:+1", "port must be 1-65535, got '+1'"},
      {"host: 80", "port must be 1-65535, got ' 80'"},
      {"host:80 ", "port must be 1-65535, got '80 '"},
      {"host:8o", "port must be 1-65535, got '8o'"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("'" << c.text << "'") {
      auto addr = parse_peer_address(c.text);
      BOOST_TEST_REQUIRE(!addr);
      auto text = describe(addr.error());
      // The detail follows "<reason>: ".
      auto colon = text.find(": ");
      BOOST_TEST_REQUIRE(colon != std::string::npos);
      BOOST_TEST(text.substr(colon + 2) == c.detail);
    }
  }
}

BOOST_AUTO_TEST_CASE(port_errors_carry_the_port_code) {
  BOOST_TEST(code_of(parse_peer_address("host:0")) == ec::invalid_port);
  BOOST_TEST(code_of(parse_peer_address("host")) == ec::invalid_address);
  BOOST_TEST(code_of(parse_peer_address(":80")) == ec::invalid_address);
}

BOOST_AUTO_TEST_CASE(parse_port_accepts_digits_in_range) {
  BOOST_TEST(*parse_port("1", false) == 1);
  BOOST_TEST(*parse_port("80", false) == 80);
  BOOST_TEST(*parse_port("0080", false) == 80);
  BOOST_TEST(*parse_port("65535", false) == 65535);
  BOOST_TEST(*parse_port("0", true) == 0);
  BOOST_TEST(*parse_port("65535", true) == 65535);
}

BOOST_AUTO_TEST_CASE(parse_port_rejects_everything_else) {
  for (auto text : {"", "0", "65536", "-1", "+1", " 1", "1 ", "1.0", "0x10",
                    "abc", "4294967297"}) {
    BOOST_TEST_CONTEXT("'" << text << "'") {
      BOOST_TEST(code_of(parse_port(text, false)) == ec::invalid_port);
    }
  }
  BOOST_TEST(code_of(parse_port("65536", true)) == ec::invalid_port);
  BOOST_TEST(code_of(parse_port("-0", true)) == ec::invalid_port);
  BOOST_TEST(describe(parse_port("70000", true).error()) ==
             "invalid port: port must be 0-65535");
}

BOOST_AUTO_TEST_CASE(normalize_host_unmaps_ipv4) {
  BOOST_TEST(normalize_host("::ffff:127.0.0.1") == "127.0.0.1");
  BOOST_TEST(normalize_host("::FFFF:10.1.2.3") == "10.1.2.3");
  BOOST_TEST(normalize_host("::ffff:255.255.255.255") == "255.255.255.255");
  // Anything else stays as it is.
  for (auto host : {"127.0.0.1", "::1", "fe80::1", "example.org", "::ffff:",
                    "::ffff:7f00:1", "::ffff:1.2.3", "::ffff:1.2.3.4.5",
                    "::ffff:1.2.3.256", "::ffff:1..2.3", "::ffff:1.2.3.4 ",
                    "::ffff:1234.2.3.4", "x::ffff:1.2.3.4"}) {
    BOOST_TEST(normalize_host(host) == host);
  }
}

BOOST_AUTO_TEST_CASE(addresses_order_by_host_then_port) {
  peer_address a{"a", 2};
  peer_address b{"b", 1};
  peer_address a1{"a", 1};
  BOOST_TEST((a < b));
  BOOST_TEST((a1 < a));
  BOOST_TEST((a == peer_address{"a", 2}));
  BOOST_TEST((a != a1));
}

BOOST_AUTO_TEST_SUITE_END()
