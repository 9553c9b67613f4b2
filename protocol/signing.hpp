#pragma once

// Signatures by node keys and what users compare to check them: pure
// functions over libsodium's Ed25519 and BLAKE2b, no state, no I/O.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/messages.hpp"
#include "protocol/node_id.hpp"

namespace p2pchat {

/// Prefix of the bytes a broadcast's origin signs, so that a signature over
/// a broadcast can never pass for one over anything else.
constexpr const char* broadcast_signature_domain = "p2pchat broadcast v1";

/// Prefix of the bytes a safety number is hashed from.
constexpr const char* safety_number_domain = "p2pchat safety number v1";

/// A node's 64-byte Ed25519 secret key (libsodium layout: seed, then the
/// public key).
using ed25519_secret_key = std::array<uint8_t, 64>;

/// What a broadcast's origin signs: the domain string and a zero byte, then
/// message id, origin id, origin name (1-byte length), origin port, send
/// time and text (4-byte length), laid out as on the wire. `origin_host` and
/// `hops_left` stay out: the nodes on the way change them.
std::vector<uint8_t> broadcast_signed_bytes(const broadcast& msg);

/// Signs `data` with `secret_key`.
ed25519_signature sign_bytes(const ed25519_secret_key& secret_key,
                             const std::vector<uint8_t>& data);

/// Fills in `msg.signature` with `secret_key` (the origin's key).
void sign_broadcast(broadcast& msg, const ed25519_secret_key& secret_key);

/// True if `msg.signature` is the origin's (`msg.origin`) signature over
/// `broadcast_signed_bytes(msg)`. False for a forged or altered broadcast,
/// and for an origin id that is no valid Ed25519 key.
bool verify_broadcast(const broadcast& msg);

/// A key pair derived from a 32-byte seed (deterministic: for tests and
/// simulations that need real keys).
ed25519_secret_key secret_key_from_seed(const std::array<uint8_t, 32>& seed);

/// The public half (the node id) of `secret_key`.
node_id id_of(const ed25519_secret_key& secret_key);

/// What two users compare to know they hold each other's real keys: 30
/// decimal digits in 6 groups of 5 ("01234 56789 ..."), from BLAKE2b over
/// the domain string and both ids, the smaller first, so both sides compute
/// the same number.
std::string safety_number(const node_id& x, const node_id& y);

/// A node id as users read it aloud: its 64 hex digits in 8 groups of 8.
std::string fingerprint(const node_id& id);

} // namespace p2pchat
