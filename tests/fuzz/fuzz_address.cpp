// Fuzz target: parse_peer_address and parse_port, which read every HOST:PORT
// and port a user types (options, prompts, the menu).
//
// Properties:
// - an accepted address has a non-empty host and a port of 1-65535, and
//   to_string renders it as a text that parses back to the same address;
// - errors of both carry no control characters in their description (they
//   end up in messages on the terminal);
// - parse_port accepts exactly the non-empty all-digit texts whose value is
//   in range (1-65535, or 0-65535 with allow_zero), returning that value;
// - normalize_host is idempotent and only ever removes a prefix;
// - an IPv4 literal is no IPv6 literal, is accepted as HOST:PORT as is and,
//   behind "::ffff:", is an IPv6 literal that normalize_host turns back
//   into it; an IPv6 literal is accepted as [HOST]:PORT.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/property.hpp"
#include "protocol/address.hpp"
#include "protocol/errors.hpp"

using namespace p2pchat;
using fuzz::require;

namespace {

/// The value of an all-digit text, saturated above 65535 (so that a long
/// run of digits cannot overflow); -1 if `text` is empty or not all digits.
long reference_port(std::string_view text) {
  if (text.empty())
    return -1;
  long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return -1;
    value = std::min(value * 10 + (c - '0'), 65536L);
  }
  return value;
}

bool has_control_bytes(std::string_view str) {
  return std::any_of(str.begin(), str.end(), [](char c) {
    auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7F;
  });
}

void check_port(std::string_view text, bool allow_zero) {
  auto port = parse_port(text, allow_zero);
  auto expected = reference_port(text);
  bool valid = expected >= (allow_zero ? 0 : 1) && expected <= 65535;
  require(static_cast<bool>(port) == valid,
          "parse_port accepts exactly the all-digit texts in range");
  if (port)
    require(*port == expected, "parse_port returns the text's value");
  else {
    require(code_of(port.error()) == ec::invalid_port,
            "parse_port fails with invalid_port");
    require(!has_control_bytes(describe(port.error())),
            "port error description has no control characters");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input{reinterpret_cast<const char*>(bytes), size};

  auto addr = parse_peer_address(input);
  if (addr) {
    require(!addr->host.empty(), "accepted address has a host");
    require(addr->port != 0, "accepted address has a port of 1-65535");
    auto text = to_string(*addr);
    auto back = parse_peer_address(text);
    require(static_cast<bool>(back), "rendered address parses again");
    require(*back == *addr, "address survives to_string and back");
    require(to_string(*back) == text, "rendering is stable");
  } else {
    auto code = code_of(addr.error());
    require(code == ec::invalid_address || code == ec::invalid_port,
            "address error is invalid_address or invalid_port");
    require(!has_control_bytes(describe(addr.error())),
            "address error description has no control characters");
  }

  check_port(input, false);
  check_port(input, true);

  if (is_ipv4_literal(input)) {
    require(!is_ipv6_literal(input), "no literal is both IPv4 and IPv6");
    auto addr4 = parse_peer_address(std::string{input} + ":1");
    require(addr4 && addr4->host == input, "IPv4 literal is a valid host");
    auto mapped = "::ffff:" + std::string{input};
    require(is_ipv6_literal(mapped), "IPv4-mapped literal is IPv6");
    require(normalize_host(mapped) == input,
            "normalize_host unmaps an IPv4-mapped literal");
  }
  if (is_ipv6_literal(input)) {
    auto addr6 = parse_peer_address("[" + std::string{input} + "]:1");
    require(addr6 && addr6->host == input, "IPv6 literal is a valid host");
  }

  auto host = normalize_host(std::string{input});
  require(input.size() >= host.size() &&
              input.substr(input.size() - host.size()) == host,
          "normalize_host only removes a prefix");
  require(normalize_host(host) == host, "normalize_host is idempotent");
  return 0;
}
