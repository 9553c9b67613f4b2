// Interop with the original Python classroom app: a real p2pchat process on
// loopback against a test double of the original (support/legacy_peer.hpp),
// in both directions, with and without being told which peer is which.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "node/support/legacy_peer.hpp"
#include "node/support/node_process.hpp"

using namespace p2pchat::test;
using std::chrono::milliseconds;

namespace {

using clock_type = std::chrono::steady_clock;

milliseconds since(clock_type::time_point start) {
  return std::chrono::duration_cast<milliseconds>(clock_type::now() - start);
}

/// How every line about a peer running the original app marks it.
const std::string unencrypted = " (legacy, unencrypted)";

std::string port_text(uint16_t port) {
  return std::to_string(port);
}

/// Exactly what `node` must send in the original format for `text`: its
/// address as the connection's local address (127.0.0.1), its listening
/// port, its name.
std::string legacy_text_of(const chat_node& node, const std::string& text) {
  return "127.0.0.1:" + port_text(node.port()) + " " + node.name() + " " + text;
}

/// The console line of the first auto-detection of `peer`.
std::string detect_notice(const legacy_peer& peer) {
  return peer.address() +
         " does not answer in the p2pchat protocol: using the original "
         "plain-text format";
}

/// The warning the node logs when it drops a plain-text connection from
/// 127.0.0.1:`source_port`; `reason` is a regular expression.
line_pattern drop_log(uint16_t source_port, const std::string& reason) {
  return line_pattern{
      R"(.*\[warning\] dropping plain-text message from 127\.0\.0\.1:)" +
      port_text(source_port) + ": " + reason};
}

/// Menu 2's line for `peer` as a legacy peer whose name the node may not
/// know (it never sent a text): any position, any name.
line_pattern legacy_listing(const legacy_peer& peer, bool connected) {
  return line_pattern{R"(\d+\. \S+ \[)" + regex_escape(peer.address()) +
                      R"(\] - )" + (connected ? "Connected" : "Not connected") +
                      R"( \(legacy, unencrypted\))"};
}

/// Sends `text` from the double to `node` and requires the node to show it
/// as a chat from the double's name and listening address.
void require_from_legacy(legacy_peer& from, chat_node& to,
                         const std::string& text) {
  auto mark = to->mark();
  BOOST_REQUIRE_MESSAGE(from.send(to.port(), text),
                        "the double could not send to " << to.name()
                                                        << to.report());
  BOOST_REQUIRE_MESSAGE(
      to->wait_for(exact_line("Message from " + from.display() + unencrypted +
                              ": " + text),
                   default_timeout, mark),
      "message from the double not shown" << to.report() << from.report());
}

/// Sends `text` from `from` (menu 1) to the double and requires the double to
/// receive it in the original format, exactly as `legacy_text_of` says, on a
/// connection that the node closed.
void require_to_legacy(chat_node& from, legacy_peer& to,
                       const std::string& text) {
  BOOST_REQUIRE_MESSAGE(from.send_message(to.port(), text), from.report());
  auto got = to.wait_for_text(text);
  BOOST_REQUIRE_MESSAGE(got.has_value(), "the double did not receive '"
                                             << printable(text, 60) << "'"
                                             << from.report() << to.report());
  BOOST_CHECK_EQUAL(got->name, from.name());
  BOOST_CHECK_EQUAL(got->sender.host, "127.0.0.1");
  BOOST_CHECK_EQUAL(got->sender.port, from.port());
  auto all = to.connections();
  for (auto& c : all) {
    if (c.finished() && c.legacy() && c.legacy()->text == text) {
      BOOST_CHECK_MESSAGE(c.bytes == legacy_text_of(from, text),
                          "not byte for byte the original format"
                              << to.report());
      // A double that reads once closes first and cannot tell.
      BOOST_CHECK_MESSAGE(c.end == connection_end::sender_closed ||
                              c.end == connection_end::read_once,
                          "the node did not close after its text"
                              << to.report());
    }
  }
}

/// A node sends two messages to a double it first has to detect: the first
/// connection carries our preamble, then each message arrives exactly once
/// in the original format, and the console says so once.
void check_detection(chat_node& a, legacy_peer& old,
                     clock_type::time_point start) {
  BOOST_REQUIRE_MESSAGE(old.wait_for_text("first, detected"),
                        "the first message never arrived" << a.report()
                                                          << old.report());
  auto first_after = since(start);
  BOOST_CHECK_MESSAGE(a->wait_for(exact_line(detect_notice(old))),
                      "no console notice" << a.report());
  auto all = old.connections();
  BOOST_REQUIRE_GE(all.size(), 2u);
  BOOST_CHECK_MESSAGE(all[0].starts_with_preamble(),
                      "the first connection did not try the p2pchat protocol"
                          << old.report());
  BOOST_CHECK_MESSAGE(all[1].bytes == legacy_text_of(a, "first, detected"),
                      "the second connection is not the message"
                          << old.report());
  // The address is legacy now: the next message goes straight out in the
  // original format, on one new connection, and nothing else arrives.
  require_to_legacy(a, old, "second, known");
  BOOST_CHECK_EQUAL(old.count_text("first, detected"), 1u);
  BOOST_CHECK_EQUAL(old.count_text("second, known"), 1u);
  BOOST_CHECK_MESSAGE(old.connection_count() == 3,
                      "expected 3 connections (probe, 2 messages)"
                          << old.report());
  BOOST_CHECK_EQUAL(a->count_lines(exact_line(detect_notice(old))), 1u);
  BOOST_CHECK_MESSAGE(a.query_shows(legacy_listing(old, false)), a.report());
  BOOST_TEST_MESSAGE("first message arrived after " << first_after.count()
                                                    << " ms");
}

/// The double says `word` (an exit in some case) after a chat: the node
/// prints that it left and forgets it.
void check_legacy_exit(const std::string& word) {
  chat_node a{"A"};
  legacy_peer old{"old"};
  require_from_legacy(old, a, "about to leave");
  BOOST_REQUIRE_MESSAGE(a.query_shows("1. " + old.display() +
                                      " - Not connected (legacy, unencrypted)"),
                        a.report());
  auto mark = a->mark();
  BOOST_REQUIRE(old.send(a.port(), word));
  BOOST_REQUIRE_MESSAGE(
      a->wait_for(exact_line(old.display() + unencrypted + " disconnected"),
                  default_timeout, mark),
      "no 'disconnected' after '" << word << "'" << a.report());
  BOOST_CHECK_MESSAGE(a->count_lines(line_starting("Message from "), mark) == 0,
                      "'" << word << "' was shown as a chat" << a.report());
  BOOST_CHECK_MESSAGE(a.query_shows("No active peers."),
                      "the node still lists the double" << a.report());
  // Forgotten: its next text is a first contact again.
  mark = a->mark();
  require_from_legacy(old, a, "back again");
  BOOST_CHECK_MESSAGE(
      a->wait_for(exact_line("New peer found: " + old.display() + unencrypted),
                  default_timeout, mark),
      a.report());
  BOOST_CHECK_EQUAL(a->count_lines(exact_line(
                        "New peer found: " + old.display() + unencrypted)),
                    2u);
  // The node never dialed the double: a legacy peer is never answered.
  BOOST_CHECK_MESSAGE(old.connection_count() == 0, old.report());
}

} // namespace

BOOST_AUTO_TEST_SUITE(legacy_tests)

// -- the original app sends
// -----------------------------------------------------

BOOST_AUTO_TEST_CASE(legacy_message_is_shown_and_the_sender_listed_as_legacy) {
  chat_node a{"A"};
  legacy_peer old{"old"};
  auto mark = a->mark();
  require_from_legacy(old, a, "hello there, from the old app");
  // Name and address come from the text: the double's listening port, not
  // the source port of its connection.
  BOOST_CHECK_MESSAGE(
      a->wait_for(exact_line("New peer found: " + old.display() + unencrypted),
                  default_timeout, mark),
      a.report());
  BOOST_CHECK_MESSAGE(a.query_shows("1. " + old.display() +
                                    " - Not connected (legacy, unencrypted)"),
                      a.report());
  // A second text: the same peer, no second first contact; UTF-8 and
  // spaces in the text arrive as they are.
  require_from_legacy(old, a,
                      "gr\xC3\xBC\xC3\x9F\x65  with  spaces \xE2\x9C\x93");
  BOOST_CHECK_EQUAL(a->count_lines(exact_line(
                        "New peer found: " + old.display() + unencrypted)),
                    1u);
  BOOST_CHECK_EQUAL(a->count_lines(line_starting("New peer found: ")), 1u);
  BOOST_CHECK_EQUAL(a->count_lines(line_starting("Message from ")), 2u);
}

BOOST_AUTO_TEST_CASE(a_legacy_sender_is_answered_in_its_format) {
  chat_node a{"A", {"--allow-legacy"}};
  legacy_peer old{"old"};
  require_from_legacy(old, a, "anybody speak plain text?");
  // The node knows the double is legacy from its text: no probe.
  require_to_legacy(a, old, "yes, I do");
  BOOST_CHECK_MESSAGE(old.connection_count() == 1, old.report());
  BOOST_CHECK_EQUAL(a->count_lines(exact_line(detect_notice(old))), 0u);
}

BOOST_AUTO_TEST_CASE(legacy_exit_forgets_the_peer) {
  check_legacy_exit("exit");
}

BOOST_AUTO_TEST_CASE(legacy_exit_in_any_case_forgets_the_peer) {
  check_legacy_exit("eXiT");
}

BOOST_AUTO_TEST_CASE(legacy_connect_is_an_event_and_marks_it_connected) {
  chat_node a{"A"};
  legacy_peer old{"old"};
  auto mark = a->mark();
  BOOST_REQUIRE(old.send(a.port(), "connect"));
  BOOST_REQUIRE_MESSAGE(
      a->wait_for(exact_line(old.display() + unencrypted + " connected"),
                  default_timeout, mark),
      a.report());
  BOOST_CHECK_MESSAGE(a->count_lines(exact_line("New peer found: " +
                                                old.display() + unencrypted),
                                     mark) == 1,
                      a.report());
  BOOST_CHECK_MESSAGE(a->count_lines(line_starting("Message from "), mark) == 0,
                      "'connect' was shown as a chat" << a.report());
  BOOST_CHECK_MESSAGE(a.query_shows("1. " + old.display() +
                                    " - Connected (legacy, unencrypted)"),
                      a.report());
  // Still a chat partner: its next text shows as a chat.
  require_from_legacy(old, a, "now we are connected");
}

// -- the node sends
// -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(explicit_legacy_peer_gets_one_connection_per_message) {
  legacy_peer old{"old"};
  chat_node a{"A", {"--allow-legacy", "--legacy-peer", old.address()}};
  BOOST_CHECK_MESSAGE(a.query_shows(legacy_listing(old, false)), a.report());
  require_to_legacy(a, old, "first message");
  require_to_legacy(a, old, "second message, with  two spaces");
  BOOST_REQUIRE_MESSAGE(old.wait_for_connections(2), old.report());
  auto all = old.connections();
  BOOST_CHECK_MESSAGE(all.size() == 2,
                      "expected exactly 2 connections" << old.report());
  if (all.size() >= 2) {
    BOOST_CHECK_EQUAL(all[0].bytes, legacy_text_of(a, "first message"));
    BOOST_CHECK_EQUAL(all[1].bytes,
                      legacy_text_of(a, "second message, with  two spaces"));
  }
  for (auto& c : all)
    BOOST_CHECK_MESSAGE(!c.starts_with_preamble(),
                        "the node probed a peer marked legacy" << old.report());
  BOOST_CHECK_EQUAL(a->count_lines(exact_line(detect_notice(old))), 0u);
}

BOOST_AUTO_TEST_CASE(advertise_host_is_the_address_in_the_text) {
  legacy_peer old{"old"};
  chat_node a{"A",
              {"--allow-legacy", "--legacy-peer", old.address(),
               "--advertise-host", "10.0.0.7"}};
  BOOST_REQUIRE(a.send_message(old.port(), "from a claimed address"));
  auto got = old.wait_for_text("from a claimed address");
  BOOST_REQUIRE_MESSAGE(got.has_value(), a.report() << old.report());
  auto all = old.connections();
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_CHECK_EQUAL(all[0].bytes, "10.0.0.7:" + port_text(a.port()) +
                                      " A from a claimed address");
}

BOOST_AUTO_TEST_CASE(the_original_read_of_1024_bytes_gets_the_whole_text) {
  // Like the original: one read of at most 1024 bytes, then close.
  legacy_peer old{"old", legacy_mode::read_once};
  chat_node a{"A", {"--allow-legacy", "--legacy-peer", old.address()}};
  require_to_legacy(a, old, "short enough for one read");
  BOOST_CHECK_MESSAGE(old.connection_count() == 1, old.report());
}

BOOST_AUTO_TEST_CASE(detects_a_legacy_peer_that_closes_at_once) {
  // The double reads the probe once and closes, without a byte back. The
  // detection timeout is far beyond every wait: only the close can tell.
  legacy_peer old{"old", legacy_mode::read_once};
  chat_node a{"A", {"--allow-legacy", "--legacy-detect-timeout", "60000"}};
  auto start = clock_type::now();
  BOOST_REQUIRE(a.send_message(old.port(), "first, detected"));
  check_detection(a, old, start);
}

BOOST_AUTO_TEST_CASE(detects_a_legacy_peer_that_stays_silent) {
  // The double keeps the probe open and says nothing: the node gives up
  // after --legacy-detect-timeout.
  constexpr milliseconds detect_timeout{500};
  legacy_peer old{"old", legacy_mode::stay_silent};
  chat_node a{"A",
              {"--allow-legacy", "--legacy-detect-timeout",
               std::to_string(detect_timeout.count())}};
  auto start = clock_type::now();
  BOOST_REQUIRE(a.send_message(old.port(), "first, detected"));
  BOOST_REQUIRE_MESSAGE(old.wait_for_text("first, detected"),
                        "the first message never arrived" << a.report()
                                                          << old.report());
  // Not before the timeout (which starts a little after `start`), with some
  // slack for timer rounding.
  auto arrived_after = since(start);
  BOOST_CHECK_GE(arrived_after.count(), detect_timeout.count() - 50);
  // The default is 2000 ms: well below it, the option was honoured.
  BOOST_CHECK_LT(arrived_after.count(), 1900);
  check_detection(a, old, start);
  // The node closed its silent probe.
  BOOST_CHECK_MESSAGE(old.wait_for_connections(1), old.report());
  auto all = old.connections();
  BOOST_CHECK_MESSAGE(!all.empty() &&
                          all[0].end == connection_end::sender_closed,
                      "the node did not close its probe" << old.report());
}

BOOST_AUTO_TEST_CASE(legacy_bootstrap_peer_is_greeted_with_hello) {
  legacy_peer old{"old", legacy_mode::read_once};
  chat_node a{"A", {"--allow-legacy", "--peer", old.address()}};
  auto got = old.wait_for_text("Hello!");
  BOOST_REQUIRE_MESSAGE(got.has_value(),
                        "no Hello!" << a.report() << old.report());
  BOOST_CHECK_MESSAGE(a->wait_for(exact_line(detect_notice(old))), a.report());
  auto all = old.connections();
  BOOST_REQUIRE_GE(all.size(), 2u);
  BOOST_CHECK_MESSAGE(all[0].starts_with_preamble(), old.report());
  BOOST_CHECK_EQUAL(all[1].bytes, legacy_text_of(a, "Hello!"));
  // A chat afterwards goes out once, and Hello! was sent only once.
  require_to_legacy(a, old, "after the greeting");
  BOOST_CHECK_EQUAL(old.count_text("Hello!"), 1u);
  BOOST_CHECK_MESSAGE(old.connection_count() == 3, old.report());
}

BOOST_AUTO_TEST_CASE(bootstrap_peer_marked_legacy_is_greeted_without_probe) {
  legacy_peer old{"old"};
  chat_node a{"A",
              {"--allow-legacy", "--legacy-peer", old.address(), "--peer",
               old.address()}};
  BOOST_REQUIRE_MESSAGE(old.wait_for_text("Hello!"),
                        "no Hello!" << a.report() << old.report());
  require_to_legacy(a, old, "after the greeting");
  auto all = old.connections();
  BOOST_CHECK_MESSAGE(all.size() == 2, old.report());
  if (!all.empty())
    BOOST_CHECK_EQUAL(all[0].bytes, legacy_text_of(a, "Hello!"));
}

BOOST_AUTO_TEST_CASE(too_long_message_to_a_legacy_peer_is_refused) {
  legacy_peer old{"old"};
  chat_node a{"A", {"--allow-legacy", "--legacy-peer", old.address()}};
  // The longest text that fits: 1024 bytes with our address and name.
  auto room = 1024 - legacy_text_of(a, "").size();
  require_to_legacy(a, old, std::string(room, 'x'));
  auto refused =
      line_pattern{"Could not send to " + regex_escape(old.address()) +
                   " in the original format: .*1024.*"};
  // One byte more, and 1100 bytes (the menu takes texts up to 16 KiB): both
  // refused with a console line, none cut.
  for (auto text : {std::string(room + 1, 'y'), std::string(1100, 'z')}) {
    auto mark = a->mark();
    BOOST_REQUIRE(a.send_message(old.port(), text));
    BOOST_CHECK_MESSAGE(a->wait_for(refused, default_timeout, mark),
                        "no refusal for " << text.size() << " bytes"
                                          << a.report());
    BOOST_CHECK_MESSAGE(a->count_lines(line_starting("Invalid input"), mark) ==
                            0,
                        "the menu refused the text itself" << a.report());
  }
  // A message after them arrives, and nothing else did: no connection
  // carried bytes but the two messages that fit. (The node connects before
  // it knows its own address in the text, so a refused message may cost an
  // empty connection, which the original discards as fewer than three
  // parts.)
  require_to_legacy(a, old, "short again");
  BOOST_REQUIRE_MESSAGE(old.wait_for_connections(old.connection_count()),
                        old.report());
  size_t with_bytes = 0;
  for (auto& c : old.connections())
    if (!c.bytes.empty())
      ++with_bytes;
  BOOST_CHECK_MESSAGE(with_bytes == 2,
                      "the double received more than the two messages that "
                      "fit"
                          << old.report());
  BOOST_CHECK_EQUAL(a->count_lines(refused), 2u);
}

BOOST_AUTO_TEST_CASE(first_message_to_a_legacy_peer_asks_before_plain_text) {
  // No --allow-legacy: the node asks before the first plain text.
  legacy_peer old{"old"};
  chat_node a{"A", {"--legacy-peer", old.address()}};
  auto question =
      "Send unencrypted to unknown [" + old.address() + "]? (y/n): ";
  auto mark = a->mark();
  BOOST_REQUIRE(a.send_message(old.port(), "not this one"));
  BOOST_REQUIRE_MESSAGE(a->wait_for(question, default_timeout, mark),
                        a.report());
  BOOST_CHECK_MESSAGE(
      a->count_lines(line_starting("unknown [" + old.address() + "]" +
                                   unencrypted + " runs the original app"),
                     mark) == 1,
      a.report());
  // No: nothing goes out.
  BOOST_REQUIRE(a->send_line("n"));
  BOOST_REQUIRE_MESSAGE(
      a->wait_for(exact_line("Not sent to " + old.address() + " (1 message)"),
                  default_timeout, mark),
      a.report());
  // Asked again next time; yes sends it.
  mark = a->mark();
  BOOST_REQUIRE(a.send_message(old.port(), "this one"));
  BOOST_REQUIRE_MESSAGE(a->wait_for(question, default_timeout, mark),
                        a.report());
  BOOST_REQUIRE(a->send_line("y"));
  BOOST_REQUIRE_MESSAGE(old.wait_for_text("this one"), a.report()
                                                           << old.report());
  // Agreed once: no more questions.
  mark = a->mark();
  require_to_legacy(a, old, "and this one");
  BOOST_CHECK_MESSAGE(a->output().find(question, mark) == std::string::npos,
                      a.report());
  BOOST_CHECK_EQUAL(old.count_text("not this one"), 0u);
  BOOST_CHECK_MESSAGE(old.connection_count() == 2, old.report());
}

BOOST_AUTO_TEST_CASE(quit_sends_exit_to_every_legacy_peer) {
  legacy_peer flagged{"flagged"};                       // --legacy-peer
  legacy_peer talker{"talker", legacy_mode::read_once}; // sent a text
  chat_node a{"A", {"--legacy-peer", flagged.address()}};
  require_from_legacy(talker, a, "I am here too");
  BOOST_REQUIRE(a->send_line("0"));
  auto status = a->wait_exit(milliseconds{2500});
  BOOST_REQUIRE_MESSAGE(status.has_value(),
                        "A did not exit within 2.5 s" << a.report());
  BOOST_CHECK_EQUAL(*status, 0);
  BOOST_CHECK_MESSAGE(a->count_lines(exact_line("Goodbye!")) == 1, a.report());
  for (auto* old : {&flagged, &talker}) {
    BOOST_TEST_CONTEXT("double " << old->name()) {
      BOOST_CHECK_MESSAGE(old->wait_for_text("exit"),
                          "no exit" << a.report() << old->report());
      BOOST_CHECK_MESSAGE(old->wait_for_connections(1), old->report());
      auto all = old->connections();
      BOOST_CHECK_MESSAGE(
          all.size() == 1 && all[0].bytes == legacy_text_of(a, "exit"),
          "expected exactly one connection with '" << legacy_text_of(a, "exit")
                                                   << "'" << old->report());
    }
  }
}

// -- what the node refuses
// ------------------------------------------------------

BOOST_AUTO_TEST_CASE(malformed_legacy_texts_are_dropped_and_harm_nothing) {
  node_pair nodes;
  auto& a = nodes.a;
  auto& b = nodes.b;
  struct bad_text {
    std::string what;
    std::string bytes;
    std::string reason; // a regular expression
  };
  auto long_text = std::string{"127.0.0.1:5000 bob "};
  long_text += std::string(2000 - long_text.size(), 'z');
  std::vector<bad_text> cases{
      {"fewer than three parts", "127.0.0.1:5000 lonely",
       ".*fewer than three parts.*"},
      {"one part", "hi", ".*fewer than three parts.*"},
      {"bad port", "127.0.0.1:99999 bob hi", ".*port.*99999.*"},
      {"port 0", "127.0.0.1:0 bob hi", ".*port.*"},
      {"host name", "localhost:5000 bob hi", ".*address.*"},
      {"2000 bytes", long_text, ".*1024.*"},
      {"control character in the name", "127.0.0.1:5000 b\x1b[1mob hi",
       ".*name.*"},
      {"invalid UTF-8", "127.0.0.1:5000 bob caf\xC3", ".*UTF-8.*"},
  };
  for (auto& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      auto source = legacy_peer::send_raw(a.port(), c.bytes);
      BOOST_REQUIRE_MESSAGE(source.has_value(),
                            "cannot send to A" << a.report());
      BOOST_CHECK_MESSAGE(a->wait_for_log(drop_log(*source, c.reason)),
                          "A did not log the drop" << a.report());
      BOOST_CHECK_MESSAGE(
          a->count_lines(drop_log(*source, ".*"), 0, stream::err) == 1,
          "not exactly one log line" << a.report());
    }
  }
  // Nothing was shown or kept from them.
  BOOST_CHECK_MESSAGE(a->count_lines(line_starting("Message from ")) == 0,
                      a.report());
  BOOST_CHECK_MESSAGE(a->count_lines(line_starting("New peer found: ")) == 1,
                      "A took a malformed text for a peer" << a.report());
  // The p2pchat peer keeps chatting both ways.
  check_chat_both_ways(a, b, "still chatting");
  auto mark = a->mark();
  BOOST_CHECK_MESSAGE(
      a.query_shows("1. " + b.display() + " - Connected (unverified)"),
      a.report());
  BOOST_CHECK_MESSAGE(a->wait_for("Enter choice: ", default_timeout, mark),
                      a.report());
  BOOST_CHECK_MESSAGE(
      a->count_lines(line_pattern{R"(\d+\. .* \[.*\] - .*)"}, mark) == 1,
      "A lists more than B" << a.report());
  // And a well-formed text is still welcome.
  legacy_peer old{"old"};
  require_from_legacy(old, a, "this one is fine");
}

BOOST_AUTO_TEST_CASE(legacy_sender_that_never_closes_is_dropped) {
  constexpr milliseconds read_timeout{500};
  chat_node a{"A",
              {"--legacy-read-timeout", std::to_string(read_timeout.count())}};
  legacy_peer slow{"slow"};
  auto start = clock_type::now();
  raw_client held{a.port()};
  BOOST_REQUIRE_MESSAGE(held.connected(), a.report());
  auto text = slow.format("never shown");
  BOOST_REQUIRE(held.send(std::vector<char>(text.begin(), text.end())));
  BOOST_REQUIRE_MESSAGE(held.wait_closed(),
                        "A did not close the held connection" << a.report());
  auto closed_after = since(start);
  BOOST_CHECK_GE(closed_after.count(), read_timeout.count() - 50);
  // The default is 3000 ms: well below it, the option was honoured.
  BOOST_CHECK_LT(closed_after.count(), 2500);
  BOOST_CHECK_MESSAGE(a->wait_for_log(drop_log(held.local_port(), ".*500.*")),
                      "A did not log the drop" << a.report());
  // A text that is closed properly arrives; the held one never shows.
  legacy_peer quick{"quick"};
  require_from_legacy(quick, a, "closed properly");
  BOOST_CHECK_MESSAGE(a->count_lines(line_pattern{".*never shown.*"}) == 0,
                      a.report());
  BOOST_CHECK_MESSAGE(
      a->count_lines(line_starting("New peer found: " + slow.display())) == 0,
      a.report());
}

BOOST_AUTO_TEST_SUITE_END()
