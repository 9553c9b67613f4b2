#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace p2pchat {

/// Delays between reconnection attempts: exponential with jitter, so that a
/// flapping peer is retried soon but a dead one costs almost nothing, and
/// nodes that lost the same peer do not all knock at once.
class backoff {
public:
  using duration = std::chrono::milliseconds;

  /// About 1 s, doubling up to 5 min, each delay +/- 20 %.
  static constexpr duration default_first{1000};
  static constexpr duration default_max{5 * 60 * 1000};

  explicit backoff(duration first = default_first, duration max = default_max);

  /// The delay before the next attempt; each call doubles the base delay up
  /// to the maximum. `rng` supplies the jitter.
  duration next(std::mt19937_64& rng);

  /// Back to the first delay (after a success).
  void reset() noexcept { base_ = first_; }

private:
  duration first_;
  duration max_;
  duration base_;
};

} // namespace p2pchat
