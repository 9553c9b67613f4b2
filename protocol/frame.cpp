#include "protocol/frame.hpp"

#include <algorithm>
#include <string>

#include "protocol/byte_io.hpp"
#include "protocol/errors.hpp"

namespace p2pchat {

preamble_status check_preamble(const char* data, size_t size, uint8_t version) {
  if (size == 0)
    return preamble_status::incomplete;
  if (data[0] != 0)
    return preamble_status::legacy_text;
  // Everything but the last byte (the version) must match exactly.
  auto n = std::min(size, preamble_size - 1);
  if (!std::equal(data, data + n, preamble_v1.begin()))
    return preamble_status::invalid;
  if (size < preamble_size)
    return preamble_status::incomplete;
  return static_cast<uint8_t>(data[preamble_size - 1]) == version
             ? preamble_status::ok
             : preamble_status::unsupported_version;
}

void put_frame_length(std::vector<char>& out, size_t at, size_t length) {
  auto len = static_cast<uint32_t>(length);
  for (size_t i = 0; i < frame_header_size; ++i)
    out[at + i] = static_cast<char>(len >> (8 * (frame_header_size - 1 - i)));
}

void append_frame(const message& msg, std::vector<char>& out) {
  auto start = out.size();
  out.resize(start + frame_header_size);
  encode_payload(msg, out);
  // Patch the length in place: the payload's size is known only now.
  put_frame_length(out, start, out.size() - start - frame_header_size);
}

frame_reader::frame_reader(uint32_t max_frame_size)
    : max_frame_size_(max_frame_size) {
  // Nothing else: the buffer grows on the first append.
}

void frame_reader::append(const char* data, size_t size) {
  if (broken_)
    return;
  // Drop what `next` consumed. Each byte moves at most once: after the move
  // the unread rest starts at 0 and stays there until consumed.
  if (pos_ > 0) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), data, data + size);
}

frame_reader::result frame_reader::next() {
  result res;
  if (broken_) {
    res.error = broken_;
    return res;
  }
  if (buffered() < frame_header_size) {
    release_if_drained();
    return res;
  }
  uint32_t len = 0;
  detail::byte_reader{buf_.data() + pos_, frame_header_size}.u32(len);
  if (len == 0 || len > max_frame_size_) {
    broken_ = len == 0 ? make_error(ec::empty_frame)
                       : make_error(ec::frame_too_large,
                                    "length " + std::to_string(len) + " > " +
                                        std::to_string(max_frame_size_));
    // The stream cannot be resynchronized: keep nothing of it.
    std::vector<char>{}.swap(buf_);
    pos_ = 0;
    res.error = broken_;
    return res;
  }
  if (buffered() - frame_header_size < len)
    return res;
  res.data = buf_.data() + pos_ + frame_header_size;
  res.size = len;
  pos_ += frame_header_size + len;
  return res;
}

void frame_reader::release_if_drained() {
  // A burst or one large frame may have grown the buffer; give that memory
  // back once it holds nothing, so that thousands of idle connections stay
  // small. Small buffers stay: a busy peer's reads reuse them.
  constexpr size_t keep_capacity = 4096;
  if (buffered() == 0 && buf_.capacity() > keep_capacity) {
    std::vector<char>{}.swap(buf_);
    pos_ = 0;
  }
}

} // namespace p2pchat
