#include "protocol/errors.hpp"

#include <cstdio>

#include <caf/make_message.hpp>
#include <caf/message.hpp>

namespace p2pchat {

std::string to_string(ec x) {
  switch (x) {
    case ec::none:
      return "no error";
    case ec::frame_too_large:
      return "frame too large";
    case ec::empty_frame:
      return "empty frame";
    case ec::truncated_message:
      return "truncated message";
    case ec::trailing_bytes:
      return "trailing bytes after message";
    case ec::unknown_message_type:
      return "unknown message type";
    case ec::invalid_utf8:
      return "invalid UTF-8";
    case ec::invalid_name:
      return "invalid name";
    case ec::invalid_text:
      return "invalid text";
    case ec::invalid_port:
      return "invalid port";
    case ec::bad_preamble:
      return "bad preamble";
    case ec::unsupported_version:
      return "unsupported protocol version";
    case ec::handshake_timeout:
      return "handshake timeout";
    case ec::unexpected_message:
      return "unexpected message";
    case ec::self_connection:
      return "connected to self";
    case ec::connect_failed:
      return "connect failed";
    case ec::identity_error:
      return "cannot load or store the node key";
    case ec::invalid_address:
      return "invalid address";
    case ec::listen_failed:
      return "cannot listen";
    case ec::connection_closing:
      return "connection is closing";
    case ec::too_many_entries:
      return "too many entries";
    case ec::request_flood:
      return "request flood";
    case ec::decrypt_failed:
      return "decryption failed";
    case ec::handshake_failed:
      return "handshake failed";
    case ec::nonce_exhausted:
      return "nonce exhausted";
    case ec::key_mismatch:
      return "peer key does not match its node id";
    case ec::trust_store_error:
      return "cannot load or store the pinned peer keys";
  }
  // A value outside the enum (e.g. a code from a newer build).
  return "unknown error " + std::to_string(static_cast<unsigned>(x));
}

caf::error make_error(ec x) {
  return caf::error{static_cast<uint8_t>(x), ec_category};
}

caf::error make_error(ec x, std::string detail) {
  return caf::error{static_cast<uint8_t>(x), ec_category,
                    caf::make_message(std::move(detail))};
}

ec code_of(const caf::error& err) {
  if (!err || err.category() != ec_category)
    return ec::none;
  return static_cast<ec>(err.code());
}

std::string describe(const caf::error& err) {
  if (!err || err.category() != ec_category)
    return caf::to_string(err);
  auto result = to_string(static_cast<ec>(err.code()));
  const auto& ctx = err.context();
  if (ctx.match_elements<std::string>()) {
    const auto& detail = ctx.get_as<std::string>(0);
    if (!detail.empty()) {
      result += ": ";
      result += detail;
    }
  } else if (!ctx.empty()) {
    result += ": ";
    result += caf::to_string(ctx);
  }
  return result;
}

std::string quote_untrusted(std::string_view bytes) {
  constexpr size_t max_bytes = 48;
  std::string result = "'";
  for (size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    if (b >= 0x20 && b < 0x7F && b != '\\') {
      result += static_cast<char>(b);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", b);
      result += buf;
    }
  }
  result += bytes.size() > max_bytes ? "'..." : "'";
  return result;
}

} // namespace p2pchat
