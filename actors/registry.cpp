#include "actors/registry.hpp"

#include "actors/registry_internal.hpp"
#include "protocol/errors.hpp"
#include "protocol/signing.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <random>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

namespace p2pchat {

namespace detail {

void dial(registry_ptr self, const peer_address& addr) {
  if (self->state.dialing.insert(addr).second)
    self->send(self->state.dialer, dial_atom::value, addr);
}

void close_connection(registry_ptr self, connection_id conn, bye_code code,
                      std::string reason) {
  auto i = self->state.connections.find(conn);
  if (i != self->state.connections.end())
    caf::anon_send(i->second, close_atom::value, bye{code, std::move(reason)});
}

void legacy_send(registry_ptr self, const peer_address& addr,
                 std::string text) {
  ++self->state.legacy_in_flight;
  self->send(self->state.dialer, lsend_atom::value, addr, std::move(text));
}

} // namespace detail

namespace {

using namespace detail;

/// Chats go to a connection in batches of at most this many, and at most
/// `max_batches_in_flight` batches are unconfirmed at a time. CAF 0.17.6
/// keeps an actor's pending responses in a flat vector and erases each
/// answered one from it, so an answer costs time linear in the number
/// pending: 200,000 chats handed over one request each made the registry
/// quadratic (measured with bench/node_chat). Few requests of many chats each
/// keep that cost constant, cost one actor message per batch instead of per
/// chat, and let the connection write a whole batch with one flush.
constexpr size_t max_chats_per_batch = 256;
constexpr size_t max_batches_in_flight = 4;
/// A batch also ends once its texts reach this many bytes, so that a batch
/// of long texts does not overrun the connection's send buffer at once.
constexpr size_t max_batch_text_bytes = 64 * 1024;

void send_chats(registry_ptr self, connection_id conn, std::vector<chat> msgs);

/// `msgs` could not go out on `conn` (it is closing or gone): they go out on
/// the peer's next best link, or wait for a new one.
void reroute_chats(registry_ptr self, connection_id conn,
                   const std::optional<peer_view>& peer,
                   std::vector<chat> msgs) {
  auto& st = self->state;
  if (msgs.empty())
    return;
  if (!peer || st.shutting_down) {
    spdlog::warn("{} chat(s) could not be sent: their connection closed",
                 msgs.size());
    return;
  }
  auto route = st.table.route(peer->id);
  if (route && *route != conn) {
    send_chats(self, *route, std::move(msgs));
    return;
  }
  auto& waiting = st.outbox[peer->listen];
  std::move(msgs.begin(), msgs.end(), std::back_inserter(waiting));
  dial(self, peer->listen);
}

/// Once a failed connection has nothing in flight anymore, sends what it
/// refused and what waited for it elsewhere, in order; forgets the queue
/// once it is empty.
void settle_chat_queue(registry_ptr self, connection_id conn) {
  auto& st = self->state;
  auto i = st.chat_queues.find(conn);
  if (i == st.chat_queues.end() || !i->second.batches.empty())
    return;
  if (!i->second.failed) {
    if (i->second.waiting.empty())
      st.chat_queues.erase(i);
    return;
  }
  auto queue = std::move(i->second);
  st.chat_queues.erase(i);
  std::vector<chat> rest;
  rest.reserve(queue.refused.size() + queue.waiting.size());
  for (auto* part : {&queue.refused, &queue.waiting})
    std::move(part->begin(), part->end(), std::back_inserter(rest));
  reroute_chats(self, conn, queue.peer, std::move(rest));
}

/// Takes the answer to the oldest batch in flight on `conn`: confirmed, its
/// chats are done; refused, they wait to go elsewhere.
void on_batch_answered(registry_ptr self, connection_id conn, bool written) {
  auto& queue = self->state.chat_queues[conn];
  auto size = static_cast<ptrdiff_t>(queue.batches.front());
  queue.batches.pop_front();
  auto first = queue.unconfirmed.begin();
  if (!written) {
    queue.failed = true;
    std::move(first, first + size, std::back_inserter(queue.refused));
  }
  queue.unconfirmed.erase(first, first + size);
}

/// Hands the next waiting chats of `conn` to it while the window allows.
void pump_chat_queue(registry_ptr self, connection_id conn) {
  auto& st = self->state;
  auto i = st.chat_queues.find(conn);
  if (i == st.chat_queues.end())
    return;
  auto& queue = i->second;
  auto target = st.connections.find(conn);
  if (target == st.connections.end())
    queue.failed = true;
  while (!queue.failed && queue.batches.size() < max_batches_in_flight &&
         !queue.waiting.empty()) {
    size_t size = 0;
    for (size_t bytes = 0;
         size < queue.waiting.size() && size < max_chats_per_batch &&
         bytes < max_batch_text_bytes;
         ++size)
      bytes += queue.waiting[size].text.size();
    auto first = queue.waiting.begin();
    std::vector<chat> batch(first, first + static_cast<ptrdiff_t>(size));
    std::move(first, first + static_cast<ptrdiff_t>(size),
              std::back_inserter(queue.unconfirmed));
    queue.waiting.erase(first, first + static_cast<ptrdiff_t>(size));
    queue.batches.push_back(size);
    self->request(target->second, caf::infinite, send_atom::value,
                  std::move(batch))
        .then(
            [self, conn] {
              on_batch_answered(self, conn, true);
              pump_chat_queue(self, conn);
            },
            [self, conn](const caf::error&) {
              on_batch_answered(self, conn, false);
              settle_chat_queue(self, conn);
            });
  }
  settle_chat_queue(self, conn);
}

/// Hands `msgs` to connection `conn`, after the chats it holds already. If
/// the connection turns out to be closing (or gone) before it wrote them,
/// they go out on the peer's next best link, or wait for a new one.
void send_chats(registry_ptr self, connection_id conn, std::vector<chat> msgs) {
  auto& st = self->state;
  auto [i, created] = st.chat_queues.try_emplace(conn);
  if (created)
    i->second.peer = st.table.peer_of(conn);
  auto& waiting = i->second.waiting;
  std::move(msgs.begin(), msgs.end(), std::back_inserter(waiting));
  pump_chat_queue(self, conn);
}

/// Answers a pending quit once nothing is left to wait for.
void check_shutdown_done(registry_ptr self) {
  auto& st = self->state;
  if (st.shutting_down && st.connections.empty() && st.dialing.empty() &&
      st.legacy_in_flight == 0 && st.shutdown_done.pending())
    st.shutdown_done.deliver(done_atom::value);
}

/// Sends everything queued for `addr` to the peer `id`.
void flush_outbox(registry_ptr self, const peer_address& addr,
                  const node_id& id) {
  auto& st = self->state;
  auto i = st.outbox.find(addr);
  if (i == st.outbox.end())
    return;
  auto route = st.table.route(id);
  if (!route)
    return;
  send_chats(self, *route, std::move(i->second));
  st.outbox.erase(i);
}

/// Dials `addr` again after its next back-off delay, if we keep it.
void schedule_redial(registry_ptr self, const peer_address& addr) {
  auto& st = self->state;
  auto i = st.redial.find(addr);
  if (i == st.redial.end() || st.shutting_down)
    return;
  self->delayed_send(self, i->second.delays.next(st.rng), redial_atom::value,
                     addr);
}

/// Drops what was queued for `addr` and tells the user why (for an address
/// we keep dialing, only the first time: retries are silent).
void fail_dial(registry_ptr self, const peer_address& addr,
               const std::string& reason) {
  auto& st = self->state;
  st.dialing.erase(addr);
  st.table.on_dial_failed(addr, st.cfg.now_ms());
  auto line = "Could not connect to " + to_string(addr) + ": " + reason;
  // Dials toward the target of peers are the node's business, not the
  // user's: they are only logged.
  bool show = st.background_dials.erase(addr) == 0;
  if (!show)
    spdlog::debug("{}", line);
  if (auto r = st.redial.find(addr); r != st.redial.end()) {
    show = !r->second.failure_shown;
    r->second.failure_shown = true;
    schedule_redial(self, addr);
  }
  auto i = st.outbox.find(addr);
  if (i != st.outbox.end()) {
    line += " (" + std::to_string(i->second.size()) + " message" +
            (i->second.size() == 1 ? "" : "s") + " not sent)";
    st.outbox.erase(i);
    show = true;
  }
  if (show)
    self->send(st.cfg.console, notice_atom::value, std::move(line));
  fill_connections(self);
  check_shutdown_done(self);
}

/// A dialed address accepted our connection but never said a word: the
/// original app. Sends it what was queued, in its format.
void switch_to_legacy(registry_ptr self, const peer_address& addr) {
  auto& st = self->state;
  st.dialing.erase(addr);
  st.redial.erase(addr); // legacy peers have no link to keep
  st.table.mark_legacy(addr);
  self->send(st.cfg.console, notice_atom::value,
             to_string(addr) + " does not answer in the p2pchat protocol: "
                               "using the original plain-text format");
  if (st.bootstrap.count(addr) > 0)
    legacy_send(self, addr, std::string{legacy_hello_text});
  if (auto i = st.outbox.find(addr); i != st.outbox.end()) {
    for (auto& msg : i->second)
      send_to_legacy(self, addr, std::move(msg.text));
    st.outbox.erase(i);
  }
}

void on_legacy(registry_ptr self, const legacy_message& msg) {
  auto& st = self->state;
  if (is_legacy_exit(msg.text)) {
    if (auto gone = st.table.forget_legacy(msg.sender))
      self->send(st.cfg.console, left_atom::value, *gone);
    return;
  }
  auto [peer, is_new] = st.table.on_legacy(msg);
  if (is_new)
    self->send(st.cfg.console, found_atom::value, peer);
  if (is_legacy_connect(msg.text)) {
    st.table.set_legacy_connected(msg.sender, true);
    self->send(st.cfg.console, notice_atom::value,
               display_name(peer) + trust_mark(peer) + " connected");
    return;
  }
  self->send(st.cfg.console, chat_atom::value, peer,
             std::vector<std::string>{msg.text});
}

void on_legacy_sent(registry_ptr self, const peer_address& addr,
                    const std::string& text, const caf::error& err) {
  auto& st = self->state;
  --st.legacy_in_flight;
  if (err) {
    self->send(st.cfg.console, notice_atom::value,
               "Could not send to " + to_string(addr) +
                   " in the original format: " + describe(err));
  } else if (is_legacy_connect(text)) {
    st.table.set_legacy_connected(addr, true);
  } else if (is_legacy_exit(text)) {
    st.table.set_legacy_connected(addr, false);
  }
  check_shutdown_done(self);
}

/// Sends `msg` on every live link except `except`.
void flood(registry_ptr self, const broadcast& msg, connection_id except) {
  for (auto& [id, conn] : self->state.connections)
    if (id != except)
      caf::anon_send(conn, send_atom::value, msg);
}

void on_broadcast(registry_ptr self, const caf::actor& conn, broadcast msg) {
  auto& st = self->state;
  auto from = st.table.peer_of(conn.id());
  if (!from)
    return;
  auto now = st.cfg.now_ms();
  if (msg.origin == st.cfg.self_id || st.seen.contains(msg.id, now)) {
    ++st.broadcast_duplicates;
    return;
  }
  // Checked before the id counts as seen: a forged copy must not block
  // the genuine one that may still be on its way.
  if (!verify_broadcast(msg)) {
    ++st.broadcast_forgeries;
    spdlog::warn("dropping broadcast from {} via {}: bad signature (forged "
                 "or altered on the way)",
                 quote_untrusted(msg.origin_name), display_name(*from));
    return;
  }
  st.seen.insert(msg.id, now);
  // The first hop names the origin's IP: only it saw the origin's socket.
  if (msg.origin_host.empty())
    msg.origin_host = from->listen.host;
  peer_view origin{msg.origin, msg.origin_name,
                   peer_address{msg.origin_host, msg.origin_port}, false,
                   false};
  self->send(st.cfg.console, bcast_atom::value, with_trust(self, origin),
             msg.text);
  if (msg.hops_left > 1) {
    --msg.hops_left;
    flood(self, msg, conn.id());
  }
}

void on_hello(registry_ptr self, caf::actor conn, const peer_address& remote,
              const peer_address& dialed, const hello& msg) {
  auto& st = self->state;
  auto conn_id = conn.id();
  peer_address listen{remote.host, msg.listen_port};
  if (dialed.host.empty() && st.connections.size() >= st.cfg.max_connections) {
    spdlog::info("refusing {}: already {} connections", to_string(remote),
                 st.connections.size());
    refuse_with_peers(self, conn, msg.id);
    return;
  }
  auto outcome = st.table.on_hello(conn_id, !dialed.host.empty(), msg.id,
                                   msg.name, listen, st.cfg.now_ms());
  if (!dialed.host.empty()) {
    st.dialing.erase(dialed);
    st.background_dials.erase(dialed);
  }
  if (outcome.self_connection) {
    st.redial.erase(dialed);
    st.redial.erase(listen);
    spdlog::info("{} is this node itself; closing", to_string(listen));
    caf::anon_send(conn, close_atom::value,
                   bye{bye_code::self_connection, "connected to self"});
    if (!dialed.host.empty())
      fail_dial(self, dialed, "that is this node itself");
    return;
  }
  st.connections.emplace(conn_id, std::move(conn));
  // Keep this peer: if the link drops, dial it again; it works now, so the
  // next loss starts with a short delay.
  for (auto& addr : {listen, dialed})
    if (auto r = st.redial.find(addr); r != st.redial.end()) {
      r->second.delays.reset();
      r->second.failure_shown = false;
    }
  st.redial.try_emplace(listen);
  for (auto dup : outcome.duplicates)
    close_connection(self, dup, bye_code::duplicate_connection,
                     "duplicate connection");
  auto peer = *st.table.peer_of(conn_id);
  trust_on_hello(self, peer);
  if (outcome.new_peer)
    self->send(st.cfg.console, found_atom::value, with_trust(self, peer));
  if (!dialed.host.empty())
    flush_outbox(self, dialed, msg.id);
  flush_outbox(self, listen, msg.id);
  if (st.shutting_down)
    close_connection(self, conn_id, bye_code::leaving, "quit");
  else
    discovery_on_hello(self, conn_id, msg.id);
  check_shutdown_done(self);
}

void on_closed(registry_ptr self, const caf::actor& conn,
               const peer_address& dialed, bool peer_silent,
               const std::string& reason) {
  auto& st = self->state;
  st.connections.erase(conn.id());
  auto outcome = st.table.on_closed(conn.id(), st.cfg.now_ms());
  if (outcome.peer_disconnected) {
    self->send(st.cfg.console, left_atom::value,
               with_trust(self, outcome.peer));
    schedule_redial(self, outcome.peer.listen);
    discovery_on_disconnect(self, outcome.peer.id);
  }
  if (!outcome.registered && !dialed.host.empty() &&
      st.dialing.count(dialed) > 0) {
    // Connected, but the handshake never completed.
    if (peer_silent)
      switch_to_legacy(self, dialed);
    else
      fail_dial(self, dialed, reason);
  }
  check_shutdown_done(self);
}

void fill_defaults(registry_config& cfg) {
  if (!cfg.make_message_id)
    cfg.make_message_id =
        [rng = std::mt19937_64{std::random_device{}()}]() mutable {
          message_id id;
          for (size_t i = 0; i < id.size(); i += 8) {
            auto x = rng();
            for (size_t j = 0; j < 8; ++j)
              id[i + j] = static_cast<uint8_t>(x >> (8 * j));
          }
          return id;
        };
  if (!cfg.now_ms)
    cfg.now_ms = [] {
      using namespace std::chrono;
      return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
          .count();
    };
}

} // namespace

registry_actor::behavior_type registry(registry_ptr self, registry_config cfg) {
  auto& st = self->state;
  fill_defaults(cfg);
  st.cfg = std::move(cfg);
  st.table = peer_table{st.cfg.self_id};
  st.rng.seed(st.cfg.seed != 0 ? st.cfg.seed : std::random_device{}());
  st.dialer = st.cfg.make_dialer(self);
  self->link_to(st.dialer);
  load_trust(self);
  start_discovery(self);
  return {
      [self](hello_atom, caf::actor& conn, const peer_address& remote,
             const peer_address& dialed, const hello& msg) {
        on_hello(self, std::move(conn), remote, dialed, msg);
      },
      [self](chat_atom, const caf::actor& conn, std::vector<chat>& msgs) {
        auto peer = self->state.table.peer_of(conn.id());
        if (!peer) {
          spdlog::debug("dropping {} chat(s) from an unregistered connection",
                        msgs.size());
          return;
        }
        std::vector<std::string> texts;
        texts.reserve(msgs.size());
        for (auto& msg : msgs)
          texts.push_back(std::move(msg.text));
        self->send(self->state.cfg.console, chat_atom::value,
                   with_trust(self, *peer), std::move(texts));
      },
      [self](bye_atom, const caf::actor& conn, const bye& msg) {
        auto& st = self->state;
        if (msg.code != bye_code::leaving)
          return;
        auto peer = st.table.peer_of(conn.id());
        if (!peer)
          return;
        // The peer left for good (the original app's "exit"): forget it, and
        // do not dial it again until it shows up on its own.
        st.table.forget(peer->id);
        st.redial.erase(peer->listen);
        peer->connected = false;
        self->send(st.cfg.console, left_atom::value, with_trust(self, *peer));
      },
      [self](closed_atom, const caf::actor& conn, const peer_address& dialed,
             bool peer_silent, const std::string& reason) {
        on_closed(self, conn, dialed, peer_silent, reason);
      },
      [self](getpeers_atom, const caf::actor& conn, const peers_request& msg) {
        on_peers_request(self, conn, msg);
      },
      [self](peers_atom, const caf::actor& conn, const peers& msg) {
        on_peers(self, conn, msg);
      },
      [self](tick_atom) { on_discovery_tick(self); },
      [self](legacy_atom, const legacy_message& msg) { on_legacy(self, msg); },
      [self](bcast_atom, const caf::actor& conn, broadcast& msg) {
        on_broadcast(self, conn, std::move(msg));
      },
      [self](bcast_atom, std::string& text) {
        auto& st = self->state;
        if (!st.cfg.sign) {
          // Nobody would show an unsigned broadcast.
          self->send(st.cfg.console, notice_atom::value,
                     std::string{"Cannot broadcast: no signing key"});
          return;
        }
        broadcast msg{st.cfg.make_message_id(), st.cfg.self_id,
                      st.cfg.self_name,         std::string{},
                      st.cfg.self_port,         st.cfg.now_ms(),
                      default_broadcast_hops,   std::move(text)};
        msg.signature = st.cfg.sign(broadcast_signed_bytes(msg));
        st.seen.insert(msg.id, msg.sent_at_ms);
        flood(self, msg, 0);
        self->send(st.cfg.console, notice_atom::value,
                   "Broadcast sent to " +
                       std::to_string(st.connections.size()) + " peer" +
                       (st.connections.size() == 1 ? "" : "s"));
      },
      [self](lsent_atom, const peer_address& addr, const std::string& text,
             const caf::error& err) { on_legacy_sent(self, addr, text, err); },
      [self](bootstrap_atom, const peer_address& addr) {
        auto& st = self->state;
        st.bootstrap.insert(addr);
        if (st.table.is_legacy(addr)) {
          legacy_send(self, addr, std::string{legacy_hello_text});
        } else {
          st.redial.try_emplace(addr);
          dial(self, addr);
        }
      },
      [self](legacy_atom, const peer_address& addr) {
        self->state.table.mark_legacy(addr);
      },
      [self](redial_atom, const peer_address& addr) {
        auto& st = self->state;
        if (st.shutting_down || st.redial.count(addr) == 0)
          return;
        if (auto peer = st.table.find(addr); peer && peer->connected)
          return;
        dial(self, addr);
      },
      [self](dialfail_atom, const peer_address& addr,
             const std::string& reason) { fail_dial(self, addr, reason); },
      [self](send_atom, const peer_address& addr,
             std::vector<std::string>& texts) {
        auto& st = self->state;
        if (st.shutting_down)
          return;
        if (st.table.is_legacy(addr)) {
          for (auto& text : texts)
            send_to_legacy(self, addr, std::move(text));
          return;
        }
        std::vector<chat> msgs;
        msgs.reserve(texts.size());
        auto now = st.cfg.now_ms();
        for (auto& text : texts)
          msgs.push_back(chat{st.cfg.make_message_id(), now, std::move(text)});
        if (auto peer = st.table.find(addr)) {
          if (auto route = st.table.route(peer->id)) {
            send_chats(self, *route, std::move(msgs));
            return;
          }
        }
        auto& waiting = st.outbox[addr];
        std::move(msgs.begin(), msgs.end(), std::back_inserter(waiting));
        dial(self, addr);
      },
      [self](discon_atom, const peer_address& addr) {
        auto& st = self->state;
        if (st.table.is_legacy(addr)) {
          legacy_send(self, addr, std::string{legacy_exit_text});
          return;
        }
        // The user sent it away: no redial.
        st.redial.erase(addr);
        auto peer = st.table.find(addr);
        if (!peer || !peer->connected) {
          self->send(st.cfg.console, notice_atom::value,
                     "Not connected to " + to_string(addr));
          return;
        }
        for (auto conn : st.table.connections())
          if (auto other = st.table.peer_of(conn);
              other && other->id == peer->id)
            close_connection(self, conn, bye_code::leaving, "exit");
      },
      [self](connect_atom, const peer_address& addr) {
        auto& st = self->state;
        if (st.table.is_legacy(addr)) {
          // The original app's way of saying "count me as connected".
          legacy_send(self, addr, std::string{legacy_connect_text});
          return;
        }
        if (auto peer = st.table.find(addr); peer && peer->connected) {
          self->send(st.cfg.console, notice_atom::value,
                     "Already connected to " + display_name(*peer));
          return;
        }
        dial(self, addr);
      },
      [self](list_atom) {
        auto peers = self->state.table.list();
        for (auto& peer : peers)
          peer = with_trust(self, std::move(peer));
        return peers;
      },
      [self](verify_atom, const std::string& name, const node_id& id) {
        on_verify(self, name, id);
      },
      [self](confirm_atom, const peer_address& addr, bool yes) {
        on_legacy_confirm(self, addr, yes);
      },
      [self](barrier_atom) {
        // Whatever we passed to the console before is ahead of this.
        return self->delegate(self->state.cfg.console, barrier_atom::value);
      },
      [self](shutdown_atom) -> caf::result<done_atom> {
        auto& st = self->state;
        st.shutting_down = true;
        for (auto& kvp : st.connections)
          caf::anon_send(kvp.second, close_atom::value,
                         bye{bye_code::leaving, "quit"});
        // The original app forgets us only when told "exit".
        for (auto& addr : st.table.legacy_addresses())
          legacy_send(self, addr, std::string{legacy_exit_text});
        for (auto& kvp : st.outbox)
          if (st.dialing.count(kvp.first) == 0)
            spdlog::warn("quit: {} message(s) to {} not sent",
                         kvp.second.size(), to_string(kvp.first));
        for (auto& kvp : st.legacy_held)
          spdlog::warn("quit: {} message(s) to {} not sent (plain text never "
                       "confirmed)",
                       kvp.second.size(), to_string(kvp.first));
        if (st.connections.empty() && st.dialing.empty() &&
            st.legacy_in_flight == 0)
          return done_atom::value;
        st.shutdown_done = self->make_response_promise<done_atom>();
        return st.shutdown_done;
      },
  };
}

} // namespace p2pchat
