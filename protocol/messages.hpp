#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include "protocol/node_id.hpp"

namespace p2pchat {

/// The protocol version this build speaks (the last preamble byte): a Noise
/// session carries every message (protocol/session.hpp).
constexpr uint8_t protocol_version = 2;

/// The same messages in clear frames, without a handshake: only between two
/// nodes that both run with `--insecure-plaintext` (benchmarks measure what
/// encryption costs with it). Never negotiated, never a fallback.
constexpr uint8_t plaintext_protocol_version = 1;

/// Bounds enforced when decoding and when the user types input.
constexpr size_t max_name_chars = 32;
constexpr size_t max_text_bytes = 16 * 1024;
constexpr size_t max_bye_reason_bytes = 256;

/// The type byte that starts every frame payload. Values are wire format:
/// never renumber. Type 4 is reserved for a later `ack`.
enum class message_type : uint8_t {
  hello = 1,
  chat = 2,
  bye = 3,
  peers_request = 5,
  peers = 6,
  ping = 7,
  pong = 8,
  broadcast = 9,
};

/// First message on every connection, in both directions.
struct hello {
  uint8_t version = protocol_version;
  node_id id;
  std::string name;
  /// The port the sender accepts connections on (not the socket's port).
  uint16_t listen_port = 0;
  /// Bit set of optional features; none defined yet, must be ignored.
  uint32_t features = 0;
};

/// A 128-bit random message identifier.
using message_id = std::array<uint8_t, 16>;

/// One chat message from the connection's peer to us.
struct chat {
  message_id id{};
  /// Milliseconds since the Unix epoch, by the sender's clock.
  int64_t sent_at_ms = 0;
  std::string text;
};

/// Why a side closes the connection.
enum class bye_code : uint8_t {
  /// The user left ("exit" or quit): the receiver forgets the sender.
  leaving = 0,
  /// Both nodes connected to each other; this copy of the link is dropped.
  duplicate_connection = 1,
  /// The receiver sent something we could not accept.
  protocol_error = 2,
  /// The receiver is this very node.
  self_connection = 3,
  /// The receiver's version is not supported.
  unsupported_version = 4,
  /// The sender holds as many connections as it allows.
  too_many_connections = 5,
};

/// Last message before a side closes the connection.
struct bye {
  bye_code code = bye_code::leaving;
  /// Free text for the log; may be empty.
  std::string reason;
};

/// Asks an idle peer for a sign of life.
struct ping {
  /// Echoed in the pong.
  uint64_t nonce = 0;
};

/// Answers a ping.
struct pong {
  uint64_t nonce = 0;
};

/// How many links a broadcast may cross by default.
constexpr uint8_t default_broadcast_hops = 16;

/// A text for every node of the network, flooded over all links: each node
/// shows it once (by `id`) and passes it on while `hops_left` allows.
struct broadcast {
  message_id id{};
  /// The node that wrote it.
  node_id origin;
  std::string origin_name;
  /// The origin's IP as its first neighbour saw it; empty when the origin
  /// sends it (a node does not know how others reach it).
  std::string origin_host;
  uint16_t origin_port = 0;
  int64_t sent_at_ms = 0;
  /// Links it may still cross, including the one it is sent on: 1-255.
  uint8_t hops_left = default_broadcast_hops;
  std::string text;
};

/// Most entries a `peers` message may carry (and a request may ask for).
constexpr size_t max_peer_entries = 100;

/// Asks the connection's peer for nodes it knows. A node answers at most one
/// request per peer per discovery interval and drops peers that flood.
struct peers_request {
  /// Entries wanted: 1-100.
  uint8_t max_entries = max_peer_entries;
};

/// One node the sender has been connected to itself.
struct peer_entry {
  node_id id;
  std::string name;
  /// An IPv4 or IPv6 literal (never a host name: nobody resolves names a
  /// stranger handed out) and the node's listening port.
  std::string host;
  uint16_t port = 0;
  /// When the sender last had a live link to it (ms since the Unix epoch).
  int64_t last_seen_ms = 0;
};

/// The answer to a `peers_request`: at most 100 entries.
struct peers {
  std::vector<peer_entry> entries;
};

/// Any message this version can decode.
using message =
    std::variant<hello, chat, bye, ping, pong, broadcast, peers_request, peers>;

/// Encodes `msg` as a frame payload (type byte + body), appending to `out`.
/// @pre `msg` passes `validate`.
void encode_payload(const message& msg, std::vector<char>& out);

/// Decodes one frame payload. Fails with `ec::unknown_message_type` for types
/// from newer versions (callers skip those), or with the first validation
/// error; never throws on bad input.
caf::expected<message> decode_payload(const char* data, size_t size);

/// Checks the field bounds of `msg` (the same ones decoding enforces).
caf::error validate(const message& msg);

/// Returns the type byte of `msg`.
message_type type_of(const message& msg);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hello& x) {
  return f(caf::meta::type_name("hello"), x.version, x.id, x.name,
           x.listen_port, x.features);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat& x) {
  return f(caf::meta::type_name("chat"), x.id, x.sent_at_ms, x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping& x) {
  return f(caf::meta::type_name("ping"), x.nonce);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pong& x) {
  return f(caf::meta::type_name("pong"), x.nonce);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, broadcast& x) {
  return f(caf::meta::type_name("broadcast"), x.id, x.origin, x.origin_name,
           x.origin_host, x.origin_port, x.sent_at_ms, x.hops_left, x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peers_request& x) {
  return f(caf::meta::type_name("peers_request"), x.max_entries);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_entry& x) {
  return f(caf::meta::type_name("peer_entry"), x.id, x.name, x.host, x.port,
           x.last_seen_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peers& x) {
  return f(caf::meta::type_name("peers"), x.entries);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bye& x) {
  return f(caf::meta::type_name("bye"), x.code, x.reason);
}

} // namespace p2pchat
