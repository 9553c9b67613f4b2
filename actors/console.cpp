#include "actors/console.hpp"

#include <algorithm>
#include <ostream>

#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/json_text.hpp"

namespace p2pchat {

namespace {

using console_ptr = console_actor::stateful_pointer<console_state>;

/// Keys keep the order they are written in: "event" always comes first.
using json = nlohmann::ordered_json;

/// Flushes the JSON lines written so far once the console has handled what
/// its mailbox holds now: the flush waits for a message to ourselves, which
/// queues behind every event already there. A burst leaves in few writes, a
/// single event at once.
void schedule_flush(console_ptr self) {
  auto& st = self->state;
  if (!st.flush_pending) {
    st.flush_pending = true;
    self->send(caf::actor_cast<console_actor>(self), flush_atom::value);
  }
}

/// Writes one event as a JSON line.
void emit(console_ptr self, const json& event) {
  // Texts are validated UTF-8; `replace` only guards against a bug turning
  // into an exception.
  *self->state.cfg.out << event.dump(-1, ' ', false,
                                     json::error_handler_t::replace)
                       << '\n';
  schedule_flush(self);
}

json peer_json(const peer_view& x) {
  json result{{"name", x.name},
              {"host", x.listen.host},
              {"port", x.listen.port},
              {"legacy", x.legacy}};
  if (!x.legacy) {
    result["id"] = x.id.to_hex();
    // "unverified", "verified" or "key_changed".
    auto trust = to_string(x.trust);
    std::replace(trust.begin(), trust.end(), ' ', '_');
    result["trust"] = trust;
  }
  return result;
}

/// Writes one chat event per text, {"event":"chat","from":{...},"text":...}
/// as emit() would, but without building a JSON object per message: chats
/// are the one event that arrives by the hundred thousand.
void emit_chats(console_ptr self, const peer_view& from,
                const std::vector<std::string>& texts) {
  auto head =
      R"({"event":"chat","from":)" +
      peer_json(from).dump(-1, ' ', false, json::error_handler_t::replace) +
      R"(,"text":)";
  std::string lines;
  for (auto& text : texts) {
    lines += head;
    append_json_string(lines, text);
    lines += "}\n";
  }
  *self->state.cfg.out << lines;
  schedule_flush(self);
}

/// Prints complete lines, then re-opens the prompt (if any).
void render(console_ptr self, const std::vector<std::string>& lines) {
  auto& st = self->state;
  auto& out = *st.cfg.out;
  if (st.cfg.jsonl) {
    // No prompt to keep intact; each line is an event of its own.
    for (auto& line : lines)
      emit(self, json{{"event", "notice"}, {"text", line}});
    return;
  }
  if (!st.at_line_start && !lines.empty()) {
    // Something (a prompt) is on the current line: on a terminal, erase it;
    // in a pipe, end it, so every event starts a line of its own.
    out << (st.cfg.terminal ? "\r\x1b[K" : "\n");
  }
  for (auto& line : lines)
    out << line << '\n';
  auto& prompt = st.menu_.prompt();
  out << prompt;
  st.at_line_start = prompt.empty() && (!lines.empty() || st.at_line_start);
  out.flush();
}

void run(console_ptr self, menu::step step);
void send_collected(console_ptr self);

/// Feeds queued input to the menu until it waits for the registry again;
/// handles a pending end of input once every line before it is handled.
void drain_input(console_ptr self) {
  auto& st = self->state;
  while (!st.menu_.waiting() && !st.menu_.finished()) {
    if (!st.pending_input.empty()) {
      auto line = std::move(st.pending_input.front());
      st.pending_input.pop_front();
      run(self, st.menu_.feed(line));
    } else if (st.end_of_input) {
      run(self, st.menu_.end_of_input());
    } else {
      break;
    }
  }
  send_collected(self);
}

void quit(console_ptr self) {
  auto done = [self] {
    if (self->state.cfg.jsonl) {
      emit(self, json{{"event", "goodbye"}});
      self->state.cfg.out->flush();
    } else {
      render(self, {"Goodbye!"});
    }
    if (self->state.cfg.on_quit)
      caf::anon_send(self->state.cfg.on_quit, done_atom::value);
    self->quit();
  };
  self->request(self->state.registry, self->state.cfg.quit_timeout,
                shutdown_atom::value)
      .then([done](done_atom) { done(); },
            [done](const caf::error& err) {
              spdlog::warn("quit: not every peer confirmed the goodbye: {}",
                           caf::to_string(err));
              done();
            });
}

/// Hands the texts collected for one address to the registry.
void send_collected(console_ptr self) {
  auto& st = self->state;
  if (st.outgoing_texts.empty())
    return;
  self->send(st.registry, send_atom::value, st.outgoing_to,
             std::move(st.outgoing_texts));
  st.outgoing_texts.clear();
}

/// Sends what the menu asked for. Texts to the same address, one after
/// another, travel together; anything else first sends them, so that the
/// registry sees every request in the order the user made it.
struct request_visitor {
  console_ptr self;

  void operator()(std::monostate) {
    // nop
  }

  void operator()(menu::send_request& x) {
    auto& st = self->state;
    if (!st.outgoing_texts.empty() && st.outgoing_to != x.to)
      send_collected(self);
    st.outgoing_to = std::move(x.to);
    st.outgoing_texts.push_back(std::move(x.text));
  }

  template <class Request>
  void operator()(Request& x) {
    send_collected(self);
    handle(x);
  }

  void handle(menu::disconnect_request& x) {
    self->send(self->state.registry, discon_atom::value, std::move(x.to));
  }

  void handle(menu::list_request) {
    self->request(self->state.registry, caf::infinite, list_atom::value)
        .then([s = self](const std::vector<peer_view>& peers) {
          run(s, s->state.menu_.show_peers(peers));
          drain_input(s);
        });
  }

  void handle(menu::candidates_request) {
    self->request(self->state.registry, caf::infinite, list_atom::value)
        .then([s = self](const std::vector<peer_view>& peers) {
          run(s, s->state.menu_.show_candidates(peers));
          drain_input(s);
        });
  }

  void handle(menu::connect_request& x) {
    for (auto& addr : x.to)
      self->send(self->state.registry, connect_atom::value, addr);
  }

  void handle(menu::broadcast_request& x) {
    self->send(self->state.registry, bcast_atom::value, std::move(x.text));
  }

  void handle(menu::verify_list_request) {
    self->request(self->state.registry, caf::infinite, list_atom::value)
        .then([s = self](const std::vector<peer_view>& peers) {
          run(s, s->state.menu_.show_verify_candidates(peers));
          drain_input(s);
        });
  }

  void handle(menu::verify_request& x) {
    self->send(self->state.registry, verify_atom::value, std::move(x.name),
               x.id);
  }

  void handle(menu::legacy_answer& x) {
    self->send(self->state.registry, confirm_atom::value, std::move(x.to),
               x.yes);
  }

  void handle(menu::quit_request) { quit(self); }
};

void run(console_ptr self, menu::step step) {
  if (self->state.cfg.jsonl) {
    // What the menu answered (peer lists, invalid input), without the menu
    // itself and without prompts.
    step.lines.resize(step.lines.size() - step.menu_lines);
    for (auto& line : step.lines)
      emit(self, json{{"event", "menu"}, {"text", line}});
  } else {
    render(self, step.lines);
  }
  std::visit(request_visitor{self}, step.req);
}

} // namespace

console_actor::behavior_type console(console_ptr self, console_config cfg) {
  self->state.menu_ = menu{cfg.self_id, !cfg.jsonl};
  self->state.cfg = std::move(cfg);
  return {
      [self](start_atom, registry_actor registry) {
        self->state.registry = std::move(registry);
        run(self, self->state.menu_.start());
        drain_input(self);
      },
      [self](input_atom, std::vector<std::string>& lines) {
        auto& st = self->state;
        // A terminal echoed the line and its newline; a pipe did not.
        if (st.cfg.terminal)
          st.at_line_start = true;
        for (auto& line : lines)
          st.pending_input.push_back(std::move(line));
        if (st.registry)
          drain_input(self);
      },
      [self](eof_atom) {
        // Input typed before the end still counts: quit after handling it.
        self->state.end_of_input = true;
        if (self->state.registry)
          drain_input(self);
      },
      [self](chat_atom, const peer_view& from,
             const std::vector<std::string>& texts) {
        if (self->state.cfg.jsonl) {
          emit_chats(self, from, texts);
          return;
        }
        auto head =
            "Message from " + display_name(from) + trust_mark(from) + ": ";
        std::vector<std::string> lines;
        lines.reserve(texts.size());
        for (auto& text : texts)
          lines.push_back(head + text);
        render(self, lines);
      },
      [self](bcast_atom, const peer_view& origin, const std::string& text) {
        if (self->state.cfg.jsonl)
          emit(self, json{{"event", "broadcast"},
                          {"from", peer_json(origin)},
                          {"text", text}});
        else
          render(self, {"Broadcast from " + display_name(origin) +
                        trust_mark(origin) + ": " + text});
      },
      [self](found_atom, const peer_view& peer) {
        if (self->state.cfg.jsonl)
          emit(self, json{{"event", "peer_found"}, {"peer", peer_json(peer)}});
        else
          render(self,
                 {"New peer found: " + display_name(peer) + trust_mark(peer)});
      },
      [self](keychg_atom, const peer_view& peer) {
        if (self->state.cfg.jsonl)
          emit(self, json{{"event", "key_changed"}, {"peer", peer_json(peer)}});
        else
          render(self, {"WARNING: " + display_name(peer) +
                        " presents a different key than before"});
      },
      [self](confirm_atom, const peer_view& peer) {
        auto step = self->state.menu_.ask_legacy(peer);
        // An empty step: the question waits until the menu is back.
        if (!step.lines.empty())
          run(self, std::move(step));
      },
      [self](left_atom, const peer_view& peer) {
        if (self->state.cfg.jsonl)
          emit(self, json{{"event", "peer_left"}, {"peer", peer_json(peer)}});
        else
          render(self,
                 {display_name(peer) + trust_mark(peer) + " disconnected"});
      },
      [self](notice_atom, const std::string& line) { render(self, {line}); },
      [self](flush_atom) {
        self->state.flush_pending = false;
        self->state.cfg.out->flush();
      },
      [](barrier_atom) { return done_atom::value; },
  };
}

} // namespace p2pchat
