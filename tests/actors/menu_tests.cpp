#include "actors/menu.hpp"

#include "protocol/signing.hpp"

#include <boost/test/unit_test.hpp>

using namespace p2pchat;

namespace {

struct menu_fixture {
  menu m;

  menu_fixture() { m.start(); }

  /// Feeds several lines; returns the last step.
  menu::step type(std::initializer_list<std::string_view> lines) {
    menu::step last;
    for (auto line : lines)
      last = m.feed(line);
    return last;
  }

  static bool contains(const menu::step& x, const std::string& line) {
    return std::find(x.lines.begin(), x.lines.end(), line) != x.lines.end();
  }

  static bool has_invalid(const menu::step& x) {
    return std::any_of(x.lines.begin(), x.lines.end(), [](auto& line) {
      return line.rfind("Invalid input", 0) == 0;
    });
  }

  bool at_menu() const { return m.prompt() == "Enter choice: "; }
};

peer_view peer(const std::string& name, uint16_t port, bool connected) {
  return peer_view{node_id{}, name, peer_address{"127.0.0.1", port}, connected};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(menu_tests, menu_fixture)

BOOST_AUTO_TEST_CASE(start_shows_the_original_menu) {
  menu fresh;
  auto step = fresh.start();
  std::vector<std::string> expected{"",
                                    "***** Menu *****",
                                    "1. Send message",
                                    "2. Query active peers",
                                    "3. Connect to active peers",
                                    "4. Broadcast message",
                                    "5. Verify a peer's key",
                                    "0. Quit"};
  BOOST_CHECK(step.lines == expected);
  BOOST_CHECK_EQUAL(fresh.prompt(), "Enter choice: ");
}

BOOST_AUTO_TEST_CASE(send_asks_ip_port_and_message) {
  BOOST_CHECK_EQUAL(m.feed("1").lines.size(), 0u);
  BOOST_CHECK_EQUAL(m.prompt(), "Enter the recipient's IP address: ");
  m.feed("10.0.0.5");
  BOOST_CHECK_EQUAL(m.prompt(), "Enter the recipient's port number: ");
  m.feed("6555");
  BOOST_CHECK_EQUAL(m.prompt(), "Enter your message: ");
  auto step = m.feed("hello there, bob");
  auto req = std::get_if<menu::send_request>(&step.req);
  BOOST_REQUIRE(req != nullptr);
  BOOST_CHECK_EQUAL(to_string(req->to), "10.0.0.5:6555");
  BOOST_CHECK_EQUAL(req->text, "hello there, bob");
  BOOST_CHECK(at_menu());
}

BOOST_AUTO_TEST_CASE(exit_in_any_case_disconnects_instead_of_sending) {
  for (auto word : {"exit", "EXIT", "Exit"}) {
    auto step = type({"1", "127.0.0.1", "6556", word});
    auto req = std::get_if<menu::disconnect_request>(&step.req);
    BOOST_REQUIRE(req != nullptr);
    BOOST_CHECK_EQUAL(to_string(req->to), "127.0.0.1:6556");
  }
  // "exit" inside a longer text is just chat.
  auto step = type({"1", "127.0.0.1", "6556", "exit now"});
  BOOST_CHECK(std::holds_alternative<menu::send_request>(step.req));
}

BOOST_AUTO_TEST_CASE(unknown_choice_is_invalid_input) {
  for (auto choice : {"9", "", "one", "1 2", "-1"}) {
    auto step = m.feed(choice);
    BOOST_CHECK_MESSAGE(has_invalid(step), "choice '" << choice << "'");
    BOOST_CHECK(std::holds_alternative<std::monostate>(step.req));
    BOOST_CHECK(at_menu());
  }
}

BOOST_AUTO_TEST_CASE(bad_port_is_invalid_input) {
  for (auto port : {"abc", "0", "65536", "-5", "12ab", ""}) {
    auto step = type({"1", "127.0.0.1", port});
    BOOST_CHECK_MESSAGE(has_invalid(step), "port '" << port << "'");
    BOOST_CHECK(at_menu());
  }
}

BOOST_AUTO_TEST_CASE(bad_host_is_invalid_input) {
  for (auto host : {"", "   ", "10.0.0.1 evil"}) {
    auto step = type({"1", host});
    BOOST_CHECK_MESSAGE(has_invalid(step), "host '" << host << "'");
    BOOST_CHECK(at_menu());
  }
}

BOOST_AUTO_TEST_CASE(bad_message_is_invalid_input) {
  std::string too_long(max_text_bytes + 1, 'x');
  for (std::string text : {std::string{}, std::string{"\x1b[2Jboom"},
                           std::string{"\xff\xfe"}, too_long}) {
    auto step = type({"1", "127.0.0.1", "6556", text});
    BOOST_CHECK(has_invalid(step));
    BOOST_CHECK(std::holds_alternative<std::monostate>(step.req));
  }
}

BOOST_AUTO_TEST_CASE(broadcast_asks_for_the_text) {
  m.feed("4");
  BOOST_CHECK_EQUAL(m.prompt(), "Enter your broadcast message: ");
  auto step = m.feed("hello, everyone");
  auto req = std::get_if<menu::broadcast_request>(&step.req);
  BOOST_REQUIRE(req != nullptr);
  BOOST_CHECK_EQUAL(req->text, "hello, everyone");
  BOOST_CHECK(at_menu());
  step = type({"4", "\x1b[2J"});
  BOOST_CHECK(has_invalid(step));
  BOOST_CHECK(std::holds_alternative<std::monostate>(step.req));
}

BOOST_AUTO_TEST_CASE(query_lists_peers_with_their_state) {
  auto step = m.feed("2");
  BOOST_CHECK(std::holds_alternative<menu::list_request>(step.req));
  BOOST_CHECK(m.waiting());
  BOOST_CHECK_EQUAL(m.prompt(), "");
  step = m.show_peers({peer("bob", 6556, true), peer("carol", 6557, false)});
  BOOST_CHECK(
      contains(step, "1. bob [127.0.0.1:6556] - Connected (unverified)"));
  BOOST_CHECK(
      contains(step, "2. carol [127.0.0.1:6557] - Not connected (unverified)"));
  BOOST_CHECK(!m.waiting());
  BOOST_CHECK(at_menu());
}

BOOST_AUTO_TEST_CASE(query_without_peers_says_so) {
  m.feed("2");
  BOOST_CHECK(contains(m.show_peers({}), "No active peers."));
}

BOOST_AUTO_TEST_CASE(connect_offers_only_unconnected_peers) {
  auto step = m.feed("3");
  BOOST_CHECK(std::holds_alternative<menu::candidates_request>(step.req));
  step = m.show_candidates({peer("bob", 6556, true), peer("carol", 6557, false),
                            peer("dave", 6558, false)});
  BOOST_CHECK(
      contains(step, "1. carol [127.0.0.1:6557] - Not connected (unverified)"));
  BOOST_CHECK(
      contains(step, "2. dave [127.0.0.1:6558] - Not connected (unverified)"));
  BOOST_CHECK_EQUAL(step.lines.size(), 2u);
  step = m.feed("2");
  auto req = std::get_if<menu::connect_request>(&step.req);
  BOOST_REQUIRE(req != nullptr);
  BOOST_REQUIRE_EQUAL(req->to.size(), 1u);
  BOOST_CHECK_EQUAL(req->to[0].port, 6558);
}

BOOST_AUTO_TEST_CASE(connect_zero_means_all) {
  m.feed("3");
  m.show_candidates({peer("carol", 6557, false), peer("dave", 6558, false)});
  auto step = m.feed("0");
  auto req = std::get_if<menu::connect_request>(&step.req);
  BOOST_REQUIRE(req != nullptr);
  BOOST_CHECK_EQUAL(req->to.size(), 2u);
}

BOOST_AUTO_TEST_CASE(connect_index_out_of_range_is_invalid_input) {
  for (auto index : {"3", "-1", "x", "", "99999999999999999999999"}) {
    m.feed("3");
    m.show_candidates({peer("carol", 6557, false), peer("dave", 6558, false)});
    auto step = m.feed(index);
    BOOST_CHECK_MESSAGE(has_invalid(step), "index '" << index << "'");
    BOOST_CHECK(std::holds_alternative<std::monostate>(step.req));
    BOOST_CHECK(at_menu());
  }
}

BOOST_AUTO_TEST_CASE(connect_without_candidates_returns_to_menu) {
  m.feed("3");
  auto step = m.show_candidates({peer("bob", 6556, true)});
  BOOST_CHECK(contains(step, "No peers to connect to."));
  BOOST_CHECK(at_menu());
}

BOOST_AUTO_TEST_CASE(quit_and_end_of_input_quit_once) {
  auto step = m.feed("0");
  BOOST_CHECK(std::holds_alternative<menu::quit_request>(step.req));
  BOOST_CHECK(m.finished());
  BOOST_CHECK(std::holds_alternative<std::monostate>(m.end_of_input().req));
  menu other;
  other.start();
  other.feed("1");
  BOOST_CHECK(
      std::holds_alternative<menu::quit_request>(other.end_of_input().req));
}

// -- menu 5: verifying a peer's key ------------------------------------------

namespace {

node_id id_filled(uint8_t x) {
  node_id result;
  result.bytes.fill(x);
  return result;
}

peer_view keyed_peer(const std::string& name, uint8_t id, trust_status trust) {
  auto result = peer(name, 6556, true);
  result.id = id_filled(id);
  result.trust = trust;
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(verify_shows_both_keys_and_the_safety_number) {
  menu mine{id_filled(1)};
  mine.start();
  auto step = mine.feed("5");
  BOOST_CHECK(std::holds_alternative<menu::verify_list_request>(step.req));
  BOOST_CHECK(mine.waiting());
  auto legacy = peer("old", 6000, false);
  legacy.legacy = true;
  step = mine.show_verify_candidates(
      {keyed_peer("bob", 2, trust_status::unverified), legacy});
  BOOST_CHECK(contains(step, "Your fingerprint: " + fingerprint(id_filled(1))));
  BOOST_CHECK(
      contains(step, "1. bob [127.0.0.1:6556] - Connected (unverified)"));
  // The original app has no key: not offered.
  BOOST_CHECK_EQUAL(step.lines.size(), 2u);
  step = mine.feed("1");
  BOOST_CHECK(
      contains(step, "Fingerprint of bob: " + fingerprint(id_filled(2))));
  BOOST_CHECK(contains(step, "Safety number with bob: " +
                                 safety_number(id_filled(1), id_filled(2))));
  BOOST_CHECK_EQUAL(mine.prompt(),
                    "Mark bob [127.0.0.1:6556] as verified? (y/n): ");
  // Neither yes nor no: asked again.
  step = mine.feed("maybe");
  BOOST_CHECK(contains(step, "Please answer y or n."));
  BOOST_CHECK(std::holds_alternative<std::monostate>(step.req));
  step = mine.feed("Y");
  auto* req = std::get_if<menu::verify_request>(&step.req);
  BOOST_REQUIRE(req != nullptr);
  BOOST_CHECK_EQUAL(req->name, "bob");
  BOOST_CHECK(req->id == id_filled(2));
  BOOST_CHECK_EQUAL(mine.prompt(), "Enter choice: ");
}

BOOST_AUTO_TEST_CASE(verify_answered_no_or_zero_changes_nothing) {
  m.feed("5");
  m.show_verify_candidates({keyed_peer("bob", 2, trust_status::unverified)});
  auto step = m.feed("0");
  BOOST_CHECK(std::holds_alternative<std::monostate>(step.req));
  BOOST_CHECK(at_menu());
  m.feed("5");
  m.show_verify_candidates({keyed_peer("bob", 2, trust_status::unverified)});
  m.feed("1");
  step = m.feed("n");
  BOOST_CHECK(contains(step, "Not verified."));
  BOOST_CHECK(std::holds_alternative<std::monostate>(step.req));
  BOOST_CHECK(at_menu());
  m.feed("5");
  m.show_verify_candidates({keyed_peer("bob", 2, trust_status::unverified)});
  BOOST_CHECK(has_invalid(m.feed("2")));
}

BOOST_AUTO_TEST_CASE(verify_warns_about_a_changed_key) {
  m.feed("5");
  auto step = m.show_verify_candidates(
      {keyed_peer("bob", 2, trust_status::key_changed)});
  BOOST_CHECK(
      contains(step, "1. bob [127.0.0.1:6556] - Connected (key changed)"));
  step = m.feed("1");
  BOOST_CHECK(contains(step, "WARNING: bob [127.0.0.1:6556] presents a "
                             "different key than before; verifying it "
                             "replaces the old one."));
}

BOOST_AUTO_TEST_CASE(verify_without_peers_shows_our_fingerprint) {
  m.feed("5");
  auto step = m.show_verify_candidates({});
  BOOST_CHECK(contains(step, "Your fingerprint: " + fingerprint(node_id{})));
  BOOST_CHECK(contains(step, "No peers to verify."));
  BOOST_CHECK(at_menu());
}

BOOST_AUTO_TEST_CASE(menu_lists_show_each_peers_key_status) {
  m.feed("2");
  auto legacy = peer("old", 6000, false);
  legacy.legacy = true;
  auto step =
      m.show_peers({keyed_peer("bob", 2, trust_status::verified),
                    keyed_peer("eve", 3, trust_status::key_changed), legacy});
  BOOST_CHECK(contains(step, "1. bob [127.0.0.1:6556] - Connected (verified)"));
  BOOST_CHECK(
      contains(step, "2. eve [127.0.0.1:6556] - Connected (key changed)"));
  BOOST_CHECK(contains(
      step, "3. old [127.0.0.1:6000] - Not connected (legacy, unencrypted)"));
  m.feed("3");
  step = m.show_candidates({legacy});
  BOOST_CHECK(contains(
      step, "1. old [127.0.0.1:6000] - Not connected (legacy, unencrypted)"));
}

// -- asking before plain text
// --------------------------------------------------

namespace {

peer_view legacy_peer_at(uint16_t port) {
  auto result = peer("old", port, false);
  result.legacy = true;
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(legacy_question_at_the_menu_is_asked_at_once) {
  auto step = m.ask_legacy(legacy_peer_at(6000));
  BOOST_REQUIRE_EQUAL(step.lines.size(), 1u);
  BOOST_CHECK_EQUAL(step.lines[0].rfind("old [127.0.0.1:6000] (legacy, "
                                        "unencrypted) runs the original app",
                                        0),
                    0u);
  BOOST_CHECK_EQUAL(m.prompt(), "Send unencrypted to old [127.0.0.1:6000]? "
                                "(y/n): ");
  BOOST_CHECK(contains(m.feed("1"), "Please answer y or n."));
  step = m.feed("yes");
  auto* answer = std::get_if<menu::legacy_answer>(&step.req);
  BOOST_REQUIRE(answer != nullptr);
  BOOST_CHECK(answer->yes);
  BOOST_CHECK_EQUAL(answer->to.port, 6000);
  BOOST_CHECK(at_menu());
}

BOOST_AUTO_TEST_CASE(legacy_questions_wait_for_the_menu_and_queue) {
  m.feed("4"); // typing a broadcast: not interrupted
  BOOST_CHECK(m.ask_legacy(legacy_peer_at(6000)).lines.empty());
  BOOST_CHECK_EQUAL(m.prompt(), "Enter your broadcast message: ");
  auto step = m.feed("to all");
  BOOST_CHECK(std::holds_alternative<menu::broadcast_request>(step.req));
  // Back at the menu: the question comes before the choice prompt.
  BOOST_CHECK(contains(step, "5. Verify a peer's key"));
  BOOST_CHECK_EQUAL(m.prompt(),
                    "Send unencrypted to old [127.0.0.1:6000]? (y/n): ");
  BOOST_CHECK(m.ask_legacy(legacy_peer_at(6001)).lines.empty());
  step = m.feed("n");
  auto* answer = std::get_if<menu::legacy_answer>(&step.req);
  BOOST_REQUIRE(answer != nullptr);
  BOOST_CHECK(!answer->yes);
  BOOST_CHECK_EQUAL(answer->to.port, 6000);
  BOOST_CHECK_EQUAL(m.prompt(),
                    "Send unencrypted to old [127.0.0.1:6001]? (y/n): ");
  step = m.feed("y");
  answer = std::get_if<menu::legacy_answer>(&step.req);
  BOOST_REQUIRE(answer != nullptr);
  BOOST_CHECK_EQUAL(answer->to.port, 6001);
  BOOST_CHECK(at_menu());
}

BOOST_AUTO_TEST_SUITE_END()
