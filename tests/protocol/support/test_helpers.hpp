#pragma once

// Shared by the protocol test suites: byte literals, readable failure output
// and field-wise comparison of messages (the structs have no operator==).

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "protocol/errors.hpp"
#include "protocol/messages.hpp"

namespace p2pchat {

/// Lets Boost.Test print an `ec` when a check fails.
inline std::ostream& operator<<(std::ostream& out, ec x) {
  return out << to_string(x);
}

} // namespace p2pchat

namespace p2pchat::test {

/// `x` repeated `n` times.
inline std::string repeat(std::string_view x, size_t n) {
  std::string result;
  for (size_t i = 0; i < n; ++i)
    result += x;
  return result;
}

/// Builds a byte buffer from values 0-255.
inline std::vector<char> bytes(std::initializer_list<int> xs) {
  std::vector<char> result;
  for (auto x : xs)
    result.push_back(static_cast<char>(static_cast<uint8_t>(x)));
  return result;
}

/// Appends the raw bytes of `str`.
inline void append(std::vector<char>& out, std::string_view str) {
  out.insert(out.end(), str.begin(), str.end());
}

/// Appends `x` big-endian in `n` bytes, written out by hand so that tests do
/// not depend on the codec under test.
inline void append_be(std::vector<char>& out, uint64_t x, size_t n) {
  for (size_t i = n; i > 0; --i)
    out.push_back(static_cast<char>((x >> (8 * (i - 1))) & 0xFF));
}

/// Space-separated lower-case hex, for readable comparisons of byte buffers.
inline std::string hex(const char* data, size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  for (size_t i = 0; i < size; ++i) {
    auto b = static_cast<uint8_t>(data[i]);
    if (i > 0)
      result += ' ';
    result += digits[b >> 4];
    result += digits[b & 0x0F];
  }
  return result;
}

inline std::string hex(const std::vector<char>& xs) {
  return hex(xs.data(), xs.size());
}

/// The error code of a failed result, or `ec::none` on success.
template <class T>
ec code_of(const caf::expected<T>& x) {
  return x ? ec::none : p2pchat::code_of(x.error());
}

inline bool equal(const hello& x, const hello& y) {
  return x.version == y.version && x.id == y.id && x.name == y.name &&
         x.listen_port == y.listen_port && x.features == y.features;
}

inline bool equal(const chat& x, const chat& y) {
  return x.id == y.id && x.sent_at_ms == y.sent_at_ms && x.text == y.text;
}

inline bool equal(const bye& x, const bye& y) {
  return x.code == y.code && x.reason == y.reason;
}

inline bool equal(const ping& x, const ping& y) {
  return x.nonce == y.nonce;
}

inline bool equal(const pong& x, const pong& y) {
  return x.nonce == y.nonce;
}

inline bool equal(const broadcast& x, const broadcast& y) {
  return x.id == y.id && x.origin == y.origin &&
         x.origin_name == y.origin_name && x.origin_host == y.origin_host &&
         x.origin_port == y.origin_port && x.sent_at_ms == y.sent_at_ms &&
         x.hops_left == y.hops_left && x.text == y.text;
}

inline bool equal(const peers_request& x, const peers_request& y) {
  return x.max_entries == y.max_entries;
}

inline bool equal(const peer_entry& x, const peer_entry& y) {
  return x.id == y.id && x.name == y.name && x.host == y.host &&
         x.port == y.port && x.last_seen_ms == y.last_seen_ms;
}

inline bool equal(const peers& x, const peers& y) {
  if (x.entries.size() != y.entries.size())
    return false;
  for (size_t i = 0; i < x.entries.size(); ++i)
    if (!equal(x.entries[i], y.entries[i]))
      return false;
  return true;
}

inline bool equal(const message& x, const message& y) {
  if (x.index() != y.index())
    return false;
  return std::visit(
      [&](const auto& lhs) {
        return equal(lhs, std::get<std::decay_t<decltype(lhs)>>(y));
      },
      x);
}

/// A node id whose bytes count up from `first`.
inline node_id counting_id(uint8_t first) {
  node_id result;
  for (size_t i = 0; i < node_id::size; ++i)
    result.bytes[i] = static_cast<uint8_t>(first + i);
  return result;
}

} // namespace p2pchat::test
