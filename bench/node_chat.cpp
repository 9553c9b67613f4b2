// Two p2pchat nodes on loopback, A connected to B, driven through their
// consoles (menu lines in on stdin, --output jsonl events out on stdout):
//
//   throughput: COUNT 100-byte chats typed into A, counted as B prints them
//     (each must arrive, in order); messages/s from the first line written
//     to the last event read.
//   round trip: ROUNDS times, a chat typed into A is printed by B, whose
//     answer typed into B is printed by A; microseconds per round trip.
//
// node_chat --node BINARY --dir DIR --count COUNT --rounds ROUNDS [--plain]

#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/node_process.hpp"
#include "support/stats.hpp"

using namespace p2pchat::bench;
using namespace std::chrono_literals;

namespace {

/// A 100-byte text that carries its number.
std::string text_of(size_t i) {
  char head[32];
  std::snprintf(head, sizeof head, "m%010zu", i);
  std::string result{head};
  result.resize(100, 'x');
  return result;
}

/// Waits for the next chat event; returns its text field's start (the
/// 11-character number) or throws at the deadline.
std::string next_chat(child_process& node, bench_clock::time_point deadline) {
  auto line = node.wait_for("\"event\":\"chat\"", deadline);
  if (!line)
    throw std::runtime_error("a chat did not arrive in time");
  auto at = line->find("\"text\":\"");
  if (at == std::string::npos)
    throw std::runtime_error("chat event without text: " + *line);
  return line->substr(at + 8, 11);
}

void throughput(node_process& a, node_process& b, size_t count) {
  std::string input;
  input.reserve(count * 120);
  for (size_t i = 0; i < count; ++i)
    input += node_process::send_lines(b.port(), text_of(i));
  auto start = bench_clock::now();
  std::thread writer{[&] {
    a.process().write(input);
  }};
  auto deadline = start + 300s;
  size_t i = 0;
  try {
    for (; i < count; ++i)
      if (next_chat(b.process(), deadline) != text_of(i).substr(0, 11))
        throw std::runtime_error("chat " + std::to_string(i) +
                                 " arrived out of order");
  } catch (...) {
    writer.join();
    std::fprintf(stderr, "node_chat: %zu of %zu chats arrived\n", i, count);
    throw;
  }
  auto took = bench_clock::now() - start;
  writer.join();
  result("msgs_per_s", static_cast<double>(count) / (micros(took) / 1e6));
  result("receiver_rss_kib", static_cast<double>(b.process().rss_kib()));
}

void round_trips(node_process& a, node_process& b, size_t rounds) {
  std::vector<double> samples;
  samples.reserve(rounds);
  for (size_t i = 0; i < rounds; ++i) {
    auto text = text_of(i);
    auto start = bench_clock::now();
    a.process().write(node_process::send_lines(b.port(), text));
    auto deadline = start + 10s;
    if (next_chat(b.process(), deadline) != text.substr(0, 11))
      throw std::runtime_error("round trip " + std::to_string(i) +
                               ": wrong chat at B");
    b.process().write(node_process::send_lines(a.port(), text));
    if (next_chat(a.process(), deadline) != text.substr(0, 11))
      throw std::runtime_error("round trip " + std::to_string(i) +
                               ": wrong chat at A");
    samples.push_back(micros(bench_clock::now() - start));
  }
  print_latency("chat_rtt", samples);
}

} // namespace

int main(int argc, char** argv) {
  try {
    auto binary = arg(argc, argv, "--node", "build/p2pchat");
    auto dir = arg(argc, argv, "--dir", "/tmp");
    auto count = std::stoul(arg(argc, argv, "--count", "200000"));
    auto rounds = std::stoul(arg(argc, argv, "--rounds", "0"));
    auto extra = session_options(flag(argc, argv, "--plain"));
    node_process b{binary, "bench_b", dir, extra};
    auto a_options = extra;
    a_options.push_back("--peer");
    a_options.push_back("127.0.0.1:" + std::to_string(b.port()));
    node_process a{binary, "bench_a", dir, a_options};
    auto deadline = bench_clock::now() + 10s;
    if (!a.process().wait_for("peer_found", deadline) ||
        !b.process().wait_for("peer_found", deadline))
      throw std::runtime_error("the nodes did not connect");
    if (count > 0)
      throughput(a, b, count);
    if (rounds > 0)
      round_trips(a, b, rounds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "node_chat: %s\n", e.what());
    return 1;
  }
  return 0;
}
