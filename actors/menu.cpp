#include "actors/menu.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "protocol/address.hpp"
#include "protocol/errors.hpp"
#include "protocol/validation.hpp"

namespace p2pchat {

namespace {

constexpr const char* choice_prompt = "Enter choice: ";

std::string_view trim(std::string_view x) {
  auto is_space = [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
  };
  while (!x.empty() && is_space(x.front()))
    x.remove_prefix(1);
  while (!x.empty() && is_space(x.back()))
    x.remove_suffix(1);
  return x;
}

bool is_exit(std::string_view text) {
  // Checked for every typed message: no copy unless it could be "exit".
  if (text.size() != 4)
    return false;
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return lower == "exit";
}

/// Parses a non-negative decimal index; nothing else is accepted.
std::optional<size_t> parse_index(std::string_view text) {
  size_t result = 0;
  auto end = text.data() + text.size();
  auto [ptr, err] = std::from_chars(text.data(), end, result);
  if (text.empty() || err != std::errc{} || ptr != end)
    return std::nullopt;
  return result;
}

std::string peer_line(size_t index, const peer_view& peer) {
  return std::to_string(index) + ". " + display_name(peer) + " - " +
         (peer.connected ? "Connected" : "Not connected") +
         (peer.legacy ? " (legacy)" : "");
}

} // namespace

menu::step menu::start() {
  return back_to_menu({});
}

menu::step menu::back_to_menu(std::vector<std::string> lines) {
  auto content = lines.size();
  lines.emplace_back("");
  lines.emplace_back("***** Menu *****");
  lines.emplace_back("1. Send message");
  lines.emplace_back("2. Query active peers");
  lines.emplace_back("3. Connect to active peers");
  lines.emplace_back("4. Broadcast message");
  lines.emplace_back("0. Quit");
  state_ = state::choice;
  prompt_ = choice_prompt;
  auto menu_lines = lines.size() - content;
  return step{std::move(lines), {}, menu_lines};
}

menu::step menu::back_to_menu_with(request req) {
  auto result = back_to_menu({});
  result.req = std::move(req);
  return result;
}

menu::step menu::invalid(std::string_view why) {
  std::string line = "Invalid input";
  if (!why.empty()) {
    line += ": ";
    line += why;
  }
  return back_to_menu({std::move(line)});
}

menu::step menu::ask(state next, std::string prompt) {
  state_ = next;
  prompt_ = std::move(prompt);
  return step{};
}

menu::step menu::feed(std::string_view line) {
  switch (state_) {
    case state::choice: {
      auto choice = trim(line);
      if (choice == "1")
        return ask(state::host, "Enter the recipient's IP address: ");
      if (choice == "2") {
        state_ = state::awaiting_peers;
        prompt_.clear();
        return step{{}, list_request{}};
      }
      if (choice == "3") {
        state_ = state::awaiting_candidates;
        prompt_.clear();
        return step{{}, candidates_request{}};
      }
      if (choice == "4")
        return ask(state::broadcast_text, "Enter your broadcast message: ");
      if (choice == "0") {
        state_ = state::finished;
        prompt_.clear();
        return step{{}, quit_request{}};
      }
      return invalid("");
    }
    case state::host: {
      auto host = trim(line);
      if (host.empty() || host.find_first_of(" \t") != std::string_view::npos)
        return invalid("not an IP address or host name");
      host_ = std::string{host};
      return ask(state::port, "Enter the recipient's port number: ");
    }
    case state::port: {
      auto port = parse_port(trim(line), false);
      if (!port)
        return invalid("not a port (1-65535)");
      port_ = *port;
      return ask(state::text, "Enter your message: ");
    }
    case state::text: {
      peer_address to{host_, port_};
      if (is_exit(line))
        return back_to_menu_with(disconnect_request{std::move(to)});
      if (auto err = validate_text(line, max_text_bytes))
        return invalid(describe(err));
      return back_to_menu_with(send_request{std::move(to), std::string{line}});
    }
    case state::broadcast_text: {
      if (auto err = validate_text(line, max_text_bytes))
        return invalid(describe(err));
      return back_to_menu_with(broadcast_request{std::string{line}});
    }
    case state::connect_index: {
      auto text = trim(line);
      auto index = parse_index(text);
      if (!index || *index > candidates_.size())
        return invalid("no such peer");
      std::vector<peer_address> chosen;
      if (*index == 0)
        chosen = candidates_;
      else
        chosen.push_back(candidates_[*index - 1]);
      return back_to_menu_with(connect_request{std::move(chosen)});
    }
    case state::awaiting_peers:
    case state::awaiting_candidates:
    case state::finished:
      // The console holds input back in these states; ignoring is safe.
      return step{};
  }
  return step{};
}

menu::step menu::show_peers(const std::vector<peer_view>& peers) {
  std::vector<std::string> lines;
  if (peers.empty())
    lines.emplace_back("No active peers.");
  for (size_t i = 0; i < peers.size(); ++i)
    lines.push_back(peer_line(i + 1, peers[i]));
  return back_to_menu(std::move(lines));
}

menu::step menu::show_candidates(const std::vector<peer_view>& peers) {
  candidates_.clear();
  std::vector<std::string> lines;
  for (auto& peer : peers) {
    if (peer.connected)
      continue;
    candidates_.push_back(peer.listen);
    lines.push_back(peer_line(candidates_.size(), peer));
  }
  if (candidates_.empty())
    return back_to_menu({"No peers to connect to."});
  state_ = state::connect_index;
  prompt_ = "Enter the number of the peer to connect to (0 for all): ";
  return step{std::move(lines), {}};
}

menu::step menu::end_of_input() {
  if (state_ == state::finished)
    return step{};
  state_ = state::finished;
  prompt_.clear();
  return step{{}, quit_request{}};
}

} // namespace p2pchat
