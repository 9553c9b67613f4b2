#include "actors/menu.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "protocol/address.hpp"
#include "protocol/errors.hpp"
#include "protocol/signing.hpp"
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

/// What menu 2 says about a peer's key: legacy peers have none.
std::string status_of(const peer_view& peer) {
  return peer.legacy ? "legacy, unencrypted" : to_string(peer.trust);
}

std::string peer_line(size_t index, const peer_view& peer) {
  return std::to_string(index) + ". " + display_name(peer) + " - " +
         (peer.connected ? "Connected" : "Not connected") + " (" +
         status_of(peer) + ")";
}

/// y/yes or n/no in any case; anything else is neither.
std::optional<bool> parse_yes_no(std::string_view line) {
  std::string lower(trim(line));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "y" || lower == "yes")
    return true;
  if (lower == "n" || lower == "no")
    return false;
  return std::nullopt;
}

} // namespace

menu::menu(node_id self, bool show_menu) : self_(self), show_menu_(show_menu) {
  // nop
}

menu::step menu::start() {
  return back_to_menu({});
}

menu::step menu::back_to_menu(std::vector<std::string> lines) {
  auto content = lines.size();
  if (show_menu_) {
    lines.emplace_back("");
    lines.emplace_back("***** Menu *****");
    lines.emplace_back("1. Send message");
    lines.emplace_back("2. Query active peers");
    lines.emplace_back("3. Connect to active peers");
    lines.emplace_back("4. Broadcast message");
    lines.emplace_back("5. Verify a peer's key");
    lines.emplace_back("0. Quit");
  }
  state_ = state::choice;
  prompt_ = choice_prompt;
  auto menu_lines = lines.size() - content;
  if (!legacy_questions_.empty()) {
    // The question goes before the menu: the menu stays the last lines.
    std::vector<std::string> question;
    open_legacy_question(question);
    lines.insert(lines.begin() + static_cast<ptrdiff_t>(content),
                 question.begin(), question.end());
  }
  return step{std::move(lines), {}, menu_lines};
}

void menu::open_legacy_question(std::vector<std::string>& lines) {
  auto& peer = legacy_questions_.front();
  lines.push_back(display_name(peer) +
                  " (legacy, unencrypted) runs the original app: messages "
                  "to it travel as plain text that anyone on the way can "
                  "read or change.");
  state_ = state::legacy_confirm;
  prompt_ = "Send unencrypted to " + display_name(peer) + "? (y/n): ";
}

template <class Yes, class No>
menu::step menu::yes_no(std::string_view line, Yes on_yes, No on_no) {
  auto answer = parse_yes_no(line);
  if (!answer)
    return step{{"Please answer y or n."}, {}};
  return *answer ? on_yes() : on_no();
}

menu::step menu::ask_legacy(const peer_view& peer) {
  legacy_questions_.push_back(peer);
  if (state_ != state::choice || legacy_questions_.size() > 1)
    return step{};
  step result;
  open_legacy_question(result.lines);
  return result;
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

menu::step menu::ask(state next, const char* prompt) {
  state_ = next;
  // Keeps the prompt's buffer: typing a message costs no allocation here.
  prompt_.assign(prompt);
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
      if (choice == "5") {
        state_ = state::awaiting_verify_list;
        prompt_.clear();
        return step{{}, verify_list_request{}};
      }
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
    case state::verify_index: {
      auto index = parse_index(trim(line));
      if (!index || *index > verify_candidates_.size())
        return invalid("no such peer");
      if (*index == 0)
        return back_to_menu({});
      verifying_ = verify_candidates_[*index - 1];
      auto& peer = verifying_;
      std::vector<std::string> lines{
          "Fingerprint of " + peer.name + ": " + fingerprint(peer.id),
          "Safety number with " + peer.name + ": " +
              safety_number(self_, peer.id),
          "Compare it with " + peer.name +
              " over another channel (in person, on the phone): both of "
              "you must see the same number."};
      if (peer.trust == trust_status::key_changed)
        lines.push_back("WARNING: " + display_name(peer) +
                        " presents a different key than before; verifying "
                        "it replaces the old one.");
      state_ = state::verify_confirm;
      prompt_ = "Mark " + display_name(peer) + " as verified? (y/n): ";
      return step{std::move(lines), {}};
    }
    case state::verify_confirm:
      return yes_no(
          line,
          [this] {
            return back_to_menu_with(
                verify_request{verifying_.name, verifying_.id});
          },
          [this] { return back_to_menu({"Not verified."}); });
    case state::legacy_confirm: {
      auto to = legacy_questions_.front().listen;
      return yes_no(
          line,
          [this, &to] {
            legacy_questions_.pop_front();
            return back_to_menu_with(legacy_answer{to, true});
          },
          [this, &to] {
            legacy_questions_.pop_front();
            return back_to_menu_with(legacy_answer{to, false});
          });
    }
    case state::awaiting_peers:
    case state::awaiting_candidates:
    case state::awaiting_verify_list:
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

menu::step menu::show_verify_candidates(const std::vector<peer_view>& peers) {
  verify_candidates_.clear();
  std::vector<std::string> lines{"Your fingerprint: " + fingerprint(self_)};
  for (auto& peer : peers) {
    // The original app has no key to compare.
    if (peer.legacy)
      continue;
    verify_candidates_.push_back(peer);
    lines.push_back(peer_line(verify_candidates_.size(), peer));
  }
  if (verify_candidates_.empty()) {
    lines.emplace_back("No peers to verify.");
    return back_to_menu(std::move(lines));
  }
  state_ = state::verify_index;
  prompt_ = "Enter the number of the peer to verify (0 to go back): ";
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
