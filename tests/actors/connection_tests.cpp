#include "actors/connection.hpp"

#include "protocol/errors.hpp"
#include "support/fixture.hpp"

using namespace p2pchat;
using namespace p2pchat::test;

namespace {

using buffer = std::vector<char>;

/// Runs `connection` on a scribe the test multiplexer provides for
/// "peer":`port`, standing in for a real socket.
caf::behavior scripted_connection(connection_broker* self, uint16_t port,
                                  connection_config cfg) {
  auto hdl = self->add_tcp_scribe("peer", port);
  if (!hdl)
    BOOST_FAIL("no scribe: " << caf::to_string(hdl.error()));
  return connection(self, *hdl, std::move(cfg));
}

buffer frame_of(const message& msg) {
  buffer result;
  append_frame(msg, result);
  return result;
}

buffer preamble() {
  return buffer(preamble_v1.begin(), preamble_v1.end());
}

hello peer_hello() {
  node_id id;
  id.bytes.fill(7);
  return hello{protocol_version, id, "bob", 6556, 0};
}

struct connection_fixture : fixture {
  connection_fixture() {
    registry = make_stand_in();
    local.id.bytes.fill(5);
    local.name = "alice";
    local.listen_port = 6555;
  }

  /// Starts a connection broker; `dialed` empty means accepted (inbound).
  void start(peer_address dialed = {}) {
    mpx.provide_scribe("peer", 4242, hdl);
    connection_config cfg;
    cfg.registry = caf::actor_cast<registry_actor>(registry.handle);
    cfg.local_hello = local;
    cfg.max_frame_size = 1024;
    cfg.handshake_timeout = std::chrono::seconds(10);
    cfg.legacy_detect_timeout = std::chrono::seconds(2);
    cfg.legacy_read_timeout = std::chrono::seconds(3);
    cfg.ping_interval = std::chrono::seconds(30);
    cfg.dialed = std::move(dialed);
    conn = keep(sys.middleman().spawn_broker(scripted_connection,
                                             uint16_t{4242}, std::move(cfg)));
    run();
  }

  /// Delivers bytes as if the peer wrote them in one piece.
  void peer_writes(const buffer& bytes) {
    mpx.virtual_send(hdl, bytes);
    run();
  }

  /// Everything the broker wrote, decoded (after skipping `skip` bytes).
  std::vector<message> written(size_t skip = 0) {
    auto& out = mpx.output_buffer(hdl);
    frame_reader reader{default_max_frame_size};
    reader.append(out.data() + skip, out.size() - skip);
    std::vector<message> result;
    for (auto x = reader.next(); x.data != nullptr; x = reader.next()) {
      auto msg = decode_payload(x.data, x.size);
      BOOST_REQUIRE_MESSAGE(msg, "broker wrote garbage");
      result.push_back(std::move(*msg));
    }
    return result;
  }

  bool closed_by_broker() { return mpx.stopped_reading(hdl); }

  /// Completes the inbound handshake.
  void establish_inbound() {
    start();
    auto bytes = preamble();
    auto hello_frame = frame_of(peer_hello());
    bytes.insert(bytes.end(), hello_frame.begin(), hello_frame.end());
    peer_writes(bytes);
    BOOST_REQUIRE_EQUAL((registry
                             .received<hello_atom, caf::actor, peer_address,
                                       peer_address, hello>()
                             .size()),
                        1u);
  }

  std::vector<chat> chats_reported() {
    std::vector<chat> result;
    for (auto& msg : registry.received<chat_atom, caf::actor, chat>())
      result.push_back(msg.get_as<chat>(2));
    return result;
  }

  std::vector<legacy_message> legacy_reported() {
    std::vector<legacy_message> result;
    for (auto& msg : registry.received<legacy_atom, legacy_message>())
      result.push_back(msg.get_as<legacy_message>(1));
    return result;
  }

  /// The peer closes its end (the test multiplexer has no call for that).
  void peer_closes() {
    caf::anon_send(conn, caf::io::connection_closed_msg{hdl});
    run();
  }

  size_t closed_reports() {
    return registry
        .received<closed_atom, caf::actor, peer_address, bool, std::string>()
        .size();
  }

  caf::io::connection_handle hdl = caf::io::connection_handle::from_int(1);
  hello local;
  stand_in registry;
  caf::actor conn;
};

chat make_chat(const std::string& text) {
  return chat{message_id{}, 1700000000000, text};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(connection_tests, connection_fixture)

BOOST_AUTO_TEST_CASE(outbound_sends_preamble_and_hello_first) {
  start(peer_address{"127.0.0.1", 6556});
  auto& out = mpx.output_buffer(hdl);
  BOOST_REQUIRE_GE(out.size(), preamble_size);
  BOOST_CHECK(std::equal(preamble_v1.begin(), preamble_v1.end(), out.begin()));
  auto msgs = written(preamble_size);
  BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
  auto sent = std::get_if<hello>(&msgs[0]);
  BOOST_REQUIRE(sent != nullptr);
  BOOST_CHECK_EQUAL(sent->name, "alice");
  BOOST_CHECK_EQUAL(sent->listen_port, 6555);
  // The peer's hello completes the handshake, naming the dialed address.
  peer_writes(frame_of(peer_hello()));
  auto hellos = registry.received<hello_atom, caf::actor, peer_address,
                                  peer_address, hello>();
  BOOST_REQUIRE_EQUAL(hellos.size(), 1u);
  BOOST_CHECK_EQUAL(to_string(hellos[0].get_as<peer_address>(3)),
                    "127.0.0.1:6556");
  BOOST_CHECK_EQUAL(hellos[0].get_as<hello>(4).name, "bob");
}

BOOST_AUTO_TEST_CASE(inbound_answers_only_after_a_valid_preamble) {
  start();
  BOOST_CHECK(mpx.output_buffer(hdl).empty());
  peer_writes(preamble());
  auto msgs = written();
  BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
  BOOST_CHECK(std::holds_alternative<hello>(msgs[0]));
}

BOOST_AUTO_TEST_CASE(handshake_split_into_single_bytes) {
  start();
  auto bytes = preamble();
  auto hello_frame = frame_of(peer_hello());
  bytes.insert(bytes.end(), hello_frame.begin(), hello_frame.end());
  for (char byte : bytes)
    peer_writes(buffer{byte});
  auto hellos = registry.received<hello_atom, caf::actor, peer_address,
                                  peer_address, hello>();
  BOOST_REQUIRE_EQUAL(hellos.size(), 1u);
  // Inbound: nothing was dialed.
  BOOST_CHECK(hellos[0].get_as<peer_address>(3).host.empty());
  BOOST_CHECK(!closed_by_broker());
}

BOOST_AUTO_TEST_CASE(two_frames_in_one_read_arrive_in_order) {
  establish_inbound();
  auto bytes = frame_of(make_chat("first"));
  auto second = frame_of(make_chat("second"));
  bytes.insert(bytes.end(), second.begin(), second.end());
  peer_writes(bytes);
  auto chats = chats_reported();
  BOOST_REQUIRE_EQUAL(chats.size(), 2u);
  BOOST_CHECK_EQUAL(chats[0].text, "first");
  BOOST_CHECK_EQUAL(chats[1].text, "second");
}

BOOST_AUTO_TEST_CASE(frame_split_across_reads) {
  establish_inbound();
  auto bytes = frame_of(make_chat("split in three"));
  peer_writes(buffer(bytes.begin(), bytes.begin() + 2));
  peer_writes(buffer(bytes.begin() + 2, bytes.begin() + 9));
  BOOST_CHECK(chats_reported().empty());
  peer_writes(buffer(bytes.begin() + 9, bytes.end()));
  BOOST_REQUIRE_EQUAL(chats_reported().size(), 1u);
  BOOST_CHECK_EQUAL(chats_reported()[0].text, "split in three");
}

BOOST_AUTO_TEST_CASE(garbage_instead_of_preamble_closes_silently) {
  start();
  peer_writes(buffer{0x00, 'X', 'Y', 'Z', 'w', 'h', 'a', 't'});
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK_EQUAL(closed_reports(), 1u);
  BOOST_CHECK(mpx.output_buffer(hdl).empty());
}

BOOST_AUTO_TEST_CASE(plain_text_is_read_until_the_sender_closes) {
  start();
  std::string text = "127.0.0.1:6000 carol hello from the original app";
  // Split across reads, as TCP may deliver it.
  peer_writes(buffer(text.begin(), text.begin() + 10));
  peer_writes(buffer(text.begin() + 10, text.end()));
  BOOST_CHECK(legacy_reported().empty());
  peer_closes();
  auto msgs = legacy_reported();
  BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
  BOOST_CHECK_EQUAL(to_string(msgs[0].sender), "127.0.0.1:6000");
  BOOST_CHECK_EQUAL(msgs[0].name, "carol");
  BOOST_CHECK_EQUAL(msgs[0].text, "hello from the original app");
  // Nothing is ever answered in that format.
  BOOST_CHECK(mpx.output_buffer(hdl).empty());
}

BOOST_AUTO_TEST_CASE(plain_text_over_1024_bytes_is_dropped_at_once) {
  start();
  std::string text = "127.0.0.1:6000 carol " + std::string(1100, 'x');
  peer_writes(buffer(text.begin(), text.end()));
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK(legacy_reported().empty());
}

BOOST_AUTO_TEST_CASE(malformed_plain_text_is_dropped) {
  start();
  std::string text = "not-an-address carol hi";
  peer_writes(buffer(text.begin(), text.end()));
  peer_closes();
  BOOST_CHECK(legacy_reported().empty());
  BOOST_CHECK(closed_by_broker());
}

BOOST_AUTO_TEST_CASE(plain_text_sender_that_never_closes_times_out) {
  start();
  std::string text = "127.0.0.1:6000 carol hi";
  peer_writes(buffer(text.begin(), text.end()));
  sched.advance_time(std::chrono::seconds(2));
  run();
  BOOST_CHECK(!closed_by_broker());
  sched.advance_time(std::chrono::seconds(1));
  run();
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK(legacy_reported().empty());
}

BOOST_AUTO_TEST_CASE(dialed_peer_that_never_speaks_is_reported_silent) {
  start(peer_address{"127.0.0.1", 6000});
  sched.advance_time(std::chrono::seconds(2));
  run();
  BOOST_CHECK(closed_by_broker());
  auto closed =
      registry
          .received<closed_atom, caf::actor, peer_address, bool, std::string>();
  BOOST_REQUIRE_EQUAL(closed.size(), 1u);
  BOOST_CHECK(closed[0].get_as<bool>(3));
}

BOOST_AUTO_TEST_CASE(dialed_peer_that_answers_is_not_silent) {
  start(peer_address{"127.0.0.1", 6000});
  peer_writes(frame_of(bye{bye_code::unsupported_version, "no"}));
  auto closed =
      registry
          .received<closed_atom, caf::actor, peer_address, bool, std::string>();
  BOOST_REQUIRE_EQUAL(closed.size(), 1u);
  BOOST_CHECK(!closed[0].get_as<bool>(3));
}

BOOST_AUTO_TEST_CASE(oversized_frame_closes_with_a_protocol_error_bye) {
  establish_inbound();
  // A header announcing 1 MiB, far over the 1 KiB limit: no need to wait for
  // the body.
  peer_writes(buffer{0x00, 0x10, 0x00, 0x00});
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK_EQUAL(closed_reports(), 1u);
  auto msgs = written();
  BOOST_REQUIRE_EQUAL(msgs.size(), 2u);
  auto last = std::get_if<bye>(&msgs[1]);
  BOOST_REQUIRE(last != nullptr);
  BOOST_CHECK(last->code == bye_code::protocol_error);
  BOOST_CHECK_NE(last->reason.find("frame too large"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(zero_length_frame_closes) {
  establish_inbound();
  peer_writes(buffer{0, 0, 0, 0});
  BOOST_CHECK(closed_by_broker());
}

BOOST_AUTO_TEST_CASE(invalid_text_closes_and_is_not_delivered) {
  establish_inbound();
  // A chat frame whose text holds an escape character.
  auto bytes = frame_of(make_chat("harmless"));
  auto pos = std::string(bytes.begin(), bytes.end()).find("harmless");
  bytes[pos] = '\x1b';
  peer_writes(bytes);
  BOOST_CHECK(chats_reported().empty());
  BOOST_CHECK(closed_by_broker());
}

BOOST_AUTO_TEST_CASE(chat_before_hello_closes) {
  start();
  auto bytes = preamble();
  auto chat_frame = frame_of(make_chat("too early"));
  bytes.insert(bytes.end(), chat_frame.begin(), chat_frame.end());
  peer_writes(bytes);
  BOOST_CHECK(chats_reported().empty());
  BOOST_CHECK(closed_by_broker());
}

BOOST_AUTO_TEST_CASE(unknown_message_type_is_skipped) {
  establish_inbound();
  buffer unknown{0, 0, 0, 3, 42, 1, 2};
  auto bytes = unknown;
  auto chat_frame = frame_of(make_chat("still here"));
  bytes.insert(bytes.end(), chat_frame.begin(), chat_frame.end());
  peer_writes(bytes);
  BOOST_CHECK(!closed_by_broker());
  BOOST_REQUIRE_EQUAL(chats_reported().size(), 1u);
  BOOST_CHECK_EQUAL(chats_reported()[0].text, "still here");
}

BOOST_AUTO_TEST_CASE(wrong_protocol_version_in_hello_closes) {
  start();
  auto old = peer_hello();
  old.version = 9;
  auto bytes = preamble();
  auto hello_frame = frame_of(old);
  bytes.insert(bytes.end(), hello_frame.begin(), hello_frame.end());
  peer_writes(bytes);
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK((
      registry
          .received<hello_atom, caf::actor, peer_address, peer_address, hello>()
          .empty()));
  auto msgs = written();
  BOOST_REQUIRE_EQUAL(msgs.size(), 2u);
  BOOST_CHECK(std::get<bye>(msgs[1]).code == bye_code::unsupported_version);
}

BOOST_AUTO_TEST_CASE(other_preamble_version_gets_a_bye_naming_ours) {
  start();
  peer_writes(buffer{0x00, 'P', 'C', 0x02});
  BOOST_CHECK(closed_by_broker());
  auto msgs = written();
  BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
  auto last = std::get<bye>(msgs[0]);
  BOOST_CHECK(last.code == bye_code::unsupported_version);
  BOOST_CHECK_NE(last.reason.find("requires version 1"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(silent_peer_times_out) {
  start();
  peer_writes(preamble());
  BOOST_CHECK(!closed_by_broker());
  sched.advance_time(std::chrono::seconds(10));
  run();
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK_EQUAL(closed_reports(), 1u);
}

BOOST_AUTO_TEST_CASE(timeout_after_handshake_changes_nothing) {
  establish_inbound();
  sched.advance_time(std::chrono::seconds(10));
  run();
  BOOST_CHECK(!closed_by_broker());
}

BOOST_AUTO_TEST_CASE(registry_commands_are_written_as_frames) {
  establish_inbound();
  caf::anon_send(conn, send_atom::value, make_chat("hi bob"));
  caf::anon_send(conn, close_atom::value, bye{bye_code::leaving, "quit"});
  run();
  auto msgs = written();
  BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
  BOOST_CHECK_EQUAL(std::get<chat>(msgs[1]).text, "hi bob");
  BOOST_CHECK(std::get<bye>(msgs[2]).code == bye_code::leaving);
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK_EQUAL(closed_reports(), 1u);
}

BOOST_AUTO_TEST_CASE(dropped_duplicate_still_delivers_chats_in_flight) {
  establish_inbound();
  caf::anon_send(conn, close_atom::value,
                 bye{bye_code::duplicate_connection, "duplicate connection"});
  run();
  BOOST_CHECK(std::get<bye>(written().back()).code ==
              bye_code::duplicate_connection);
  // The peer wrote a chat before it saw our bye: it still arrives.
  peer_writes(frame_of(make_chat("in flight")));
  BOOST_REQUIRE_EQUAL(chats_reported().size(), 1u);
  BOOST_CHECK_EQUAL(chats_reported()[0].text, "in flight");
  BOOST_CHECK(!closed_by_broker());
  // Nothing new goes out on it: the registry hears so and reroutes.
  auto refused = std::make_shared<bool>(false);
  // CAF 0.17.6 binds a null reference when spawning a function without
  // arguments (UBSan reports it), so the target travels as an argument.
  keep(sys.spawn(
      [=](caf::event_based_actor* self, caf::actor target) {
        self->request(target, caf::infinite, send_atom::value,
                      make_chat("late"))
            .then([] {}, [=](const caf::error&) { *refused = true; });
      },
      conn));
  run();
  BOOST_CHECK(*refused);
  BOOST_CHECK_EQUAL(written().size(), 2u);
  // It closes once the peer answers our bye with its own.
  peer_writes(frame_of(bye{bye_code::duplicate_connection, "ok"}));
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK_EQUAL(closed_reports(), 1u);
}

BOOST_AUTO_TEST_CASE(dropped_duplicate_gives_up_after_the_timeout) {
  establish_inbound();
  caf::anon_send(conn, close_atom::value,
                 bye{bye_code::duplicate_connection, "duplicate connection"});
  run();
  BOOST_CHECK(!closed_by_broker());
  sched.advance_time(std::chrono::seconds(10));
  run();
  BOOST_CHECK(closed_by_broker());
}

namespace {

size_t count_pings(const std::vector<message>& msgs) {
  return static_cast<size_t>(
      std::count_if(msgs.begin(), msgs.end(), [](const message& x) {
        return std::holds_alternative<ping>(x);
      }));
}

} // namespace

BOOST_AUTO_TEST_CASE(idle_link_is_pinged_and_a_pong_keeps_it) {
  establish_inbound();
  // A first interval may have carried data: no ping yet.
  sched.advance_time(std::chrono::seconds(30));
  run();
  BOOST_CHECK_EQUAL(count_pings(written()), 0u);
  // A whole interval without a byte: ping.
  sched.advance_time(std::chrono::seconds(30));
  run();
  BOOST_CHECK_EQUAL(count_pings(written()), 1u);
  peer_writes(frame_of(pong{0}));
  for (int i = 0; i < 10; ++i) {
    sched.advance_time(std::chrono::seconds(30));
    run();
    peer_writes(frame_of(pong{0}));
  }
  BOOST_CHECK(!closed_by_broker());
}

BOOST_AUTO_TEST_CASE(link_silent_for_three_intervals_is_closed) {
  establish_inbound();
  for (int i = 0; i < 3; ++i) {
    sched.advance_time(std::chrono::seconds(30));
    run();
  }
  BOOST_CHECK(!closed_by_broker());
  BOOST_CHECK_EQUAL(count_pings(written()), 2u);
  sched.advance_time(std::chrono::seconds(30));
  run();
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK_EQUAL(closed_reports(), 1u);
}

BOOST_AUTO_TEST_CASE(busy_link_is_never_pinged) {
  establish_inbound();
  for (int i = 0; i < 6; ++i) {
    peer_writes(frame_of(make_chat("still talking")));
    sched.advance_time(std::chrono::seconds(30));
    run();
  }
  BOOST_CHECK_EQUAL(count_pings(written()), 0u);
  BOOST_CHECK(!closed_by_broker());
}

BOOST_AUTO_TEST_CASE(broadcasts_go_both_ways) {
  establish_inbound();
  broadcast msg;
  msg.origin_name = "zoe";
  msg.origin_port = 7000;
  msg.text = "to all";
  peer_writes(frame_of(msg));
  auto reported = registry.received<bcast_atom, caf::actor, broadcast>();
  BOOST_REQUIRE_EQUAL(reported.size(), 1u);
  BOOST_CHECK_EQUAL(reported[0].get_as<broadcast>(2).text, "to all");
  caf::anon_send(conn, send_atom::value, msg);
  run();
  auto msgs = written();
  BOOST_REQUIRE_EQUAL(msgs.size(), 2u);
  BOOST_CHECK_EQUAL(std::get<broadcast>(msgs[1]).origin_name, "zoe");
}

BOOST_AUTO_TEST_CASE(ping_is_answered_with_its_nonce) {
  establish_inbound();
  peer_writes(frame_of(ping{42}));
  auto msgs = written();
  BOOST_REQUIRE_EQUAL(msgs.size(), 2u);
  BOOST_CHECK_EQUAL(std::get<pong>(msgs[1]).nonce, 42u);
}

BOOST_AUTO_TEST_CASE(peer_bye_is_reported_then_the_connection_closes) {
  establish_inbound();
  peer_writes(frame_of(bye{bye_code::leaving, "exit"}));
  auto byes = registry.received<bye_atom, caf::actor, bye>();
  BOOST_REQUIRE_EQUAL(byes.size(), 1u);
  BOOST_CHECK(byes[0].get_as<bye>(2).code == bye_code::leaving);
  BOOST_CHECK(closed_by_broker());
  BOOST_CHECK_EQUAL(closed_reports(), 1u);
}

BOOST_AUTO_TEST_CASE(read_size_grows_for_busy_peers_and_shrinks_back) {
  establish_inbound();
  BOOST_CHECK_EQUAL(mpx.read_config(hdl).second, min_read_size);
  // Chats big enough that every read comes back full.
  buffer bytes;
  for (int i = 0; i < 40; ++i) {
    auto frame = frame_of(make_chat(std::string(900, 'x')));
    bytes.insert(bytes.end(), frame.begin(), frame.end());
  }
  peer_writes(bytes);
  BOOST_CHECK_GT(mpx.read_config(hdl).second, min_read_size);
  BOOST_CHECK_EQUAL(chats_reported().size(), 40u);
  for (int i = 0; i < 8; ++i)
    peer_writes(frame_of(make_chat("quiet")));
  BOOST_CHECK_EQUAL(mpx.read_config(hdl).second, min_read_size);
}

// CAF 0.17.6's brokers never close their mailbox when they terminate
// (abstract_broker::cleanup skips scheduled_actor::cleanup), so without help
// a message that reaches a closed connection would stay there for good.

BOOST_AUTO_TEST_CASE(closed_connection_is_freed_once_its_timers_fired) {
  establish_inbound();
  peer_writes(frame_of(bye{bye_code::leaving, "exit"}));
  BOOST_REQUIRE(closed_by_broker());
  // Its handshake timeout and its ping tick, sent to itself, arrive after it
  // terminated.
  sched.advance_time(std::chrono::seconds(60));
  run();
  auto weak = caf::actor_cast<caf::actor_addr>(conn);
  // Drop every handle the test holds; only a cycle could keep it alive.
  spawned.erase(std::remove(spawned.begin(), spawned.end(), conn),
                spawned.end());
  conn = nullptr;
  registry.log->clear();
  run();
  BOOST_CHECK(caf::actor_cast<caf::actor>(weak) == nullptr);
}

BOOST_AUTO_TEST_CASE(chat_sent_to_a_closed_connection_is_refused) {
  establish_inbound();
  peer_writes(frame_of(bye{bye_code::leaving, "exit"}));
  BOOST_REQUIRE(closed_by_broker());
  // The registry may send before it hears that the link is gone: it must get
  // an error back, or the chat would be lost without a word.
  auto refused = std::make_shared<bool>(false);
  keep(sys.spawn(
      [=](caf::event_based_actor* self, caf::actor target) {
        self->request(target, caf::infinite, send_atom::value,
                      make_chat("too late"))
            .then([] {}, [=](const caf::error&) { *refused = true; });
      },
      conn));
  run();
  BOOST_CHECK(*refused);
}

BOOST_AUTO_TEST_SUITE_END()
