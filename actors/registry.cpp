#include "actors/registry.hpp"

#include <chrono>
#include <random>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

namespace p2pchat {

namespace {

using registry_ptr = registry_actor::stateful_pointer<registry_state>;

void dial(registry_ptr self, const peer_address& addr);

/// Hands `msg` to connection `conn`. If the connection turns out to be
/// closing (or gone) before it wrote the chat, the chat goes out on the
/// peer's next best link, or waits for a new one.
void send_chat(registry_ptr self, connection_id conn, chat msg) {
  auto& st = self->state;
  auto peer = st.table.peer_of(conn);
  self->request(st.connections.at(conn), caf::infinite, send_atom::value, msg)
      .then([] {},
            [self, conn, msg, peer](const caf::error&) {
              auto& st = self->state;
              if (!peer || st.shutting_down) {
                spdlog::warn("a chat could not be sent: its connection closed");
                return;
              }
              auto route = st.table.route(peer->id);
              if (route && *route != conn) {
                send_chat(self, *route, msg);
                return;
              }
              st.outbox[peer->listen].push_back(msg);
              dial(self, peer->listen);
            });
}

void close_connection(registry_ptr self, connection_id conn, bye_code code,
                      std::string reason) {
  auto i = self->state.connections.find(conn);
  if (i != self->state.connections.end())
    caf::anon_send(i->second, close_atom::value, bye{code, std::move(reason)});
}

/// Answers a pending quit once nothing is left to wait for.
void check_shutdown_done(registry_ptr self) {
  auto& st = self->state;
  if (st.shutting_down && st.connections.empty() && st.dialing.empty() &&
      st.shutdown_done.pending())
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
  for (auto& msg : i->second)
    send_chat(self, *route, std::move(msg));
  st.outbox.erase(i);
}

/// Drops what was queued for `addr` and tells the user why.
void fail_dial(registry_ptr self, const peer_address& addr,
               const std::string& reason) {
  auto& st = self->state;
  st.dialing.erase(addr);
  auto line = "Could not connect to " + to_string(addr) + ": " + reason;
  auto i = st.outbox.find(addr);
  if (i != st.outbox.end()) {
    line += " (" + std::to_string(i->second.size()) + " message" +
            (i->second.size() == 1 ? "" : "s") + " not sent)";
    st.outbox.erase(i);
  }
  self->send(st.cfg.console, notice_atom::value, std::move(line));
  check_shutdown_done(self);
}

void dial(registry_ptr self, const peer_address& addr) {
  if (self->state.dialing.insert(addr).second)
    self->send(self->state.dialer, dial_atom::value, addr);
}

void on_hello(registry_ptr self, caf::actor conn, const peer_address& remote,
              const peer_address& dialed, const hello& msg) {
  auto& st = self->state;
  auto conn_id = conn.id();
  peer_address listen{remote.host, msg.listen_port};
  auto outcome = st.table.on_hello(conn_id, !dialed.host.empty(), msg.id,
                                   msg.name, listen);
  if (!dialed.host.empty())
    st.dialing.erase(dialed);
  if (outcome.self_connection) {
    spdlog::info("{} is this node itself; closing", to_string(listen));
    caf::anon_send(conn, close_atom::value,
                   bye{bye_code::self_connection, "connected to self"});
    if (!dialed.host.empty())
      fail_dial(self, dialed, "that is this node itself");
    return;
  }
  st.connections.emplace(conn_id, std::move(conn));
  for (auto dup : outcome.duplicates)
    close_connection(self, dup, bye_code::duplicate_connection,
                     "duplicate connection");
  if (outcome.new_peer)
    self->send(st.cfg.console, found_atom::value, *st.table.peer_of(conn_id));
  if (!dialed.host.empty())
    flush_outbox(self, dialed, msg.id);
  flush_outbox(self, listen, msg.id);
  if (st.shutting_down)
    close_connection(self, conn_id, bye_code::leaving, "quit");
  check_shutdown_done(self);
}

void on_closed(registry_ptr self, const caf::actor& conn,
               const peer_address& dialed, const std::string& reason) {
  auto& st = self->state;
  st.connections.erase(conn.id());
  auto outcome = st.table.on_closed(conn.id());
  if (outcome.peer_disconnected)
    self->send(st.cfg.console, left_atom::value, outcome.peer);
  if (!outcome.registered && !dialed.host.empty() &&
      st.dialing.count(dialed) > 0)
    // Connected, but the handshake never completed.
    fail_dial(self, dialed, reason);
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
  st.dialer = st.cfg.make_dialer(self);
  self->link_to(st.dialer);
  return {
      [self](hello_atom, caf::actor& conn, const peer_address& remote,
             const peer_address& dialed, const hello& msg) {
        on_hello(self, std::move(conn), remote, dialed, msg);
      },
      [self](chat_atom, const caf::actor& conn, const chat& msg) {
        auto peer = self->state.table.peer_of(conn.id());
        if (!peer) {
          spdlog::debug("dropping chat from an unregistered connection");
          return;
        }
        self->send(self->state.cfg.console, chat_atom::value, *peer, msg.text);
      },
      [self](bye_atom, const caf::actor& conn, const bye& msg) {
        auto& st = self->state;
        if (msg.code != bye_code::leaving)
          return;
        auto peer = st.table.peer_of(conn.id());
        if (!peer)
          return;
        // The peer left for good (the original app's "exit"): forget it.
        st.table.forget(peer->id);
        peer->connected = false;
        self->send(st.cfg.console, left_atom::value, *peer);
      },
      [self](closed_atom, const caf::actor& conn, const peer_address& dialed,
             const std::string& reason) {
        on_closed(self, conn, dialed, reason);
      },
      [self](dialfail_atom, const peer_address& addr,
             const std::string& reason) { fail_dial(self, addr, reason); },
      [self](send_atom, const peer_address& addr, std::string& text) {
        auto& st = self->state;
        if (st.shutting_down)
          return;
        chat msg{st.cfg.make_message_id(), st.cfg.now_ms(), std::move(text)};
        if (auto peer = st.table.find(addr)) {
          if (auto route = st.table.route(peer->id)) {
            send_chat(self, *route, std::move(msg));
            return;
          }
        }
        st.outbox[addr].push_back(std::move(msg));
        dial(self, addr);
      },
      [self](discon_atom, const peer_address& addr) {
        auto& st = self->state;
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
        if (auto peer = st.table.find(addr); peer && peer->connected) {
          self->send(st.cfg.console, notice_atom::value,
                     "Already connected to " + display_name(*peer));
          return;
        }
        dial(self, addr);
      },
      [self](list_atom) { return self->state.table.list(); },
      [self](shutdown_atom) -> caf::result<done_atom> {
        auto& st = self->state;
        st.shutting_down = true;
        for (auto& kvp : st.connections)
          caf::anon_send(kvp.second, close_atom::value,
                         bye{bye_code::leaving, "quit"});
        for (auto& kvp : st.outbox)
          if (st.dialing.count(kvp.first) == 0)
            spdlog::warn("quit: {} message(s) to {} not sent",
                         kvp.second.size(), to_string(kvp.first));
        if (st.connections.empty() && st.dialing.empty())
          return done_atom::value;
        st.shutdown_done = self->make_response_promise<done_atom>();
        return st.shutdown_done;
      },
  };
}

} // namespace p2pchat
