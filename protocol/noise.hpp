#pragma once

// Noise_XX_25519_ChaChaPoly_BLAKE2b (Noise Protocol Framework, revision 34):
// the CipherState, SymmetricState and HandshakeState objects of section 5,
// for the one pattern p2pchat uses,
//
//   XX:  -> e
//        <- e, ee, s, es
//        -> s, se
//
// Pure: the caller moves the bytes. See docs/protocol.md, section 9.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <caf/span.hpp>

#include "protocol/noise_crypto.hpp"

namespace p2pchat {

/// The protocol name hashed into every handshake (section 8).
constexpr char noise_protocol_name[] = "Noise_XX_25519_ChaChaPoly_BLAKE2b";

/// The prologue of protocol version 2: the preamble bytes the initiator sends
/// and the responder receives (`00 'P' 'C' 02`). Both sides hash what they
/// actually sent or saw, so a changed version byte fails the handshake.
constexpr std::array<char, 4> noise_prologue_v2 = {0x00, 'P', 'C', 0x02};

/// Largest plaintext one transport message can carry.
constexpr size_t noise_max_plaintext = noise::max_message_size - noise::tag_len;

/// CipherState (section 5.1) for transport messages: a key and a message
/// counter. Move-only, because two copies would encrypt under the same nonce;
/// a moved-from or default-constructed state has no key and refuses to work.
class cipher_state {
public:
  /// No key: encrypt and decrypt fail.
  cipher_state() = default;

  /// InitializeKey(key): `key` with nonce 0.
  explicit cipher_state(const noise::secret<noise::key_len>& key);

  cipher_state(const cipher_state&) = delete;
  cipher_state& operator=(const cipher_state&) = delete;
  cipher_state(cipher_state&& other) noexcept;
  cipher_state& operator=(cipher_state&& other) noexcept;

  /// True once a key is set.
  bool has_key() const noexcept { return has_key_; }

  /// The nonce the next encrypt or decrypt uses (also: messages so far).
  uint64_t nonce() const noexcept { return n_; }

  /// SetNonce(n). Only tests need it (to reach the end of the nonce space).
  void set_nonce(uint64_t n) noexcept { n_ = n; }

  /// EncryptWithAd(ad, plaintext): the ciphertext and its 16-byte tag, then
  /// the nonce advances. Fails, changing nothing, with `ec::nonce_exhausted`
  /// once the nonce reached 2^64 - 1 (it never wraps), `ec::frame_too_large`
  /// for plaintexts above `noise_max_plaintext`, and `ec::handshake_failed`
  /// without a key.
  caf::expected<std::vector<char>> encrypt(caf::span<const char> ad,
                                           caf::span<const char> plaintext);

  /// DecryptWithAd(ad, ciphertext): the plaintext, then the nonce advances.
  /// A ciphertext that does not authenticate under the current nonce
  /// (tampered, truncated, replayed or reordered) fails with
  /// `ec::decrypt_failed` and leaves the nonce where it was, so the next
  /// genuine message still decrypts. Other failures as for `encrypt`.
  caf::expected<std::vector<char>> decrypt(caf::span<const char> ad,
                                           caf::span<const char> ciphertext);

  /// As `encrypt`, but appends the ciphertext and tag to `out`, so that a
  /// caller sealing many messages reuses one buffer. On failure `out` is
  /// unchanged.
  caf::error encrypt_append(caf::span<const char> ad,
                            caf::span<const char> plaintext,
                            std::vector<char>& out);

  /// As `decrypt`, but the plaintext replaces the contents of `out` (keeping
  /// its capacity). On failure `out` holds nothing of value.
  caf::error decrypt_into(caf::span<const char> ad,
                          caf::span<const char> ciphertext,
                          std::vector<char>& out);

  /// Rekey(): k = REKEY(k) (section 11.3). The nonce keeps counting. Both
  /// sides must rekey at the same message of a direction.
  void rekey();

private:
  /// The error for a state that cannot encrypt or decrypt now, if any.
  caf::error check_usable(size_t size, size_t max_size) const;

  noise::secret<noise::key_len> k_;
  bool has_key_ = false;
  uint64_t n_ = 0;
};

/// The two transport ciphers of a finished handshake, already assigned to
/// this side's direction (the spec's Split() returns them as c1 for the
/// initiator's sending and c2 for the responder's sending).
struct transport_ciphers {
  cipher_state send;
  cipher_state recv;
};

/// SymmetricState (section 5.2): chaining key ck, handshake hash h and the
/// handshake's cipher state. The handshake below is its only user.
class symmetric_state {
public:
  /// InitializeSymmetric(noise_protocol_name): the 33-byte name fits in
  /// HASHLEN, so h is the name padded with zeros; ck = h; no key.
  symmetric_state();

  /// MixKey(input_key_material): ck, temp_k = HKDF(ck, ikm, 2); the cipher
  /// key becomes the first 32 bytes of temp_k, with nonce 0.
  void mix_key(caf::span<const uint8_t> input_key_material);

  /// MixHash(data): h = HASH(h || data).
  void mix_hash(caf::span<const uint8_t> data);

  /// EncryptAndHash: appends EncryptWithAd(h, plaintext) to `out` (the
  /// plaintext itself while there is no key) and mixes it into h. Returns
  /// false, changing nothing, for a plaintext above `noise_max_plaintext`.
  [[nodiscard]] bool encrypt_and_hash(caf::span<const uint8_t> plaintext,
                                      std::vector<char>& out);

  /// DecryptAndHash: appends the plaintext to `out` and mixes the ciphertext
  /// into h, or returns false (a tag that does not verify) changing nothing.
  [[nodiscard]] bool decrypt_and_hash(caf::span<const uint8_t> ciphertext,
                                      std::vector<char>& out);

  /// True once MixKey ran: from then on EncryptAndHash adds a tag.
  bool has_key() const noexcept { return cs_.has_key(); }

  /// h: after the handshake, the handshake hash (section 11.2).
  const noise::digest& h() const noexcept { return h_; }

  /// Split(): the initiator's sending cipher (c1) and the responder's (c2).
  /// Ends the handshake: wipes ck and the handshake key, keeps h.
  std::pair<cipher_state, cipher_state> split();

private:
  noise::secret<noise::hash_len> ck_;
  noise::digest h_{};
  cipher_state cs_;
};

/// Which side of the connection a handshake runs on.
enum class noise_role {
  /// Dialed the connection; writes messages 1 and 3.
  initiator,
  /// Accepted it; writes message 2.
  responder,
};

/// HandshakeState (section 5.3) for Noise_XX_25519_ChaChaPoly_BLAKE2b.
/// Call `write_message` and `read_message` in turn (the initiator starts)
/// until `finished()`, then `split()` for the transport ciphers. Any failure
/// to read a message leaves the handshake failed for good: every later call
/// fails with `ec::handshake_failed`. Move-only; a moved-from handshake is
/// failed.
class noise_handshake {
public:
  /// Starts a handshake with our static key pair `s` and the `prologue`
  /// (`noise_prologue_v2` on the wire). The ephemeral key is generated when
  /// the first message we write needs it.
  noise_handshake(noise_role role, const noise::keypair& s,
                  caf::span<const char> prologue);

  /// As above with a fixed ephemeral key. Only for tests: reusing an
  /// ephemeral key across handshakes destroys the forward secrecy.
  noise_handshake(noise_role role, const noise::keypair& s,
                  caf::span<const char> prologue,
                  const noise::private_key& fixed_ephemeral);

  noise_handshake(const noise_handshake&) = delete;
  noise_handshake& operator=(const noise_handshake&) = delete;
  noise_handshake(noise_handshake&& other) noexcept;
  noise_handshake& operator=(noise_handshake&& other) noexcept;

  /// WriteMessage(payload): our next handshake message, carrying `payload`
  /// (in clear in message 1, encrypted in messages 2 and 3). Fails, changing
  /// nothing, with `ec::frame_too_large` if the message would exceed 65,535
  /// bytes and with `ec::handshake_failed` when it is not our turn, the
  /// handshake is over or failed; fails for good (`ec::handshake_failed`) if
  /// the peer's ephemeral key gives an all-zero DH result.
  caf::expected<std::vector<char>> write_message(caf::span<const char> payload);

  /// ReadMessage(message): the payload of the peer's next handshake message.
  /// Fails for good with `ec::handshake_failed`, the detail naming the
  /// message and the step: wrong size (shorter than its keys and tags, or
  /// above 65,535 bytes), a static key or payload that does not decrypt
  /// (a changed bit anywhere in what was hashed so far, or a different
  /// prologue), an all-zero DH result; also when it is not the peer's turn.
  caf::expected<std::vector<char>> read_message(caf::span<const char> message);

  /// Our role.
  noise_role role() const noexcept { return role_; }

  /// True if the next step is `write_message`.
  bool my_turn() const noexcept;

  /// True after the last message was written or read successfully.
  bool finished() const noexcept { return step_ == 3 && !failed_; }

  /// True after a failure; nothing works any more.
  bool failed() const noexcept { return failed_; }

  /// h: once finished, the handshake hash, identical on both sides and
  /// unique to this handshake (for channel binding, section 11.2).
  const noise::digest& handshake_hash() const noexcept { return sym_.h(); }

  /// The peer's static X25519 key, known once its `s` token was read
  /// (message 2 for the initiator, message 3 for the responder): what the
  /// peer proved to hold. Check it against the node id it claims with
  /// `check_static_key`.
  const std::optional<noise::public_key>& remote_static() const noexcept {
    return rs_;
  }

  /// Our static public key.
  const noise::public_key& local_static() const noexcept { return s_.pub; }

  /// The transport ciphers for our direction (`send` encrypts what we send).
  /// Only once, after `finished()`; the handshake keeps no key afterwards.
  /// Fails with `ec::handshake_failed` otherwise.
  caf::expected<transport_ciphers> split();

private:
  /// Marks the handshake failed, wipes its secrets and returns the error.
  caf::error fail(std::string detail);

  /// MixKey(DH(...)) for the DH token `t` ("ee", "es" or "se"); false for a
  /// missing remote key or an all-zero result.
  bool mix_dh(std::string_view t);

  /// Splits after the last message and wipes what is no longer needed.
  void finish();

  noise_role role_;
  noise::keypair s_;
  std::optional<noise::private_key> fixed_e_;
  noise::keypair e_;
  noise::public_key re_{};
  std::optional<noise::public_key> rs_;
  symmetric_state sym_;
  /// Messages done so far: 0-3.
  int step_ = 0;
  bool failed_ = false;
  std::optional<transport_ciphers> transport_;
};

} // namespace p2pchat
