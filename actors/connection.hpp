#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <caf/io/broker.hpp>
#include <caf/io/connection_handle.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/types.hpp"
#include "protocol/frame.hpp"
#include "protocol/session.hpp"

namespace p2pchat {

/// What every connection needs to know, whichever side opened it.
struct connection_config {
  registry_actor registry;
  /// Our hello: the payload of our handshake message (protocol version 2),
  /// or, in plaintext mode, the first frame we send.
  hello local_hello;
  /// The node's Noise static key pair (from its Ed25519 identity), shared by
  /// all connections; read-only.
  std::shared_ptr<const noise::keypair> static_key;
  /// Speak protocol version 1, frames in clear, with peers that do so too
  /// (`--insecure-plaintext`, for benchmarks). Off: every connection is a
  /// Noise session and a version-1 peer is refused.
  bool insecure_plaintext = false;
  /// Rekey interval and message limit of each session.
  session_limits limits;
  uint32_t max_frame_size = default_max_frame_size;
  /// Time allowed for an accepted connection's preamble and hello.
  std::chrono::milliseconds handshake_timeout{10000};
  /// Time a dialed peer has to answer with its hello; one that stays silent
  /// (or closes without a byte) is taken for the original app.
  std::chrono::milliseconds legacy_detect_timeout{2000};
  /// Time an accepted connection in the original format has to deliver its
  /// text and close.
  std::chrono::milliseconds legacy_read_timeout{3000};
  /// An established link that received nothing for this long is pinged; one
  /// silent for `silent_intervals_limit` intervals is closed.
  std::chrono::milliseconds ping_interval{30000};
  /// Messages from the peer that may wait in the registry's and console's
  /// mailboxes; at this many the connection stops reading (TCP pushes back
  /// on the peer) until they were handled.
  size_t max_pending_messages = 1024;
  /// Bytes that may wait to be written to the peer; a peer that lets more
  /// pile up (it does not read) is disconnected.
  size_t max_send_buffer = 4 * 1024 * 1024;
  /// The address we dialed; an empty host for accepted connections.
  peer_address dialed;
};

/// Where a connection is in its life.
enum class connection_phase {
  /// Inbound: waiting for the 4-byte preamble.
  awaiting_preamble,
  /// The handshake runs: Noise messages carrying the hellos (or, in
  /// plaintext mode, waiting for the peer's hello).
  awaiting_hello,
  /// Inbound in the original app's format: collecting its one text until
  /// the sender closes.
  legacy_reading,
  /// Hellos exchanged: chats flow.
  established,
  /// We dropped this link as a duplicate: nothing more is sent, but chats
  /// the peer wrote before it saw our bye are still read and delivered until
  /// it closes (or the handshake timeout passes).
  draining,
  /// We said bye or gave up; nothing more is read or sent.
  closing,
};

struct connection_state {
  connection_config cfg;
  caf::io::connection_handle hdl;
  connection_phase phase = connection_phase::awaiting_hello;
  frame_reader reader;
  /// The Noise session; empty in plaintext mode (and before an inbound
  /// connection's preamble arrived).
  std::optional<secure_session> session;
  /// Bytes of the preamble received so far (inbound only).
  std::string preamble;
  /// The socket's remote address (normalized IP, source port).
  peer_address remote;
  /// The peer's name once its hello arrived, for log lines.
  std::string peer_name;
  /// The text of an inbound connection in the original format.
  std::string legacy_text;
  /// False until the peer sent its first byte.
  bool peer_spoke = false;
  /// Ping intervals in a row in which the peer sent nothing.
  uint32_t silent_intervals = 0;
  /// Nonce of the next ping.
  uint64_t next_ping = 0;
  /// Current read size: grows while reads fill it, shrinks when idle.
  size_t read_size = 0;
  /// True once the registry was told that this connection is gone.
  bool reported_closed = false;
  /// Messages handed to the registry, and how many of them it confirmed
  /// handled (see `max_pending_messages`).
  uint64_t forwarded = 0;
  uint64_t confirmed = 0;
  /// Chats of the current read, not handed to the registry yet.
  std::vector<chat> inbound_chats;
  /// Batches of chats from the registry not confirmed yet, oldest first,
  /// each with how many of its chats wait in `unwritten` (see
  /// write_waiting_chats).
  struct held_batch {
    caf::response_promise promise;
    size_t chats_unwritten = 0;
  };
  std::deque<held_batch> held_batches;
  std::deque<chat> unwritten;
  /// CAF reports writes (while chats wait).
  bool acking_writes = false;
  /// CAF reported a write since the last tick, and ticks in a row without
  /// one while chats waited.
  bool wrote_since_tick = false;
  uint32_t stalled_intervals = 0;
  /// A barrier request is on its way through registry and console.
  bool barrier_pending = false;
  /// Reading is paused until the registry catches up.
  bool paused = false;
  static inline const char* name = "connection";
};

using connection_broker =
    caf::stateful_actor<connection_state, caf::io::broker>;

/// A link whose peer sent nothing for this many ping intervals is dead.
constexpr uint32_t silent_intervals_limit = 3;

/// A peer that takes none of our bytes while chats wait for it, for this
/// many ping intervals in a row (the first may be partial), does not read
/// and is closed.
constexpr uint32_t stalled_intervals_limit = 2;

/// Read sizes: small while idle (memory per held connection), large while a
/// busy peer keeps filling reads (throughput).
constexpr size_t min_read_size = 4096;
constexpr size_t max_read_size = 65536;

/// The broker that owns one TCP connection (either direction): checks the
/// preamble, runs the Noise handshake that carries both hellos, cuts frames,
/// decrypts, decodes and validates messages, reports them to the registry,
/// and seals and writes what the registry sends.
/// Understands: (send_atom, chat), answered with an error once the link no
/// longer sends, so the registry can send the chat elsewhere;
/// (send_atom, broadcast); and (close_atom, bye).
caf::behavior connection(connection_broker* self,
                         caf::io::connection_handle hdl, connection_config cfg);

/// Adopts an already connected socket (from the dialer) and runs
/// `connection` on it.
caf::behavior outbound_connection(connection_broker* self,
                                  caf::io::network::native_socket fd,
                                  connection_config cfg);

} // namespace p2pchat
