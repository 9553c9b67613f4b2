#include "protocol/node_id.hpp"

namespace p2pchat {

namespace {

std::string hex(const uint8_t* data, size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  result.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    result += digits[data[i] >> 4];
    result += digits[data[i] & 0x0F];
  }
  return result;
}

} // namespace

std::string node_id::to_hex() const {
  return hex(bytes.data(), bytes.size());
}

std::string node_id::short_hex() const {
  return hex(bytes.data(), 8);
}

} // namespace p2pchat
