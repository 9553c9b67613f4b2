#pragma once

#include <string_view>

#include <caf/error.hpp>

namespace p2pchat {

/// True if `str` is well-formed UTF-8 (no overlongs, no surrogates, at most
/// U+10FFFF).
bool is_valid_utf8(std::string_view str);

/// A node name: 1-32 characters of valid UTF-8, no whitespace, no control
/// characters. Returns `ec::invalid_utf8` or `ec::invalid_name` on failure.
caf::error validate_name(std::string_view name);

/// A chat text: 1 to `max_bytes` bytes of valid UTF-8 without control
/// characters (tab is allowed), so that printing it cannot move the cursor or
/// inject terminal escapes. Returns `ec::invalid_utf8` or `ec::invalid_text`.
caf::error validate_text(std::string_view text, size_t max_bytes);

/// A listening port on the wire: 1-65535. Returns `ec::invalid_port`.
caf::error validate_port(uint32_t port);

} // namespace p2pchat
