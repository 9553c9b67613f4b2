#include "actors/console.hpp"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/fixture.hpp"

using namespace p2pchat;
using namespace p2pchat::test;

namespace {

struct console_fixture : fixture {
  console_fixture() {
    registry = make_stand_in();
    main = make_stand_in();
  }

  void start(bool terminal = false, bool jsonl = false) {
    console_config cfg{&out, terminal, main.handle,
                       std::chrono::milliseconds{1500}, jsonl};
    con = keep(sys.spawn(console, cfg));
    caf::anon_send(con, start_atom::value,
                   caf::actor_cast<registry_actor>(registry.handle));
    run();
  }

  void type(std::initializer_list<std::string> lines) {
    for (auto& line : lines)
      caf::anon_send(con, input_atom::value, text_list{line});
    run();
  }

  /// Output since the last call.
  std::string output() {
    auto all = out.str();
    auto result = all.substr(consumed);
    consumed = all.size();
    return result;
  }

  static bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  std::ostringstream out;
  size_t consumed = 0;
  stand_in registry;
  stand_in main;
  console_actor con;
};

peer_view bob() {
  return peer_view{node_id{}, "bob", peer_address{"127.0.0.1", 6556}, true};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(console_tests, console_fixture)

BOOST_AUTO_TEST_CASE(start_prints_the_menu_and_prompt) {
  start();
  auto text = output();
  BOOST_CHECK(has(text, "***** Menu *****\n1. Send message\n"));
  BOOST_CHECK(has(text, "0. Quit\nEnter choice: "));
}

BOOST_AUTO_TEST_CASE(send_goes_to_the_registry) {
  start();
  type({"1", "127.0.0.1", "6556", "hi bob"});
  auto sends = registry.received<send_atom, peer_address, text_list>();
  BOOST_REQUIRE_EQUAL(sends.size(), 1u);
  BOOST_CHECK_EQUAL(to_string(sends[0].get_as<peer_address>(1)),
                    "127.0.0.1:6556");
  BOOST_CHECK(sends[0].get_as<text_list>(2) == text_list{"hi bob"});
}

BOOST_AUTO_TEST_CASE(texts_read_together_reach_the_registry_together) {
  start();
  // One read from a pipe: two texts to bob, one to carol, a query, and one
  // more to bob. Consecutive texts to one address travel in one request;
  // the order of requests is the order typed.
  caf::anon_send(con, input_atom::value,
                 text_list{"1", "127.0.0.1", "6556", "one", "1", "127.0.0.1",
                           "6556", "two", "1", "127.0.0.1", "7000", "three",
                           "1", "127.0.0.1", "6556", "four"});
  run();
  auto sends = registry.received<send_atom, peer_address, text_list>();
  BOOST_REQUIRE_EQUAL(sends.size(), 3u);
  BOOST_CHECK(sends[0].get_as<text_list>(2) == (text_list{"one", "two"}));
  BOOST_CHECK_EQUAL(sends[1].get_as<peer_address>(1).port, 7000);
  BOOST_CHECK(sends[1].get_as<text_list>(2) == text_list{"three"});
  BOOST_CHECK(sends[2].get_as<text_list>(2) == text_list{"four"});
}

BOOST_AUTO_TEST_CASE(other_requests_do_not_overtake_collected_texts) {
  start();
  caf::anon_send(con, input_atom::value,
                 text_list{"1", "127.0.0.1", "6556", "before", "2"});
  run();
  // The registry got the text before the query.
  auto& log = *registry.log;
  auto send = std::find_if(log.begin(), log.end(), [](const caf::message& x) {
    return x.match_elements<send_atom, peer_address, text_list>();
  });
  auto query = std::find_if(log.begin(), log.end(), [](const caf::message& x) {
    return x.match_elements<list_atom>();
  });
  BOOST_REQUIRE(send != log.end());
  BOOST_REQUIRE(query != log.end());
  BOOST_CHECK(send < query);
}

BOOST_AUTO_TEST_CASE(invalid_input_returns_to_the_menu) {
  start();
  output();
  type({"7"});
  auto text = output();
  BOOST_CHECK(has(text, "Invalid input\n"));
  BOOST_CHECK(has(text, "***** Menu *****"));
  type({"1", "127.0.0.1", "port?"});
  BOOST_CHECK(has(output(), "Invalid input: not a port"));
  BOOST_CHECK(
      (registry.received<send_atom, peer_address, text_list>().empty()));
}

BOOST_AUTO_TEST_CASE(query_prints_the_registrys_answer) {
  *registry.peers = {bob()};
  start();
  output();
  type({"2"});
  BOOST_CHECK(
      has(output(), "1. bob [127.0.0.1:6556] - Connected (unverified)\n"));
}

BOOST_AUTO_TEST_CASE(input_typed_while_waiting_is_handled_in_order) {
  *registry.peers = {bob()};
  start();
  // All at once, as from a pipe: the query's answer arrives before the
  // send is handled, and the send is not lost.
  for (auto line : {"2", "1", "127.0.0.1", "6556", "after query"})
    caf::anon_send(con, input_atom::value, text_list{line});
  run();
  auto text = output();
  auto list_pos = text.find("1. bob [127.0.0.1:6556] - Connected");
  auto ip_prompt = text.find("Enter the recipient's IP address: ");
  BOOST_REQUIRE(list_pos != std::string::npos);
  BOOST_REQUIRE(ip_prompt != std::string::npos);
  BOOST_CHECK_LT(list_pos, ip_prompt);
  BOOST_CHECK_EQUAL(
      (registry.received<send_atom, peer_address, text_list>().size()), 1u);
}

BOOST_AUTO_TEST_CASE(connect_menu_dials_the_chosen_peer) {
  auto carol = bob();
  carol.name = "carol";
  carol.listen.port = 6557;
  carol.connected = false;
  *registry.peers = {bob(), carol};
  start();
  output();
  type({"3"});
  auto text = output();
  BOOST_CHECK(
      has(text, "1. carol [127.0.0.1:6557] - Not connected (unverified)\n"));
  BOOST_CHECK(!has(text, "bob"));
  type({"1"});
  auto connects = registry.received<connect_atom, peer_address>();
  BOOST_REQUIRE_EQUAL(connects.size(), 1u);
  BOOST_CHECK_EQUAL(connects[0].get_as<peer_address>(1).port, 6557);
}

BOOST_AUTO_TEST_CASE(event_in_a_pipe_ends_the_prompt_line_and_reprints_it) {
  start(false);
  output();
  caf::anon_send(con, chat_atom::value, bob(), text_list{"hello"});
  run();
  BOOST_CHECK_EQUAL(output(), "\nMessage from bob [127.0.0.1:6556]: hello\n"
                              "Enter choice: ");
  type({"1"});
  output();
  caf::anon_send(con, found_atom::value, bob());
  run();
  BOOST_CHECK_EQUAL(output(), "\nNew peer found: bob [127.0.0.1:6556]\n"
                              "Enter the recipient's IP address: ");
}

BOOST_AUTO_TEST_CASE(event_on_a_terminal_erases_the_prompt_and_reprints_it) {
  start(true);
  output();
  caf::anon_send(con, left_atom::value, bob());
  run();
  BOOST_CHECK_EQUAL(output(), "\r\x1b[Kbob [127.0.0.1:6556] disconnected\n"
                              "Enter choice: ");
}

BOOST_AUTO_TEST_CASE(quit_waits_for_the_registry_then_tells_main) {
  start();
  type({"0"});
  BOOST_CHECK_EQUAL(registry.received<shutdown_atom>().size(), 1u);
  BOOST_CHECK_EQUAL(main.received<done_atom>().size(), 1u);
  BOOST_CHECK(has(output(), "Goodbye!\n"));
}

BOOST_AUTO_TEST_CASE(end_of_input_quits_after_pending_lines) {
  start();
  caf::anon_send(con, input_atom::value, text_list{"1"});
  caf::anon_send(con, input_atom::value, text_list{"127.0.0.1"});
  caf::anon_send(con, input_atom::value, text_list{"6556"});
  caf::anon_send(con, input_atom::value, text_list{"last words"});
  caf::anon_send(con, eof_atom::value);
  run();
  BOOST_CHECK_EQUAL(
      (registry.received<send_atom, peer_address, text_list>().size()), 1u);
  BOOST_CHECK_EQUAL(registry.received<shutdown_atom>().size(), 1u);
  BOOST_CHECK_EQUAL(main.received<done_atom>().size(), 1u);
}

BOOST_AUTO_TEST_CASE(jsonl_prints_no_menu_and_no_prompt) {
  start(false, true);
  BOOST_CHECK_EQUAL(output(), "");
  type({"1", "127.0.0.1", "6556", "hi bob"});
  BOOST_CHECK_EQUAL(output(), "");
  BOOST_CHECK_EQUAL(
      (registry.received<send_atom, peer_address, text_list>().size()), 1u);
}

BOOST_AUTO_TEST_CASE(jsonl_prints_one_object_per_event) {
  auto carol = bob();
  carol.legacy = true;
  carol.name = "carol";
  start(false, true);
  caf::anon_send(con, chat_atom::value, bob(), text_list{"hi \"there\"\t✓"});
  caf::anon_send(con, bcast_atom::value, carol, std::string{"to all"});
  caf::anon_send(con, found_atom::value, bob());
  caf::anon_send(con, left_atom::value, carol);
  caf::anon_send(con, notice_atom::value, std::string{"Server listening"});
  run();
  BOOST_CHECK_EQUAL(
      output(),
      "{\"event\":\"chat\",\"from\":{\"name\":\"bob\",\"host\":\"127.0.0.1\","
      "\"port\":6556,\"legacy\":false,\"id\":\"" +
          std::string(64, '0') +
          "\",\"trust\":\"unverified\"},\"text\":\"hi \\\"there\\\"\\t✓\"}\n"
          "{\"event\":\"broadcast\",\"from\":{\"name\":\"carol\",\"host\":"
          "\"127.0.0.1\",\"port\":6556,\"legacy\":true},\"text\":\"to all\"}\n"
          "{\"event\":\"peer_found\",\"peer\":{\"name\":\"bob\",\"host\":"
          "\"127.0.0.1\",\"port\":6556,\"legacy\":false,\"id\":\"" +
          std::string(64, '0') +
          "\",\"trust\":\"unverified\"}}\n"
          "{\"event\":\"peer_left\",\"peer\":{\"name\":\"carol\",\"host\":"
          "\"127.0.0.1\",\"port\":6556,\"legacy\":true}}\n"
          "{\"event\":\"notice\",\"text\":\"Server listening\"}\n");
}

BOOST_AUTO_TEST_CASE(jsonl_prints_menu_answers_without_the_menu) {
  *registry.peers = {bob()};
  start(false, true);
  type({"2", "7"});
  BOOST_CHECK_EQUAL(output(), "{\"event\":\"menu\",\"text\":\"1. bob "
                              "[127.0.0.1:6556] - Connected (unverified)\"}\n"
                              "{\"event\":\"menu\",\"text\":\"Invalid "
                              "input\"}\n");
  type({"0"});
  BOOST_CHECK_EQUAL(output(), "{\"event\":\"goodbye\"}\n");
  BOOST_CHECK_EQUAL(main.received<done_atom>().size(), 1u);
}

/// An ostream that counts how often it is flushed.
struct counting_buf : std::stringbuf {
  int syncs = 0;
  int sync() override {
    ++syncs;
    return std::stringbuf::sync();
  }
};

BOOST_AUTO_TEST_CASE(jsonl_flushes_once_per_burst) {
  counting_buf buf;
  std::ostream counted{&buf};
  console_config cfg{&counted, false, main.handle,
                     std::chrono::milliseconds{1500}, true};
  auto con = keep(sys.spawn(console, cfg));
  caf::anon_send(con, start_atom::value,
                 caf::actor_cast<registry_actor>(registry.handle));
  run();
  for (int i = 0; i < 98; ++i)
    caf::anon_send(con, chat_atom::value, bob(), text_list{std::to_string(i)});
  caf::anon_send(con, chat_atom::value, bob(), text_list{"98", "99"});
  run();
  BOOST_CHECK_EQUAL(buf.syncs, 1);
  caf::anon_send(con, chat_atom::value, bob(), text_list{"alone"});
  run();
  BOOST_CHECK_EQUAL(buf.syncs, 2);
  auto text = buf.str();
  size_t lines = 0;
  for (size_t pos = 0; (pos = text.find('\n', pos)) != std::string::npos; ++pos)
    ++lines;
  BOOST_CHECK_EQUAL(lines, 101u);
  BOOST_CHECK(text.find("\"text\":\"99\"}\n{\"event\":\"chat\"") !=
              std::string::npos);
}

// -- identity and trust
// ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_changed_key_is_a_warning_and_marks_its_messages) {
  start(false);
  output();
  auto eve = bob();
  eve.trust = trust_status::key_changed;
  caf::anon_send(con, keychg_atom::value, eve);
  caf::anon_send(con, chat_atom::value, eve, text_list{"trust me"});
  caf::anon_send(con, chat_atom::value, bob(), text_list{"unmarked"});
  run();
  BOOST_CHECK_EQUAL(output(),
                    "\nWARNING: bob [127.0.0.1:6556] presents a different key "
                    "than before\nEnter choice: \n"
                    "Message from bob [127.0.0.1:6556] (key changed): trust "
                    "me\nEnter choice: \n"
                    "Message from bob [127.0.0.1:6556]: unmarked\n"
                    "Enter choice: ");
}

BOOST_AUTO_TEST_CASE(legacy_messages_are_marked_unencrypted) {
  start(false);
  output();
  auto old = bob();
  old.legacy = true;
  caf::anon_send(con, chat_atom::value, old, text_list{"plain"});
  run();
  BOOST_CHECK(has(output(), "Message from bob [127.0.0.1:6556] (legacy, "
                            "unencrypted): plain\n"));
}

BOOST_AUTO_TEST_CASE(jsonl_key_change_is_an_event) {
  start(false, true);
  auto eve = bob();
  eve.trust = trust_status::key_changed;
  caf::anon_send(con, keychg_atom::value, eve);
  run();
  BOOST_CHECK_EQUAL(
      output(),
      "{\"event\":\"key_changed\",\"peer\":{\"name\":\"bob\",\"host\":"
      "\"127.0.0.1\",\"port\":6556,\"legacy\":false,\"id\":\"" +
          std::string(64, '0') + "\",\"trust\":\"key_changed\"}}\n");
}

BOOST_AUTO_TEST_CASE(the_legacy_question_is_answered_on_the_console) {
  start(false);
  output();
  auto old = bob();
  old.legacy = true;
  caf::anon_send(con, confirm_atom::value, old);
  run();
  BOOST_CHECK_EQUAL(output(),
                    "\nbob [127.0.0.1:6556] (legacy, unencrypted) runs the "
                    "original app: messages to it travel as plain text that "
                    "anyone on the way can read or change.\nSend unencrypted "
                    "to bob [127.0.0.1:6556]? (y/n): ");
  type({"y"});
  auto answers = registry.received<confirm_atom, peer_address, bool>();
  BOOST_REQUIRE_EQUAL(answers.size(), 1u);
  BOOST_CHECK_EQUAL(answers[0].get_as<peer_address>(1).port, 6556);
  BOOST_CHECK(answers[0].get_as<bool>(2));
  BOOST_CHECK(has(output(), "Enter choice: "));
}

BOOST_AUTO_TEST_CASE(menu_5_verifies_the_chosen_peer) {
  *registry.peers = {bob()};
  start();
  output();
  type({"5"});
  BOOST_CHECK(
      has(output(), "1. bob [127.0.0.1:6556] - Connected (unverified)"));
  type({"1"});
  BOOST_CHECK(has(output(), "Safety number with bob: "));
  type({"y"});
  auto verified = registry.received<verify_atom, std::string, node_id>();
  BOOST_REQUIRE_EQUAL(verified.size(), 1u);
  BOOST_CHECK_EQUAL(verified[0].get_as<std::string>(1), "bob");
}

BOOST_AUTO_TEST_SUITE_END()
