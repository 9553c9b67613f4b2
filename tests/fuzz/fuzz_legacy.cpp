// Fuzz target: parse_legacy, on everything one connection of the original
// app carried, as the connection actor hands it over when the sender closes.
//
// Properties:
// - an accepted text formats again (format_legacy succeeds), at most 1024
//   bytes, and that text parses back to the same sender, name and text;
// - a rejected text fails with one of our codes, and its description (a log
//   line) carries no control characters, whatever bytes came in.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/property.hpp"
#include "protocol/errors.hpp"
#include "protocol/legacy.hpp"

using namespace p2pchat;
using fuzz::require;

namespace {

bool has_control_bytes(std::string_view str) {
  for (char c : str) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F)
      return true;
  }
  return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view input{reinterpret_cast<const char*>(bytes), size};
  auto msg = parse_legacy(input);
  if (!msg) {
    require(code_of(msg.error()) != ec::none, "parse error has our code");
    require(!has_control_bytes(describe(msg.error())),
            "parse error description has no control characters");
    return 0;
  }
  auto text = format_legacy(*msg);
  require(static_cast<bool>(text), "accepted message formats again");
  require(text->size() <= max_legacy_bytes, "formatted message fits");
  auto back = parse_legacy(*text);
  require(static_cast<bool>(back), "formatted message parses again");
  require(back->sender == msg->sender, "sender survives the round trip");
  require(back->name == msg->name, "name survives the round trip");
  require(back->text == msg->text, "text survives the round trip");
  return 0;
}
