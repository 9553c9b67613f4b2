// The registry's side of identity and trust: pinning names to keys, the
// key-change warning, verification, signed broadcasts and the question
// before plain text goes to a peer running the original app.

#include "actors/registry.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "protocol/signing.hpp"

#include "support/registry_fixture.hpp"

namespace fs = std::filesystem;

using namespace p2pchat;
using namespace p2pchat::test;

namespace {

/// A temporary data dir for a trust file, removed afterwards.
struct temp_trust_file {
  fs::path dir;
  std::string path;

  temp_trust_file() {
    auto pattern =
        (fs::temp_directory_path() / "p2pchat-reg-trust-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    path = (dir / trust_store::file_name).string();
  }

  ~temp_trust_file() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  void write(const std::string& content) const {
    std::ofstream out{path, std::ios::binary};
    out << content;
  }

  std::string read() const {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
  }
};

/// A registry whose trust file is `file`, with `tweak` applied on top.
struct trust_fixture : temp_trust_file, registry_fixture {
  explicit trust_fixture(
      const std::function<void(registry_config&)>& tweak = {},
      const std::string& content = {})
      : registry_fixture([this, tweak, content](registry_config& cfg) {
          if (!content.empty())
            write(content);
          cfg.trust_path = path;
          if (tweak)
            tweak(cfg);
        }) {
    // nop
  }

  std::vector<peer_view> key_change_warnings() const {
    std::vector<peer_view> result;
    for (auto& msg : console.received<keychg_atom, peer_view>())
      result.push_back(msg.get_as<peer_view>(1));
    return result;
  }

  std::vector<std::pair<peer_view, std::string>> chats() const {
    std::vector<std::pair<peer_view, std::string>> result;
    for (auto& msg : console.received<chat_atom, peer_view, text_list>())
      for (auto& text : msg.get_as<text_list>(2))
        result.emplace_back(msg.get_as<peer_view>(1), text);
    return result;
  }

  std::vector<std::pair<peer_view, std::string>> shown_broadcasts() const {
    std::vector<std::pair<peer_view, std::string>> result;
    for (auto& msg : console.received<bcast_atom, peer_view, std::string>())
      result.emplace_back(msg.get_as<peer_view>(1), msg.get_as<std::string>(2));
    return result;
  }

  void chat_from(const stand_in& conn, std::string text) {
    caf::anon_send(reg, chat_atom::value, conn.handle,
                   std::vector<chat>{chat{message_id{}, 1, std::move(text)}});
    run();
  }

  std::optional<peer_view> listed(const std::string& name, uint8_t id) {
    for (auto& peer : list())
      if (peer.name == name && peer.id == make_id(id))
        return peer;
    return std::nullopt;
  }
};

/// The registry's own key is `test_key(5)`: its broadcasts verify.
struct signed_self_fixture : registry_fixture {
  signed_self_fixture()
      : registry_fixture(
            [](registry_config& cfg) { cfg.self_id = test_key_id(5); }) {
    // nop
  }
};

/// Plain text to legacy peers needs the user's yes.
struct ask_legacy_fixture : registry_fixture {
  ask_legacy_fixture()
      : registry_fixture(
            [](registry_config& cfg) { cfg.allow_legacy = false; }) {
    // nop
  }

  std::vector<std::string> legacy_sent() const {
    std::vector<std::string> result;
    for (auto& msg : dialer.received<lsend_atom, peer_address, std::string>())
      result.push_back(msg.get_as<std::string>(2));
    return result;
  }

  std::vector<peer_view> questions() const {
    std::vector<peer_view> result;
    for (auto& msg : console.received<confirm_atom, peer_view>())
      result.push_back(msg.get_as<peer_view>(1));
    return result;
  }
};

broadcast signed_broadcast(uint8_t origin, std::string text, uint8_t id = 1) {
  broadcast msg;
  msg.id.fill(id);
  msg.origin = test_key_id(origin);
  msg.origin_name = "origin";
  msg.origin_port = 7000;
  msg.sent_at_ms = 1;
  msg.hops_left = 10;
  msg.text = std::move(text);
  sign_broadcast(msg, test_key(origin));
  return msg;
}

std::vector<broadcast> forwarded(const stand_in& conn) {
  std::vector<broadcast> result;
  for (auto& msg : conn.received<send_atom, broadcast>())
    result.push_back(msg.get_as<broadcast>(1));
  return result;
}

const std::string trust_header = "p2pchat-trust 1\n";

} // namespace

BOOST_FIXTURE_TEST_SUITE(registry_trust_tests, trust_fixture)

// -- trust on first use -------------------------------------------------------

BOOST_AUTO_TEST_CASE(first_hello_pins_the_name_to_its_key_on_disk) {
  auto bob = connect(7, "bob", 6556);
  BOOST_CHECK(key_change_warnings().empty());
  BOOST_CHECK_EQUAL(read(), trust_header + "bob " + make_id(7).to_hex() +
                                " unverified\n");
  auto peer = listed("bob", 7);
  BOOST_REQUIRE(peer);
  BOOST_CHECK((peer->trust == trust_status::unverified));
  // The same key again is no news.
  caf::anon_send(reg, closed_atom::value, bob.handle, no_dial, false,
                 std::string{"gone"});
  run();
  connect(7, "bob", 6556);
  BOOST_CHECK(key_change_warnings().empty());
}

BOOST_AUTO_TEST_CASE(a_known_name_with_another_key_is_flagged_not_merged) {
  auto bob = connect(7, "bob", 6556);
  chat_from(bob, "the real bob");
  // Another node claims the name.
  auto impostor = connect(8, "bob", 6557);
  auto warnings = key_change_warnings();
  BOOST_REQUIRE_EQUAL(warnings.size(), 1u);
  BOOST_CHECK(warnings[0].id == make_id(8));
  BOOST_CHECK_EQUAL(display_name(warnings[0]), "bob [127.0.0.1:6557]");
  BOOST_CHECK((warnings[0].trust == trust_status::key_changed));
  // Its "new peer" is marked as well.
  auto found = console.received<found_atom, peer_view>();
  BOOST_REQUIRE_EQUAL(found.size(), 2u);
  BOOST_CHECK(
      (found[1].get_as<peer_view>(1).trust == trust_status::key_changed));
  // Its messages are marked; the real bob's are not.
  chat_from(impostor, "trust me");
  chat_from(bob, "still me");
  auto all = chats();
  BOOST_REQUIRE_EQUAL(all.size(), 3u);
  BOOST_CHECK((all[0].first.trust == trust_status::unverified));
  BOOST_CHECK((all[1].first.trust == trust_status::key_changed));
  BOOST_CHECK(all[1].first.id == make_id(8));
  BOOST_CHECK((all[2].first.trust == trust_status::unverified));
  BOOST_CHECK(all[2].first.id == make_id(7));
  // Two peers in the list, each with its own status; the pin is unchanged.
  BOOST_CHECK((listed("bob", 7)->trust == trust_status::unverified));
  BOOST_CHECK((listed("bob", 8)->trust == trust_status::key_changed));
  BOOST_CHECK_EQUAL(read(), trust_header + "bob " + make_id(7).to_hex() +
                                " unverified\n");
  // A second link from the impostor does not warn again.
  connect(8, "bob", 6557);
  BOOST_CHECK_EQUAL(key_change_warnings().size(), 1u);
}

struct known_bob_fixture : trust_fixture {
  known_bob_fixture()
      : trust_fixture({}, trust_header + "bob " + make_id(1).to_hex() +
                              " verified\n") {
    // nop
  }
};

BOOST_FIXTURE_TEST_CASE(a_key_pinned_in_an_earlier_run_is_checked,
                        known_bob_fixture) {
  // bob came with key 1 last time; now key 7 says it is bob.
  connect(7, "bob", 6556);
  BOOST_CHECK_EQUAL(key_change_warnings().size(), 1u);
  BOOST_CHECK((listed("bob", 7)->trust == trust_status::key_changed));
  // The genuine key is still verified.
  connect(1, "bob", 6560);
  BOOST_CHECK((listed("bob", 1)->trust == trust_status::verified));
  BOOST_CHECK_EQUAL(key_change_warnings().size(), 1u);
}

struct corrupt_file_fixture : trust_fixture {
  corrupt_file_fixture() : trust_fixture({}, "garbage\n") {
    // nop
  }
};

BOOST_FIXTURE_TEST_CASE(a_corrupt_trust_file_is_reported_and_kept,
                        corrupt_file_fixture) {
  auto all = notices();
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_CHECK_MESSAGE(all[0].find("Cannot load the pinned peer keys") == 0 &&
                          all[0].find(path + ": line 1") != std::string::npos,
                      all[0]);
  // The node goes on: pins hold for this run, and the file is not touched.
  connect(7, "bob", 6556);
  connect(8, "bob", 6557);
  BOOST_CHECK_EQUAL(key_change_warnings().size(), 1u);
  BOOST_CHECK_EQUAL(read(), "garbage\n");
}

BOOST_AUTO_TEST_CASE(verifying_a_peer_is_saved_and_listed) {
  connect(7, "bob", 6556);
  caf::anon_send(reg, verify_atom::value, std::string{"bob"}, make_id(7));
  run();
  BOOST_CHECK((listed("bob", 7)->trust == trust_status::verified));
  BOOST_CHECK_EQUAL(read(), trust_header + "bob " + make_id(7).to_hex() +
                                " verified\n");
  BOOST_REQUIRE_EQUAL(notices().size(), 1u);
  BOOST_CHECK_EQUAL(notices()[0],
                    "bob (" + make_id(7).short_hex() + ") is verified now");
}

BOOST_AUTO_TEST_CASE(verifying_a_changed_key_replaces_the_old_one) {
  connect(7, "bob", 6556);
  connect(8, "bob", 6557);
  caf::anon_send(reg, verify_atom::value, std::string{"bob"}, make_id(8));
  run();
  BOOST_CHECK((listed("bob", 8)->trust == trust_status::verified));
  BOOST_CHECK((listed("bob", 7)->trust == trust_status::key_changed));
}

// -- signed broadcasts --------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_genuine_broadcast_is_shown_and_passed_on) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  caf::anon_send(reg, bcast_atom::value, bob.handle,
                 signed_broadcast(9, "signed"));
  run();
  BOOST_REQUIRE_EQUAL(shown_broadcasts().size(), 1u);
  auto copies = forwarded(carol);
  BOOST_REQUIRE_EQUAL(copies.size(), 1u);
  // Hop count and host changed on the way; the signature still holds.
  BOOST_CHECK_EQUAL(copies[0].hops_left, 9);
  BOOST_CHECK(verify_broadcast(copies[0]));
}

BOOST_AUTO_TEST_CASE(forged_and_altered_broadcasts_are_dropped) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  auto genuine = signed_broadcast(9, "signed");
  auto forged = genuine;
  forged.signature[10] ^= 0x01;
  auto other_text = genuine;
  other_text.text = "altered";
  auto other_origin = genuine;
  other_origin.origin = test_key_id(10);
  auto other_name = genuine;
  other_name.origin_name = "mallory";
  auto signed_by_another = genuine;
  sign_broadcast(signed_by_another, test_key(10));
  for (auto* msg :
       {&forged, &other_text, &other_origin, &other_name, &signed_by_another})
    caf::anon_send(reg, bcast_atom::value, bob.handle, *msg);
  run();
  BOOST_CHECK(shown_broadcasts().empty());
  BOOST_CHECK(forwarded(carol).empty());
  // The forgeries did not use up the id: the genuine copy still gets through.
  caf::anon_send(reg, bcast_atom::value, bob.handle, genuine);
  run();
  auto shown = shown_broadcasts();
  BOOST_REQUIRE_EQUAL(shown.size(), 1u);
  BOOST_CHECK_EQUAL(shown[0].second, "signed");
  BOOST_CHECK_EQUAL(forwarded(carol).size(), 1u);
}

BOOST_FIXTURE_TEST_CASE(our_broadcasts_are_signed_and_their_echo_dropped,
                        signed_self_fixture) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  caf::anon_send(reg, bcast_atom::value, std::string{"from me"});
  run();
  auto copies = forwarded(bob);
  BOOST_REQUIRE_EQUAL(copies.size(), 1u);
  BOOST_CHECK(copies[0].origin == test_key_id(5));
  BOOST_CHECK(verify_broadcast(copies[0]));
  // A valid copy of our own broadcast coming back is not shown.
  caf::anon_send(reg, bcast_atom::value, carol.handle, copies[0]);
  run();
  BOOST_CHECK((console.received<bcast_atom, peer_view, std::string>().empty()));
  BOOST_CHECK_EQUAL(forwarded(bob).size(), 1u);
}

BOOST_AUTO_TEST_CASE(
    a_broadcast_under_a_pinned_name_with_another_key_is_marked) {
  connect(7, "origin", 6556); // pins "origin" to make_id(7)
  auto carol = connect(8, "carol", 6557);
  caf::anon_send(reg, bcast_atom::value, carol.handle,
                 signed_broadcast(9, "who am I"));
  run();
  auto shown = shown_broadcasts();
  BOOST_REQUIRE_EQUAL(shown.size(), 1u);
  BOOST_CHECK((shown[0].first.trust == trust_status::key_changed));
}

// -- plain text to legacy peers
// -------------------------------------------------

BOOST_FIXTURE_TEST_CASE(first_plain_text_waits_for_the_users_yes,
                        ask_legacy_fixture) {
  peer_address addr{"127.0.0.1", 6000};
  caf::anon_send(reg, legacy_atom::value, addr);
  caf::anon_send(reg, send_atom::value, addr, text_list{"one"});
  caf::anon_send(reg, send_atom::value, addr, text_list{"two"});
  run();
  BOOST_CHECK(legacy_sent().empty());
  auto asked = questions();
  BOOST_REQUIRE_EQUAL(asked.size(), 1u); // once, not per message
  BOOST_CHECK(asked[0].legacy);
  BOOST_CHECK_EQUAL(to_string(asked[0].listen), "127.0.0.1:6000");
  caf::anon_send(reg, confirm_atom::value, addr, true);
  run();
  BOOST_CHECK(legacy_sent() == (std::vector<std::string>{"one", "two"}));
  // Agreed once: later texts go out without asking.
  caf::anon_send(reg, send_atom::value, addr, text_list{"three"});
  run();
  BOOST_CHECK_EQUAL(legacy_sent().size(), 3u);
  BOOST_CHECK_EQUAL(questions().size(), 1u);
}

BOOST_FIXTURE_TEST_CASE(a_no_drops_the_held_texts_and_asks_again_next_time,
                        ask_legacy_fixture) {
  peer_address addr{"127.0.0.1", 6000};
  caf::anon_send(reg, legacy_atom::value, addr);
  caf::anon_send(reg, send_atom::value, addr, text_list{"secret"});
  run();
  caf::anon_send(reg, confirm_atom::value, addr, false);
  run();
  BOOST_CHECK(legacy_sent().empty());
  BOOST_REQUIRE_EQUAL(notices().size(), 1u);
  BOOST_CHECK_EQUAL(notices()[0], "Not sent to 127.0.0.1:6000 (1 message)");
  caf::anon_send(reg, send_atom::value, addr, text_list{"again"});
  run();
  BOOST_CHECK_EQUAL(questions().size(), 2u);
  BOOST_CHECK(legacy_sent().empty());
}

BOOST_FIXTURE_TEST_CASE(a_detected_legacy_peer_is_asked_about_queued_texts,
                        ask_legacy_fixture) {
  peer_address addr{"127.0.0.1", 6000};
  caf::anon_send(reg, bootstrap_atom::value, addr);
  caf::anon_send(reg, send_atom::value, addr, text_list{"queued"});
  run();
  auto conn = make_stand_in();
  caf::anon_send(reg, closed_atom::value, conn.handle, addr, true,
                 std::string{"connection closed by peer"});
  run();
  // The original app's greeting carries nothing of the user's: no question.
  BOOST_CHECK(legacy_sent() == (std::vector<std::string>{"Hello!"}));
  BOOST_REQUIRE_EQUAL(questions().size(), 1u);
  caf::anon_send(reg, confirm_atom::value, addr, true);
  run();
  BOOST_CHECK(legacy_sent() == (std::vector<std::string>{"Hello!", "queued"}));
}

BOOST_AUTO_TEST_SUITE_END()
