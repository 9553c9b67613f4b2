#pragma once

// Node keys for tests: real Ed25519 key pairs (so that a Noise handshake can
// prove them), derived from a one-byte seed so that tests are repeatable.

#include <array>
#include <cstdint>
#include <stdexcept>

#include <sodium.h>

#include "protocol/node_id.hpp"
#include "protocol/noise_identity.hpp"

namespace p2pchat::test {

/// A node's identity as a test needs it.
struct test_node_key {
  node_id id;
  std::array<uint8_t, 64> secret_key{};
  noise::keypair static_key;
};

/// The key pair whose Ed25519 seed is 32 bytes of `seed`.
inline test_node_key make_node_key(uint8_t seed) {
  test_node_key result;
  std::array<uint8_t, 32> seed_bytes;
  seed_bytes.fill(seed);
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium cannot be initialised");
  crypto_sign_seed_keypair(result.id.bytes.data(), result.secret_key.data(),
                           seed_bytes.data());
  result.static_key = noise_static_keypair(result.secret_key);
  return result;
}

} // namespace p2pchat::test
