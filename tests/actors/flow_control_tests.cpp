// Flow control between two complete nodes over the in-process transport: a
// peer that sends far more than the receiver handles is held back by the
// receiver's connection (it stops reading, so the bytes stay on the wire),
// and nothing it sent is lost or reordered.

#include <string>

#include "support/sim_network.hpp"

using namespace p2pchat;
using namespace p2pchat::test;

BOOST_AUTO_TEST_SUITE(flow_control_tests)

BOOST_AUTO_TEST_CASE(a_flood_of_chats_is_held_back_and_nothing_is_lost) {
  constexpr size_t flood = 20000;
  constexpr size_t max_pending = 1024;
  sim_options opts;
  simulation sim{opts};
  sim.add_nodes(2);
  // Node 0 accepts with the bound under test.
  auto accepting = sim.node(0).connection;
  accepting.max_pending_messages = max_pending;
  sim.net.listen(sim.node(0).listen, accepting);
  sim.connect(1, 0);
  sim.run_until_idle();
  BOOST_REQUIRE_EQUAL(sim.linked(0).size(), 1u);
  for (size_t i = 0; i < flood; ++i)
    sim.send_chat(1, 0, "flood " + std::to_string(i));
  // Node 1 writes everything (nothing is delivered yet). Then bytes arrive
  // while no actor runs: node 0's connection (which consumes inline) hands
  // on messages up to the bound, then stops reading, and the rest waits on
  // the wire.
  while (sim.sched.try_run_once() || sim.mpx.try_exec_runnable())
    ; // nop
  auto written = sim.net.queued();
  while (sim.net.deliver_one())
    ; // nop
  BOOST_TEST_MESSAGE("chunks written: " << written << ", left on the wire: "
                                        << sim.net.queued());
  BOOST_CHECK_EQUAL(sim.net.read_pauses(simulation::host_of(0)), 1u);
  BOOST_CHECK_GT(sim.net.queued(), 0u);
  BOOST_CHECK(sim.node(0).chats().empty());
  // Once the registry and console catch up, reading resumes, pausing again
  // whenever they fall behind, until everything arrived in order.
  sim.run_until_idle();
  auto chats = sim.node(0).chats();
  BOOST_REQUIRE_EQUAL(chats.size(), flood);
  for (size_t i = 0; i < flood; ++i)
    if (chats[i].second != "flood " + std::to_string(i)) {
      BOOST_ERROR("chat " << i << " is '" << chats[i].second << "'");
      break;
    }
  BOOST_TEST_MESSAGE("reads paused "
                     << sim.net.read_pauses(simulation::host_of(0))
                     << " times for " << flood << " chats");
  // The link survived: throttling is not a disconnect.
  BOOST_CHECK_EQUAL(sim.linked(0).size(), 1u);
}

BOOST_AUTO_TEST_SUITE_END()
