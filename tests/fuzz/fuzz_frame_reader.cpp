// Fuzz target: the stream side of a connection (frame_reader, decode_payload,
// check_preamble), fed as the connection actor feeds them.
//
// Input: byte 0 holds the number N of chunk sizes that follow (low 4 bits)
// and, in bit 7, whether the reader gets a small frame bound (40 bytes, so
// that accepted and rejected lengths both occur) instead of the default. The
// next N bytes are chunk sizes, used in turn (0 is an empty append); all the
// rest is the byte stream.
//
// Properties:
// - read in one append, the reader cuts the stream exactly where the length
//   prefixes say, returning the bytes that follow each prefix;
// - read in those chunks, it yields the same frames, the same error (if any)
//   and the same leftover bytes;
// - every frame is 1 to max bytes; when `next` says "nothing yet", the
//   reader holds exactly the bytes after the last frame, and they are not a
//   whole frame;
// - once broken, the reader stays broken and holds nothing;
// - every payload that decodes passes `validate` and re-encodes with
//   `append_frame` to exactly the frame bytes it came from;
// - check_preamble decides the same for every prefix once it decides.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/property.hpp"
#include "protocol/errors.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

using namespace p2pchat;
using fuzz::require;

namespace {

/// Between the bye and chat seeds' payloads and the hello seed's.
constexpr uint32_t small_max_frame_size = 40;

/// What reading the stream in one append produced. A frame is identified by
/// its size: frames are contiguous, so each one's offset follows.
struct outcome {
  std::vector<uint32_t> sizes;
  ec error = ec::none;
};

/// The big-endian length prefix at `data`.
uint32_t length_at(const char* data) {
  uint32_t len = 0;
  for (size_t i = 0; i < frame_header_size; ++i)
    len = (len << 8) | static_cast<uint8_t>(data[i]);
  return len;
}

/// Decodes a payload as the connection actor does and checks the round trip
/// against `frame`, the header and payload as they came in the stream.
void check_payload(const char* frame, size_t size) {
  auto msg = decode_payload(frame + frame_header_size, size);
  if (!msg) {
    require(code_of(msg.error()) != ec::none, "decode error has our code");
    return;
  }
  require(!validate(*msg), "decoded message passes validate");
  // Reused: a fresh buffer per frame would make allocation the main cost.
  static std::vector<char> out;
  out.clear();
  append_frame(*msg, out);
  require(out.size() == frame_header_size + size &&
              std::memcmp(out.data(), frame, out.size()) == 0,
          "decoded payload re-encodes to the same frame bytes");
}

/// Checks the reader's state when `next` said "nothing yet": it buffers
/// exactly the bytes after the last frame, and they do not hold a whole one
/// (else a frame that arrived would wait for more bytes).
void check_idle(const frame_reader& reader, uint32_t max, const char* stream,
                size_t appended, size_t offset) {
  auto rest = appended - offset;
  require(reader.buffered() == rest,
          "reader buffers exactly the bytes after the last frame");
  require(rest < frame_header_size ||
              frame_header_size + length_at(stream + offset) > rest,
          "reader returns every frame as soon as it is complete");
  require(rest < frame_header_size + max,
          "reader holds less than one whole frame when it has none");
}

/// Checks an error from `next`; returns its code.
ec check_error(const frame_reader& reader, const frame_reader::result& res) {
  auto code = code_of(res.error);
  require(code == ec::frame_too_large || code == ec::empty_frame,
          "reader fails only with frame_too_large or empty_frame");
  require(res.data == nullptr, "an error carries no frame");
  require(reader.buffered() == 0, "broken reader holds nothing");
  return code;
}

/// Reads the whole stream in one append and checks each frame's bytes.
outcome read_whole(const char* stream, size_t size, uint32_t max) {
  outcome result;
  frame_reader reader{max};
  reader.append(stream, size);
  size_t offset = 0;
  for (;;) {
    auto res = reader.next();
    if (res.error) {
      result.error = check_error(reader, res);
      require(size - offset >= frame_header_size,
              "reader fails only on a whole length prefix");
      auto len = length_at(stream + offset);
      require(len == 0 ? result.error == ec::empty_frame
                       : len > max && result.error == ec::frame_too_large,
              "reader fails exactly on a zero or too large length");
      require(code_of(reader.next().error) == result.error,
              "broken reader stays broken");
      return result;
    }
    if (res.data == nullptr) {
      check_idle(reader, max, stream, size, offset);
      return result;
    }
    require(res.size > 0 && res.size <= max, "frame size in 1-max");
    require(size - offset >= frame_header_size + res.size &&
                length_at(stream + offset) == res.size &&
                std::memcmp(res.data, stream + offset + frame_header_size,
                            res.size) == 0,
            "frame is the bytes its length prefix announces");
    check_payload(stream + offset, res.size);
    result.sizes.push_back(static_cast<uint32_t>(res.size));
    offset += frame_header_size + res.size;
  }
}

/// Calls `next` until it yields nothing, as `process_frames` does, and
/// compares each frame with the one-append reading's frame of that index.
/// `appended` bytes of the stream went into the reader so far.
void drain(frame_reader& reader, uint32_t max, const char* stream,
           size_t appended, const outcome& whole, size_t& index, size_t& offset,
           ec& error) {
  if (error != ec::none) {
    require(code_of(reader.next().error) == error,
            "broken reader stays broken");
    require(reader.buffered() == 0, "broken reader holds nothing");
    return;
  }
  for (;;) {
    auto res = reader.next();
    if (res.error) {
      error = check_error(reader, res);
      return;
    }
    if (res.data == nullptr) {
      check_idle(reader, max, stream, appended, offset);
      return;
    }
    require(index < whole.sizes.size() && res.size == whole.sizes[index] &&
                std::memcmp(res.data, stream + offset + frame_header_size,
                            res.size) == 0,
            "chunked reading yields the frames of one append");
    offset += frame_header_size + res.size;
    ++index;
  }
}

/// The status of the preamble check must not change once decided.
void check_preamble_prefixes(const char* data, size_t size) {
  auto n = std::min(size, preamble_size + 2);
  auto full = check_preamble(data, n, protocol_version);
  for (size_t i = 0; i <= n; ++i) {
    auto status = check_preamble(data, i, protocol_version);
    if (status == preamble_status::incomplete) {
      require(i < preamble_size, "preamble incomplete only below 4 bytes");
      continue;
    }
    require(status == full, "preamble status stable once decided");
  }
  if (n >= preamble_size)
    require((full == preamble_status::ok) ==
                std::equal(data, data + preamble_size, preamble_v2.begin()),
            "preamble ok exactly for the v2 preamble");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0)
    return 0;
  auto data = reinterpret_cast<const char*>(bytes);
  size_t plan_size = std::min<size_t>(bytes[0] & 0x0F, size - 1);
  uint32_t max =
      (bytes[0] & 0x80) != 0 ? small_max_frame_size : default_max_frame_size;
  const uint8_t* plan = bytes + 1;
  const char* stream = data + 1 + plan_size;
  size_t stream_size = size - 1 - plan_size;

  check_preamble_prefixes(stream, stream_size);
  auto whole = read_whole(stream, stream_size, max);

  frame_reader pieces{max};
  size_t index = 0;
  size_t offset = 0;
  ec error = ec::none;
  size_t pos = 0;
  size_t empty_in_a_row = 0;
  for (size_t i = 0; pos < stream_size; ++i) {
    size_t chunk = plan_size == 0 ? stream_size : plan[i % plan_size];
    // A plan of zeros alone would never finish.
    if (chunk == 0 && ++empty_in_a_row > plan_size)
      chunk = stream_size;
    if (chunk > 0)
      empty_in_a_row = 0;
    chunk = std::min(chunk, stream_size - pos);
    pieces.append(stream + pos, chunk);
    pos += chunk;
    drain(pieces, max, stream, pos, whole, index, offset, error);
  }
  drain(pieces, max, stream, pos, whole, index, offset, error);

  require(index == whole.sizes.size(),
          "chunked reading yields as many frames as one append");
  require(error == whole.error,
          "chunked reading yields the error of one append");
  return 0;
}
