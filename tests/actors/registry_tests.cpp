#include "actors/registry.hpp"

#include "protocol/errors.hpp"

#include "support/registry_fixture.hpp"

using namespace p2pchat;
using namespace p2pchat::test;

BOOST_FIXTURE_TEST_SUITE(registry_tests, registry_fixture)

BOOST_AUTO_TEST_CASE(hello_makes_a_connected_peer_at_its_listening_address) {
  connect(7, "bob", 6556);
  auto found = console.received<found_atom, peer_view>();
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  auto& view = found[0].get_as<peer_view>(1);
  BOOST_CHECK_EQUAL(view.name, "bob");
  // The listening port from the hello, not the socket's source port.
  BOOST_CHECK_EQUAL(to_string(view.listen), "127.0.0.1:6556");
  BOOST_CHECK(view.connected);
  auto peers = list();
  BOOST_REQUIRE_EQUAL(peers.size(), 1u);
  BOOST_CHECK(peers[0].connected);
}

BOOST_AUTO_TEST_CASE(chat_from_a_connection_reaches_the_console) {
  auto conn = connect(7, "bob", 6556);
  caf::anon_send(reg, chat_atom::value, conn.handle,
                 std::vector<chat>{chat{message_id{}, 1, "hi there"},
                                   chat{message_id{}, 2, "and more"}});
  run();
  // One read's chats reach the console together, in order.
  auto chats = console.received<chat_atom, peer_view, text_list>();
  BOOST_REQUIRE_EQUAL(chats.size(), 1u);
  BOOST_CHECK_EQUAL(chats[0].get_as<peer_view>(1).name, "bob");
  BOOST_CHECK(chats[0].get_as<text_list>(2) ==
              (text_list{"hi there", "and more"}));
}

BOOST_AUTO_TEST_CASE(chat_from_an_unregistered_connection_is_dropped) {
  auto stranger = make_stand_in();
  caf::anon_send(reg, chat_atom::value, stranger.handle,
                 std::vector<chat>{chat{message_id{}, 1, "who am I"}});
  run();
  BOOST_CHECK((console.received<chat_atom, peer_view, text_list>().empty()));
}

BOOST_AUTO_TEST_CASE(send_to_a_connected_peer_reuses_its_connection) {
  auto conn = connect(7, "bob", 6556);
  caf::anon_send(reg, send_atom::value, peer_address{"127.0.0.1", 6556},
                 text_list{"one", "two"});
  caf::anon_send(reg, send_atom::value, peer_address{"127.0.0.1", 6556},
                 text_list{"three"});
  run();
  BOOST_CHECK((dialer.received<dial_atom, peer_address>().empty()));
  BOOST_CHECK(sent_texts(conn) == (text_list{"one", "two", "three"}));
  // Each chat gets its own id and the injected clock's time.
  auto batches = conn.received<send_atom, std::vector<chat>>();
  BOOST_REQUIRE(!batches.empty());
  auto& first = batches[0].get_as<std::vector<chat>>(1);
  BOOST_REQUIRE_EQUAL(first.size(), 2u);
  BOOST_CHECK(first[0].id != first[1].id);
  BOOST_CHECK_EQUAL(first[0].sent_at_ms, 1700000000000);
}

BOOST_AUTO_TEST_CASE(send_to_an_unknown_address_dials_once_then_flushes) {
  peer_address addr{"127.0.0.1", 7000};
  caf::anon_send(reg, send_atom::value, addr, text_list{"first"});
  caf::anon_send(reg, send_atom::value, addr, text_list{"second"});
  run();
  auto dials = dialer.received<dial_atom, peer_address>();
  BOOST_REQUIRE_EQUAL(dials.size(), 1u);
  BOOST_CHECK(dials[0].get_as<peer_address>(1) == addr);
  auto conn = connect(7, "bob", 7000, addr);
  auto texts = sent_texts(conn);
  BOOST_REQUIRE_EQUAL(texts.size(), 2u);
  BOOST_CHECK_EQUAL(texts[0], "first");
  BOOST_CHECK_EQUAL(texts[1], "second");
}

BOOST_AUTO_TEST_CASE(failed_dial_reports_once_and_counts_unsent_messages) {
  peer_address addr{"127.0.0.1", 7000};
  caf::anon_send(reg, send_atom::value, addr, text_list{"lost"});
  run();
  caf::anon_send(reg, dialfail_atom::value, addr,
                 std::string{"Connection refused"});
  run();
  auto lines = notices();
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_CHECK_EQUAL(lines[0], "Could not connect to 127.0.0.1:7000: "
                              "Connection refused (1 message not sent)");
  // A later send dials again.
  caf::anon_send(reg, send_atom::value, addr, text_list{"again"});
  run();
  BOOST_CHECK_EQUAL((dialer.received<dial_atom, peer_address>().size()), 2u);
}

BOOST_AUTO_TEST_CASE(dropped_connection_keeps_the_peer_as_not_connected) {
  auto conn = connect(7, "bob", 6556);
  caf::anon_send(reg, closed_atom::value, conn.handle, no_dial, false,
                 std::string{"connection closed by peer"});
  run();
  auto left = console.received<left_atom, peer_view>();
  BOOST_REQUIRE_EQUAL(left.size(), 1u);
  BOOST_CHECK_EQUAL(left[0].get_as<peer_view>(1).name, "bob");
  auto peers = list();
  BOOST_REQUIRE_EQUAL(peers.size(), 1u);
  BOOST_CHECK(!peers[0].connected);
  // Reconnecting is not a new peer.
  connect(7, "bob", 6556);
  BOOST_CHECK_EQUAL((console.received<found_atom, peer_view>().size()), 1u);
  BOOST_CHECK(list()[0].connected);
}

BOOST_AUTO_TEST_CASE(bye_leaving_forgets_the_peer) {
  auto conn = connect(7, "bob", 6556);
  caf::anon_send(reg, bye_atom::value, conn.handle,
                 bye{bye_code::leaving, "exit"});
  caf::anon_send(reg, closed_atom::value, conn.handle, no_dial, false,
                 std::string{"peer said bye"});
  run();
  BOOST_CHECK_EQUAL((console.received<left_atom, peer_view>().size()), 1u);
  BOOST_CHECK(list().empty());
}

BOOST_AUTO_TEST_CASE(hello_updates_name_and_address_of_a_known_node) {
  auto conn = connect(7, "bob", 6556);
  caf::anon_send(reg, closed_atom::value, conn.handle, no_dial, false,
                 std::string{"gone"});
  run();
  connect(7, "robert", 6600);
  auto peers = list();
  BOOST_REQUIRE_EQUAL(peers.size(), 1u);
  BOOST_CHECK_EQUAL(peers[0].name, "robert");
  BOOST_CHECK_EQUAL(peers[0].listen.port, 6600);
}

BOOST_AUTO_TEST_CASE(hello_from_ourselves_closes_the_connection) {
  peer_address addr{"127.0.0.1", 6555};
  caf::anon_send(reg, send_atom::value, addr, text_list{"to me"});
  run();
  auto conn = connect(5, "me", 6555, addr);
  BOOST_REQUIRE_EQUAL(close_codes(conn).size(), 1u);
  BOOST_CHECK(close_codes(conn)[0] == bye_code::self_connection);
  BOOST_CHECK(list().empty());
  BOOST_REQUIRE_EQUAL(notices().size(), 1u);
  BOOST_CHECK_NE(notices()[0].find("this node itself"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(simultaneous_connects_keep_the_smaller_ids_link) {
  // We are node 5. Node 7 is larger: the link we opened wins.
  peer_address addr{"127.0.0.1", 6556};
  caf::anon_send(reg, connect_atom::value, addr);
  run();
  auto inbound = connect(7, "bob", 6556);
  auto outbound = connect(7, "bob", 6556, addr);
  BOOST_CHECK(close_codes(outbound).empty());
  BOOST_REQUIRE_EQUAL(close_codes(inbound).size(), 1u);
  BOOST_CHECK(close_codes(inbound)[0] == bye_code::duplicate_connection);
  // Closing the losing link is not a disconnect.
  caf::anon_send(reg, closed_atom::value, inbound.handle, no_dial, false,
                 std::string{"duplicate"});
  run();
  BOOST_CHECK((console.received<left_atom, peer_view>().empty()));
  caf::anon_send(reg, send_atom::value, addr, text_list{"hi"});
  run();
  BOOST_CHECK_EQUAL(sent_texts(outbound).size(), 1u);
}

BOOST_AUTO_TEST_CASE(simultaneous_connects_with_a_smaller_peer_keep_its_link) {
  // Node 3 is smaller than us (5): the link it opened wins.
  peer_address addr{"127.0.0.1", 6556};
  caf::anon_send(reg, connect_atom::value, addr);
  run();
  auto outbound = connect(3, "ann", 6556, addr);
  auto inbound = connect(3, "ann", 6556);
  BOOST_CHECK(close_codes(inbound).empty());
  BOOST_REQUIRE_EQUAL(close_codes(outbound).size(), 1u);
  BOOST_CHECK(close_codes(outbound)[0] == bye_code::duplicate_connection);
}

BOOST_AUTO_TEST_CASE(chat_refused_by_a_closing_link_is_sent_again) {
  // A connection that already stopped sending answers with an error.
  // (The argument only avoids CAF 0.17.6's null reference for functions
  // spawned without arguments, which UBSan reports.)
  auto closing = sys.spawn(
      [](caf::event_based_actor*, ec code) -> caf::behavior {
        return {[code](send_atom, const std::vector<chat>&) -> caf::error {
          return make_error(code);
        }};
      },
      ec::connection_closing);
  keep(closing);
  hello msg{protocol_version, make_id(7), "bob", 6556, 0};
  caf::anon_send(reg, hello_atom::value, closing,
                 peer_address{"127.0.0.1", 40000}, no_dial, msg);
  run();
  caf::anon_send(reg, send_atom::value, peer_address{"127.0.0.1", 6556},
                 text_list{"must arrive"});
  run();
  // No other link: the registry dials bob's listening address ...
  auto dials = dialer.received<dial_atom, peer_address>();
  BOOST_REQUIRE_EQUAL(dials.size(), 1u);
  BOOST_CHECK_EQUAL(to_string(dials[0].get_as<peer_address>(1)),
                    "127.0.0.1:6556");
  // ... and the new link carries the chat.
  auto fresh = connect(7, "bob", 6556, peer_address{"127.0.0.1", 6556});
  BOOST_CHECK(sent_texts(fresh) == std::vector<std::string>{"must arrive"});
}

namespace {

/// Chats a `holding_connection` was handed, with their unanswered requests.
struct held_chats {
  std::vector<std::string> texts;
  std::vector<caf::response_promise> pending;

  /// Answers every pending request with `reply`.
  template <class T>
  void answer_all(T reply) {
    for (auto& rp : pending)
      rp.deliver(reply);
    pending.clear();
  }
};

/// A connection that confirms its chats only when told (`done_atom`), or
/// refuses them all (`close_atom`).
caf::behavior holding_connection(caf::event_based_actor* self,
                                 std::shared_ptr<held_chats> held) {
  return {
      [self, held](send_atom, const std::vector<chat>& batch) {
        for (auto& msg : batch)
          held->texts.push_back(msg.text);
        held->pending.push_back(self->make_response_promise());
      },
      [](send_atom, const peers_request&) {
        // The registry asks every new peer for peers: not this test's topic.
      },
      // Promises are kept from inside the actor.
      [held](done_atom) { held->answer_all(caf::unit); },
      [held](close_atom) {
        held->answer_all(make_error(ec::connection_closing));
      },
      [](close_atom, const bye&) {
        // Dropped as a duplicate once the test connects bob again.
      },
  };
}

/// Registers a `holding_connection` as bob's link (listening on 6556).
caf::actor connect_holding(registry_fixture& f,
                           std::shared_ptr<held_chats> held) {
  auto conn = f.keep(f.sys.spawn(holding_connection, std::move(held)));
  hello msg{protocol_version, make_id(7), "bob", 6556, 0};
  caf::anon_send(f.reg, hello_atom::value, conn,
                 peer_address{"127.0.0.1", 40000}, no_dial, msg);
  f.run();
  return conn;
}

std::vector<std::string> numbered(size_t from, size_t to) {
  std::vector<std::string> result;
  for (auto i = from; i < to; ++i)
    result.push_back("chat " + std::to_string(i));
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_connection_holds_at_most_4_unconfirmed_batches) {
  auto held = std::make_shared<held_chats>();
  auto conn = connect_holding(*this, held);
  // One text per request: the first four go out at once, one batch each.
  for (auto& text : numbered(0, 2000))
    caf::anon_send(reg, send_atom::value, peer_address{"127.0.0.1", 6556},
                   text_list{text});
  run();
  BOOST_CHECK(held->texts == numbered(0, 4));
  BOOST_CHECK_EQUAL(held->pending.size(), 4u);
  // Confirmations make room for four more batches of up to 256, in order.
  caf::anon_send(conn, done_atom::value);
  run();
  BOOST_CHECK(held->texts == numbered(0, 4 + 4 * 256));
  BOOST_CHECK_EQUAL(held->pending.size(), 4u);
  caf::anon_send(conn, done_atom::value);
  run();
  BOOST_CHECK(held->texts == numbered(0, 2000));
}

BOOST_AUTO_TEST_CASE(a_batch_ends_at_64_kib_of_text) {
  auto held = std::make_shared<held_chats>();
  auto conn = connect_holding(*this, held);
  // Held up behind four batches, then 20 texts of 40,000 bytes.
  for (int i = 0; i < 4; ++i)
    caf::anon_send(reg, send_atom::value, peer_address{"127.0.0.1", 6556},
                   text_list{"first"});
  caf::anon_send(reg, send_atom::value, peer_address{"127.0.0.1", 6556},
                 text_list(20, std::string(40000, 'x')));
  run();
  caf::anon_send(conn, done_atom::value);
  run();
  // Each batch stops once its texts reach 64 KiB: two texts per batch.
  BOOST_CHECK_EQUAL(held->texts.size(), 4u + 4 * 2);
}

BOOST_AUTO_TEST_CASE(chats_waiting_behind_a_refusing_link_follow_in_order) {
  auto held = std::make_shared<held_chats>();
  auto conn = connect_holding(*this, held);
  for (auto& text : numbered(0, 100))
    caf::anon_send(reg, send_atom::value, peer_address{"127.0.0.1", 6556},
                   text_list{text});
  run();
  BOOST_CHECK_EQUAL(held->texts.size(), 4u);
  // The link closes: it refuses the 4 batches it holds, none of the 96
  // chats waiting is handed to it, and all 100 go out, in order, on bob's
  // next link.
  caf::anon_send(conn, close_atom::value);
  run();
  BOOST_CHECK_EQUAL(held->texts.size(), 4u);
  BOOST_REQUIRE_EQUAL((dialer.received<dial_atom, peer_address>().size()), 1u);
  auto fresh = connect(7, "bob", 6556, peer_address{"127.0.0.1", 6556});
  BOOST_CHECK(sent_texts(fresh) == numbered(0, 100));
}

BOOST_AUTO_TEST_CASE(exit_closes_the_link_with_a_leaving_bye) {
  auto conn = connect(7, "bob", 6556);
  caf::anon_send(reg, discon_atom::value, peer_address{"127.0.0.1", 6556});
  run();
  BOOST_REQUIRE_EQUAL(close_codes(conn).size(), 1u);
  BOOST_CHECK(close_codes(conn)[0] == bye_code::leaving);
  caf::anon_send(reg, discon_atom::value, peer_address{"127.0.0.1", 9999});
  run();
  BOOST_REQUIRE_EQUAL(notices().size(), 1u);
  BOOST_CHECK_EQUAL(notices()[0], "Not connected to 127.0.0.1:9999");
}

BOOST_AUTO_TEST_CASE(shutdown_says_bye_to_all_and_answers_when_all_closed) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  auto console_side = make_stand_in();
  caf::send_as(console_side.handle, reg, shutdown_atom::value);
  run();
  // Not answered while connections are still open.
  BOOST_CHECK(console_side.received<done_atom>().empty());
  BOOST_CHECK(close_codes(bob) == std::vector<bye_code>{bye_code::leaving});
  BOOST_CHECK(close_codes(carol) == std::vector<bye_code>{bye_code::leaving});
  for (auto* conn : {&bob, &carol})
    caf::anon_send(reg, closed_atom::value, conn->handle, no_dial, false,
                   std::string{"closed"});
  run();
  BOOST_CHECK_EQUAL(console_side.received<done_atom>().size(), 1u);
}

BOOST_AUTO_TEST_CASE(plain_text_message_makes_a_legacy_peer) {
  legacy_message msg{{"127.0.0.1", 6000}, "carol", "hi from python"};
  caf::anon_send(reg, legacy_atom::value, msg);
  run();
  auto found = console.received<found_atom, peer_view>();
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_CHECK(found[0].get_as<peer_view>(1).legacy);
  auto chats = console.received<chat_atom, peer_view, text_list>();
  BOOST_REQUIRE_EQUAL(chats.size(), 1u);
  BOOST_CHECK_EQUAL(display_name(chats[0].get_as<peer_view>(1)),
                    "carol [127.0.0.1:6000]");
  BOOST_CHECK(chats[0].get_as<text_list>(2) == text_list{"hi from python"});
  auto peers = list();
  BOOST_REQUIRE_EQUAL(peers.size(), 1u);
  BOOST_CHECK(peers[0].legacy);
  BOOST_CHECK(!peers[0].connected);
  // Replies go out in its format.
  caf::anon_send(reg, send_atom::value, peer_address{"127.0.0.1", 6000},
                 text_list{"hi carol"});
  run();
  auto sends = dialer.received<lsend_atom, peer_address, std::string>();
  BOOST_REQUIRE_EQUAL(sends.size(), 1u);
  BOOST_CHECK_EQUAL(sends[0].get_as<std::string>(2), "hi carol");
  BOOST_CHECK((dialer.received<dial_atom, peer_address>().empty()));
}

BOOST_AUTO_TEST_CASE(plain_text_connect_and_exit) {
  peer_address carol{"127.0.0.1", 6000};
  caf::anon_send(reg, legacy_atom::value,
                 legacy_message{carol, "carol", "connect"});
  run();
  BOOST_CHECK((console.received<chat_atom, peer_view, text_list>().empty()));
  BOOST_REQUIRE_EQUAL(notices().size(), 1u);
  BOOST_CHECK_EQUAL(notices()[0],
                    "carol [127.0.0.1:6000] (legacy, unencrypted) connected");
  BOOST_CHECK(list()[0].connected);
  caf::anon_send(reg, legacy_atom::value,
                 legacy_message{carol, "carol", "EXIT"});
  run();
  BOOST_CHECK_EQUAL((console.received<left_atom, peer_view>().size()), 1u);
  BOOST_CHECK(list().empty());
}

BOOST_AUTO_TEST_CASE(silent_dialed_peer_gets_the_queued_text_in_plain_text) {
  peer_address addr{"127.0.0.1", 6000};
  caf::anon_send(reg, bootstrap_atom::value, addr);
  caf::anon_send(reg, send_atom::value, addr, text_list{"queued"});
  run();
  BOOST_REQUIRE_EQUAL((dialer.received<dial_atom, peer_address>().size()), 1u);
  // The connection closed without the peer ever saying a word.
  auto conn = make_stand_in();
  caf::anon_send(reg, closed_atom::value, conn.handle, addr, true,
                 std::string{"connection closed by peer"});
  run();
  auto sends = dialer.received<lsend_atom, peer_address, std::string>();
  BOOST_REQUIRE_EQUAL(sends.size(), 2u);
  // A bootstrap peer is greeted first, as the original app did.
  BOOST_CHECK_EQUAL(sends[0].get_as<std::string>(2), "Hello!");
  BOOST_CHECK_EQUAL(sends[1].get_as<std::string>(2), "queued");
  BOOST_REQUIRE_EQUAL(notices().size(), 1u);
  BOOST_CHECK_NE(notices()[0].find("original plain-text format"),
                 std::string::npos);
  BOOST_CHECK(list()[0].legacy);
  // Once known, texts go straight out in that format, no dial.
  caf::anon_send(reg, send_atom::value, addr, text_list{"later"});
  run();
  BOOST_CHECK_EQUAL(
      (dialer.received<lsend_atom, peer_address, std::string>().size()), 3u);
  BOOST_CHECK_EQUAL((dialer.received<dial_atom, peer_address>().size()), 1u);
}

BOOST_AUTO_TEST_CASE(dialed_peer_that_spoke_but_failed_is_not_legacy) {
  peer_address addr{"127.0.0.1", 6000};
  caf::anon_send(reg, send_atom::value, addr, text_list{"queued"});
  run();
  auto conn = make_stand_in();
  caf::anon_send(reg, closed_atom::value, conn.handle, addr, false,
                 std::string{"bad preamble"});
  run();
  BOOST_CHECK(
      (dialer.received<lsend_atom, peer_address, std::string>().empty()));
  BOOST_REQUIRE_EQUAL(notices().size(), 1u);
  BOOST_CHECK_NE(notices()[0].find("Could not connect"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(legacy_peer_option_and_failed_plain_text_send) {
  peer_address addr{"127.0.0.1", 6000};
  caf::anon_send(reg, legacy_atom::value, addr);
  caf::anon_send(reg, send_atom::value, addr, text_list{"hello"});
  run();
  BOOST_CHECK_EQUAL(
      (dialer.received<lsend_atom, peer_address, std::string>().size()), 1u);
  caf::anon_send(reg, lsent_atom::value, addr, std::string{"hello"},
                 make_error(ec::connect_failed, "refused"));
  run();
  BOOST_REQUIRE_EQUAL(notices().size(), 1u);
  BOOST_CHECK_NE(notices()[0].find("Could not send to 127.0.0.1:6000"),
                 std::string::npos);
}

BOOST_AUTO_TEST_CASE(quit_says_exit_to_legacy_peers_and_waits_for_it) {
  peer_address addr{"127.0.0.1", 6000};
  caf::anon_send(reg, legacy_atom::value, addr);
  run();
  auto console_side = make_stand_in();
  caf::send_as(console_side.handle, reg, shutdown_atom::value);
  run();
  auto sends = dialer.received<lsend_atom, peer_address, std::string>();
  BOOST_REQUIRE_EQUAL(sends.size(), 1u);
  BOOST_CHECK_EQUAL(sends[0].get_as<std::string>(2), "exit");
  BOOST_CHECK(console_side.received<done_atom>().empty());
  caf::anon_send(reg, lsent_atom::value, addr, std::string{"exit"},
                 caf::error{});
  run();
  BOOST_CHECK_EQUAL(console_side.received<done_atom>().size(), 1u);
}

namespace {

/// A broadcast signed by `test_key(origin)`.
broadcast make_broadcast(uint8_t origin, uint8_t hops, uint8_t id = 1) {
  broadcast msg;
  msg.id.fill(id);
  msg.origin = test_key_id(origin);
  msg.origin_name = "origin";
  msg.origin_port = 7000;
  msg.sent_at_ms = 1;
  msg.hops_left = hops;
  msg.text = "to everyone";
  sign_broadcast(msg, test_key(origin));
  return msg;
}

std::vector<broadcast> forwarded(const stand_in& conn) {
  std::vector<broadcast> result;
  for (auto& msg : conn.received<send_atom, broadcast>())
    result.push_back(msg.get_as<broadcast>(1));
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(broadcast_is_shown_once_and_passed_on_once) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  auto dave = connect(9, "dave", 6558);
  // bob's copy comes straight from its origin: the host is still empty.
  caf::anon_send(reg, bcast_atom::value, bob.handle, make_broadcast(7, 16));
  run();
  auto shown = console.received<bcast_atom, peer_view, std::string>();
  BOOST_REQUIRE_EQUAL(shown.size(), 1u);
  BOOST_CHECK_EQUAL(display_name(shown[0].get_as<peer_view>(1)),
                    "origin [127.0.0.1:7000]");
  BOOST_CHECK_EQUAL(shown[0].get_as<std::string>(2), "to everyone");
  BOOST_CHECK(forwarded(bob).empty());
  for (auto* conn : {&carol, &dave}) {
    auto copies = forwarded(*conn);
    BOOST_REQUIRE_EQUAL(copies.size(), 1u);
    BOOST_CHECK_EQUAL(copies[0].hops_left, 15);
    BOOST_CHECK_EQUAL(copies[0].origin_host, "127.0.0.1");
  }
  // The same broadcast over another link is a duplicate.
  caf::anon_send(reg, bcast_atom::value, carol.handle, make_broadcast(7, 15));
  run();
  BOOST_CHECK_EQUAL(
      (console.received<bcast_atom, peer_view, std::string>().size()), 1u);
  BOOST_CHECK_EQUAL(forwarded(dave).size(), 1u);
}

BOOST_AUTO_TEST_CASE(broadcast_with_its_last_hop_is_not_passed_on) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  caf::anon_send(reg, bcast_atom::value, bob.handle, make_broadcast(9, 1));
  run();
  BOOST_CHECK_EQUAL(
      (console.received<bcast_atom, peer_view, std::string>().size()), 1u);
  BOOST_CHECK(forwarded(carol).empty());
}

BOOST_AUTO_TEST_CASE(user_broadcast_goes_out_on_every_link) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  caf::anon_send(reg, bcast_atom::value, std::string{"hello all"});
  run();
  for (auto* conn : {&bob, &carol}) {
    auto copies = forwarded(*conn);
    BOOST_REQUIRE_EQUAL(copies.size(), 1u);
    BOOST_CHECK(copies[0].origin == make_id(5));
    BOOST_CHECK_EQUAL(copies[0].origin_name, "me");
    BOOST_CHECK_EQUAL(copies[0].origin_port, 6555);
    BOOST_CHECK(copies[0].origin_host.empty());
    BOOST_CHECK_EQUAL(copies[0].hops_left, default_broadcast_hops);
    BOOST_CHECK_EQUAL(copies[0].text, "hello all");
  }
  BOOST_REQUIRE_EQUAL(notices().size(), 1u);
  BOOST_CHECK_EQUAL(notices()[0], "Broadcast sent to 2 peers");
  // Its echo from a neighbour is not shown.
  auto echo = forwarded(bob)[0];
  caf::anon_send(reg, bcast_atom::value, carol.handle, echo);
  run();
  BOOST_CHECK((console.received<bcast_atom, peer_view, std::string>().empty()));
}

using std::chrono::milliseconds;
using std::chrono::minutes;

BOOST_AUTO_TEST_CASE(unreachable_bootstrap_is_retried_with_growing_delays) {
  peer_address addr{"127.0.0.1", 7000};
  caf::anon_send(reg, bootstrap_atom::value, addr);
  run();
  auto dials = [&] {
    return dialer.received<dial_atom, peer_address>().size();
  };
  BOOST_REQUIRE_EQUAL(dials(), 1u);
  // Delays are about 1 s, 2 s, 4 s, 8 s (+/- 20 %).
  for (int64_t base : {1000, 2000, 4000, 8000}) {
    caf::anon_send(reg, dialfail_atom::value, addr,
                   std::string{"Connection refused"});
    run();
    auto before = dials();
    sched.advance_time(milliseconds{base * 8 / 10 - 1});
    run();
    BOOST_CHECK_EQUAL(dials(), before);
    sched.advance_time(milliseconds{base * 4 / 10 + 2});
    run();
    BOOST_CHECK_EQUAL(dials(), before + 1);
  }
  // Reported once, not at every retry.
  BOOST_CHECK_EQUAL(notices().size(), 1u);
}

BOOST_AUTO_TEST_CASE(a_lost_peer_is_dialed_again) {
  auto conn = connect(7, "bob", 6556);
  caf::anon_send(reg, closed_atom::value, conn.handle, no_dial, false,
                 std::string{"connection reset"});
  run();
  BOOST_CHECK((dialer.received<dial_atom, peer_address>().empty()));
  sched.advance_time(milliseconds{1200});
  run();
  auto dials = dialer.received<dial_atom, peer_address>();
  BOOST_REQUIRE_EQUAL(dials.size(), 1u);
  BOOST_CHECK_EQUAL(to_string(dials[0].get_as<peer_address>(1)),
                    "127.0.0.1:6556");
}

BOOST_AUTO_TEST_CASE(a_peer_that_said_bye_is_not_dialed_again) {
  auto conn = connect(7, "bob", 6556);
  caf::anon_send(reg, bye_atom::value, conn.handle,
                 bye{bye_code::leaving, "quit"});
  caf::anon_send(reg, closed_atom::value, conn.handle, no_dial, false,
                 std::string{"peer said bye"});
  run();
  sched.advance_time(minutes{10});
  run();
  BOOST_CHECK((dialer.received<dial_atom, peer_address>().empty()));
}

BOOST_AUTO_TEST_CASE(a_peer_we_sent_away_is_not_dialed_again) {
  auto conn = connect(7, "bob", 6556);
  caf::anon_send(reg, discon_atom::value, peer_address{"127.0.0.1", 6556});
  run();
  caf::anon_send(reg, closed_atom::value, conn.handle, no_dial, false,
                 std::string{"we said bye"});
  run();
  sched.advance_time(minutes{10});
  run();
  BOOST_CHECK((dialer.received<dial_atom, peer_address>().empty()));
}

struct two_links_fixture : registry_fixture {
  two_links_fixture()
      : registry_fixture(
            [](registry_config& cfg) { cfg.max_connections = 2; }) {
    // nop
  }
};

BOOST_FIXTURE_TEST_CASE(inbound_links_over_the_cap_are_refused_politely,
                        two_links_fixture) {
  auto bob = connect(7, "bob", 6556);
  auto carol = connect(8, "carol", 6557);
  auto dave = connect(9, "dave", 6558);
  BOOST_CHECK(close_codes(bob).empty());
  BOOST_CHECK(close_codes(carol).empty());
  BOOST_CHECK(close_codes(dave) ==
              std::vector<bye_code>{bye_code::too_many_connections});
  // Refused before it became a peer.
  BOOST_CHECK_EQUAL(list().size(), 2u);
  // Once a link closes there is room again.
  caf::anon_send(reg, closed_atom::value, bob.handle, no_dial, false,
                 std::string{"gone"});
  run();
  auto erin = connect(10, "erin", 6559);
  BOOST_CHECK(close_codes(erin).empty());
}

BOOST_AUTO_TEST_SUITE_END()
