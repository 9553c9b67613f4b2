#include "actors/seen_cache.hpp"

namespace p2pchat {

seen_cache::seen_cache(size_t capacity, int64_t max_age_ms)
    : capacity_(capacity), max_age_ms_(max_age_ms) {
  // nop
}

bool seen_cache::insert(const message_id& id, int64_t now_ms) {
  evict(now_ms);
  if (!ids_.insert(id).second)
    return false;
  order_.push_back(entry{id, now_ms});
  if (order_.size() > capacity_) {
    ids_.erase(order_.front().id);
    order_.pop_front();
  }
  return true;
}

bool seen_cache::contains(const message_id& id, int64_t now_ms) {
  evict(now_ms);
  return ids_.count(id) > 0;
}

void seen_cache::evict(int64_t now_ms) {
  while (!order_.empty() && now_ms - order_.front().seen_at_ms > max_age_ms_) {
    ids_.erase(order_.front().id);
    order_.pop_front();
  }
}

} // namespace p2pchat
