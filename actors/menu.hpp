#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/types.hpp"

namespace p2pchat {

/// The console menu as a state machine: typed lines in, lines to print and
/// requests for the registry out. No I/O and no actors, so every path,
/// invalid input included, is tested directly.
class menu {
public:
  /// Send `text` to the peer listening at `to`.
  struct send_request {
    peer_address to;
    std::string text;
  };
  /// The user typed "exit" as the message: drop the connection to `to`.
  struct disconnect_request {
    peer_address to;
  };
  /// Menu 2: answer with `show_peers`.
  struct list_request {};
  /// Menu 3: answer with `show_candidates` (all peers; the menu filters).
  struct candidates_request {};
  /// Menu 3, after the user chose: connect to these peers.
  struct connect_request {
    std::vector<peer_address> to;
  };
  /// Menu 4: send `text` to every node of the network.
  struct broadcast_request {
    std::string text;
  };
  /// Menu 5: answer with `show_verify_candidates` (all peers).
  struct verify_list_request {};
  /// Menu 5, after the user compared the safety number: pin `id` to `name`
  /// as verified.
  struct verify_request {
    std::string name;
    node_id id;
  };
  /// The user's answer to `ask_legacy`: send plain text to `to` or not.
  struct legacy_answer {
    peer_address to;
    bool yes = false;
  };
  /// Menu 0 or end of input.
  struct quit_request {};

  using request =
      std::variant<std::monostate, send_request, disconnect_request,
                   list_request, candidates_request, connect_request,
                   broadcast_request, verify_list_request, verify_request,
                   legacy_answer, quit_request>;

  /// What one input produced.
  struct step {
    /// Complete lines to print, in order.
    std::vector<std::string> lines;
    /// What to ask the registry, if anything.
    request req;
    /// How many of the last `lines` are the menu itself, which a
    /// machine-readable console leaves out.
    size_t menu_lines = 0;
  };

  /// `self` is our node id: menu 5 shows its fingerprint and computes
  /// safety numbers with it. Without `show_menu` (a machine-readable
  /// console), steps leave the menu out instead of building it each time.
  explicit menu(node_id self = {}, bool show_menu = true);

  /// Shows the menu and opens the choice prompt.
  step start();

  /// Handles one line the user typed.
  step feed(std::string_view line);

  /// Answers a `list_request`.
  step show_peers(const std::vector<peer_view>& peers);

  /// Answers a `candidates_request` with the whole peer table.
  step show_candidates(const std::vector<peer_view>& peers);

  /// Answers a `verify_list_request` with the whole peer table.
  step show_verify_candidates(const std::vector<peer_view>& peers);

  /// The registry holds a first message to the legacy peer `peer`: asks the
  /// user whether to send it as plain text, now if the menu waits for a
  /// choice, else as soon as it does.
  step ask_legacy(const peer_view& peer);

  /// Handles end of input: quit, unless already quitting.
  step end_of_input();

  /// The prompt the user is answering now; empty while waiting for the
  /// registry or after quitting.
  const std::string& prompt() const noexcept { return prompt_; }

  /// True while a request's answer is outstanding: input must wait.
  bool waiting() const noexcept {
    return state_ == state::awaiting_peers ||
           state_ == state::awaiting_candidates ||
           state_ == state::awaiting_verify_list;
  }

  /// True after quitting.
  bool finished() const noexcept { return state_ == state::finished; }

private:
  enum class state {
    choice,
    host,
    port,
    text,
    connect_index,
    broadcast_text,
    verify_index,
    verify_confirm,
    legacy_confirm,
    awaiting_peers,
    awaiting_candidates,
    awaiting_verify_list,
    finished,
  };

  /// Prints `lines` (if any), then the menu, and waits for a choice.
  step back_to_menu(std::vector<std::string> lines);

  /// Like `back_to_menu`, carrying a request for the registry.
  step back_to_menu_with(request req);

  step invalid(std::string_view why);

  step ask(state next, const char* prompt);

  /// Opens the question about the first legacy peer waiting for one.
  void open_legacy_question(std::vector<std::string>& lines);

  /// Handles a y/n answer: `on_yes` or `on_no`, else asks again.
  template <class Yes, class No>
  step yes_no(std::string_view line, Yes on_yes, No on_no);

  node_id self_;
  bool show_menu_;
  state state_ = state::choice;
  std::string prompt_;
  std::string host_;
  uint16_t port_ = 0;
  std::vector<peer_address> candidates_;
  /// Menu 5's list, and the peer being verified.
  std::vector<peer_view> verify_candidates_;
  peer_view verifying_;
  /// Legacy peers waiting for the user's y/n; the first one is asked.
  std::deque<peer_view> legacy_questions_;
};

} // namespace p2pchat
