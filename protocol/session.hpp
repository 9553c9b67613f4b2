#pragma once

// The secure session of one protocol-version-2 connection (docs/protocol.md,
// section 10): the Noise XX handshake, whose encrypted payloads carry both
// hellos, then transport messages. Every frame (4-byte big-endian length,
// then the bytes) carries one Noise message, so the frame reader cuts
// handshake and transport messages alike. Pure: the caller moves the bytes.
//
//   initiator                                  responder
//   00 'P' 'C' 02, [e]                      ->
//                                           <- [e, ee, s, es, hello(R)]
//   [s, se, hello(I)]                       ->
//   [transport message] ...                <-> [transport message] ...

#include <cstdint>
#include <optional>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "protocol/messages.hpp"
#include "protocol/noise.hpp"

namespace p2pchat {

/// Transport messages per direction between two rekeys (section 11.3 leaves
/// the schedule to the application). Both sides rekey after the same message.
constexpr uint64_t default_rekey_interval = uint64_t{1} << 20;

/// Transport messages per direction after which a session refuses to go on,
/// far below the 2^64 - 1 at which a Noise nonce would run out.
constexpr uint64_t default_session_message_limit = uint64_t{1} << 60;

/// Bounds of a session; tests shrink them to reach their ends.
struct session_limits {
  uint64_t rekey_interval = default_rekey_interval;
  uint64_t message_limit = default_session_message_limit;
};

/// One connection's Noise session, as initiator (the side that dialed) or
/// responder. Use: the initiator `start`s; each side passes every frame
/// payload from the peer to `read_handshake` until it returns the peer's
/// hello (`established()`), then to `open`; `seal` frames what we send once
/// established. Any failure is final: the connection must close.
class secure_session {
public:
  /// A session proving `static_key` (the node's X25519 key) and announcing
  /// `local` (our hello, version 2) to the peer.
  secure_session(noise_role role, const noise::keypair& static_key, hello local,
                 session_limits limits = {});

  /// As above with a fixed ephemeral key: only for tests.
  secure_session(noise_role role, const noise::keypair& static_key, hello local,
                 session_limits limits,
                 const noise::private_key& fixed_ephemeral);

  /// Initiator only: appends the preamble and handshake message 1 (framed)
  /// to `out`.
  caf::error start(std::vector<char>& out);

  /// Reads the peer's next handshake message (one frame payload) and appends
  /// our answer, framed, to `out` if one is due. Returns the peer's hello
  /// once it arrived and the key the peer proved is the one of the node id
  /// in it: the session is then established. Fails with
  /// `ec::handshake_failed` (a message of the wrong size, one that does not
  /// decrypt, a payload in message 1), `ec::unsupported_version`,
  /// `ec::key_mismatch`, or the hello's own decoding error.
  caf::expected<std::optional<hello>>
  read_handshake(const char* data, size_t size, std::vector<char>& out);

  /// True once both hellos are exchanged and the transport keys are set.
  bool established() const noexcept { return transport_.has_value(); }

  /// Encodes `msg`, encrypts it and appends the frame to `out`. Fails,
  /// appending nothing, before the session is established, at the message
  /// limit (`ec::nonce_exhausted`), and for messages too large for one Noise
  /// message (`ec::frame_too_large`).
  caf::error seal(const message& msg, std::vector<char>& out);

  /// As `seal` for a payload encoded already (type byte and body). Tests use
  /// it to send payloads the encoder would never make.
  caf::error seal_payload(caf::span<const char> payload,
                          std::vector<char>& out);

  /// Decrypts one frame payload from the peer and decodes the message in it.
  /// Fails with `ec::decrypt_failed` for anything the peer's key did not
  /// seal as the next message (tampered, truncated, replayed, reordered),
  /// `ec::nonce_exhausted` at the message limit, and with the decoder's
  /// errors; `ec::unknown_message_type` (a newer peer's message) leaves the
  /// session usable, every other error means the connection must close.
  caf::expected<message> open(const char* data, size_t size);

  /// Our role.
  noise_role role() const noexcept { return role_; }

  /// Once established: the handshake hash, the same on both sides.
  const noise::digest& handshake_hash() const noexcept { return h_; }

  /// Transport messages sent and received so far.
  uint64_t sent() const noexcept;
  uint64_t received() const noexcept;

private:
  /// Appends `noise_message` to `out` behind its length prefix.
  static void append_framed(const std::vector<char>& noise_message,
                            std::vector<char>& out);

  /// Writes our handshake message carrying `payload`, framed, to `out`.
  caf::error write_handshake(caf::span<const char> payload,
                             std::vector<char>& out);

  /// Checks the hello in a handshake payload against the proven key.
  caf::expected<hello> accept_hello(const std::vector<char>& payload);

  /// Takes the transport keys from the finished handshake.
  caf::error complete();

  noise_role role_;
  hello local_;
  session_limits limits_;
  std::optional<noise_handshake> handshake_;
  std::optional<transport_ciphers> transport_;
  noise::digest h_{};
  /// Reused for every message: encoded plaintext out, decrypted one in.
  std::vector<char> scratch_;
};

} // namespace p2pchat
