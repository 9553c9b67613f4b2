#include "protocol/noise_identity.hpp"

#include <sodium.h>

#include "protocol/errors.hpp"

namespace p2pchat {

static_assert(crypto_sign_ed25519_SECRETKEYBYTES == 64);
static_assert(crypto_sign_ed25519_PUBLICKEYBYTES == node_id::size);
static_assert(crypto_scalarmult_curve25519_BYTES == noise::dh_len);

noise::keypair
noise_static_keypair(const std::array<uint8_t, 64>& ed25519_secret_key) {
  noise::private_key priv;
  crypto_sign_ed25519_sk_to_curve25519(priv.data(), ed25519_secret_key.data());
  return noise::keypair_from_private(priv);
}

caf::expected<noise::public_key> noise_static_key_of(const node_id& id) {
  noise::public_key result;
  if (crypto_sign_ed25519_pk_to_curve25519(result.data(), id.bytes.data()) != 0)
    return make_error(ec::key_mismatch, "node id " + id.short_hex() +
                                            " is not a valid Ed25519 key");
  return result;
}

caf::error check_static_key(const node_id& claimed,
                            const noise::public_key& remote_static) {
  auto expected = noise_static_key_of(claimed);
  if (!expected)
    return std::move(expected.error());
  if (sodium_memcmp(expected->data(), remote_static.data(), noise::dh_len) != 0)
    return make_error(ec::key_mismatch, "node id " + claimed.short_hex() +
                                            " does not own the key it proved");
  return caf::none;
}

} // namespace p2pchat
