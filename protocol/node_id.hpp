#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace p2pchat {

/// A node's identity: its Ed25519 public key.
struct node_id {
  static constexpr size_t size = 32;
  std::array<uint8_t, size> bytes{};

  /// Lower-case hex of all 32 bytes.
  std::string to_hex() const;

  /// The first 8 bytes in hex: what users see in menus and logs.
  std::string short_hex() const;

  friend bool operator==(const node_id& x, const node_id& y) {
    return x.bytes == y.bytes;
  }
  friend bool operator!=(const node_id& x, const node_id& y) {
    return !(x == y);
  }
  friend bool operator<(const node_id& x, const node_id& y) {
    return x.bytes < y.bytes;
  }
};

/// Lets CAF print and carry `node_id` in messages.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_id& x) {
  return f(caf::meta::type_name("node_id"), x.bytes);
}

} // namespace p2pchat
