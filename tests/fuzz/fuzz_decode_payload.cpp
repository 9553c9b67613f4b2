// Fuzz target: decode_payload, the decoder of every message type, on one
// frame payload (type byte + body) as frame_reader hands it over.
//
// Properties:
// - a payload that decodes passes `validate`, has the type of its first
//   byte, and `encode_payload` reproduces it byte for byte;
// - a payload that does not decode fails with one of our codes, which
//   `describe` renders (as the connection's log line does).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/property.hpp"
#include "protocol/errors.hpp"
#include "protocol/messages.hpp"

using namespace p2pchat;
using fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  auto data = reinterpret_cast<const char*>(bytes);
  auto msg = decode_payload(data, size);
  if (!msg) {
    require(code_of(msg.error()) != ec::none, "decode error has our code");
    require(!describe(msg.error()).empty(), "decode error can be described");
    return 0;
  }
  require(size > 0, "an empty payload does not decode");
  require(!validate(*msg), "decoded message passes validate");
  require(static_cast<uint8_t>(type_of(*msg)) == bytes[0],
          "decoded message has the type of its first byte");
  std::vector<char> out;
  encode_payload(*msg, out);
  require(out == std::vector<char>(data, data + size),
          "decoded payload re-encodes to the same bytes");
  return 0;
}
