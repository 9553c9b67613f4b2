#include "protocol/byte_io.hpp"

#include <algorithm>
#include <limits>

namespace p2pchat::detail {

namespace {

template <class T>
void put_be(std::vector<char>& out, T x) {
  for (size_t i = sizeof(T); i > 0; --i)
    out.push_back(static_cast<char>((x >> (8 * (i - 1))) & 0xFF));
}

template <class T>
T get_be(const char* data) {
  T x = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    x = static_cast<T>((x << 8) | static_cast<uint8_t>(data[i]));
  return x;
}

template <class Length>
std::string_view fit(std::string_view x) {
  return x.substr(
      0, std::min<size_t>(x.size(), std::numeric_limits<Length>::max()));
}

} // namespace

void byte_writer::u8(uint8_t x) {
  out_.push_back(static_cast<char>(x));
}

void byte_writer::u16(uint16_t x) {
  put_be(out_, x);
}

void byte_writer::u32(uint32_t x) {
  put_be(out_, x);
}

void byte_writer::u64(uint64_t x) {
  put_be(out_, x);
}

void byte_writer::i64(int64_t x) {
  // Two's complement on the wire, whatever the host does.
  u64(static_cast<uint64_t>(x));
}

void byte_writer::bytes(const uint8_t* data, size_t size) {
  out_.insert(out_.end(), reinterpret_cast<const char*>(data),
              reinterpret_cast<const char*>(data) + size);
}

void byte_writer::str_u8(std::string_view x) {
  auto s = fit<uint8_t>(x);
  u8(static_cast<uint8_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

void byte_writer::str_u16(std::string_view x) {
  auto s = fit<uint16_t>(x);
  u16(static_cast<uint16_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

void byte_writer::str_u32(std::string_view x) {
  auto s = fit<uint32_t>(x);
  u32(static_cast<uint32_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}

bool byte_reader::u8(uint8_t& x) {
  if (remaining() < 1)
    return false;
  x = static_cast<uint8_t>(data_[pos_++]);
  return true;
}

bool byte_reader::u16(uint16_t& x) {
  if (remaining() < 2)
    return false;
  x = get_be<uint16_t>(data_ + pos_);
  pos_ += 2;
  return true;
}

bool byte_reader::u32(uint32_t& x) {
  if (remaining() < 4)
    return false;
  x = get_be<uint32_t>(data_ + pos_);
  pos_ += 4;
  return true;
}

bool byte_reader::u64(uint64_t& x) {
  if (remaining() < 8)
    return false;
  x = get_be<uint64_t>(data_ + pos_);
  pos_ += 8;
  return true;
}

bool byte_reader::i64(int64_t& x) {
  uint64_t tmp = 0;
  if (!u64(tmp))
    return false;
  // Well-defined since C++20 and on every compiler we target before that.
  x = static_cast<int64_t>(tmp);
  return true;
}

bool byte_reader::bytes(uint8_t* out, size_t size) {
  if (remaining() < size)
    return false;
  std::copy(data_ + pos_, data_ + pos_ + size, reinterpret_cast<char*>(out));
  pos_ += size;
  return true;
}

bool byte_reader::str(size_t len, std::string& x) {
  if (remaining() < len)
    return false;
  x.assign(data_ + pos_, len);
  pos_ += len;
  return true;
}

bool byte_reader::str_u8(std::string& x) {
  uint8_t len = 0;
  auto start = pos_;
  if (u8(len) && str(len, x))
    return true;
  pos_ = start;
  return false;
}

bool byte_reader::str_u16(std::string& x) {
  uint16_t len = 0;
  auto start = pos_;
  if (u16(len) && str(len, x))
    return true;
  pos_ = start;
  return false;
}

bool byte_reader::str_u32(std::string& x) {
  uint32_t len = 0;
  auto start = pos_;
  if (u32(len) && str(len, x))
    return true;
  pos_ = start;
  return false;
}

} // namespace p2pchat::detail
