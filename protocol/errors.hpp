#pragma once

#include <string>
#include <string_view>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace p2pchat {

/// Every reason the node rejects input or gives up on a connection. Each value
/// reads as the end of a log line ("closing connection: <reason>").
enum class ec : uint8_t {
  /// Not an error (CAF reserves code 0).
  none = 0,
  /// The frame length prefix exceeds the configured maximum.
  frame_too_large,
  /// The frame length prefix is zero: there is not even a type byte.
  empty_frame,
  /// The message body ends before all of its fields were read.
  truncated_message,
  /// The message body has bytes left after its last field.
  trailing_bytes,
  /// The message type byte is not one this version knows.
  unknown_message_type,
  /// A name or text is not valid UTF-8.
  invalid_utf8,
  /// A name is empty, too long, or contains spaces or control characters.
  invalid_name,
  /// A text is empty, too long, or contains control characters.
  invalid_text,
  /// A port is zero (or, for options, outside 0-65535).
  invalid_port,
  /// The first bytes of a connection are not the p2pchat preamble.
  bad_preamble,
  /// The peer speaks a protocol version we do not.
  unsupported_version,
  /// The peer did not finish the handshake in time.
  handshake_timeout,
  /// A message arrived that is not allowed in the connection's current phase.
  unexpected_message,
  /// The peer is this very node.
  self_connection,
  /// An outgoing connection could not be established.
  connect_failed,
  /// The node's key file cannot be created, read, or is corrupt.
  identity_error,
  /// A HOST:PORT text is malformed (no colon, bad host, bad brackets).
  invalid_address,
  /// A socket could not be bound or put into listening mode.
  listen_failed,
  /// A message was handed to a connection that no longer sends.
  connection_closing,
  /// A peer list (or a request for one) exceeds its bound.
  too_many_entries,
  /// A peer sent requests faster than this node answers them.
  request_flood,
  /// A transport message failed authentication: tampered with, truncated,
  /// replayed or out of order.
  decrypt_failed,
  /// The Noise handshake cannot go on: a message of the wrong size, one that
  /// does not decrypt, an invalid key, or a step out of order.
  handshake_failed,
  /// A cipher used up its message counter; it never wraps, the connection
  /// must close.
  nonce_exhausted,
  /// The static key a peer proved in the handshake is not the one of the node
  /// id it claims.
  key_mismatch,
  /// The file of pinned peer keys (the trust store) cannot be read or
  /// written, or is corrupt.
  trust_store_error,
};

/// Returns the human-readable reason for `x`.
std::string to_string(ec x);

/// The category under which `ec` values travel inside `caf::error`.
constexpr caf::atom_value ec_category = caf::atom("p2pchat");

/// Wraps `x` into a `caf::error`, optionally with a detail text.
caf::error make_error(ec x);

/// Wraps `x` and a detail text (e.g. the offending value) into a `caf::error`.
caf::error make_error(ec x, std::string detail);

/// Extracts our code from `err`, or `ec::none` if it is not one of ours.
ec code_of(const caf::error& err);

/// Quotes untrusted bytes for an error message: printable ASCII as is,
/// everything else as \xNN (so no message can carry terminal escapes), cut
/// after 48 bytes.
std::string quote_untrusted(std::string_view bytes);

/// Renders any error for log lines and the console: ours as "reason" or
/// "reason: detail", others as CAF renders them.
std::string describe(const caf::error& err);

} // namespace p2pchat
