// Trust on first use between real processes: a node that comes back under a
// known name with another key (a fresh data dir) is flagged by its peer, its
// messages are marked, and the pin survives a restart of the peer.

#include <chrono>
#include <csignal>
#include <regex>
#include <string>

#include <boost/test/unit_test.hpp>

#include "node/support/node_process.hpp"
#include "node/support/noise_client.hpp"
#include "protocol/signing.hpp"

using namespace p2pchat::test;

namespace {

/// A node whose data dir outlives it, so that it can be started again.
struct restartable_node {
  explicit restartable_node(std::string name) : name(std::move(name)) {}

  void start() {
    proc = std::make_unique<node_process>(std::vector<std::string>{
        "--name", name, "--bind", "127.0.0.1", "--port", "0", "--data-dir",
        dir.path() + "/data"});
    proc->label("node " + name);
    line_pattern listening{R"(Server listening on 127\.0\.0\.1:(\d+))"};
    BOOST_REQUIRE_MESSAGE(proc->wait_for(listening), proc->report());
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(proc->output(), m, listening.regex));
    port = static_cast<uint16_t>(std::stoul(m[1].str()));
  }

  std::string peer_arg() const { return "127.0.0.1:" + std::to_string(port); }

  std::string name;
  temp_dir dir;
  std::unique_ptr<node_process> proc;
  uint16_t port = 0;
};

/// The raw peer's key: it is the origin of the broadcasts it injects.
p2pchat::ed25519_secret_key raw_key() {
  std::array<uint8_t, 32> seed;
  seed.fill(0x42);
  return p2pchat::secret_key_from_seed(seed);
}

p2pchat::broadcast raw_broadcast(uint8_t id, std::string text) {
  p2pchat::broadcast msg;
  msg.id.fill(id);
  msg.origin = p2pchat::id_of(raw_key());
  msg.origin_name = "raw";
  msg.origin_port = 4242;
  msg.sent_at_ms = 1700000000000;
  msg.hops_left = 16;
  msg.text = std::move(text);
  p2pchat::sign_broadcast(msg, raw_key());
  return msg;
}

std::string warning_for(const chat_node& x) {
  return "WARNING: " + x.display() + " presents a different key than before";
}

} // namespace

BOOST_AUTO_TEST_SUITE(trust_tests)

BOOST_AUTO_TEST_CASE(a_known_name_with_a_new_key_is_flagged) {
  restartable_node a{"A"};
  a.start();
  {
    chat_node b{"B", {"--peer", a.peer_arg()}};
    BOOST_REQUIRE_MESSAGE(
        a.proc->wait_for(exact_line("New peer found: " + b.display())),
        a.proc->report());
    BOOST_CHECK(a.proc->count_lines(line_starting("WARNING: ")) == 0);
    BOOST_REQUIRE(b->send_line("0"));
    BOOST_REQUIRE(b->wait_exit().has_value());
  }
  // B again, but with a fresh data dir: a new key under the known name.
  chat_node b2{"B", {"--peer", a.peer_arg()}};
  BOOST_REQUIRE_MESSAGE(a.proc->wait_for(exact_line(warning_for(b2))),
                        a.proc->report() << b2.report());
  BOOST_CHECK_MESSAGE(
      a.proc->wait_for_log(line_pattern{
          R"(.*\[warning\] B \[127\.0\.0\.1:\d+\] presents key [0-9a-f]{64} )"
          R"(but B was pinned to [0-9a-f]{64})"}),
      a.proc->report());
  // Its messages are marked, and menu 2 says so.
  BOOST_REQUIRE(b2.send_message(a.port, "it is me, really"));
  BOOST_CHECK_MESSAGE(
      a.proc->wait_for(exact_line("Message from " + b2.display() +
                                  " (key changed): it is me, really")),
      a.proc->report());
  auto from = a.proc->mark();
  BOOST_REQUIRE(a.proc->send_line("2"));
  BOOST_CHECK_MESSAGE(
      a.proc->wait_for(line_pattern{R"(\d+\. )" + regex_escape(b2.display()) +
                                    R"( - Connected \(key changed\))"},
                       default_timeout, from),
      a.proc->report());
  // The pin is on disk: A restarted still knows B's first key.
  BOOST_REQUIRE(a.proc->send_line("0"));
  BOOST_REQUIRE(a.proc->wait_exit().has_value());
  a.start();
  chat_node b3{"B", {"--peer", a.peer_arg()}};
  BOOST_CHECK_MESSAGE(a.proc->wait_for(exact_line(warning_for(b3))),
                      a.proc->report() << b3.report());
}

BOOST_AUTO_TEST_CASE(a_verified_peer_is_listed_as_verified_after_a_restart) {
  restartable_node a{"A"};
  a.start();
  chat_node b{"B", {"--peer", a.peer_arg()}};
  BOOST_REQUIRE_MESSAGE(
      a.proc->wait_for(exact_line("New peer found: " + b.display())),
      a.proc->report());
  // Menu 5 on both sides shows the same safety number.
  line_pattern number{R"(Safety number with \w+: ((\d{5} ){5}\d{5}))"};
  std::string numbers[2];
  node_process* sides[2] = {a.proc.get(), b.operator->()};
  for (int i = 0; i < 2; ++i) {
    auto from = sides[i]->mark();
    BOOST_REQUIRE(sides[i]->send_line("5") && sides[i]->send_line("1"));
    BOOST_REQUIRE_MESSAGE(sides[i]->wait_for(number, default_timeout, from),
                          sides[i]->report());
    std::smatch m;
    auto out = sides[i]->output().substr(from);
    BOOST_REQUIRE(std::regex_search(out, m, number.regex));
    numbers[i] = m[1].str();
  }
  BOOST_CHECK_EQUAL(numbers[0], numbers[1]);
  // A says yes; B says no.
  BOOST_REQUIRE(a.proc->send_line("y"));
  BOOST_CHECK_MESSAGE(a.proc->wait_for(line_pattern{"B \\([0-9a-f]{16}\\) is "
                                                    "verified now"}),
                      a.proc->report());
  BOOST_REQUIRE(b->send_line("n"));
  BOOST_CHECK_MESSAGE(b->wait_for(exact_line("Not verified.")), b.report());
  BOOST_CHECK_MESSAGE(
      b.query_shows("1. A [" + a.peer_arg() + "] - Connected (unverified)"),
      b.report());
  // A restarted remembers: B is verified.
  BOOST_REQUIRE(a.proc->send_line("0"));
  BOOST_REQUIRE(a.proc->wait_exit().has_value());
  a.start();
  BOOST_REQUIRE(b.send_message(a.port, "still verified?"));
  BOOST_REQUIRE_MESSAGE(a.proc->wait_for(line_starting("Message from B [")),
                        a.proc->report() << b.report());
  auto from = a.proc->mark();
  BOOST_REQUIRE(a.proc->send_line("2"));
  BOOST_CHECK_MESSAGE(
      a.proc->wait_for(line_pattern{R"(\d+\. B \[127\.0\.0\.1:\d+\] - )"
                                    R"(Connected \(verified\))"},
                       default_timeout, from),
      a.proc->report());
}

BOOST_AUTO_TEST_CASE(a_forged_broadcast_is_printed_by_no_node) {
  // A test peer that completed a real handshake injects broadcasts
  // into A, which is linked to B: first forged and altered ones, then a
  // genuine one. Links keep order, so once B shows the genuine one, A has
  // handled (and dropped) everything before it.
  node_pair nodes;
  // The same key as raw_key(): make_node_key fills the seed with 0x42.
  noise_client raw{nodes.a.port(), "raw", 4242, 0x42};
  BOOST_REQUIRE(raw.connected());
  BOOST_REQUIRE_MESSAGE(raw.handshake(), raw.error() << nodes.a.report());
  BOOST_REQUIRE(raw.id() == p2pchat::id_of(raw_key()));
  auto forged = raw_broadcast(1, "forged signature");
  forged.signature[0] ^= 0x01;
  auto altered = raw_broadcast(2, "original words");
  altered.text = "words put in my mouth";
  std::array<uint8_t, 32> other_seed;
  other_seed.fill(0x43);
  auto impostor = raw_broadcast(3, "signed by someone else");
  p2pchat::sign_broadcast(impostor, p2pchat::secret_key_from_seed(other_seed));
  BOOST_REQUIRE(
      raw.send_all({forged, altered, impostor, raw_broadcast(4, "genuine")}));
  auto genuine = exact_line("Broadcast from raw [127.0.0.1:4242]: genuine");
  BOOST_REQUIRE_MESSAGE(nodes.a->wait_for(genuine), nodes.a.report());
  BOOST_REQUIRE_MESSAGE(nodes.b->wait_for(genuine), nodes.b.report());
  for (auto* node : {&nodes.a, &nodes.b})
    BOOST_CHECK_MESSAGE(
        (*node)->count_lines(line_starting("Broadcast from ")) == 1,
        node->report());
  BOOST_CHECK_MESSAGE(
      nodes.a->count_lines(
          line_pattern{R"(.*\[warning\] dropping broadcast from 'raw' via )"
                       R"(raw \[127\.0\.0\.1:4242\]: bad signature.*)"},
          0, stream::err) == 3,
      nodes.a.report());
}

BOOST_AUTO_TEST_SUITE_END()
