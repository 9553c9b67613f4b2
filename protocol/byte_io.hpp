#pragma once

// Internal to protocol/: the fixed-width big-endian primitives that
// messages.cpp builds the wire layout from. Not part of the public contract.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace p2pchat::detail {

/// Appends big-endian integers and length-prefixed strings to a buffer.
class byte_writer {
public:
  explicit byte_writer(std::vector<char>& out) : out_(out) {}

  void u8(uint8_t x);
  void u16(uint16_t x);
  void u32(uint32_t x);
  void u64(uint64_t x);
  void i64(int64_t x);
  void bytes(const uint8_t* data, size_t size);

  /// Write a 1-, 2- or 4-byte length prefix, then the string. A string longer
  /// than the prefix can express is cut to fit, so that the prefix always
  /// matches the bytes that follow (callers validate beforehand).
  void str_u8(std::string_view x);
  void str_u16(std::string_view x);
  void str_u32(std::string_view x);

private:
  std::vector<char>& out_;
};

/// Reads big-endian integers and length-prefixed strings from a bounded
/// range. Every read fails (returns false, leaves the output alone) instead
/// of reading past the end.
class byte_reader {
public:
  byte_reader(const char* data, size_t size) : data_(data), size_(size) {}

  bool u8(uint8_t& x);
  bool u16(uint16_t& x);
  bool u32(uint32_t& x);
  bool u64(uint64_t& x);
  bool i64(int64_t& x);
  bool bytes(uint8_t* out, size_t size);

  template <size_t N>
  bool bytes(std::array<uint8_t, N>& out) {
    return bytes(out.data(), N);
  }

  bool str_u8(std::string& x);
  bool str_u16(std::string& x);
  bool str_u32(std::string& x);

  /// Bytes not read yet.
  size_t remaining() const noexcept { return size_ - pos_; }

private:
  bool str(size_t len, std::string& x);

  const char* data_;
  size_t size_;
  size_t pos_ = 0;
};

} // namespace p2pchat::detail
