#pragma once

// Deterministic actor tests: CAF's test coordinator runs every actor on the
// test's own thread, the test multiplexer stands in for sockets, and time
// only moves when a test says so.

#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/test_multiplexer.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include "actors/types.hpp"

namespace p2pchat::test {

/// Everything an actor under test sent to a stand-in actor, in order.
using message_log = std::vector<caf::message>;

/// Texts as the console, the registry and the stdin reader hand them on.
using text_list = std::vector<std::string>;

/// A stand-in actor that records every message it receives. If `peers` is
/// given it also answers `list_atom` with it, and it answers
/// `shutdown_atom` and `barrier_atom` with `done_atom`, like a registry.
inline caf::behavior recorder(caf::event_based_actor* self,
                              std::shared_ptr<message_log> log,
                              std::shared_ptr<std::vector<peer_view>> peers) {
  self->set_default_handler(
      [log](caf::scheduled_actor*,
            caf::message_view& x) -> caf::result<caf::message> {
        log->push_back(x.move_content_to_message());
        return caf::message{};
      });
  return {
      [log, peers](list_atom) {
        log->push_back(caf::make_message(list_atom::value));
        return peers ? *peers : std::vector<peer_view>{};
      },
      [log](shutdown_atom) {
        log->push_back(caf::make_message(shutdown_atom::value));
        return done_atom::value;
      },
      [log](barrier_atom) {
        log->push_back(caf::make_message(barrier_atom::value));
        return done_atom::value;
      },
  };
}

/// A recorder and its log.
struct stand_in {
  std::shared_ptr<message_log> log = std::make_shared<message_log>();
  std::shared_ptr<std::vector<peer_view>> peers =
      std::make_shared<std::vector<peer_view>>();
  caf::actor handle;

  /// The messages received whose elements are exactly `Ts...`.
  template <class... Ts>
  std::vector<caf::message> received() const {
    std::vector<caf::message> result;
    for (auto& msg : *log)
      if (msg.match_elements<Ts...>())
        result.push_back(msg);
    return result;
  }
};

/// Makes an actor system whose scheduler (and, with `with_io`, network) is
/// driven by hand.
struct fixture {
  static caf::actor_system_config& configure(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console", caf::atom("none"));
    cfg.load<caf::io::middleman>();
    cfg.set("middleman.network-backend", caf::atom("testing"));
    cfg.set("middleman.manual-multiplexing", true);
    cfg.set("middleman.workers", size_t{0});
    return cfg;
  }

  fixture()
      : sys(configure(cfg)),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
        mpx(dynamic_cast<caf::io::network::test_multiplexer&>(
            sys.middleman().backend())) {
    // nop
  }

  ~fixture() {
    for (auto& x : spawned)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    run();
  }

  /// Runs actors and brokers until nothing is left to do.
  void run() {
    while (sched.try_run_once() || mpx.try_exec_runnable())
      ; // nop
  }

  /// Spawns a stand-in actor that records what it receives.
  stand_in make_stand_in() {
    stand_in result;
    result.handle = sys.spawn(recorder, result.log, result.peers);
    spawned.push_back(result.handle);
    return result;
  }

  /// Remembers `x` so that the fixture stops it at the end.
  template <class Handle>
  Handle keep(Handle x) {
    spawned.push_back(caf::actor_cast<caf::actor>(x));
    return x;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::io::network::test_multiplexer& mpx;
  std::vector<caf::actor> spawned;
};

/// A node id whose bytes are all `x`: ids order like their `x`.
inline node_id make_id(uint8_t x) {
  node_id result;
  result.bytes.fill(x);
  return result;
}

} // namespace p2pchat::test
