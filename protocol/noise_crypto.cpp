#include "protocol/noise_crypto.hpp"

#include <sodium.h>

namespace p2pchat::noise {

namespace {

static_assert(crypto_scalarmult_BYTES == dh_len);
static_assert(crypto_scalarmult_SCALARBYTES == dh_len);
static_assert(crypto_generichash_blake2b_BYTES_MAX == hash_len);
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == key_len);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == tag_len);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12);

/// libsodium wants sodium_init() before use; it is idempotent and thread-safe,
/// this only saves repeating the call.
bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

/// Section 12.3: 32 bits of zeros, then n as 64-bit little-endian.
std::array<uint8_t, 12> chachapoly_nonce(uint64_t n) {
  std::array<uint8_t, 12> result{};
  for (size_t i = 0; i < 8; ++i)
    result[4 + i] = static_cast<uint8_t>(n >> (8 * i));
  return result;
}

/// BLAKE2b-512 over the concatenation of `a` and `b`, without building it.
void hash2(caf::span<const uint8_t> a, caf::span<const uint8_t> b,
           uint8_t* out) {
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init(&st, nullptr, 0, hash_len);
  crypto_generichash_blake2b_update(&st, a.data(), a.size());
  crypto_generichash_blake2b_update(&st, b.data(), b.size());
  crypto_generichash_blake2b_final(&st, out, hash_len);
  // The state holds the (secret) HMAC key pad.
  wipe(&st, sizeof(st));
}

} // namespace

void wipe(void* data, size_t size) noexcept {
  sodium_memzero(data, size);
}

keypair keypair_from_private(const private_key& priv) {
  sodium_ready();
  keypair result;
  result.priv = priv;
  crypto_scalarmult_base(result.pub.data(), result.priv.data());
  return result;
}

bool generate_keypair(keypair& out) {
  if (!sodium_ready())
    return false;
  private_key priv;
  randombytes_buf(priv.data(), priv.size());
  out = keypair_from_private(priv);
  return true;
}

bool dh(const keypair& local, const public_key& pub, secret<dh_len>& out) {
  sodium_ready();
  return crypto_scalarmult(out.data(), local.priv.data(), pub.data()) == 0;
}

digest hash(caf::span<const uint8_t> data) {
  return hash(data, {});
}

digest hash(caf::span<const uint8_t> a, caf::span<const uint8_t> b) {
  sodium_ready();
  digest result;
  hash2(a, b, result.data());
  return result;
}

secret<hash_len> hmac(caf::span<const uint8_t> key,
                      caf::span<const uint8_t> data) {
  sodium_ready();
  // RFC 2104: a key longer than a block is hashed, then the key is padded
  // with zeros to a block; H((K ^ opad) || H((K ^ ipad) || data)).
  secret<block_len> padded;
  if (key.size() > block_len) {
    hash2(key, {}, padded.data());
  } else {
    for (size_t i = 0; i < key.size(); ++i)
      padded.data()[i] = key[i];
  }
  secret<block_len> pad;
  for (size_t i = 0; i < block_len; ++i)
    pad.data()[i] = padded.data()[i] ^ 0x36;
  secret<hash_len> inner;
  hash2(pad, data, inner.data());
  for (size_t i = 0; i < block_len; ++i)
    pad.data()[i] = padded.data()[i] ^ 0x5c;
  secret<hash_len> result;
  hash2(pad, inner, result.data());
  return result;
}

std::pair<secret<hash_len>, secret<hash_len>>
hkdf(const secret<hash_len>& chaining_key,
     caf::span<const uint8_t> input_key_material) {
  auto temp_key = hmac(chaining_key, input_key_material);
  const uint8_t one = 0x01;
  auto output1 = hmac(temp_key, {&one, 1});
  secret<hash_len + 1> input2;
  for (size_t i = 0; i < hash_len; ++i)
    input2.data()[i] = output1.data()[i];
  input2.data()[hash_len] = 0x02;
  auto output2 = hmac(temp_key, input2);
  return {std::move(output1), std::move(output2)};
}

void encrypt(const secret<key_len>& k, uint64_t n, caf::span<const uint8_t> ad,
             caf::span<const uint8_t> plaintext, uint8_t* out) {
  sodium_ready();
  auto nonce = chachapoly_nonce(n);
  unsigned long long out_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(
      out, &out_len, plaintext.data(), plaintext.size(), ad.data(), ad.size(),
      nullptr, nonce.data(), k.data());
}

bool decrypt(const secret<key_len>& k, uint64_t n, caf::span<const uint8_t> ad,
             caf::span<const uint8_t> ciphertext, uint8_t* out) {
  if (ciphertext.size() < tag_len)
    return false;
  sodium_ready();
  auto nonce = chachapoly_nonce(n);
  unsigned long long out_len = 0;
  return crypto_aead_chacha20poly1305_ietf_decrypt(
             out, &out_len, nullptr, ciphertext.data(), ciphertext.size(),
             ad.data(), ad.size(), nonce.data(), k.data()) == 0;
}

secret<key_len> rekey(const secret<key_len>& k) {
  const secret<key_len> zeros;
  secret<key_len + tag_len> full;
  encrypt(k, max_nonce, {}, zeros, full.data());
  secret<key_len> result;
  for (size_t i = 0; i < key_len; ++i)
    result.data()[i] = full.data()[i];
  return result;
}

} // namespace p2pchat::noise
