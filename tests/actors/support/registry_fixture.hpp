#pragma once

// A registry under test, with stand-ins for its console, dialer and
// connections.

#include <functional>
#include <string>
#include <vector>

#include "actors/registry.hpp"
#include "fixture.hpp"
#include "protocol/signing.hpp"

namespace p2pchat::test {

/// The `dialed` address of an inbound connection.
inline const peer_address no_dial{};

/// A deterministic Ed25519 key pair: the seed is 32 bytes of `x`.
inline ed25519_secret_key test_key(uint8_t x) {
  std::array<uint8_t, 32> seed;
  seed.fill(x);
  return secret_key_from_seed(seed);
}

/// The node id of `test_key(x)`.
inline node_id test_key_id(uint8_t x) {
  return id_of(test_key(x));
}

struct registry_fixture : fixture {
  /// `tweak` adjusts the registry's configuration before it starts.
  explicit registry_fixture(
      const std::function<void(registry_config&)>& tweak = {}) {
    console = make_stand_in();
    dialer = make_stand_in();
    registry_config cfg;
    cfg.self_id = make_id(5);
    cfg.self_name = "me";
    cfg.self_port = 6555;
    cfg.seed = 1;
    // A real key, though not the one of `make_id(5)`: tests that check our
    // own signatures set `self_id` to `test_key_id(5)`.
    cfg.sign = [](const std::vector<uint8_t>& data) {
      return sign_bytes(test_key(5), data);
    };
    // Most tests are not about the question before plain text; those that
    // are turn it back on.
    cfg.allow_legacy = true;
    cfg.console = caf::actor_cast<console_actor>(console.handle);
    cfg.make_dialer = [this](registry_actor) {
      return caf::actor_cast<dialer_actor>(dialer.handle);
    };
    cfg.make_message_id = [this] {
      message_id id{};
      id[15] = ++ids;
      return id;
    };
    // Wall-clock time that moves with the test coordinator's virtual time.
    cfg.now_ms = [this] {
      using namespace std::chrono;
      auto elapsed = sys.clock().now().time_since_epoch();
      return int64_t{1700000000000} +
             duration_cast<milliseconds>(elapsed).count();
    };
    if (tweak)
      tweak(cfg);
    reg = keep(sys.spawn(registry, std::move(cfg)));
    run();
  }

  /// A connection that completed its hello with the node `id`.
  stand_in connect(uint8_t id, const std::string& name, uint16_t port,
                   peer_address dialed = {}) {
    auto conn = make_stand_in();
    hello msg{protocol_version, make_id(id), name, port, 0};
    caf::anon_send(reg, hello_atom::value, conn.handle,
                   peer_address{"127.0.0.1", 40000}, std::move(dialed),
                   std::move(msg));
    run();
    return conn;
  }

  /// Asks the registry for its peer list, the way the console does.
  std::vector<peer_view> list() {
    auto asker = make_stand_in();
    caf::send_as(asker.handle, reg, list_atom::value);
    run();
    auto replies = asker.received<std::vector<peer_view>>();
    BOOST_REQUIRE_EQUAL(replies.size(), 1u);
    return replies[0].get_as<std::vector<peer_view>>(0);
  }

  /// Texts of the chats `conn` was told to send.
  static std::vector<std::string> sent_texts(const stand_in& conn) {
    std::vector<std::string> result;
    for (auto& msg : conn.received<send_atom, std::vector<chat>>())
      for (auto& x : msg.get_as<std::vector<chat>>(1))
        result.push_back(x.text);
    return result;
  }

  /// Codes of the byes `conn` was told to close with.
  static std::vector<bye_code> close_codes(const stand_in& conn) {
    std::vector<bye_code> result;
    for (auto& msg : conn.received<close_atom, bye>())
      result.push_back(msg.get_as<bye>(1).code);
    return result;
  }

  std::vector<std::string> notices() const {
    std::vector<std::string> result;
    for (auto& msg : console.received<notice_atom, std::string>())
      result.push_back(msg.get_as<std::string>(1));
    return result;
  }

  stand_in console;
  stand_in dialer;
  registry_actor reg;
  uint8_t ids = 0;
};

} // namespace p2pchat::test
