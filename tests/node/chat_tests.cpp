// End-to-end chat between real p2pchat processes on loopback, driven through
// the menu on stdin.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "node/support/node_process.hpp"

using namespace p2pchat::test;

namespace {

std::string port_text(const chat_node& x) {
  return std::to_string(x.port());
}

/// Sends `text` from `from` to `to` and requires `to` to print it.
void require_delivery(chat_node& from, chat_node& to, const std::string& text) {
  auto mark = to->mark();
  BOOST_REQUIRE_MESSAGE(from.send_message(to, text), from.report());
  BOOST_REQUIRE_MESSAGE(
      to->wait_for(exact_line("Message from " + from.display() + ": " + text),
                   default_timeout, mark),
      "message from " << from.name() << " to " << to.name() << " not shown"
                      << from.report() << to.report());
}

/// The "exit" message closes the connection: the receiver prints that the
/// sender left and forgets it, the sender keeps the receiver as known.
void check_exit_message(const std::string& word) {
  node_pair nodes;
  auto& a = nodes.a;
  auto& b = nodes.b;
  BOOST_REQUIRE(a.send_message(b, word));
  BOOST_REQUIRE_MESSAGE(b->wait_for(exact_line(a.display() + " disconnected")),
                        "B did not see A leave after '"
                            << word << "'" << a.report() << b.report());
  BOOST_CHECK_MESSAGE(b->count_lines(line_starting("Message from ")) == 0,
                      "'" << word << "' was delivered as chat" << b.report());
  BOOST_CHECK_MESSAGE(
      a.query_shows("1. " + b.display() + " - Not connected (unverified)"),
      "A does not list B as not connected" << a.report());
  BOOST_CHECK_MESSAGE(b.query_shows("No active peers."),
                      "B did not forget A" << b.report());
  // Both still work: a new message opens a new connection.
  require_delivery(a, b, "back again");
}

} // namespace

BOOST_AUTO_TEST_SUITE(chat_tests)

BOOST_AUTO_TEST_CASE(two_nodes_chat_both_ways) {
  node_pair nodes;
  auto& a = nodes.a;
  auto& b = nodes.b;
  require_delivery(a, b, "hello from A");
  require_delivery(b, a, "hi A, gr\xC3\xBC\xC3\x9F\x65 from B \xE2\x9C\x93");
  require_delivery(a, b, "second message on the same connection");
  BOOST_CHECK_MESSAGE(
      a.query_shows("1. " + b.display() + " - Connected (unverified)"),
      a.report());
  BOOST_CHECK_MESSAGE(
      b.query_shows("1. " + a.display() + " - Connected (unverified)"),
      b.report());
  // One connection per pair: neither side saw the other twice.
  BOOST_CHECK_EQUAL(a->count_lines(line_starting("New peer found: ")), 1u);
  BOOST_CHECK_EQUAL(b->count_lines(line_starting("New peer found: ")), 1u);
}

BOOST_AUTO_TEST_CASE(unreachable_recipient_is_reported) {
  chat_node a{"A"};
  auto nobody = free_port();
  BOOST_REQUIRE(a.send_message(nobody, "anybody there?"));
  BOOST_REQUIRE_MESSAGE(
      a->wait_for(line_starting("Could not connect to 127.0.0.1:" +
                                std::to_string(nobody))),
      a.report());
  // The node keeps working: it answers the menu and can still chat.
  BOOST_CHECK_MESSAGE(a.query_shows("No active peers."), a.report());
  chat_node b{"B"};
  require_delivery(a, b, "this one arrives");
  require_delivery(b, a, "and so does the answer");
}

BOOST_AUTO_TEST_CASE(twenty_nodes_bootstrap_to_one_and_all_messages_arrive) {
  constexpr int count = 20;
  chat_node hub{"hub"};
  auto bootstrap = "127.0.0.1:" + port_text(hub);
  std::vector<std::unique_ptr<chat_node>> nodes;
  for (int i = 0; i < count; ++i)
    nodes.push_back(std::make_unique<chat_node>(
        "node" + std::to_string(i + 1),
        std::vector<std::string>{"--peer", bootstrap}));
  for (auto& node : nodes) {
    BOOST_REQUIRE_MESSAGE(
        (*node)->wait_for(exact_line("New peer found: " + hub.display())),
        node->report() << hub.report());
    BOOST_REQUIRE_MESSAGE(
        hub->wait_for(exact_line("New peer found: " + node->display())),
        hub.report() << node->report());
  }
  auto text_of = [](const chat_node& x) {
    return "greetings from " + x.name() + ", the one and only";
  };
  for (auto& node : nodes)
    BOOST_REQUIRE_MESSAGE(node->send_message(hub, text_of(*node)),
                          node->report());
  for (auto& node : nodes)
    BOOST_REQUIRE_MESSAGE(
        hub->wait_for(exact_line("Message from " + node->display() + ": " +
                                 text_of(*node))),
        "message of " << node->name() << " missing" << hub.report()
                      << node->report());
  for (auto& node : nodes) {
    auto shown = hub->count_lines(
        exact_line("Message from " + node->display() + ": " + text_of(*node)));
    BOOST_CHECK_MESSAGE(shown == 1, "message of " << node->name() << " shown "
                                                  << shown << " times"
                                                  << hub.report());
  }
  BOOST_CHECK_EQUAL(hub->count_lines(line_starting("Message from ")),
                    static_cast<size_t>(count));
  BOOST_CHECK_EQUAL(hub->count_lines(line_starting("New peer found: ")),
                    static_cast<size_t>(count));
}

namespace {

/// A quits by `leave`; it must exit 0 within 2.5 s after saying goodbye,
/// and B must see it go and forget it.
template <class Leave>
void check_quit(Leave leave) {
  node_pair nodes;
  auto& a = nodes.a;
  auto& b = nodes.b;
  leave(a);
  auto status = a->wait_exit(std::chrono::milliseconds{2500});
  BOOST_REQUIRE_MESSAGE(status.has_value(),
                        "A did not exit within 2.5 s" << a.report());
  BOOST_CHECK_EQUAL(*status, 0);
  BOOST_CHECK_MESSAGE(a->count_lines(exact_line("Goodbye!")) == 1, a.report());
  BOOST_REQUIRE_MESSAGE(b->wait_for(exact_line(a.display() + " disconnected")),
                        b.report());
  BOOST_CHECK_MESSAGE(b.query_shows("No active peers."),
                      "B still knows A" << b.report());
}

} // namespace

BOOST_AUTO_TEST_CASE(quit_tells_the_peer) {
  check_quit([](chat_node& a) { BOOST_REQUIRE(a->send_line("0")); });
}

BOOST_AUTO_TEST_CASE(end_of_input_quits) {
  check_quit([](chat_node& a) { a->close_stdin(); });
}

BOOST_AUTO_TEST_CASE(exit_message_closes_the_connection) {
  check_exit_message("exit");
}

BOOST_AUTO_TEST_CASE(exit_message_in_any_case_closes_the_connection) {
  check_exit_message("ExIT");
}

BOOST_AUTO_TEST_CASE(menu_3_reconnects_a_known_peer) {
  node_pair nodes;
  auto& a = nodes.a;
  auto& b = nodes.b;
  // "exit" leaves B known to A but not connected.
  BOOST_REQUIRE(a.send_message(b, "exit"));
  BOOST_REQUIRE_MESSAGE(b->wait_for(exact_line(a.display() + " disconnected")),
                        a.report() << b.report());
  auto mark = a->mark();
  BOOST_REQUIRE(a->send_line("3"));
  BOOST_REQUIRE_MESSAGE(a->wait_for(exact_line("1. " + b.display() +
                                               " - Not connected (unverified)"),
                                    default_timeout, mark),
                        a.report());
  BOOST_REQUIRE(a->send_line("99"));
  BOOST_REQUIRE_MESSAGE(
      a->wait_for(line_starting("Invalid input"), default_timeout, mark),
      a.report());
  mark = b->mark();
  BOOST_REQUIRE(a->send_line("3"));
  BOOST_REQUIRE(a->send_line("1"));
  BOOST_REQUIRE_MESSAGE(
      b->wait_for(exact_line("New peer found: " + a.display()), default_timeout,
                  mark),
      a.report() << b.report());
  // B's hello may reach A after A's reached B: a message B sends over the
  // new connection arrives after it, so then A must list B as connected.
  require_delivery(b, a, "welcome back");
  BOOST_CHECK_MESSAGE(
      a.query_shows("1. " + b.display() + " - Connected (unverified)"),
      a.report());
}

BOOST_AUTO_TEST_CASE(invalid_menu_input_is_rejected) {
  node_pair nodes;
  auto& a = nodes.a;
  auto& b = nodes.b;
  auto invalid = line_starting("Invalid input");
  // Each of these is one wrong answer, followed by a check that the node
  // said so and is back at the menu.
  std::vector<std::vector<std::string>> wrong_inputs{
      {"9"},
      {"abc"},
      {""},
      {"1", "127.0.0.1", "not-a-port"},
      {"1", "127.0.0.1", "70000"},
  };
  for (auto& lines : wrong_inputs) {
    auto mark = a->mark();
    for (auto& line : lines)
      BOOST_REQUIRE(a->send_line(line));
    BOOST_REQUIRE_MESSAGE(a->wait_for(invalid, default_timeout, mark),
                          "no 'Invalid input' for '" << lines.back() << "'"
                                                     << a.report());
    auto after = a->output().find("Invalid input", mark);
    BOOST_REQUIRE_MESSAGE(a->wait_for("Enter choice: ", default_timeout, after),
                          "no menu after '" << lines.back() << "'"
                                            << a.report());
  }
  // The node still works and nothing was sent by the rejected attempts.
  require_delivery(a, b, "still here");
  BOOST_CHECK_EQUAL(b->count_lines(line_starting("Message from ")), 1u);
  BOOST_CHECK_MESSAGE(
      a.query_shows("1. " + b.display() + " - Connected (unverified)"),
      a.report());
}

BOOST_AUTO_TEST_SUITE_END()
