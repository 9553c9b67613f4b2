#pragma once

#include <chrono>
#include <deque>
#include <iosfwd>

#include <caf/typed_event_based_actor.hpp>

#include "actors/menu.hpp"
#include "actors/types.hpp"

namespace p2pchat {

/// How the console talks to the outside world.
struct console_config {
  /// Where everything is printed (stdout in the node).
  std::ostream* out = nullptr;
  /// True if `out` is a terminal: event lines then erase the open prompt
  /// instead of starting a new line under it.
  bool terminal = false;
  /// Receives `done_atom` once the console has quit and every peer was told.
  caf::actor on_quit;
  /// Upper bound for saying goodbye to every peer on quit.
  std::chrono::milliseconds quit_timeout{1500};
  /// Machine-readable output (`--output jsonl`): one JSON object per line
  /// and event, no menu and no prompts, flushed once the events queued so
  /// far are written rather than after each one.
  bool jsonl = false;
  /// Our node id: menu 5 shows its fingerprint and safety numbers with it.
  node_id self_id{};
};

struct console_state {
  console_config cfg;
  registry_actor registry;
  menu menu_;
  /// Lines typed while the menu waits for the registry.
  std::deque<std::string> pending_input;
  /// Texts the menu asked to send to `outgoing_to` while handling the
  /// current input, not handed to the registry yet.
  peer_address outgoing_to;
  std::vector<std::string> outgoing_texts;
  /// Input ended (or a signal asked to quit) while lines were still queued.
  bool end_of_input = false;
  /// False while a prompt (or other partial line) is on the current line.
  bool at_line_start = true;
  /// JSON lines were written since the last flush, and a `flush_atom` to
  /// ourselves is on its way.
  bool flush_pending = false;
  static inline const char* name = "console";
};

using console_impl = console_actor::stateful_base<console_state>;

/// Renders the menu, runs the user's commands against the registry, and
/// prints events without garbling the open prompt; or, with `cfg.jsonl`,
/// prints every event as one JSON object per line (docs in README.md).
console_actor::behavior_type
console(console_actor::stateful_pointer<console_state> self,
        console_config cfg);

} // namespace p2pchat
