// Hostile input from a raw TCP client costs only that connection: the node
// closes it, logs why, and keeps chatting with its real peer.

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "node/support/node_process.hpp"
#include "node/support/noise_client.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

using namespace p2pchat::test;
using std::chrono::milliseconds;

namespace {

void put_u8(std::vector<char>& out, uint8_t x) {
  out.push_back(static_cast<char>(x));
}

void put_u16(std::vector<char>& out, uint16_t x) {
  put_u8(out, static_cast<uint8_t>(x >> 8));
  put_u8(out, static_cast<uint8_t>(x));
}

void put_u32(std::vector<char>& out, uint32_t x) {
  put_u16(out, static_cast<uint16_t>(x >> 16));
  put_u16(out, static_cast<uint16_t>(x));
}

std::vector<char> preamble() {
  return {p2pchat::preamble_v2.begin(), p2pchat::preamble_v2.end()};
}

constexpr uint16_t fake_listen_port = 4242;

std::vector<char> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng{seed};
  std::uniform_int_distribution<int> byte{0, 255};
  std::vector<char> result(n);
  for (auto& x : result)
    x = static_cast<char>(byte(rng));
  return result;
}

/// The warning the node logs when it drops the raw client's connection.
line_pattern close_log(const raw_client& raw, const std::string& reason) {
  return line_pattern{
      R"(.*\[warning\] closing connection (to|from) 127\.0\.0\.1:)" +
      std::to_string(raw.local_port()) + ": " + regex_escape(reason) + ".*"};
}

/// Sends `bytes` from a raw client to A and requires A to close the raw
/// connection with a log line naming `reason`; then requires A and B to be
/// unharmed.
void check_rejected(node_pair& nodes, const std::vector<char>& bytes,
                    const std::string& reason) {
  auto& a = nodes.a;
  auto& b = nodes.b;
  raw_client raw{a.port()};
  BOOST_REQUIRE_MESSAGE(raw.connected(), "cannot connect to A" << a.report());
  // The node may close before it has read everything; then sending fails,
  // which is fine: what counts is that it closes.
  raw.send(bytes);
  BOOST_REQUIRE_MESSAGE(raw.wait_closed(),
                        "A did not close the raw connection" << a.report());
  BOOST_CHECK_MESSAGE(a->wait_for_log(close_log(raw, reason)),
                      "A did not log '" << reason << "'" << a.report());
  BOOST_CHECK_MESSAGE(a->count_lines(line_starting("New peer found: ")) == 1,
                      "A took the raw client for a peer" << a.report());
  // Only the raw connection was lost: A and B still chat both ways.
  check_chat_both_ways(a, b, "still friends");
  BOOST_CHECK_MESSAGE(a.query_shows("1. " + b.display() + " - Connected"),
                      a.report());
  BOOST_CHECK_MESSAGE(a->count_lines(line_starting(b.display())) == 0 &&
                          b->count_lines(line_starting(a.display())) == 0,
                      "the real peers lost each other" << a.report()
                                                       << b.report());
}

/// A and B connected, A with a handshake timeout far beyond every wait here:
/// when A closes a raw connection, the input was the reason, not the clock.
struct hostile_pair : node_pair {
  hostile_pair() : node_pair({"--handshake-timeout", "60000"}) {}
};

} // namespace

BOOST_AUTO_TEST_SUITE(hostile_tests)

BOOST_FIXTURE_TEST_CASE(handshake_from_a_test_client_is_accepted,
                        hostile_pair) {
  // Control for the invalid hello below: a client that runs the handshake
  // with a valid name becomes a peer, whose listening port comes from its
  // hello.
  noise_client raw{a.port(), "raw", fake_listen_port, 0x42};
  BOOST_REQUIRE(raw.connected());
  BOOST_REQUIRE_MESSAGE(raw.handshake(), raw.error() << a.report());
  BOOST_CHECK_EQUAL(raw.peer_hello().name, a.name());
  auto raw_peer = "raw [127.0.0.1:" + std::to_string(fake_listen_port) + "]";
  BOOST_REQUIRE_MESSAGE(a->wait_for(exact_line("New peer found: " + raw_peer)),
                        a.report());
  auto mark = a->mark();
  BOOST_REQUIRE(a->send_line("2"));
  BOOST_CHECK_MESSAGE(
      a->wait_for(
          line_pattern{"[12]\\. " + regex_escape(raw_peer) + " - Connected"},
          default_timeout, mark),
      a.report());
}

BOOST_FIXTURE_TEST_CASE(random_bytes_cost_only_that_connection, hostile_pair) {
  auto bytes = random_bytes(4096, 20240601);
  // A zero first byte: not the plain-text format, and not our preamble.
  bytes[0] = 0x00;
  BOOST_REQUIRE(!std::equal(bytes.begin(), bytes.begin() + 4,
                            p2pchat::preamble_v2.begin()));
  check_rejected(*this, bytes, "bad preamble");
}

BOOST_FIXTURE_TEST_CASE(random_frames_cost_only_that_connection, hostile_pair) {
  auto bytes = preamble();
  auto garbage = random_bytes(4096, 7);
  bytes.insert(bytes.end(), garbage.begin(), garbage.end());
  check_rejected(*this, bytes, "");
}

BOOST_FIXTURE_TEST_CASE(oversized_frame_costs_only_that_connection,
                        hostile_pair) {
  // Only the header: the node must reject the length without waiting for
  // a megabyte that never comes.
  auto bytes = preamble();
  put_u32(bytes, 1024 * 1024);
  check_rejected(*this, bytes, "frame too large");
}

BOOST_FIXTURE_TEST_CASE(invalid_name_in_hello_costs_only_that_connection,
                        hostile_pair) {
  noise_client raw{a.port(), "bad name", fake_listen_port, 0x42};
  BOOST_REQUIRE(raw.connected());
  // The node answers message 1 (its own hello) before it sees ours.
  BOOST_REQUIRE_MESSAGE(raw.handshake(), raw.error() << a.report());
  BOOST_REQUIRE_MESSAGE(raw.wait_closed(),
                        "A did not close the connection" << a.report());
  line_pattern logged{R"(.*\[warning\] closing connection to 127\.0\.0\.1:)" +
                      std::to_string(raw.local_port()) + ": invalid name.*"};
  BOOST_CHECK_MESSAGE(a->wait_for_log(logged), a.report());
  BOOST_CHECK_MESSAGE(a->count_lines(line_starting("New peer found: ")) == 1,
                      "A took the client for a peer" << a.report());
  check_chat_both_ways(a, b, "still friends");
}

BOOST_FIXTURE_TEST_CASE(hello_naming_another_node_costs_only_that_connection,
                        hostile_pair) {
  // The client proves its own key but claims B's node id in its hello.
  p2pchat::hello claim;
  claim.id = p2pchat::test::make_node_key(0x43).id;
  claim.name = "impostor";
  claim.listen_port = fake_listen_port;
  noise_client raw{a.port(), claim, 0x42};
  BOOST_REQUIRE(raw.connected());
  BOOST_REQUIRE_MESSAGE(raw.handshake(), raw.error() << a.report());
  BOOST_REQUIRE_MESSAGE(raw.wait_closed(), a.report());
  BOOST_CHECK_MESSAGE(
      a->wait_for_log(line_pattern{".*closing connection to 127\\.0\\.0\\.1:" +
                                   std::to_string(raw.local_port()) +
                                   ": peer key does not match its node id.*"}),
      a.report());
  BOOST_CHECK_MESSAGE(a->count_lines(line_starting("New peer found: ")) == 1,
                      "A took the impostor for a peer" << a.report());
  check_chat_both_ways(a, b, "still friends");
}

BOOST_AUTO_TEST_CASE(silent_clients_are_closed_after_the_handshake_timeout) {
  constexpr milliseconds handshake_timeout{500};
  node_pair nodes{
      {"--handshake-timeout", std::to_string(handshake_timeout.count())}};
  auto& a = nodes.a;
  auto& b = nodes.b;
  // One client sends the preamble and then nothing, the other nothing.
  auto start = std::chrono::steady_clock::now();
  raw_client after_preamble{a.port()};
  raw_client silent{a.port()};
  BOOST_REQUIRE(after_preamble.connected() && silent.connected());
  BOOST_REQUIRE(after_preamble.send(preamble()));
  // Watch both at once, so that an early close is seen when it happens.
  std::vector<raw_client*> clients{&after_preamble, &silent};
  std::vector<milliseconds> closed_after(clients.size(), milliseconds{-1});
  auto deadline = start + default_timeout;
  for (int round = 0; round < 100000; ++round) {
    bool all_closed = true;
    for (size_t i = 0; i < clients.size(); ++i) {
      if (closed_after[i].count() >= 0)
        continue;
      if (clients[i]->wait_closed(milliseconds{5}))
        closed_after[i] = std::chrono::duration_cast<milliseconds>(
            std::chrono::steady_clock::now() - start);
      else
        all_closed = false;
    }
    if (all_closed || std::chrono::steady_clock::now() >= deadline)
      break;
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    BOOST_TEST_CONTEXT("client " << i << " (0: preamble only, 1: silent)") {
      BOOST_REQUIRE_MESSAGE(closed_after[i].count() >= 0,
                            "A did not close the client" << a.report());
      // Not before the timeout (which starts a little after `start`), with
      // some slack for timer rounding.
      BOOST_CHECK_GE(closed_after[i].count(), handshake_timeout.count() - 50);
      BOOST_CHECK_MESSAGE(
          a->wait_for_log(close_log(*clients[i], "handshake timeout")),
          a.report());
    }
  }
  // The real peers are unharmed.
  auto mark = a->mark();
  BOOST_REQUIRE(b.send_message(a, "after the timeouts"));
  BOOST_CHECK_MESSAGE(a->wait_for(exact_line("Message from " + b.display() +
                                             ": after the timeouts"),
                                  default_timeout, mark),
                      a.report() << b.report());
  BOOST_CHECK_MESSAGE(a.query_shows("1. " + b.display() + " - Connected"),
                      a.report());
}

BOOST_AUTO_TEST_SUITE_END()
