#include "protocol/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "protocol/errors.hpp"

namespace p2pchat {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Four dot-separated decimal numbers of 0-255.
bool is_dotted_ipv4(std::string_view str) {
  int parts = 0;
  size_t pos = 0;
  while (true) {
    size_t digits = 0;
    unsigned value = 0;
    while (pos < str.size() && is_digit(str[pos]) && digits < 4) {
      value = value * 10 + static_cast<unsigned>(str[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255)
      return false;
    if (++parts == 4)
      return pos == str.size();
    if (pos == str.size() || str[pos] != '.')
      return false;
    ++pos;
  }
}

bool has_space_or_control(std::string_view str) {
  return std::any_of(str.begin(), str.end(), [](char c) {
    auto b = static_cast<unsigned char>(c);
    return b <= 0x20 || b == 0x7F;
  });
}

caf::error host_error(const char* what) {
  return make_error(ec::invalid_address, what);
}

bool is_ipv4_char(char c) {
  return (c >= '0' && c <= '9') || c == '.';
}

bool is_ipv6_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

} // namespace

std::string to_string(const peer_address& x) {
  auto port = std::to_string(x.port);
  if (x.host.find(':') != std::string::npos)
    return "[" + x.host + "]:" + port;
  return x.host + ":" + port;
}

caf::expected<peer_address> parse_peer_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos)
      return host_error("missing ']' after IPv6 address");
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (rest.empty() || rest.front() != ':')
      return make_error(ec::invalid_address, "missing ':PORT'");
    port = rest.substr(1);
    if (!host.empty() && host.find(':') == std::string_view::npos)
      return host_error("brackets are only for IPv6 addresses");
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return make_error(ec::invalid_address, "missing ':PORT'");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return host_error("IPv6 address needs brackets: [ADDRESS]:PORT");
  }
  if (host.empty())
    return host_error("empty host");
  if (has_space_or_control(host))
    return host_error("host contains spaces or control characters");
  auto num = parse_port(port, false);
  if (!num)
    return num.error();
  return peer_address{std::string{host}, *num};
}

caf::expected<uint16_t> parse_port(std::string_view text, bool allow_zero) {
  const char* range =
      allow_zero ? "port must be 0-65535" : "port must be 1-65535";
  if (text.empty() || !std::all_of(text.begin(), text.end(), is_digit))
    return make_error(ec::invalid_port,
                      std::string{range} + ", got " + quote_untrusted(text));
  uint32_t value = 0;
  for (auto c : text) {
    value = value * 10 + static_cast<uint32_t>(c - '0');
    if (value > 65535)
      return make_error(ec::invalid_port, range);
  }
  if (value == 0 && !allow_zero)
    return make_error(ec::invalid_port, range);
  return static_cast<uint16_t>(value);
}

std::string normalize_host(std::string host) {
  constexpr std::string_view prefix = "::ffff:";
  if (host.size() > prefix.size() &&
      std::equal(prefix.begin(), prefix.end(), host.begin(),
                 [](char x, char y) {
                   return x == std::tolower(static_cast<unsigned char>(y));
                 }) &&
      is_dotted_ipv4(std::string_view{host}.substr(prefix.size())))
    host.erase(0, prefix.size());
  return host;
}

/// inet_pton reads a C string, so the character check comes first: it rules
/// out an embedded NUL that would hide the bytes after it.
bool is_ipv4_literal(std::string_view host) {
  if (host.empty() || host.size() > 15 ||
      !std::all_of(host.begin(), host.end(), is_ipv4_char))
    return false;
  in_addr out;
  return inet_pton(AF_INET, std::string{host}.c_str(), &out) == 1;
}

bool is_ipv6_literal(std::string_view host) {
  if (host.empty() || host.size() > 45 ||
      !std::all_of(host.begin(), host.end(), is_ipv6_char))
    return false;
  in6_addr out;
  return inet_pton(AF_INET6, std::string{host}.c_str(), &out) == 1;
}

} // namespace p2pchat
