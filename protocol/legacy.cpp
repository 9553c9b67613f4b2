#include "protocol/legacy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "protocol/errors.hpp"
#include "protocol/validation.hpp"

namespace p2pchat {

namespace {

/// Longest excerpt of a rejected address that goes into an error detail: the
/// detail ends up in log lines, and the address token can be ~1000 bytes.

caf::error not_ip_port(std::string_view token) {
  return make_error(ec::invalid_address,
                    "address " + quote_untrusted(token) + " is not IP:PORT");
}

/// Parses the address token: `a.b.c.d:PORT` or `[IPV6]:PORT`.
caf::expected<peer_address> parse_legacy_address(std::string_view token) {
  std::string_view host;
  std::string_view port;
  if (!token.empty() && token.front() == '[') {
    auto close = token.find(']');
    if (close == std::string_view::npos || close + 1 >= token.size() ||
        token[close + 1] != ':')
      return not_ip_port(token);
    host = token.substr(1, close - 1);
    port = token.substr(close + 2);
    if (!is_ipv6_literal(host))
      return make_error(ec::invalid_address,
                        "address " + quote_untrusted(token) +
                            " has no IPv6 literal in brackets");
  } else {
    auto colon = token.rfind(':');
    if (colon == std::string_view::npos)
      return not_ip_port(token);
    host = token.substr(0, colon);
    port = token.substr(colon + 1);
    if (host.empty())
      return make_error(ec::invalid_address, "address " +
                                                 quote_untrusted(token) +
                                                 " has an empty host");
    if (host.find(':') != std::string_view::npos)
      return make_error(ec::invalid_address,
                        "address " + quote_untrusted(token) +
                            " is not IP:PORT (IPv6 needs [brackets])");
    if (!is_ipv4_literal(host))
      return make_error(ec::invalid_address,
                        "host " + quote_untrusted(host) +
                            " is not an IPv4 or IPv6 literal");
  }
  auto num = parse_port(port, false);
  if (!num)
    return make_error(ec::invalid_port,
                      "port " + quote_untrusted(port) + " of address " +
                          quote_untrusted(token) + " not in 1-65535");
  return peer_address{std::string{host}, *num};
}

} // namespace

bool is_legacy_exit(std::string_view text) {
  auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  return text.size() == legacy_exit_text.size() &&
         std::equal(text.begin(), text.end(), legacy_exit_text.begin(),
                    [&](char x, char y) { return lower(x) == y; });
}

bool is_legacy_connect(std::string_view text) {
  return text == legacy_connect_text;
}

caf::expected<legacy_message> parse_legacy(std::string_view bytes) {
  if (bytes.size() > max_legacy_bytes)
    return make_error(ec::frame_too_large,
                      std::to_string(bytes.size()) + " bytes > " +
                          std::to_string(max_legacy_bytes));
  // The original writes no newline, but a hand-made client (nc, a script)
  // often does; a newline could never be part of a valid text anyway.
  if (!bytes.empty() && bytes.back() == '\n') {
    bytes.remove_suffix(1);
    if (!bytes.empty() && bytes.back() == '\r')
      bytes.remove_suffix(1);
  }
  if (!is_valid_utf8(bytes))
    return make_error(ec::invalid_utf8, "legacy text is not valid UTF-8");
  auto first = bytes.find(' ');
  if (first == std::string_view::npos)
    return make_error(ec::truncated_message, "fewer than three parts");
  auto second = bytes.find(' ', first + 1);
  if (second == std::string_view::npos)
    return make_error(ec::truncated_message, "fewer than three parts");
  if (second + 1 == bytes.size())
    return make_error(ec::truncated_message,
                      "fewer than three parts: empty message");
  auto addr = parse_legacy_address(bytes.substr(0, first));
  if (!addr)
    return addr.error();
  auto name = bytes.substr(first + 1, second - first - 1);
  if (auto err = validate_name(name))
    return err;
  auto text = bytes.substr(second + 1);
  if (auto err = validate_text(text, max_legacy_bytes))
    return err;
  return legacy_message{std::move(*addr), std::string{name}, std::string{text}};
}

caf::expected<std::string> format_legacy(const legacy_message& msg) {
  if (!is_ipv4_literal(msg.sender.host) && !is_ipv6_literal(msg.sender.host))
    return make_error(ec::invalid_address,
                      "host " + quote_untrusted(msg.sender.host) +
                          " is not an IPv4 or IPv6 literal");
  if (auto err = validate_port(msg.sender.port))
    return err;
  if (auto err = validate_name(msg.name))
    return err;
  auto result = to_string(msg.sender) + " " + msg.name + " " + msg.text;
  // Checked before the text's own rules so that an overlong text is refused
  // for what a user can act on: its length in this format.
  if (result.size() > max_legacy_bytes)
    return make_error(ec::frame_too_large,
                      "message needs " + std::to_string(result.size()) +
                          " bytes in the original format, at most " +
                          std::to_string(max_legacy_bytes) + " fit");
  if (auto err = validate_text(msg.text, max_legacy_bytes))
    return err;
  return result;
}

} // namespace p2pchat
