#pragma once

#include <cstdint>
#include <deque>
#include <set>

#include "protocol/messages.hpp"

namespace p2pchat {

/// Remembers the ids of recent broadcasts, so that each is shown and passed
/// on once. Bounded in both size and age: the oldest ids go first, when the
/// cache is full or when they are older than the age limit. A copy arriving
/// after its id left the cache would be shown again, so the limits must
/// outlast a flood (a few seconds on a network with a hop limit of 16).
class seen_cache {
public:
  /// Defaults: 10,000 ids (about 600 KiB), kept at most 10 minutes.
  static constexpr size_t default_capacity = 10000;
  static constexpr int64_t default_max_age_ms = 10 * 60 * 1000;

  explicit seen_cache(size_t capacity = default_capacity,
                      int64_t max_age_ms = default_max_age_ms);

  /// Records `id` seen at `now_ms`. Returns false if it was seen already.
  bool insert(const message_id& id, int64_t now_ms);

  /// True if `id` was seen (and is still remembered) at `now_ms`.
  bool contains(const message_id& id, int64_t now_ms);

  /// Number of ids remembered.
  size_t size() const noexcept { return order_.size(); }

private:
  struct entry {
    message_id id;
    int64_t seen_at_ms;
  };

  void evict(int64_t now_ms);

  size_t capacity_;
  int64_t max_age_ms_;
  std::deque<entry> order_;
  std::set<message_id> ids_;
};

} // namespace p2pchat
