#pragma once

#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "protocol/address.hpp"

namespace p2pchat {

/// The original Python app's wire format: one TCP connection per message,
/// carrying `SENDER_IP:SENDER_LISTEN_PORT SENDER_NAME MESSAGE` in UTF-8,
/// then closed by the sender. Nothing is ever answered.
constexpr size_t max_legacy_bytes = 1024;

/// One message in the original format.
struct legacy_message {
  /// Where the sender listens (IP literal and port from the text).
  peer_address sender;
  std::string name;
  std::string text;
};

/// The texts that mean something to the original app.
constexpr std::string_view legacy_hello_text = "Hello!";
constexpr std::string_view legacy_connect_text = "connect";
constexpr std::string_view legacy_exit_text = "exit";

/// True if `text` is the original's "exit", in any ASCII case (no trimming:
/// "exit " is a chat text).
bool is_legacy_exit(std::string_view text);

/// True if `text` is exactly the original's "connect".
bool is_legacy_connect(std::string_view text);

/// Parses everything one legacy connection carried. Rejects, with a reason
/// in the error's detail: more than 1024 bytes (`ec::frame_too_large`),
/// invalid UTF-8 (`ec::invalid_utf8`), fewer than three space-separated parts
/// or an empty message (`ec::truncated_message`), an address that is not
/// `a.b.c.d:PORT` or `[IPV6]:PORT` with a port of 1-65535
/// (`ec::invalid_address` / `ec::invalid_port`; host names are refused), a
/// name failing `validate_name`, a text failing `validate_text`. One trailing
/// "\n" or "\r\n" is tolerated and stripped (it counts towards the 1024).
caf::expected<legacy_message> parse_legacy(std::string_view bytes);

/// Formats `msg` for sending; fails with `ec::frame_too_large` (detail
/// names both lengths) if the result exceeds 1024 bytes, or with the
/// validation error of a field (`ec::invalid_address` if the sender's host is
/// not an IP literal, `ec::invalid_port` for port 0). Never truncates.
caf::expected<std::string> format_legacy(const legacy_message& msg);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, legacy_message& x) {
  return f(caf::meta::type_name("legacy_message"), x.sender, x.name, x.text);
}

} // namespace p2pchat
