#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "protocol/messages.hpp"

namespace p2pchat {

/// The 4 bytes the side that connects sends first, naming the protocol
/// `version` it speaks. The zero first byte can never start the original
/// app's text format.
constexpr std::array<char, 4> preamble_of(uint8_t version) {
  return {0x00, 'P', 'C', static_cast<char>(version)};
}
/// Version 1: frames in clear (only between nodes that both run with
/// `--insecure-plaintext`). Version 2: a Noise session (protocol/session.hpp).
constexpr std::array<char, 4> preamble_v1 = preamble_of(1);
constexpr std::array<char, 4> preamble_v2 = preamble_of(2);
constexpr size_t preamble_size = preamble_v1.size();

/// Size of the big-endian length prefix of each frame.
constexpr size_t frame_header_size = 4;

/// Default bound on a frame's payload.
constexpr uint32_t default_max_frame_size = 64 * 1024;

/// What the first bytes of an accepted connection say.
enum class preamble_status {
  /// Fewer than 4 bytes so far, all consistent with our preamble.
  incomplete,
  /// Our preamble with the version we speak.
  ok,
  /// The first byte is not zero: the original app's text format.
  legacy_text,
  /// Our preamble with a version byte we do not speak.
  unsupported_version,
  /// Starts with a zero byte but is not our preamble.
  invalid,
};

/// Classifies the first `size` bytes of an accepted connection, for a node
/// that speaks protocol `version`.
preamble_status check_preamble(const char* data, size_t size, uint8_t version);

/// Writes `length` as the big-endian frame header at `out[at]` (the 4 bytes
/// must exist already): for callers that know the payload size only after
/// writing it.
void put_frame_length(std::vector<char>& out, size_t at, size_t length);

/// Appends the frame for `msg` (length prefix + payload) to `out`.
void append_frame(const message& msg, std::vector<char>& out);

/// Cuts frames out of a byte stream that arrives in arbitrary pieces.
/// Feed it whatever a read returned, then call `next` until it yields nothing.
/// Used that way it holds at most one partial frame (less than the header plus
/// `max_frame_size` bytes): an oversized length is rejected from the header
/// alone, before its body arrives.
class frame_reader {
public:
  /// One step's result: an error, no complete frame yet, or a payload.
  struct result {
    /// Set when the stream is broken; the reader stays broken afterwards.
    caf::error error;
    /// The payload of the next complete frame; valid until the next call to
    /// `append` or `next`. Empty (nullptr) if no complete frame is buffered.
    const char* data = nullptr;
    size_t size = 0;
  };

  explicit frame_reader(uint32_t max_frame_size = default_max_frame_size);

  /// Buffers `size` more bytes of the stream; does nothing once broken.
  void append(const char* data, size_t size);

  /// Returns the next complete frame, nothing, or an error
  /// (`ec::frame_too_large`, `ec::empty_frame`).
  result next();

  /// Bytes buffered that do not yet form a complete frame.
  size_t buffered() const noexcept { return buf_.size() - pos_; }

private:
  /// Frees the buffer once everything in it was consumed.
  void release_if_drained();

  uint32_t max_frame_size_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  caf::error broken_;
};

} // namespace p2pchat
