#include "protocol/messages.hpp"

#include <string_view>

#include "protocol/address.hpp"
#include "protocol/byte_io.hpp"
#include "protocol/errors.hpp"
#include "protocol/validation.hpp"

namespace p2pchat {

namespace {

using detail::byte_reader;
using detail::byte_writer;

// -- encoding -----------------------------------------------------------------

void write_body(byte_writer& out, const hello& x) {
  out.u8(x.version);
  out.bytes(x.id.bytes.data(), x.id.bytes.size());
  out.str_u8(x.name);
  out.u16(x.listen_port);
  out.u32(x.features);
}

void write_body(byte_writer& out, const chat& x) {
  out.bytes(x.id.data(), x.id.size());
  out.i64(x.sent_at_ms);
  out.str_u32(x.text);
}

void write_body(byte_writer& out, const bye& x) {
  out.u8(static_cast<uint8_t>(x.code));
  out.str_u16(x.reason);
}

void write_body(byte_writer& out, const ping& x) {
  out.u64(x.nonce);
}

void write_body(byte_writer& out, const pong& x) {
  out.u64(x.nonce);
}

void write_body(byte_writer& out, const broadcast& x) {
  out.bytes(x.id.data(), x.id.size());
  out.bytes(x.origin.bytes.data(), x.origin.bytes.size());
  out.str_u8(x.origin_name);
  out.str_u8(x.origin_host);
  out.u16(x.origin_port);
  out.i64(x.sent_at_ms);
  out.u8(x.hops_left);
  out.str_u32(x.text);
  out.bytes(x.signature.data(), x.signature.size());
}

void write_body(byte_writer& out, const peers_request& x) {
  out.u8(x.max_entries);
}

void write_body(byte_writer& out, const peers& x) {
  out.u8(static_cast<uint8_t>(x.entries.size()));
  for (auto& entry : x.entries) {
    out.bytes(entry.id.bytes.data(), entry.id.bytes.size());
    out.str_u8(entry.name);
    out.str_u8(entry.host);
    out.u16(entry.port);
    out.i64(entry.last_seen_ms);
  }
}

// -- decoding -----------------------------------------------------------------

caf::error truncated(const char* field) {
  return make_error(ec::truncated_message, std::string{"missing "} + field);
}

caf::error read_body(byte_reader& in, hello& x) {
  if (!in.u8(x.version))
    return truncated("hello version");
  if (!in.bytes(x.id.bytes))
    return truncated("hello node id");
  if (!in.str_u8(x.name))
    return truncated("hello name");
  if (!in.u16(x.listen_port))
    return truncated("hello listen port");
  if (!in.u32(x.features))
    return truncated("hello features");
  return caf::none;
}

caf::error read_body(byte_reader& in, chat& x) {
  if (!in.bytes(x.id))
    return truncated("chat message id");
  if (!in.i64(x.sent_at_ms))
    return truncated("chat send time");
  if (!in.str_u32(x.text))
    return truncated("chat text");
  return caf::none;
}

caf::error read_body(byte_reader& in, bye& x) {
  uint8_t code = 0;
  if (!in.u8(code))
    return truncated("bye code");
  // Codes from newer versions pass through; receivers treat a code they do
  // not know like protocol_error.
  x.code = static_cast<bye_code>(code);
  if (!in.str_u16(x.reason))
    return truncated("bye reason");
  return caf::none;
}

caf::error read_body(byte_reader& in, ping& x) {
  if (!in.u64(x.nonce))
    return truncated("ping nonce");
  return caf::none;
}

caf::error read_body(byte_reader& in, pong& x) {
  if (!in.u64(x.nonce))
    return truncated("pong nonce");
  return caf::none;
}

caf::error read_body(byte_reader& in, broadcast& x) {
  if (!in.bytes(x.id))
    return truncated("broadcast message id");
  if (!in.bytes(x.origin.bytes))
    return truncated("broadcast origin");
  if (!in.str_u8(x.origin_name))
    return truncated("broadcast origin name");
  if (!in.str_u8(x.origin_host))
    return truncated("broadcast origin host");
  if (!in.u16(x.origin_port))
    return truncated("broadcast origin port");
  if (!in.i64(x.sent_at_ms))
    return truncated("broadcast send time");
  if (!in.u8(x.hops_left))
    return truncated("broadcast hop limit");
  if (!in.str_u32(x.text))
    return truncated("broadcast text");
  if (!in.bytes(x.signature))
    return truncated("broadcast signature");
  return caf::none;
}

caf::error read_body(byte_reader& in, peers_request& x) {
  if (!in.u8(x.max_entries))
    return truncated("peers request size");
  return caf::none;
}

caf::error read_body(byte_reader& in, peers& x) {
  uint8_t count = 0;
  if (!in.u8(count))
    return truncated("peer count");
  // Checked before reading: a flood of entries is refused unread.
  if (count > max_peer_entries)
    return make_error(ec::too_many_entries,
                      std::to_string(count) + " peer entries, at most " +
                          std::to_string(max_peer_entries));
  x.entries.resize(count);
  for (auto& entry : x.entries) {
    if (!in.bytes(entry.id.bytes))
      return truncated("peer node id");
    if (!in.str_u8(entry.name))
      return truncated("peer name");
    if (!in.str_u8(entry.host))
      return truncated("peer host");
    if (!in.u16(entry.port))
      return truncated("peer port");
    if (!in.i64(entry.last_seen_ms))
      return truncated("peer last seen");
  }
  return caf::none;
}

template <class T>
caf::expected<message> decode_body(const char* data, size_t size) {
  byte_reader in{data, size};
  T x;
  if (auto err = read_body(in, x))
    return err;
  if (in.remaining() > 0)
    return make_error(ec::trailing_bytes,
                      std::to_string(in.remaining()) + " bytes after message");
  message result{std::move(x)};
  if (auto err = validate(result))
    return err;
  return result;
}

// -- validation ---------------------------------------------------------------

caf::error check(const hello& x) {
  if (x.version < 1)
    return make_error(ec::unsupported_version,
                      "hello version " + std::to_string(x.version));
  if (auto err = validate_name(x.name))
    return err;
  return validate_port(x.listen_port);
}

caf::error check(const chat& x) {
  return validate_text(x.text, max_text_bytes);
}

caf::error check(const bye& x) {
  if (x.reason.empty())
    return caf::none;
  return validate_text(x.reason, max_bye_reason_bytes);
}

caf::error check(const ping&) {
  return caf::none;
}

caf::error check(const pong&) {
  return caf::none;
}

caf::error check(const broadcast& x) {
  if (auto err = validate_name(x.origin_name))
    return err;
  if (!x.origin_host.empty() && !is_ipv4_literal(x.origin_host) &&
      !is_ipv6_literal(x.origin_host))
    return make_error(ec::invalid_address,
                      "broadcast origin host is not an IP literal");
  if (auto err = validate_port(x.origin_port))
    return err;
  if (x.hops_left == 0)
    return make_error(ec::unexpected_message, "broadcast with no hops left");
  return validate_text(x.text, max_text_bytes);
}

caf::error check(const peers_request& x) {
  if (x.max_entries == 0 || x.max_entries > max_peer_entries)
    return make_error(ec::too_many_entries,
                      "peers request for " + std::to_string(x.max_entries) +
                          " entries, allowed 1-" +
                          std::to_string(max_peer_entries));
  return caf::none;
}

caf::error check(const peers& x) {
  if (x.entries.size() > max_peer_entries)
    return make_error(ec::too_many_entries,
                      std::to_string(x.entries.size()) +
                          " peer entries, at most " +
                          std::to_string(max_peer_entries));
  for (auto& entry : x.entries) {
    if (auto err = validate_name(entry.name))
      return err;
    if (!is_ipv4_literal(entry.host) && !is_ipv6_literal(entry.host))
      return make_error(ec::invalid_address, "peer host is not an IP literal");
    if (auto err = validate_port(entry.port))
      return err;
  }
  return caf::none;
}

} // namespace

void encode_payload(const message& msg, std::vector<char>& out) {
  byte_writer writer{out};
  writer.u8(static_cast<uint8_t>(type_of(msg)));
  std::visit([&](const auto& x) { write_body(writer, x); }, msg);
}

caf::expected<message> decode_payload(const char* data, size_t size) {
  if (size == 0)
    return truncated("message type");
  auto type = static_cast<uint8_t>(data[0]);
  switch (static_cast<message_type>(type)) {
    case message_type::hello:
      return decode_body<hello>(data + 1, size - 1);
    case message_type::chat:
      return decode_body<chat>(data + 1, size - 1);
    case message_type::bye:
      return decode_body<bye>(data + 1, size - 1);
    case message_type::ping:
      return decode_body<ping>(data + 1, size - 1);
    case message_type::pong:
      return decode_body<pong>(data + 1, size - 1);
    case message_type::broadcast:
      return decode_body<broadcast>(data + 1, size - 1);
    case message_type::peers_request:
      return decode_body<peers_request>(data + 1, size - 1);
    case message_type::peers:
      return decode_body<peers>(data + 1, size - 1);
  }
  return make_error(ec::unknown_message_type, std::to_string(type));
}

caf::error validate(const message& msg) {
  return std::visit([](const auto& x) { return check(x); }, msg);
}

message_type type_of(const message& msg) {
  struct visitor {
    message_type operator()(const hello&) const { return message_type::hello; }
    message_type operator()(const chat&) const { return message_type::chat; }
    message_type operator()(const bye&) const { return message_type::bye; }
    message_type operator()(const ping&) const { return message_type::ping; }
    message_type operator()(const pong&) const { return message_type::pong; }
    message_type operator()(const broadcast&) const {
      return message_type::broadcast;
    }
    message_type operator()(const peers_request&) const {
      return message_type::peers_request;
    }
    message_type operator()(const peers&) const { return message_type::peers; }
  };
  return std::visit(visitor{}, msg);
}

} // namespace p2pchat
