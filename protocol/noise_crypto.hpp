#pragma once

// The crypto functions of Noise_XX_25519_ChaChaPoly_BLAKE2b (Noise Protocol
// Framework, revision 34, sections 4 and 12) on libsodium's primitives: DH is
// X25519, the cipher ChaCha20-Poly1305 (IETF), the hash BLAKE2b-512. HMAC and
// HKDF are written out from RFC 2104 and section 4.3. Pure: no I/O beyond
// libsodium's random source for fresh ephemeral keys.

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <caf/span.hpp>

namespace p2pchat::noise {

/// DHLEN: size of an X25519 key and of a DH result.
constexpr size_t dh_len = 32;
/// HASHLEN: size of a BLAKE2b-512 digest.
constexpr size_t hash_len = 64;
/// BLOCKLEN: BLAKE2b's block size, the HMAC padding length.
constexpr size_t block_len = 128;
/// Size of a cipher key (temp_k is cut to this from HASHLEN).
constexpr size_t key_len = 32;
/// Size of the Poly1305 tag that ENCRYPT appends.
constexpr size_t tag_len = 16;
/// No Noise message, handshake or transport, may exceed this (section 3).
constexpr size_t max_message_size = 65535;

/// Overwrites `size` bytes at `data` with zeros in a way the compiler cannot
/// optimise away (sodium_memzero).
void wipe(void* data, size_t size) noexcept;

/// A fixed-size secret: zeroed when destroyed, and moving one zeroes the
/// source, so that no stale copy of a key outlives its owner.
template <size_t N>
class secret {
public:
  secret() = default;

  secret(const secret&) = default;
  secret& operator=(const secret&) = default;

  secret(secret&& other) noexcept : bytes_(other.bytes_) { other.clear(); }

  secret& operator=(secret&& other) noexcept {
    if (this != &other) {
      bytes_ = other.bytes_;
      other.clear();
    }
    return *this;
  }

  ~secret() { clear(); }

  /// Sets every byte to zero.
  void clear() noexcept { wipe(bytes_.data(), N); }

  uint8_t* data() noexcept { return bytes_.data(); }
  const uint8_t* data() const noexcept { return bytes_.data(); }
  static constexpr size_t size() noexcept { return N; }

private:
  std::array<uint8_t, N> bytes_{};
};

/// An X25519 public key.
using public_key = std::array<uint8_t, dh_len>;
/// An X25519 private key (any 32 bytes; X25519 clamps them).
using private_key = secret<dh_len>;
/// A BLAKE2b-512 digest that is not secret (the handshake hash h).
using digest = std::array<uint8_t, hash_len>;

/// An X25519 key pair.
struct keypair {
  private_key priv;
  public_key pub{};
};

/// Builds the key pair whose private half is `priv` (the public half is the
/// X25519 base point multiplied by it).
keypair keypair_from_private(const private_key& priv);

/// GENERATE_KEYPAIR(): a fresh key pair from libsodium's random source.
/// Returns false only if libsodium cannot be initialised.
bool generate_keypair(keypair& out);

/// DH(key_pair, public_key): X25519. Returns false instead of an all-zero
/// result (a low-order `pub`). Section 12.1 allows signalling that as an
/// error, though it does not ask for it: libsodium reports it anyway, and a
/// peer whose key contributes nothing secret has no business going on.
[[nodiscard]] bool dh(const keypair& local, const public_key& pub,
                      secret<dh_len>& out);

/// HASH(data): BLAKE2b with a 64-byte output.
digest hash(caf::span<const uint8_t> data);

/// HASH(a || b), without building the concatenation (MixHash).
digest hash(caf::span<const uint8_t> a, caf::span<const uint8_t> b);

/// HMAC-HASH(key, data) per RFC 2104 with BLAKE2b and BLOCKLEN 128; keys
/// longer than a block are hashed first.
secret<hash_len> hmac(caf::span<const uint8_t> key,
                      caf::span<const uint8_t> data);

/// HKDF(chaining_key, input_key_material, 2) of section 4.3. The three-output
/// form exists only for pre-shared keys, which XX does not use.
std::pair<secret<hash_len>, secret<hash_len>>
hkdf(const secret<hash_len>& chaining_key,
     caf::span<const uint8_t> input_key_material);

/// Nonces reach 2^64 - 1 only in REKEY; ENCRYPT and DECRYPT refuse it.
constexpr uint64_t max_nonce = UINT64_MAX;

/// ENCRYPT(k, n, ad, plaintext): ChaCha20-Poly1305 with the 96-bit nonce
/// 32 zero bits || little-endian n. Writes plaintext size + tag_len bytes.
void encrypt(const secret<key_len>& k, uint64_t n, caf::span<const uint8_t> ad,
             caf::span<const uint8_t> plaintext, uint8_t* out);

/// DECRYPT(k, n, ad, ciphertext): writes ciphertext size - tag_len bytes, or
/// returns false (writing nothing useful) if the tag does not verify or the
/// ciphertext is shorter than a tag.
[[nodiscard]] bool decrypt(const secret<key_len>& k, uint64_t n,
                           caf::span<const uint8_t> ad,
                           caf::span<const uint8_t> ciphertext, uint8_t* out);

/// REKEY(k): the first 32 bytes of ENCRYPT(k, 2^64 - 1, zerolen, 32 zeros).
secret<key_len> rekey(const secret<key_len>& k);

} // namespace p2pchat::noise
