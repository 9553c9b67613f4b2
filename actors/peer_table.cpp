#include "actors/peer_table.hpp"

#include <algorithm>
#include <limits>
#include <set>

namespace p2pchat {

namespace {

/// Delay before dialing a failed address again: 30 s, doubling, at most an
/// hour (met peers also have the registry's own reconnect schedule).
int64_t retry_delay_ms(uint32_t failures) {
  constexpr int64_t base = 30 * 1000;
  constexpr int64_t cap = 60 * 60 * 1000;
  auto shift = std::min<uint32_t>(failures > 0 ? failures - 1 : 0, 16);
  return std::min(cap, base << shift);
}

bool is_ip_literal(const std::string& host) {
  return is_ipv4_literal(host) || is_ipv6_literal(host);
}

} // namespace

peer_table::peer_table(node_id self, size_t capacity)
    : self_(self), capacity_(capacity) {
  // nop
}

peer_table::hello_outcome
peer_table::on_hello(connection_id conn, bool we_initiated, const node_id& id,
                     const std::string& name, const peer_address& listen,
                     int64_t now_ms) {
  hello_outcome result;
  if (id == self_) {
    result.self_connection = true;
    return result;
  }
  // A different node now answers at this address: the old entry is stale
  // (e.g. a restart with a new key), unless it is still connected elsewhere.
  if (auto at = at_address_.find(listen); at != at_address_.end()) {
    std::vector<node_id> stale;
    for (auto& other : at->second)
      if (other != id && !connected(other))
        stale.push_back(other);
    for (auto& other : stale)
      if (auto i = peers_.find(other); i != peers_.end())
        erase_peer(i);
  }
  // A p2pchat node answers here after all.
  legacy_.erase(listen);
  if (peers_.count(id) == 0 && peers_.size() >= capacity_)
    make_room_for_met();
  auto [pos, inserted] = peers_.try_emplace(id);
  auto& peer = pos->second;
  if (inserted) {
    peer.id = id;
    peer.first_seen = next_order_++;
  }
  // Learned of it before, but first met now: new to the user.
  result.new_peer = !peer.met;
  peer.name = name;
  move_peer(peer, listen);
  peer.met = true;
  peer.last_seen_ms = now_ms;
  peer.dial_failures = 0;
  peer.retry_after_ms = 0;
  remove_link(conn);
  links_[conn] = live_connection{id, we_initiated, next_order_++};
  ++link_counts_[id];
  result.duplicates = duplicates_of(id);
  return result;
}

bool peer_table::preferred(const live_connection& x,
                           const live_connection& y) const {
  // The link opened by the node with the smaller id wins a simultaneous
  // open; among links opened by the same side, the oldest wins.
  bool we_are_smaller = self_ < x.peer;
  bool x_by_smaller = x.we_initiated == we_are_smaller;
  bool y_by_smaller = y.we_initiated == we_are_smaller;
  if (x_by_smaller != y_by_smaller)
    return x_by_smaller;
  return x.opened < y.opened;
}

std::vector<connection_id> peer_table::duplicates_of(const node_id& id) const {
  // The usual case, one link, without a look at every link (a node holding
  // 10,000 links spent most of each hello here).
  if (auto count = link_counts_.find(id);
      count == link_counts_.end() || count->second < 2)
    return {};
  std::vector<std::pair<connection_id, live_connection>> mine;
  for (auto& [conn, link] : links_)
    if (link.peer == id)
      mine.emplace_back(conn, link);
  std::vector<connection_id> result;
  if (mine.size() < 2)
    return result;
  std::sort(mine.begin(), mine.end(),
            [this](auto& x, auto& y) { return preferred(x.second, y.second); });
  auto& best = mine.front().second;
  for (size_t i = 1; i < mine.size(); ++i) {
    auto& link = mine[i].second;
    // Links opened by the other side in the same direction as the winner are
    // the other side's to close: only it knows which one it keeps.
    if (link.we_initiated == best.we_initiated && !link.we_initiated)
      continue;
    result.push_back(mine[i].first);
  }
  return result;
}

peer_table::closed_outcome peer_table::on_closed(connection_id conn,
                                                 int64_t now_ms) {
  closed_outcome result;
  auto i = links_.find(conn);
  if (i == links_.end())
    return result;
  result.registered = true;
  auto id = i->second.peer;
  remove_link(conn);
  auto peer = peers_.find(id);
  if (peer != peers_.end() && !connected(id)) {
    peer->second.last_seen_ms = now_ms;
    result.peer_disconnected = true;
    result.peer = view_of(peer->second);
  }
  return result;
}

std::optional<peer_view> peer_table::forget(const node_id& id) {
  auto i = peers_.find(id);
  if (i == peers_.end())
    return std::nullopt;
  auto result = view_of(i->second);
  erase_peer(i);
  return result;
}

std::optional<connection_id> peer_table::route(const node_id& id) const {
  std::optional<connection_id> best;
  const live_connection* best_link = nullptr;
  for (auto& [conn, link] : links_) {
    if (link.peer != id)
      continue;
    if (best_link == nullptr || preferred(link, *best_link)) {
      best = conn;
      best_link = &link;
    }
  }
  return best;
}

std::optional<peer_view> peer_table::find(const peer_address& addr) const {
  for (auto& [id, peer] : peers_)
    if (peer.met && peer.listen == addr)
      return view_of(peer);
  if (auto i = legacy_.find(addr); i != legacy_.end())
    return view_of(i->second);
  return std::nullopt;
}

std::optional<peer_view> peer_table::peer_of(connection_id conn) const {
  auto i = links_.find(conn);
  if (i == links_.end())
    return std::nullopt;
  auto peer = peers_.find(i->second.peer);
  if (peer == peers_.end())
    return std::nullopt;
  return view_of(peer->second);
}

std::vector<peer_view> peer_table::list() const {
  std::vector<std::pair<uint64_t, peer_view>> sorted;
  for (auto& [id, peer] : peers_)
    if (peer.met)
      sorted.emplace_back(peer.first_seen, view_of(peer));
  for (auto& [addr, peer] : legacy_)
    sorted.emplace_back(peer.first_seen, view_of(peer));
  std::sort(sorted.begin(), sorted.end(),
            [](auto& x, auto& y) { return x.first < y.first; });
  std::vector<peer_view> result;
  for (auto& entry : sorted)
    result.push_back(std::move(entry.second));
  return result;
}

std::vector<connection_id> peer_table::connections() const {
  std::vector<connection_id> result;
  for (auto& [conn, link] : links_)
    result.push_back(conn);
  return result;
}

bool peer_table::connected(const node_id& id) const {
  return link_counts_.count(id) > 0;
}

size_t peer_table::connected_peers() const {
  return link_counts_.size();
}

void peer_table::remove_link(connection_id conn) {
  auto i = links_.find(conn);
  if (i == links_.end())
    return;
  auto count = link_counts_.find(i->second.peer);
  if (--count->second == 0)
    link_counts_.erase(count);
  links_.erase(i);
}

bool peer_table::make_room(int64_t incoming_seen_ms) {
  // Never-met peers go first, the longest-unseen of them; a met peer goes
  // only for another met one, and a connected one never.
  auto victim = peers_.end();
  for (auto i = peers_.begin(); i != peers_.end(); ++i)
    if (!i->second.met &&
        (victim == peers_.end() ||
         i->second.last_seen_ms < victim->second.last_seen_ms))
      victim = i;
  if (victim != peers_.end()) {
    if (victim->second.last_seen_ms > incoming_seen_ms)
      return false;
    erase_peer(victim);
    return true;
  }
  return false;
}

bool peer_table::make_room_for_met() {
  // Every known peer connected (a hub over its capacity): nothing may go, and
  // the scans below would find nothing, at a cost linear in the table on
  // every hello. Peers with a link that are no longer known make this test
  // err towards growing the table by one.
  if (peers_.size() <= link_counts_.size())
    return false;
  if (make_room(std::numeric_limits<int64_t>::max()))
    return true;
  auto victim = peers_.end();
  for (auto i = peers_.begin(); i != peers_.end(); ++i)
    if (!connected(i->first) &&
        (victim == peers_.end() ||
         i->second.last_seen_ms < victim->second.last_seen_ms))
      victim = i;
  if (victim == peers_.end())
    return false; // every known peer is connected: the table grows
  erase_peer(victim);
  return true;
}

size_t peer_table::learn(const std::vector<peer_entry>& entries,
                         int64_t now_ms) {
  size_t added = 0;
  for (auto& entry : entries) {
    if (entry.id == self_ || !is_ip_literal(entry.host) || entry.port == 0)
      continue;
    peer_address listen{entry.host, entry.port};
    if (legacy_.count(listen) > 0)
      continue;
    auto seen = std::min(entry.last_seen_ms, now_ms);
    if (auto i = peers_.find(entry.id); i != peers_.end()) {
      // What we saw ourselves beats hearsay; among hearsay, the freshest.
      auto& peer = i->second;
      if (!peer.met && seen > peer.last_seen_ms) {
        peer.last_seen_ms = seen;
        move_peer(peer, listen);
        peer.name = entry.name;
      }
      continue;
    }
    // A node we met answers at this address under another id.
    if (find(listen))
      continue;
    if (peers_.size() >= capacity_ && !make_room(seen))
      continue;
    known_peer peer;
    peer.id = entry.id;
    peer.name = entry.name;
    peer.listen = std::move(listen);
    peer.first_seen = next_order_++;
    peer.last_seen_ms = seen;
    at_address_[peer.listen].insert(peer.id);
    peers_.emplace(entry.id, std::move(peer));
    ++added;
  }
  return added;
}

std::vector<peer_entry>
peer_table::shareable(size_t limit, const node_id& requester, int64_t now_ms,
                      const std::function<size_t(size_t)>& pick) const {
  std::vector<peer_entry> result;
  for (auto& [id, peer] : peers_) {
    if (!peer.met || id == requester || !is_ip_literal(peer.listen.host))
      continue;
    auto live = connected(id);
    if (!live && now_ms - peer.last_seen_ms > share_horizon_ms)
      continue;
    result.push_back(peer_entry{id, peer.name, peer.listen.host,
                                peer.listen.port,
                                live ? now_ms : peer.last_seen_ms});
  }
  // A random sample, so that nodes asking the same peer spread out.
  auto count = std::min(limit, result.size());
  for (size_t i = 0; i < count; ++i)
    std::swap(result[i], result[i + pick(result.size() - i)]);
  result.resize(count);
  return result;
}

std::vector<dial_candidate> peer_table::dial_candidates(int64_t now_ms) const {
  std::vector<dial_candidate> result;
  for (auto& [id, peer] : peers_)
    if (!peer.met && peer.retry_after_ms <= now_ms &&
        legacy_.count(peer.listen) == 0)
      result.push_back(dial_candidate{peer.listen, peer.dial_failures});
  return result;
}

void peer_table::on_dial_failed(const peer_address& addr, int64_t now_ms) {
  for (auto i = peers_.begin(); i != peers_.end();) {
    auto& peer = i->second;
    if (peer.listen != addr || connected(i->first)) {
      ++i;
      continue;
    }
    ++peer.dial_failures;
    if (!peer.met && peer.dial_failures >= max_dial_failures) {
      i = erase_peer(i);
      continue;
    }
    peer.retry_after_ms = now_ms + retry_delay_ms(peer.dial_failures);
    ++i;
  }
}

void peer_table::move_peer(known_peer& peer, const peer_address& listen) {
  if (!peer.listen.host.empty() || peer.listen.port != 0) {
    if (peer.listen == listen)
      return;
    unindex(peer);
  }
  peer.listen = listen;
  at_address_[listen].insert(peer.id);
}

void peer_table::unindex(const known_peer& peer) {
  auto at = at_address_.find(peer.listen);
  if (at == at_address_.end())
    return;
  at->second.erase(peer.id);
  if (at->second.empty())
    at_address_.erase(at);
}

std::map<node_id, known_peer>::iterator
peer_table::erase_peer(std::map<node_id, known_peer>::iterator i) {
  unindex(i->second);
  return peers_.erase(i);
}

peer_view peer_table::view_of(const known_peer& peer) const {
  return peer_view{peer.id, peer.name, peer.listen, connected(peer.id), false};
}

peer_view peer_table::view_of(const legacy_peer& peer) {
  return peer_view{node_id{}, peer.name, peer.listen, peer.connected, true};
}

bool peer_table::mark_legacy(const peer_address& addr) {
  auto [pos, inserted] = legacy_.try_emplace(addr);
  if (inserted)
    pos->second = legacy_peer{"unknown", addr, false, next_order_++};
  return inserted;
}

std::pair<peer_view, bool> peer_table::on_legacy(const legacy_message& msg) {
  auto inserted = mark_legacy(msg.sender);
  auto& peer = legacy_[msg.sender];
  peer.name = msg.name;
  return {view_of(peer), inserted};
}

void peer_table::set_legacy_connected(const peer_address& addr, bool value) {
  if (auto i = legacy_.find(addr); i != legacy_.end())
    i->second.connected = value;
}

std::optional<peer_view> peer_table::forget_legacy(const peer_address& addr) {
  auto i = legacy_.find(addr);
  if (i == legacy_.end())
    return std::nullopt;
  auto result = view_of(i->second);
  legacy_.erase(i);
  return result;
}

bool peer_table::is_legacy(const peer_address& addr) const {
  return legacy_.count(addr) > 0;
}

std::vector<peer_address> peer_table::legacy_addresses() const {
  std::vector<peer_address> result;
  for (auto& [addr, peer] : legacy_)
    result.push_back(addr);
  return result;
}

} // namespace p2pchat
