#include "protocol/session.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"
#include "protocol/frame.hpp"
#include "protocol/support/test_helpers.hpp"
#include "support/test_keys.hpp"

using namespace p2pchat;
using namespace p2pchat::test;

namespace {

using buffer = std::vector<char>;

hello hello_of(const test_node_key& key, const std::string& name) {
  return hello{protocol_version, key.id, name, 6555, 0};
}

/// The reason `x` failed, or nothing: Boost.Test builds a check's message
/// even when the check passes.
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : describe(x.error());
}

/// Cuts every frame out of `bytes` (after `skip` bytes).
std::vector<buffer> frames_in(const buffer& bytes, size_t skip = 0) {
  frame_reader reader;
  reader.append(bytes.data() + skip, bytes.size() - skip);
  std::vector<buffer> result;
  for (auto x = reader.next(); x.data != nullptr; x = reader.next())
    result.emplace_back(x.data, x.data + x.size);
  BOOST_REQUIRE(!reader.next().error);
  return result;
}

struct session_pair {
  test_node_key alice_key = make_node_key(1);
  test_node_key bob_key = make_node_key(2);
  secure_session alice;
  secure_session bob;
  /// The three handshake messages (frame payloads), once run.
  std::vector<buffer> messages;

  explicit session_pair(session_limits limits = {})
      : alice(noise_role::initiator, alice_key.static_key,
              hello_of(alice_key, "alice"), limits),
        bob(noise_role::responder, bob_key.static_key, hello_of(bob_key, "bob"),
            limits) {
    // nop
  }

  /// With fixed ephemeral keys: two such pairs derive the same keys.
  session_pair(session_limits limits, const noise::private_key& alice_e,
               const noise::private_key& bob_e)
      : alice(noise_role::initiator, alice_key.static_key,
              hello_of(alice_key, "alice"), limits, alice_e),
        bob(noise_role::responder, bob_key.static_key, hello_of(bob_key, "bob"),
            limits, bob_e) {
    // nop
  }

  /// Message 1 from alice (after the preamble, checked here).
  buffer first() {
    buffer out;
    BOOST_REQUIRE(!alice.start(out));
    BOOST_REQUIRE_GE(out.size(), preamble_size);
    BOOST_CHECK(
        std::equal(preamble_v2.begin(), preamble_v2.end(), out.begin()));
    auto xs = frames_in(out, preamble_size);
    BOOST_REQUIRE_EQUAL(xs.size(), 1u);
    return xs[0];
  }

  /// Runs the handshake; returns the hellos each side received.
  std::pair<hello, hello> handshake() {
    messages.push_back(first());
    buffer out;
    auto r1 = bob.read_handshake(messages[0].data(), messages[0].size(), out);
    BOOST_REQUIRE(r1);
    BOOST_REQUIRE(!*r1);
    auto m2 = frames_in(out);
    BOOST_REQUIRE_EQUAL(m2.size(), 1u);
    messages.push_back(m2[0]);
    out.clear();
    auto r2 = alice.read_handshake(m2[0].data(), m2[0].size(), out);
    BOOST_REQUIRE_MESSAGE(r2, why(r2));
    BOOST_REQUIRE(*r2);
    BOOST_REQUIRE(alice.established());
    auto m3 = frames_in(out);
    BOOST_REQUIRE_EQUAL(m3.size(), 1u);
    messages.push_back(m3[0]);
    out.clear();
    auto r3 = bob.read_handshake(m3[0].data(), m3[0].size(), out);
    BOOST_REQUIRE_MESSAGE(r3, why(r3));
    BOOST_REQUIRE(*r3);
    BOOST_CHECK(out.empty());
    BOOST_REQUIRE(bob.established());
    return {**r2, **r3};
  }
};

/// Seals `msg` and returns the frame's payload.
buffer sealed(secure_session& from, const message& msg) {
  buffer out;
  BOOST_REQUIRE(!from.seal(msg, out));
  auto xs = frames_in(out);
  BOOST_REQUIRE_EQUAL(xs.size(), 1u);
  return xs[0];
}

chat chat_of(const std::string& text) {
  return chat{message_id{}, 1700000000000, text};
}

std::string text_of(const caf::expected<message>& msg) {
  BOOST_REQUIRE_MESSAGE(msg, why(msg));
  auto x = std::get_if<chat>(&*msg);
  BOOST_REQUIRE(x != nullptr);
  return x->text;
}

bool contains(const buffer& haystack, const std::string& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(),
                     needle.end()) != haystack.end();
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_tests)

BOOST_AUTO_TEST_CASE(handshake_exchanges_both_hellos) {
  session_pair p;
  auto [at_alice, at_bob] = p.handshake();
  BOOST_CHECK_EQUAL(at_alice.name, "bob");
  BOOST_CHECK(at_alice.id == p.bob_key.id);
  BOOST_CHECK_EQUAL(at_bob.name, "alice");
  BOOST_CHECK(at_bob.id == p.alice_key.id);
  BOOST_CHECK(p.alice.handshake_hash() == p.bob.handshake_hash());
  // Message 1 is the ephemeral key alone; the others carry a hello each.
  BOOST_CHECK_EQUAL(p.messages[0].size(), noise::dh_len);
}

BOOST_AUTO_TEST_CASE(names_never_travel_in_clear) {
  session_pair p;
  p.handshake();
  for (auto& m : p.messages) {
    BOOST_CHECK(!contains(m, "alice"));
    BOOST_CHECK(!contains(m, "bob"));
  }
  auto frame = sealed(p.alice, chat_of("a secret text"));
  BOOST_CHECK(!contains(frame, "secret"));
}

BOOST_AUTO_TEST_CASE(transport_both_ways_in_order) {
  session_pair p;
  p.handshake();
  for (int i = 0; i < 5; ++i) {
    auto a = sealed(p.alice, chat_of("from alice " + std::to_string(i)));
    BOOST_CHECK_EQUAL(text_of(p.bob.open(a.data(), a.size())),
                      "from alice " + std::to_string(i));
    auto b = sealed(p.bob, chat_of("from bob " + std::to_string(i)));
    BOOST_CHECK_EQUAL(text_of(p.alice.open(b.data(), b.size())),
                      "from bob " + std::to_string(i));
  }
  BOOST_CHECK_EQUAL(p.alice.sent(), 5u);
  BOOST_CHECK_EQUAL(p.bob.received(), 5u);
}

BOOST_AUTO_TEST_CASE(each_flipped_handshake_bit_fails_the_handshake) {
  // For each handshake message and a bit in every byte of it: the reader
  // fails and nothing is established.
  for (size_t which = 0; which < 3; ++which) {
    session_pair reference;
    reference.handshake();
    auto size = reference.messages[which].size();
    for (size_t byte = 0; byte < size; ++byte) {
      BOOST_TEST_CONTEXT("message " << which + 1 << ", byte " << byte) {
        session_pair p;
        buffer out;
        auto m1 = p.first();
        if (which == 0)
          m1[byte] ^= 0x01;
        auto r1 = p.bob.read_handshake(m1.data(), m1.size(), out);
        if (which == 0) {
          // Message 1 is in clear; a changed ephemeral key shows up when the
          // initiator reads message 2, made with the wrong key.
          BOOST_REQUIRE(r1);
          auto m2 = frames_in(out)[0];
          out.clear();
          auto r2 = p.alice.read_handshake(m2.data(), m2.size(), out);
          BOOST_CHECK(!r2);
          BOOST_CHECK(!p.alice.established());
          continue;
        }
        BOOST_REQUIRE(r1);
        auto m2 = frames_in(out)[0];
        out.clear();
        if (which == 1)
          m2[byte] ^= 0x01;
        auto r2 = p.alice.read_handshake(m2.data(), m2.size(), out);
        if (which == 1) {
          BOOST_CHECK(!r2);
          BOOST_CHECK(!p.alice.established());
          continue;
        }
        BOOST_REQUIRE(r2);
        auto m3 = frames_in(out)[0];
        m3[byte] ^= 0x01;
        out.clear();
        auto r3 = p.bob.read_handshake(m3.data(), m3.size(), out);
        BOOST_CHECK(!r3);
        BOOST_CHECK(!p.bob.established());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(failed_handshake_stays_failed) {
  session_pair p;
  buffer out;
  auto m1 = p.first();
  auto garbage = buffer(10, 'x');
  BOOST_CHECK(!p.bob.read_handshake(garbage.data(), garbage.size(), out));
  auto again = p.bob.read_handshake(m1.data(), m1.size(), out);
  BOOST_REQUIRE(!again);
  BOOST_CHECK_EQUAL(code_of(again.error()), ec::handshake_failed);
  BOOST_CHECK(out.empty());
}

BOOST_AUTO_TEST_CASE(payload_in_message_one_is_refused) {
  session_pair p;
  auto m1 = p.first();
  m1.push_back('x');
  buffer out;
  auto r = p.bob.read_handshake(m1.data(), m1.size(), out);
  BOOST_REQUIRE(!r);
  BOOST_CHECK_EQUAL(code_of(r.error()), ec::handshake_failed);
  BOOST_CHECK(out.empty());
}

BOOST_AUTO_TEST_CASE(hello_naming_another_node_is_a_key_mismatch) {
  // Mallory proves her own key but claims to be carol.
  auto mallory = make_node_key(3);
  auto carol = make_node_key(4);
  secure_session liar{noise_role::initiator, mallory.static_key,
                      hello_of(carol, "carol")};
  auto bob_key = make_node_key(2);
  secure_session bob{noise_role::responder, bob_key.static_key,
                     hello_of(bob_key, "bob")};
  buffer out;
  BOOST_REQUIRE(!liar.start(out));
  auto m1 = frames_in(out, preamble_size)[0];
  out.clear();
  BOOST_REQUIRE(bob.read_handshake(m1.data(), m1.size(), out));
  auto m2 = frames_in(out)[0];
  out.clear();
  BOOST_REQUIRE(liar.read_handshake(m2.data(), m2.size(), out));
  auto m3 = frames_in(out)[0];
  out.clear();
  auto r = bob.read_handshake(m3.data(), m3.size(), out);
  BOOST_REQUIRE(!r);
  BOOST_CHECK_EQUAL(code_of(r.error()), ec::key_mismatch);
  BOOST_CHECK(!bob.established());
}

BOOST_AUTO_TEST_CASE(responder_naming_another_node_is_refused_too) {
  auto alice = make_node_key(1);
  auto mallory = make_node_key(3);
  auto carol = make_node_key(4);
  secure_session a{noise_role::initiator, alice.static_key,
                   hello_of(alice, "alice")};
  secure_session liar{noise_role::responder, mallory.static_key,
                      hello_of(carol, "carol")};
  buffer out;
  BOOST_REQUIRE(!a.start(out));
  auto m1 = frames_in(out, preamble_size)[0];
  out.clear();
  BOOST_REQUIRE(liar.read_handshake(m1.data(), m1.size(), out));
  auto m2 = frames_in(out)[0];
  out.clear();
  auto r = a.read_handshake(m2.data(), m2.size(), out);
  BOOST_REQUIRE(!r);
  BOOST_CHECK_EQUAL(code_of(r.error()), ec::key_mismatch);
  // Alice's own hello never left: her message 3 was not written.
  BOOST_CHECK(out.empty());
}

BOOST_AUTO_TEST_CASE(other_hello_version_is_refused) {
  auto alice = make_node_key(1);
  auto bob = make_node_key(2);
  auto old = hello_of(alice, "alice");
  old.version = plaintext_protocol_version;
  secure_session a{noise_role::initiator, alice.static_key, old};
  secure_session b{noise_role::responder, bob.static_key, hello_of(bob, "b")};
  buffer out;
  BOOST_REQUIRE(!a.start(out));
  auto m1 = frames_in(out, preamble_size)[0];
  out.clear();
  BOOST_REQUIRE(b.read_handshake(m1.data(), m1.size(), out));
  auto m2 = frames_in(out)[0];
  out.clear();
  BOOST_REQUIRE(a.read_handshake(m2.data(), m2.size(), out));
  auto m3 = frames_in(out)[0];
  out.clear();
  auto r = b.read_handshake(m3.data(), m3.size(), out);
  BOOST_REQUIRE(!r);
  BOOST_CHECK_EQUAL(code_of(r.error()), ec::unsupported_version);
}

BOOST_AUTO_TEST_CASE(flipped_transport_bit_is_rejected_and_changes_nothing) {
  session_pair p;
  p.handshake();
  auto frame = sealed(p.alice, chat_of("intact"));
  for (size_t i = 0; i < frame.size(); ++i) {
    auto bad = frame;
    bad[i] ^= 0x40;
    auto r = p.bob.open(bad.data(), bad.size());
    BOOST_REQUIRE(!r);
    BOOST_CHECK_EQUAL(code_of(r.error()), ec::decrypt_failed);
  }
  // The genuine frame still opens: a forgery does not advance the nonce.
  BOOST_CHECK_EQUAL(text_of(p.bob.open(frame.data(), frame.size())), "intact");
}

BOOST_AUTO_TEST_CASE(replayed_and_reordered_frames_are_rejected) {
  session_pair p;
  p.handshake();
  auto first = sealed(p.alice, chat_of("one"));
  auto second = sealed(p.alice, chat_of("two"));
  // Reordered: the second before the first.
  auto r = p.bob.open(second.data(), second.size());
  BOOST_REQUIRE(!r);
  BOOST_CHECK_EQUAL(code_of(r.error()), ec::decrypt_failed);
  BOOST_CHECK_EQUAL(text_of(p.bob.open(first.data(), first.size())), "one");
  // Replayed: the first again.
  auto again = p.bob.open(first.data(), first.size());
  BOOST_REQUIRE(!again);
  BOOST_CHECK_EQUAL(code_of(again.error()), ec::decrypt_failed);
  BOOST_CHECK_EQUAL(text_of(p.bob.open(second.data(), second.size())), "two");
}

BOOST_AUTO_TEST_CASE(truncated_transport_frame_is_rejected) {
  session_pair p;
  p.handshake();
  auto frame = sealed(p.alice, chat_of("whole"));
  for (size_t n = 0; n < frame.size(); ++n) {
    auto r = p.bob.open(frame.data(), n);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_EQUAL(code_of(r.error()), ec::decrypt_failed);
  }
}

BOOST_AUTO_TEST_CASE(both_sides_rekey_after_the_same_message) {
  noise::private_key alice_e;
  noise::private_key bob_e;
  for (size_t i = 0; i < noise::dh_len; ++i) {
    alice_e.data()[i] = static_cast<uint8_t>(0x10 + i);
    bob_e.data()[i] = static_cast<uint8_t>(0x80 + i);
  }
  // Two handshakes with the same keys: one rekeys every 3 messages, the
  // other not within this test.
  session_pair rekeying{session_limits{3, default_session_message_limit},
                        alice_e, bob_e};
  session_pair steady{session_limits{1000, default_session_message_limit},
                      alice_e, bob_e};
  rekeying.handshake();
  steady.handshake();
  for (int i = 0; i < 10; ++i) {
    BOOST_TEST_CONTEXT("message " << i) {
      auto text = "m" + std::to_string(i);
      auto a = sealed(rekeying.alice, chat_of(text));
      auto b = sealed(steady.alice, chat_of(text));
      // Same key until the first rekey, after message 3.
      BOOST_CHECK_EQUAL(a == b, i < 3);
      // The receiver rekeys at the same message, so every frame opens.
      BOOST_CHECK_EQUAL(text_of(rekeying.bob.open(a.data(), a.size())), text);
      BOOST_CHECK_EQUAL(text_of(steady.bob.open(b.data(), b.size())), text);
    }
  }
}

BOOST_AUTO_TEST_CASE(message_limit_closes_the_session_before_the_nonce_ends) {
  session_pair p{session_limits{default_rekey_interval, 2}};
  p.handshake();
  for (int i = 0; i < 2; ++i) {
    auto frame = sealed(p.alice, chat_of("ok"));
    BOOST_CHECK(p.bob.open(frame.data(), frame.size()));
  }
  buffer out;
  auto err = p.alice.seal(chat_of("one too many"), out);
  BOOST_CHECK_EQUAL(code_of(err), ec::nonce_exhausted);
  BOOST_CHECK(out.empty());
}

BOOST_AUTO_TEST_CASE(nothing_is_sealed_or_opened_before_the_handshake) {
  session_pair p;
  buffer out;
  BOOST_CHECK_EQUAL(code_of(p.alice.seal(chat_of("early"), out)),
                    ec::handshake_failed);
  BOOST_CHECK(out.empty());
  auto frame = buffer(40, 'x');
  auto r = p.bob.open(frame.data(), frame.size());
  BOOST_REQUIRE(!r);
  BOOST_CHECK_EQUAL(code_of(r.error()), ec::handshake_failed);
}

BOOST_AUTO_TEST_CASE(handshake_message_after_the_handshake_is_refused) {
  session_pair p;
  p.handshake();
  buffer out;
  auto r =
      p.bob.read_handshake(p.messages[2].data(), p.messages[2].size(), out);
  BOOST_REQUIRE(!r);
  BOOST_CHECK_EQUAL(code_of(r.error()), ec::handshake_failed);
}

BOOST_AUTO_TEST_CASE(unknown_type_inside_a_frame_leaves_the_session_usable) {
  session_pair p;
  p.handshake();
  buffer out;
  auto unknown = bytes({42, 1, 2, 3});
  BOOST_REQUIRE(!p.alice.seal_payload(unknown, out));
  auto frame = frames_in(out)[0];
  auto r = p.bob.open(frame.data(), frame.size());
  BOOST_REQUIRE(!r);
  BOOST_CHECK_EQUAL(code_of(r.error()), ec::unknown_message_type);
  auto next = sealed(p.alice, chat_of("after"));
  BOOST_CHECK_EQUAL(text_of(p.bob.open(next.data(), next.size())), "after");
}

BOOST_AUTO_TEST_SUITE_END()
