#pragma once

// Percentiles of latency samples, printed as result lines.

#include <string>
#include <vector>

namespace p2pchat::bench {

/// The `q`-quantile (0..1) of `samples`, nearest rank; sorts `samples`.
double quantile(std::vector<double>& samples, double q);

/// Prints `NAME_p50_us`, `NAME_p99_us` and `NAME_max_us` of `samples`
/// (microseconds).
void print_latency(const std::string& name, std::vector<double> samples);

} // namespace p2pchat::bench
