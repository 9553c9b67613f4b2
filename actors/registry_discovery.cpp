#include <algorithm>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/registry_internal.hpp"

namespace p2pchat::detail {

namespace {

bool discovery_on(registry_ptr self) {
  return self->state.cfg.discovery_interval.count() > 0;
}

/// A uniform random index below `n`, from the registry's seeded generator.
std::function<size_t(size_t)> picker(registry_ptr self) {
  return [self](size_t n) {
    return std::uniform_int_distribution<size_t>{0, n - 1}(self->state.rng);
  };
}

void ask(registry_ptr self, const caf::actor& conn, const node_id& peer) {
  auto& st = self->state;
  st.exchange.asked(peer, st.cfg.now_ms());
  caf::anon_send(conn, send_atom::value, peers_request{max_peer_entries});
}

/// Peers for `requester`: at most `limit`, only ones we met ourselves.
peers sample_for(registry_ptr self, size_t limit, const node_id& requester) {
  auto& st = self->state;
  return peers{
      st.table.shareable(limit, requester, st.cfg.now_ms(), picker(self))};
}

} // namespace

void start_discovery(registry_ptr self) {
  auto& st = self->state;
  st.exchange = peer_exchange{st.cfg.discovery_interval.count()};
  if (discovery_on(self))
    self->delayed_send(self, st.cfg.discovery_interval, tick_atom::value);
}

void discovery_on_hello(registry_ptr self, connection_id conn,
                        const node_id& peer) {
  auto& st = self->state;
  if (!discovery_on(self) || !st.exchange.may_ask(peer, st.cfg.now_ms()))
    return;
  ask(self, st.connections.at(conn), peer);
}

void discovery_on_disconnect(registry_ptr self, const node_id& peer) {
  self->state.exchange.forget(peer);
  fill_connections(self);
}

void refuse_with_peers(registry_ptr self, const caf::actor& conn,
                       const node_id& peer) {
  if (discovery_on(self))
    caf::anon_send(conn, send_atom::value,
                   sample_for(self, max_peer_entries, peer));
  caf::anon_send(conn, close_atom::value,
                 bye{bye_code::too_many_connections, "too many connections"});
}

void on_peers_request(registry_ptr self, const caf::actor& conn,
                      const peers_request& msg) {
  auto& st = self->state;
  auto peer = st.table.peer_of(conn.id());
  if (!peer || !discovery_on(self))
    return;
  switch (st.exchange.on_request(peer->id, st.cfg.now_ms())) {
    case peer_exchange::verdict::answer:
      caf::anon_send(conn, send_atom::value,
                     sample_for(self, msg.max_entries, peer->id));
      break;
    case peer_exchange::verdict::ignore:
      spdlog::debug("{}: peer-list request too soon after the last one; "
                    "not answered",
                    display_name(*peer));
      break;
    case peer_exchange::verdict::flood:
      spdlog::warn("closing connection to {}: more than {} peer-list "
                   "requests within {} ms",
                   display_name(*peer), peer_exchange::default_flood_limit,
                   st.exchange.interval_ms());
      close_connection(self, conn.id(), bye_code::protocol_error,
                       "peer-list request flood");
      break;
  }
}

void on_peers(registry_ptr self, const caf::actor& conn, const peers& msg) {
  auto& st = self->state;
  auto peer = st.table.peer_of(conn.id());
  if (!peer)
    return;
  if (!st.exchange.accept_reply(peer->id)) {
    spdlog::debug("{}: ignoring a peer list we did not ask for",
                  display_name(*peer));
    return;
  }
  auto added = st.table.learn(msg.entries, st.cfg.now_ms());
  spdlog::debug("{} sent {} peers, {} new; {} known", display_name(*peer),
                msg.entries.size(), added, st.table.size());
  fill_connections(self);
}

void on_discovery_tick(registry_ptr self) {
  auto& st = self->state;
  if (st.shutting_down)
    return;
  // Below target: ask everyone (each at most every other interval); at
  // target: one random peer, to keep the known table fresh.
  auto now = st.cfg.now_ms();
  std::vector<std::pair<connection_id, node_id>> askable;
  std::set<node_id> seen;
  for (auto conn : st.table.connections())
    if (auto peer = st.table.peer_of(conn); peer &&
                                            seen.insert(peer->id).second &&
                                            st.exchange.may_ask(peer->id, now))
      askable.emplace_back(conn, peer->id);
  if (st.table.connected_peers() >= st.cfg.target_peers && !askable.empty()) {
    auto one = askable[picker(self)(askable.size())];
    askable.assign(1, one);
  }
  for (auto& [conn, id] : askable)
    if (auto i = st.connections.find(conn); i != st.connections.end())
      ask(self, i->second, id);
  fill_connections(self);
  self->delayed_send(self, st.cfg.discovery_interval, tick_atom::value);
}

void fill_connections(registry_ptr self) {
  auto& st = self->state;
  if (st.shutting_down || !discovery_on(self))
    return;
  auto have = st.table.connected_peers() + st.dialing.size();
  if (have >= st.cfg.target_peers)
    return;
  auto candidates = st.table.dial_candidates(st.cfg.now_ms());
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [&](const dial_candidate& x) {
                                    return st.dialing.count(x.listen) > 0;
                                  }),
                   candidates.end());
  // Random order spreads the links over the network; addresses that failed
  // least go first.
  std::shuffle(candidates.begin(), candidates.end(), st.rng);
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const dial_candidate& x, const dial_candidate& y) {
                     return x.dial_failures < y.dial_failures;
                   });
  auto wanted = std::min(st.cfg.target_peers - have, candidates.size());
  for (size_t i = 0; i < wanted; ++i) {
    auto& addr = candidates[i].listen;
    st.background_dials.insert(addr);
    dial(self, addr);
  }
}

} // namespace p2pchat::detail
