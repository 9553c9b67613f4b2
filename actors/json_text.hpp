#pragma once

#include <string>
#include <string_view>

namespace p2pchat {

/// Appends `text` to `out` as a JSON string literal, quotes included, the
/// way nlohmann::json's dump() writes it (UTF-8 kept as is, control
/// characters escaped). `text` must be valid UTF-8, as every text that
/// reaches the console is. The console writes its most frequent event, a
/// chat, with it instead of building a JSON object per message.
void append_json_string(std::string& out, std::string_view text);

} // namespace p2pchat
