#pragma once

// The bridge between a node's identity (its Ed25519 key, whose public half is
// the node id) and its Noise static key (X25519). libsodium converts both
// halves: the private scalar is the one Ed25519 derives from the seed, the
// public key is the Montgomery form of the Edwards point. A peer that proves
// the X25519 key of a node id in the handshake therefore holds that node's
// Ed25519 seed.

#include <array>
#include <cstdint>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "protocol/node_id.hpp"
#include "protocol/noise_crypto.hpp"

namespace p2pchat {

/// The Noise static key pair of the node whose Ed25519 secret key (libsodium's
/// 64 bytes: seed, then public key) is `ed25519_secret_key`.
noise::keypair
noise_static_keypair(const std::array<uint8_t, 64>& ed25519_secret_key);

/// The X25519 static key that the node `id` must prove in a handshake. Fails
/// with `ec::key_mismatch` if `id` is not a usable Ed25519 public key (not a
/// point on the curve, or one of small order).
caf::expected<noise::public_key> noise_static_key_of(const node_id& id);

/// Checks that `remote_static`, the key a peer proved in the handshake, is the
/// one of the node id it claims; fails with `ec::key_mismatch` otherwise.
/// The conversion drops the sign of the Edwards x coordinate, so the id with
/// only its top bit flipped passes too: it names the same key holder, never
/// another node.
caf::error check_static_key(const node_id& claimed,
                            const noise::public_key& remote_static);

} // namespace p2pchat
