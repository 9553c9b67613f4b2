// What a passive observer between two nodes sees: a relay on the path records
// every byte both ways. Over sessions (the default) neither the texts nor the
// names appear in it; with --insecure-plaintext both do, which shows that the
// capture would catch them.

#include <string>

#include <boost/test/unit_test.hpp>

#include "node/support/node_process.hpp"
#include "node/support/tcp_relay.hpp"
#include "protocol/frame.hpp"

using namespace p2pchat::test;

namespace {

const std::string alice_name = "alice_relayed";
const std::string bob_name = "bob_relayed";
const std::string to_bob = "the eagle lands at midnight";
const std::string to_alice = "bring the blue umbrella";

/// Starts alice, then bob with alice reached through `relay`; both chat
/// once each way. Returns the relay's captures, stopped.
struct relayed_pair {
  explicit relayed_pair(std::vector<std::string> extra)
      : alice(alice_name, extra), relay(alice.port()),
        bob(bob_name, with_peer(extra, relay.port())) {
    BOOST_REQUIRE_MESSAGE(
        alice->wait_for(line_starting("New peer found: " + bob_name)),
        alice.report());
    BOOST_REQUIRE_MESSAGE(
        bob->wait_for(line_starting("New peer found: " + alice_name)),
        bob.report());
    auto mark = alice->mark();
    BOOST_REQUIRE(bob.send_message(alice, to_alice));
    BOOST_REQUIRE_MESSAGE(
        alice->wait_for(
            exact_line("Message from " + bob.display() + ": " + to_alice),
            default_timeout, mark),
        alice.report() << bob.report());
    mark = bob->mark();
    BOOST_REQUIRE(alice.send_message(bob, to_bob));
    BOOST_REQUIRE_MESSAGE(
        bob->wait_for(
            exact_line("Message from " + alice.display() + ": " + to_bob),
            default_timeout, mark),
        alice.report() << bob.report());
    relay.stop();
  }

  static std::vector<std::string> with_peer(std::vector<std::string> extra,
                                            uint16_t port) {
    extra.push_back("--peer");
    extra.push_back("127.0.0.1:" + std::to_string(port));
    // Only the relayed link: no discovery dials around the relay.
    extra.push_back("--target-peers");
    extra.push_back("0");
    return extra;
  }

  bool captured(const std::string& text) const {
    return relay.to_target().find(text) != std::string::npos ||
           relay.from_target().find(text) != std::string::npos;
  }

  chat_node alice;
  tcp_relay relay;
  chat_node bob;
};

} // namespace

BOOST_AUTO_TEST_SUITE(encryption_tests)

BOOST_AUTO_TEST_CASE(observer_sees_neither_texts_nor_names) {
  relayed_pair p{{}};
  BOOST_TEST_MESSAGE("relayed " << p.relay.to_target().size() << " + "
                                << p.relay.from_target().size() << " bytes");
  // Both chats crossed the relay: it is the only link between them.
  BOOST_REQUIRE_GT(p.relay.to_target().size(), to_alice.size());
  BOOST_REQUIRE_GT(p.relay.from_target().size(), to_bob.size());
  BOOST_CHECK(p.relay.to_target().compare(
                  0, 4,
                  std::string(p2pchat::preamble_v2.begin(),
                              p2pchat::preamble_v2.end())) == 0);
  for (auto& secret : {to_bob, to_alice, alice_name, bob_name}) {
    BOOST_TEST_CONTEXT("looking for '" << secret << "'") {
      BOOST_CHECK(!p.captured(secret));
    }
  }
}

BOOST_AUTO_TEST_CASE(plaintext_mode_is_visible_to_the_observer) {
  // The control: the same exchange with --insecure-plaintext on both nodes
  // shows texts and names to the relay, so the test above would notice a
  // node that sent them in clear.
  relayed_pair p{{"--insecure-plaintext"}};
  for (auto& secret : {to_bob, to_alice, alice_name, bob_name}) {
    BOOST_TEST_CONTEXT("looking for '" << secret << "'") {
      BOOST_CHECK(p.captured(secret));
    }
  }
}

BOOST_AUTO_TEST_CASE(plaintext_node_and_session_node_refuse_each_other) {
  // No silent fallback either way: each logs why and neither becomes the
  // other's peer.
  chat_node secure{"secure"};
  chat_node plain{"plain",
                  {"--insecure-plaintext", "--peer",
                   "127.0.0.1:" + std::to_string(secure.port()),
                   "--legacy-detect-timeout", "5000"}};
  BOOST_CHECK_MESSAGE(
      secure->wait_for_log(line_pattern{
          ".*closing connection from 127\\.0\\.0\\.1:[0-9]+: peer speaks "
          "protocol version 1, this node requires version 2"}),
      secure.report());
  BOOST_CHECK_MESSAGE(
      plain->wait_for_log(line_pattern{
          ".*closing connection to 127\\.0\\.0\\.1:[0-9]+: peer refused the "
          "handshake: peer speaks protocol version 1, this node requires "
          "version 2"}),
      plain.report());
  BOOST_CHECK_EQUAL(secure->count_lines(line_starting("New peer found")), 0u);
  BOOST_CHECK_EQUAL(plain->count_lines(line_starting("New peer found")), 0u);
}

BOOST_AUTO_TEST_SUITE_END()
