#pragma once

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
  /// Menu 0 or end of input.
  struct quit_request {};

  using request =
      std::variant<std::monostate, send_request, disconnect_request,
                   list_request, candidates_request, connect_request,
                   broadcast_request, quit_request>;

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

  /// Shows the menu and opens the choice prompt.
  step start();

  /// Handles one line the user typed.
  step feed(std::string_view line);

  /// Answers a `list_request`.
  step show_peers(const std::vector<peer_view>& peers);

  /// Answers a `candidates_request` with the whole peer table.
  step show_candidates(const std::vector<peer_view>& peers);

  /// Handles end of input: quit, unless already quitting.
  step end_of_input();

  /// The prompt the user is answering now; empty while waiting for the
  /// registry or after quitting.
  const std::string& prompt() const noexcept { return prompt_; }

  /// True while a request's answer is outstanding: input must wait.
  bool waiting() const noexcept {
    return state_ == state::awaiting_peers ||
           state_ == state::awaiting_candidates;
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
    awaiting_peers,
    awaiting_candidates,
    finished,
  };

  /// Prints `lines` (if any), then the menu, and waits for a choice.
  step back_to_menu(std::vector<std::string> lines);

  /// Like `back_to_menu`, carrying a request for the registry.
  step back_to_menu_with(request req);

  step invalid(std::string_view why);

  step ask(state next, std::string prompt);

  state state_ = state::choice;
  std::string prompt_;
  std::string host_;
  uint16_t port_ = 0;
  std::vector<peer_address> candidates_;
};

} // namespace p2pchat
