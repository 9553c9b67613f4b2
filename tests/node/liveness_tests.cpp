// Liveness and reconnection between real processes: a peer that freezes
// with its socket open is noticed by pings; a peer that comes back on its
// address is dialed again without anyone typing anything.

#include <chrono>
#include <csignal>
#include <string>

#include <boost/test/unit_test.hpp>

#include "node/support/node_process.hpp"

using namespace p2pchat::test;

BOOST_AUTO_TEST_SUITE(liveness_tests)

BOOST_AUTO_TEST_CASE(frozen_peer_is_dropped_after_three_silent_intervals) {
  // 200 ms intervals: a silent peer is dropped after about 0.6-0.8 s.
  node_pair nodes{{"--ping-interval", "200"}};
  auto& a = nodes.a;
  auto& b = nodes.b;
  BOOST_REQUIRE(b->signal(SIGSTOP));
  // B's socket stays open: only A's pings can tell that it is gone.
  BOOST_CHECK_MESSAGE(a->wait_for(exact_line(b.display() + " disconnected")),
                      a.report());
  BOOST_CHECK_MESSAGE(
      a->wait_for_log(line_pattern{".*nothing received for [0-9]+ ms.*"}),
      a.report());
  b->signal(SIGCONT);
}

BOOST_AUTO_TEST_CASE(peer_back_on_its_address_is_dialed_again) {
  node_pair nodes;
  auto& a = nodes.a;
  auto& b = nodes.b;
  auto b_port = std::to_string(b.port());
  // A crash, not a goodbye: A keeps B and will dial it again.
  BOOST_REQUIRE(b->signal(SIGKILL));
  BOOST_REQUIRE_MESSAGE(a->wait_for(exact_line(b.display() + " disconnected")),
                        a.report());
  temp_dir dir;
  node_process b2{{"--name", "B2", "--bind", "127.0.0.1", "--port", b_port,
                   "--data-dir", dir.path() + "/data"}};
  b2.label("node B2");
  BOOST_REQUIRE_MESSAGE(b2.wait_for("Server listening on 127.0.0.1:" + b_port),
                        b2.report());
  // A's first retry comes about 1 s after the loss.
  BOOST_CHECK_MESSAGE(b2.wait_for(exact_line("New peer found: " + a.display())),
                      b2.report() << a.report());
  BOOST_CHECK_MESSAGE(
      a->wait_for(exact_line("New peer found: B2 [127.0.0.1:" + b_port + "]")),
      a.report());
}

BOOST_AUTO_TEST_SUITE_END()
