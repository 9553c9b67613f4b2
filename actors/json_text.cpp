#include "actors/json_text.hpp"

namespace p2pchat {

namespace {

/// The escape sequence for `c`, or nullptr if `c` stands for itself.
const char* escape_of(unsigned char c, char (&buf)[7]) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      if (c >= 0x20)
        return nullptr;
      buf[0] = '\\';
      buf[1] = 'u';
      buf[2] = '0';
      buf[3] = '0';
      buf[4] = hex[c >> 4];
      buf[5] = hex[c & 0xF];
      buf[6] = '\0';
      return buf;
  }
}

} // namespace

void append_json_string(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  // Copies runs of plain characters at once: chat texts rarely need escapes.
  size_t run = 0;
  char buf[7];
  for (size_t i = 0; i < text.size(); ++i) {
    auto escape = escape_of(static_cast<unsigned char>(text[i]), buf);
    if (escape == nullptr)
      continue;
    out.append(text, run, i - run);
    out += escape;
    run = i + 1;
  }
  out.append(text, run, text.size() - run);
  out += '"';
}

} // namespace p2pchat
