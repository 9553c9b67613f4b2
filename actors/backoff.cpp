#include "actors/backoff.hpp"

#include <algorithm>

namespace p2pchat {

backoff::backoff(duration first, duration max)
    : first_(first), max_(max), base_(first) {
  // nop
}

backoff::duration backoff::next(std::mt19937_64& rng) {
  auto base = base_;
  base_ = std::min(base_ * 2, max_);
  // +/- 20 %: spreads the retries of nodes that lost the same peer.
  std::uniform_int_distribution<int64_t> jitter{-base.count() / 5,
                                                base.count() / 5};
  return base + duration{jitter(rng)};
}

} // namespace p2pchat
