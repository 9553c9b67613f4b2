#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

namespace p2pchat {

/// A host (name, IPv4 or IPv6 literal without brackets) and a TCP port.
struct peer_address {
  std::string host;
  uint16_t port = 0;

  friend bool operator==(const peer_address& x, const peer_address& y) {
    return x.port == y.port && x.host == y.host;
  }
  friend bool operator!=(const peer_address& x, const peer_address& y) {
    return !(x == y);
  }
  friend bool operator<(const peer_address& x, const peer_address& y) {
    return x.host != y.host ? x.host < y.host : x.port < y.port;
  }
};

/// Renders "HOST:PORT", or "[HOST]:PORT" for IPv6 literals.
std::string to_string(const peer_address& x);

/// Parses "HOST:PORT" or "[IPV6]:PORT" with a port of 1-65535. On failure the
/// error's detail names what is wrong: a missing colon, an empty host or a
/// host with spaces, a bad port.
caf::expected<peer_address> parse_peer_address(std::string_view text);

/// Parses a decimal port; accepts 1-65535, or 0-65535 if `allow_zero`.
/// Rejects signs, spaces, and anything that is not all digits.
caf::expected<uint16_t> parse_port(std::string_view text, bool allow_zero);

/// True if `host` is a dotted-quad IPv4 literal.
bool is_ipv4_literal(std::string_view host);

/// True if `host` is an IPv6 literal (without brackets).
bool is_ipv6_literal(std::string_view host);

/// Strips the "::ffff:" prefix of an IPv4-mapped IPv6 address, so that a
/// peer is shown and matched by the address a user would type.
std::string normalize_host(std::string host);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_address& x) {
  return f(caf::meta::type_name("peer_address"), x.host, x.port);
}

} // namespace p2pchat
