#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actors/types.hpp"

namespace p2pchat {

/// Identifies one live connection (the connection actor's id).
using connection_id = uint64_t;

/// A node we know: one we exchanged hellos with (`met`), connected or not,
/// or one a peer told us about.
struct known_peer {
  node_id id;
  std::string name;
  /// Where it accepts connections: socket IP + port from its hello once met,
  /// else what the peer that told us about it said.
  peer_address listen;
  /// Insertion order, so listings stay stable.
  uint64_t first_seen = 0;
  /// We had a live link to it ourselves: only such peers are handed out.
  bool met = false;
  /// When it was last connected (or, if never met, when the peer that told
  /// us about it last was), in ms since the epoch.
  int64_t last_seen_ms = 0;
  /// Failed dials in a row, and when to try again.
  uint32_t dial_failures = 0;
  int64_t retry_after_ms = 0;
};

/// An address the registry may dial to reach its target of connections.
struct dial_candidate {
  peer_address listen;
  uint32_t dial_failures = 0;
};

/// A peer that speaks only the original app's plain-text format. It has no
/// node id and no link: it is known by its listening address.
struct legacy_peer {
  /// "unknown" until it sends us a message.
  std::string name;
  peer_address listen;
  /// It said "connect" (or we did), in the original app's sense.
  bool connected = false;
  uint64_t first_seen = 0;
};

/// One live connection that completed its hello.
struct live_connection {
  node_id peer;
  bool we_initiated = false;
  /// Order of registration; the oldest of equal links wins.
  uint64_t opened = 0;
};

/// The registry's peer table: known peers and the live connections to them,
/// kept apart. A plain class so that its rules are tested without actors.
///
/// At most one connection per pair of nodes survives. When both nodes dial
/// each other at once, both keep the link opened by the node with the
/// smaller id; when one node dialed twice, that node keeps its oldest link
/// and the other side waits for it to close the rest. Both sides apply the
/// same rules to the same facts, so they agree without talking.
class peer_table {
public:
  /// Known peers kept at most (met or learned; live links always fit).
  static constexpr size_t default_capacity = 1000;

  /// Learned addresses that failed this many dials in a row are dropped.
  static constexpr uint32_t max_dial_failures = 3;

  /// Met peers not seen for longer than this are not handed out.
  static constexpr int64_t share_horizon_ms = 60 * 60 * 1000;

  explicit peer_table(node_id self, size_t capacity = default_capacity);

  /// What registering a hello decided.
  struct hello_outcome {
    /// The hello came from this very node; the connection must close.
    bool self_connection = false;
    /// The first hello from this node id.
    bool new_peer = false;
    /// Links (possibly including the new one) to close as duplicates.
    std::vector<connection_id> duplicates;
  };

  /// Registers connection `conn` whose peer sent a valid hello.
  hello_outcome on_hello(connection_id conn, bool we_initiated,
                         const node_id& id, const std::string& name,
                         const peer_address& listen, int64_t now_ms = 0);

  /// What a closed connection changed.
  struct closed_outcome {
    /// The connection was registered (it had completed a hello).
    bool registered = false;
    /// It was the last link to its peer.
    bool peer_disconnected = false;
    peer_view peer;
  };

  /// Removes connection `conn` (unknown ids are ignored).
  closed_outcome on_closed(connection_id conn, int64_t now_ms = 0);

  /// Forgets the peer entirely (it said it is leaving); its links stay
  /// registered until they close. Returns what it looked like.
  std::optional<peer_view> forget(const node_id& id);

  /// The link to use for sending to `id`, if it is connected.
  std::optional<connection_id> route(const node_id& id) const;

  /// The peer listening at `addr`, if any.
  std::optional<peer_view> find(const peer_address& addr) const;

  /// The peer behind `conn`, if the connection is registered and the peer
  /// still known.
  std::optional<peer_view> peer_of(connection_id conn) const;

  /// Every known peer, in the order they were first seen.
  std::vector<peer_view> list() const;

  /// Every registered live connection.
  std::vector<connection_id> connections() const;

  /// True if `id` has at least one live connection.
  bool connected(const node_id& id) const;

  /// How many distinct peers have a live connection.
  size_t connected_peers() const;

  // -- discovery
  // ---------------------------------------------------------------

  /// Merges entries a peer sent. Never overrides what we saw ourselves; a
  /// full table makes room by evicting the longest-unseen peer we never met
  /// (or drops the entry if every such peer was seen more recently). Claims
  /// of a last-seen time in the future count as now. Returns how many
  /// entries were new.
  size_t learn(const std::vector<peer_entry>& entries, int64_t now_ms);

  /// Up to `limit` peers we met ourselves and saw within the share horizon,
  /// excluding `requester`, in random order (by `pick`, a uniform random
  /// index below its argument).
  std::vector<peer_entry>
  shareable(size_t limit, const node_id& requester, int64_t now_ms,
            const std::function<size_t(size_t)>& pick) const;

  /// Learned addresses of peers we never met whose retry time has come.
  /// (Peers we met are dialed again by the registry's reconnect schedule,
  /// unless they left or the user sent them away.)
  std::vector<dial_candidate> dial_candidates(int64_t now_ms) const;

  /// A dial to `addr` failed: try it later, or drop it if we never met it
  /// and it failed too often.
  void on_dial_failed(const peer_address& addr, int64_t now_ms);

  /// Known peers, met or learned.
  size_t size() const { return peers_.size(); }

  // -- peers speaking the original format ------------------------------------

  /// Marks `addr` as speaking the original format (a --legacy-peer, or a
  /// dialed address that never answered with a hello). Returns true if the
  /// address was not marked before.
  bool mark_legacy(const peer_address& addr);

  /// Records a message in the original format and learns (or updates) its
  /// sender's name. Returns the sender, and true if it was not known before.
  std::pair<peer_view, bool> on_legacy(const legacy_message& msg);

  /// Sets whether the legacy peer at `addr` counts as connected.
  void set_legacy_connected(const peer_address& addr, bool value);

  /// Forgets the legacy peer at `addr` (it said "exit").
  std::optional<peer_view> forget_legacy(const peer_address& addr);

  /// True if `addr` speaks the original format.
  bool is_legacy(const peer_address& addr) const;

  /// Every legacy peer's address (to say "exit" to on quit).
  std::vector<peer_address> legacy_addresses() const;

private:
  peer_view view_of(const known_peer& peer) const;

  static peer_view view_of(const legacy_peer& peer);

  /// Evicts the longest-unseen peer we never met, unless it was seen after
  /// `incoming_seen_ms` (then the incoming entry is the one to drop).
  /// Returns whether room was made.
  bool make_room(int64_t incoming_seen_ms);

  /// Makes room for a peer that just completed a hello: a never-met entry
  /// goes first, else the longest-unseen unconnected one.
  bool make_room_for_met();

  /// Drops link `conn` (if registered) from `links_` and `link_counts_`.
  void remove_link(connection_id conn);

  /// Applies the duplicate rules to `id`'s links.
  std::vector<connection_id> duplicates_of(const node_id& id) const;

  /// Orders links by preference: the one to keep comes first.
  bool preferred(const live_connection& x, const live_connection& y) const;

  /// Sets `peer.listen`, keeping `at_address_` in step.
  void move_peer(known_peer& peer, const peer_address& listen);

  /// Drops `peer` from `at_address_`.
  void unindex(const known_peer& peer);

  /// Erases a known peer (and its index entry); returns the next one.
  std::map<node_id, known_peer>::iterator
  erase_peer(std::map<node_id, known_peer>::iterator i);

  node_id self_;
  size_t capacity_;
  std::map<node_id, known_peer> peers_;
  /// Known peers by listening address: a hello finds stale entries at its
  /// address without a look at every peer (a hub holding 10,000 links
  /// spent most of each hello on that look).
  std::map<peer_address, std::set<node_id>> at_address_;
  std::map<connection_id, live_connection> links_;
  /// Live links per peer: whether a peer is connected, in log time (asked
  /// once per known peer when handing out peer lists).
  std::map<node_id, size_t> link_counts_;
  std::map<peer_address, legacy_peer> legacy_;
  uint64_t next_order_ = 0;
};

} // namespace p2pchat
