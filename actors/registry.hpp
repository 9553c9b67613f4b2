#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/backoff.hpp"
#include "actors/peer_exchange.hpp"
#include "actors/peer_table.hpp"
#include "actors/seen_cache.hpp"
#include "actors/trust_store.hpp"
#include "actors/types.hpp"

namespace p2pchat {

struct registry_config {
  node_id self_id;
  /// Our name and listening port, as broadcasts name their origin.
  std::string self_name;
  uint16_t self_port = 0;
  console_actor console;
  /// Spawns the dialer that reports to the given registry (a fake in tests).
  std::function<dialer_actor(registry_actor)> make_dialer;
  /// Fresh random message ids; injected so tests are deterministic.
  std::function<message_id()> make_message_id;
  /// Wall-clock milliseconds since the epoch; injected for tests.
  std::function<int64_t()> now_ms;
  /// Signs with our node key (the bytes of `broadcast_signed_bytes`): our
  /// broadcasts carry it. Injected so that the key stays in `main`.
  std::function<ed25519_signature(const std::vector<uint8_t>&)> sign;
  /// Where the pinned peer keys live (`DATA_DIR/trust.txt`); empty keeps
  /// them in memory only.
  std::string trust_path;
  /// Sends to peers running the original app without asking first
  /// (`--allow-legacy`).
  bool allow_legacy = false;
  /// Seeds the jitter of reconnection delays; 0 picks a random seed.
  uint64_t seed = 0;
  /// Most links held at once, both directions; more inbound ones are
  /// refused with a bye.
  size_t max_connections = 125;
  /// Peers to stay connected to: below this, known addresses are dialed.
  size_t target_peers = 8;
  /// How often to ask peers for more peers (and the most often a peer's own
  /// requests are answered); zero turns discovery off.
  std::chrono::milliseconds discovery_interval{60000};
};

struct registry_state {
  registry_config cfg;
  peer_table table{node_id{}};
  dialer_actor dialer;
  /// Connections that completed their hello, by actor id.
  std::unordered_map<connection_id, caf::actor> connections;
  /// Chats waiting for a connection to the address they were sent to.
  std::map<peer_address, std::vector<chat>> outbox;
  /// Chats handed to one connection and not confirmed yet, and those
  /// waiting for their turn (see `max_batches_in_flight`).
  struct chat_queue {
    /// The peer the connection belongs to, when the queue was made.
    std::optional<peer_view> peer;
    /// Chats in the batches in flight, oldest first, and each batch's size:
    /// the connection answers batches in the order it got them.
    std::deque<chat> unconfirmed;
    std::deque<size_t> batches;
    /// The connection refused a batch: it is closing, so what it refused
    /// and everything still waiting goes elsewhere once every batch in
    /// flight came back.
    bool failed = false;
    std::deque<chat> refused;
    std::deque<chat> waiting;
  };
  std::unordered_map<connection_id, chat_queue> chat_queues;
  /// Bootstrap peers: greeted with "Hello!" if they speak the original
  /// format, as the original app greeted its mandatory peer.
  std::set<peer_address> bootstrap;
  /// Texts handed to the dialer in the original format, not yet reported.
  size_t legacy_in_flight = 0;
  /// Addresses we keep dialing when they are lost: bootstrap peers and
  /// peers we were connected to, each with its delays.
  struct redial_state {
    backoff delays;
    /// A failure was shown on the console; later ones are not.
    bool failure_shown = false;
  };
  std::map<peer_address, redial_state> redial;
  std::mt19937_64 rng;
  /// Ids of the broadcasts shown already.
  seen_cache seen;
  /// Broadcast copies dropped as already seen (for logs and tests).
  uint64_t broadcast_duplicates = 0;
  /// Addresses with a dial in progress.
  std::set<peer_address> dialing;
  /// Dials started to reach the target of peers: their failures are only
  /// logged, the user did not ask for them.
  std::set<peer_address> background_dials;
  /// Peer-list requests both ways.
  peer_exchange exchange{0};
  /// Trust on first use: the key each name first came with.
  trust_store trust;
  /// Node ids whose key change was announced already (once per run).
  std::set<node_id> key_change_warned;
  /// Legacy addresses the user agreed to send plain text to.
  std::set<peer_address> legacy_confirmed;
  /// Texts for legacy addresses, held until the user answers.
  std::map<peer_address, std::vector<std::string>> legacy_held;
  /// Broadcasts dropped for a bad signature (for logs and tests).
  uint64_t broadcast_forgeries = 0;
  /// Set once quitting: answered when every connection and dial is done.
  bool shutting_down = false;
  caf::typed_response_promise<done_atom> shutdown_done;
  static inline const char* name = "registry";
};

/// Owns the peer table: registers hellos, routes chats both ways, dials
/// addresses it has no connection to, and says bye to everyone on quit.
registry_actor::behavior_type
registry(registry_actor::stateful_pointer<registry_state> self,
         registry_config cfg);

} // namespace p2pchat
