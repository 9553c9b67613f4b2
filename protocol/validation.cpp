#include "protocol/validation.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "protocol/errors.hpp"
#include "protocol/messages.hpp"

namespace p2pchat {

namespace {

/// Decodes the code point starting at `pos` and advances `pos` past it.
/// Returns false (leaving `pos` alone) on a malformed sequence: a stray
/// continuation byte, a truncated sequence, an overlong encoding, a surrogate
/// or a value above U+10FFFF.
bool next_code_point(std::string_view str, size_t& pos, char32_t& cp) {
  auto byte = [&](size_t i) {
    return static_cast<uint8_t>(str[i]);
  };
  auto b0 = byte(pos);
  if (b0 < 0x80) {
    cp = b0;
    ++pos;
    return true;
  }
  size_t len;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
    cp = b0 & 0x07;
  } else {
    return false;
  }
  if (str.size() - pos < len)
    return false;
  for (size_t i = 1; i < len; ++i) {
    auto b = byte(pos + i);
    if ((b & 0xC0) != 0x80)
      return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return false;
  pos += len;
  return true;
}

/// Returns the byte offset of the first malformed sequence, or `npos`.
size_t find_invalid_utf8(std::string_view str) {
  size_t pos = 0;
  char32_t cp = 0;
  while (pos < str.size())
    if (!next_code_point(str, pos, cp))
      return pos;
  return std::string_view::npos;
}

/// C0 controls, DEL and C1 controls.
bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/// Unicode's White_Space property (the ASCII ones are also controls).
bool is_whitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string code_point_name(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

caf::error utf8_error(const char* what, size_t offset) {
  return make_error(ec::invalid_utf8, std::string{what} +
                                          " has invalid UTF-8 at byte " +
                                          std::to_string(offset));
}

} // namespace

bool is_valid_utf8(std::string_view str) {
  return find_invalid_utf8(str) == std::string_view::npos;
}

caf::error validate_name(std::string_view name) {
  if (auto bad = find_invalid_utf8(name); bad != std::string_view::npos)
    return utf8_error("name", bad);
  if (name.empty())
    return make_error(ec::invalid_name, "empty name");
  size_t chars = 0;
  size_t pos = 0;
  char32_t cp = 0;
  while (pos < name.size()) {
    next_code_point(name, pos, cp); // Cannot fail: checked above.
    if (++chars > max_name_chars)
      return make_error(ec::invalid_name, "name longer than " +
                                              std::to_string(max_name_chars) +
                                              " characters");
    if (is_whitespace(cp))
      return make_error(ec::invalid_name,
                        "name contains whitespace " + code_point_name(cp));
    if (is_control(cp))
      return make_error(ec::invalid_name, "name contains control character " +
                                              code_point_name(cp));
  }
  return caf::none;
}

caf::error validate_text(std::string_view text, size_t max_bytes) {
  if (text.empty())
    return make_error(ec::invalid_text, "empty text");
  if (text.size() > max_bytes)
    return make_error(ec::invalid_text,
                      "text of " + std::to_string(text.size()) +
                          " bytes exceeds " + std::to_string(max_bytes));
  // One pass, quick over printable ASCII. Invalid UTF-8 anywhere wins over
  // a control character earlier in the text.
  std::optional<char32_t> control;
  size_t pos = 0;
  while (pos < text.size()) {
    auto b = static_cast<uint8_t>(text[pos]);
    if (b >= 0x20 && b < 0x7F) {
      ++pos;
      continue;
    }
    auto at = pos;
    char32_t cp = 0;
    if (!next_code_point(text, pos, cp))
      return utf8_error("text", at);
    if (!control && cp != '\t' && is_control(cp))
      control = cp;
  }
  if (control)
    return make_error(ec::invalid_text, "text contains control character " +
                                            code_point_name(*control));
  return caf::none;
}

caf::error validate_port(uint32_t port) {
  if (port == 0 || port > 65535)
    return make_error(ec::invalid_port,
                      "port " + std::to_string(port) + " not in 1-65535");
  return caf::none;
}

} // namespace p2pchat
