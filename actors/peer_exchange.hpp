#pragma once

#include <cstdint>
#include <map>

#include "protocol/node_id.hpp"

namespace p2pchat {

/// Bookkeeping of peer-list requests with each connected peer, both ways:
/// which of its requests we answer, when it floods us, and which of its
/// peer lists we asked for. A plain class so that the limits are tested
/// without actors. Times are milliseconds on any monotonic scale.
class peer_exchange {
public:
  /// More requests than this within one interval is a flood.
  static constexpr uint32_t default_flood_limit = 10;

  /// What to do with a request that just arrived.
  enum class verdict {
    /// The first request of this interval: send a peer list.
    answer,
    /// Too soon after the last answered one: no answer, no harm.
    ignore,
    /// Far too many requests: disconnect the peer.
    flood,
  };

  /// Answers at most one request per peer per `interval_ms`, and asks each
  /// peer at most once per two intervals, so that a peer with the same
  /// interval always answers despite delays on the way.
  explicit peer_exchange(int64_t interval_ms,
                         uint32_t flood_limit = default_flood_limit);

  /// Judges a request from `peer`.
  verdict on_request(const node_id& peer, int64_t now_ms);

  /// True if we may ask `peer` now.
  bool may_ask(const node_id& peer, int64_t now_ms) const;

  /// Records that we asked `peer`.
  void asked(const node_id& peer, int64_t now_ms);

  /// True if a peer list from `peer` answers a request of ours (once per
  /// request: a second or unsolicited list is not merged).
  bool accept_reply(const node_id& peer);

  /// Drops what we know about `peer` (its last link closed).
  void forget(const node_id& peer);

  int64_t interval_ms() const noexcept { return interval_ms_; }

private:
  struct peer_state {
    bool answered_any = false;
    int64_t last_answered_ms = 0;
    int64_t window_start_ms = 0;
    uint32_t requests_in_window = 0;
    bool asked_any = false;
    int64_t last_asked_ms = 0;
    bool reply_pending = false;
  };

  int64_t interval_ms_;
  uint32_t flood_limit_;
  std::map<node_id, peer_state> peers_;
};

} // namespace p2pchat
