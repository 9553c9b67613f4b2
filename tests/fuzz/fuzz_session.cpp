// Fuzz target: the Noise session's reader (protocol/session.*), fed as the
// connection broker feeds it: frames cut by frame_reader from what the peer
// sent after the preamble. The first input byte picks what the rest is:
//   0: handshake messages to a responder (then transport frames),
//   1: handshake messages to an initiator that sent message 1,
//   2: transport frames to an established session, each followed by a
//      genuine message from its peer,
//   3: a payload its peer seals genuinely (the decoder behind the cipher).
//
// Properties:
// - nothing crashes; every failure carries one of our codes and renders;
// - bytes not made with the peer's keys never establish a session and never
//   open as a message;
// - a frame that fails to open does not disturb the next genuine one;
// - behind a genuine seal, `open` decides exactly as `decode_payload` does.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/property.hpp"
#include "protocol/errors.hpp"
#include "protocol/frame.hpp"
#include "protocol/session.hpp"
#include "support/test_keys.hpp"

using namespace p2pchat;
using fuzz::require;

namespace {

using buffer = std::vector<char>;

const test::test_node_key& key(uint8_t seed) {
  static const auto a = test::make_node_key(1);
  static const auto b = test::make_node_key(2);
  return seed == 1 ? a : b;
}

noise::private_key ephemeral(uint8_t x) {
  noise::private_key result;
  for (size_t i = 0; i < noise::dh_len; ++i)
    result.data()[i] = static_cast<uint8_t>(x + i);
  return result;
}

secure_session make(noise_role role, uint8_t seed) {
  hello local{protocol_version, key(seed).id, seed == 1 ? "alice" : "bob", 6555,
              0};
  return secure_session{role, key(seed).static_key, local, session_limits{},
                        ephemeral(static_cast<uint8_t>(seed * 40))};
}

void check_error(const caf::error& err) {
  require(code_of(err) != ec::none, "a failure carries our code");
  require(!describe(err).empty(), "a failure can be described");
}

/// The single frame in `bytes` (after `skip` bytes).
buffer only_frame(const buffer& bytes, size_t skip = 0) {
  frame_reader reader;
  reader.append(bytes.data() + skip, bytes.size() - skip);
  auto x = reader.next();
  require(x.data != nullptr, "a written message is one frame");
  return buffer(x.data, x.data + x.size);
}

/// Feeds the frames in `data` to `s` as the broker does, until it fails.
void feed(secure_session& s, const char* data, size_t size) {
  frame_reader reader;
  reader.append(data, size);
  for (auto x = reader.next(); x.data != nullptr; x = reader.next()) {
    buffer out;
    if (!s.established()) {
      auto got = s.read_handshake(x.data, x.size, out);
      if (!got) {
        check_error(got.error());
        return;
      }
      require(!*got, "forged handshake messages yield no hello");
      continue;
    }
    auto msg = s.open(x.data, x.size);
    require(!msg, "forged frames never open");
    check_error(msg.error());
    return;
  }
}

/// Alice (initiator) and bob (responder) after a genuine handshake.
struct established_pair {
  secure_session alice = make(noise_role::initiator, 1);
  secure_session bob = make(noise_role::responder, 2);

  established_pair() {
    buffer out;
    require(!alice.start(out), "start");
    auto m1 = only_frame(out, preamble_size);
    out.clear();
    require(static_cast<bool>(bob.read_handshake(m1.data(), m1.size(), out)),
            "message 1");
    auto m2 = only_frame(out);
    out.clear();
    require(static_cast<bool>(alice.read_handshake(m2.data(), m2.size(), out)),
            "message 2");
    auto m3 = only_frame(out);
    out.clear();
    require(static_cast<bool>(bob.read_handshake(m3.data(), m3.size(), out)),
            "message 3");
    require(alice.established() && bob.established(), "established");
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0)
    return 0;
  auto data = reinterpret_cast<const char*>(bytes) + 1;
  auto rest = size - 1;
  switch (bytes[0] % 4) {
    case 0: {
      auto responder = make(noise_role::responder, 2);
      feed(responder, data, rest);
      require(!responder.established(), "forged messages never establish");
      break;
    }
    case 1: {
      auto initiator = make(noise_role::initiator, 1);
      buffer out;
      require(!initiator.start(out), "start");
      feed(initiator, data, rest);
      require(!initiator.established(), "forged messages never establish");
      break;
    }
    case 2: {
      established_pair p;
      frame_reader reader;
      reader.append(data, rest);
      for (auto x = reader.next(); x.data != nullptr; x = reader.next()) {
        auto msg = p.bob.open(x.data, x.size);
        require(!msg, "forged frames never open");
        check_error(msg.error());
        buffer out;
        require(!p.alice.seal(chat{message_id{}, 1, "genuine"}, out), "seal");
        auto frame = only_frame(out);
        auto genuine = p.bob.open(frame.data(), frame.size());
        require(genuine && std::get<chat>(*genuine).text == "genuine",
                "a failed open leaves the next genuine frame readable");
      }
      break;
    }
    default: {
      established_pair p;
      buffer out;
      if (p.alice.seal_payload({data, rest}, out)) {
        require(rest > noise_max_plaintext, "only oversized payloads fail");
        break;
      }
      auto frame = only_frame(out);
      auto opened = p.bob.open(frame.data(), frame.size());
      auto decoded = decode_payload(data, rest);
      require(static_cast<bool>(opened) == static_cast<bool>(decoded),
              "open decides as decode_payload does");
      if (!opened)
        require(code_of(opened.error()) == code_of(decoded.error()),
                "open fails as decode_payload does");
      break;
    }
  }
  return 0;
}
