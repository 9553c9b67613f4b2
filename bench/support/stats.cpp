#include "stats.hpp"

#include <algorithm>
#include <cmath>

#include "node_process.hpp"

namespace p2pchat::bench {

double quantile(std::vector<double>& samples, double q) {
  if (samples.empty())
    return 0;
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<size_t>(std::ceil(q * samples.size()));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

void print_latency(const std::string& name, std::vector<double> samples) {
  result(name + "_p50_us", quantile(samples, 0.50));
  result(name + "_p99_us", quantile(samples, 0.99));
  result(name + "_max_us", quantile(samples, 1.0));
}

} // namespace p2pchat::bench
