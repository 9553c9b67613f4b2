#pragma once

// Shared by the fuzz targets: how a violated property is reported.

#include <cstdio>

namespace p2pchat::fuzz {

/// Stops the run if `holds` is false. A trap (not an exception, not assert,
/// which NDEBUG would remove) makes libFuzzer save the input and print the
/// stack; the property's name says which check failed.
inline void require(bool holds, const char* property) {
  if (holds)
    return;
  std::fprintf(stderr, "property violated: %s\n", property);
  __builtin_trap();
}

} // namespace p2pchat::fuzz
