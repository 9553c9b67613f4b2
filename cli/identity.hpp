#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <caf/expected.hpp>

#include "protocol/node_id.hpp"

namespace p2pchat {

/// The node's long-term Ed25519 key pair.
struct identity {
  node_id id;
  /// libsodium's 64-byte secret key (seed followed by the public key).
  std::array<uint8_t, 64> secret_key{};
};

/// Loads the key pair from `DATA_DIR/identity.key`, or generates and stores a
/// new one (creating `data_dir` with mode 0700, the file with mode 0600).
/// Fails with a readable reason naming the path if the directory cannot be
/// created or written, or the file is unreadable, has the wrong size, or its
/// public half does not match its secret half.
caf::expected<identity> load_or_create_identity(const std::string& data_dir);

} // namespace p2pchat
