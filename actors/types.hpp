#pragma once

// The message vocabulary of the node: every atom and every typed actor
// interface, in one place, so that the contract between actors reads at a
// glance.

#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/typed_actor.hpp>

#include "protocol/address.hpp"
#include "protocol/legacy.hpp"
#include "protocol/messages.hpp"
#include "protocol/node_id.hpp"

namespace p2pchat {

// -- atoms ------------------------------------------------------------------

using barrier_atom = caf::atom_constant<caf::atom("barrier")>;
using bcast_atom = caf::atom_constant<caf::atom("bcast")>;
using bootstrap_atom = caf::atom_constant<caf::atom("bootstrap")>;
using bye_atom = caf::atom_constant<caf::atom("bye")>;
using chat_atom = caf::atom_constant<caf::atom("chat")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using confirm_atom = caf::atom_constant<caf::atom("confirm")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using dial_atom = caf::atom_constant<caf::atom("dial")>;
using dialfail_atom = caf::atom_constant<caf::atom("dialfail")>;
using discon_atom = caf::atom_constant<caf::atom("discon")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using eof_atom = caf::atom_constant<caf::atom("eof")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using found_atom = caf::atom_constant<caf::atom("found")>;
using getpeers_atom = caf::atom_constant<caf::atom("getpeers")>;
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using input_atom = caf::atom_constant<caf::atom("input")>;
using left_atom = caf::atom_constant<caf::atom("left")>;
using keychg_atom = caf::atom_constant<caf::atom("keychanged")>;
using legacy_atom = caf::atom_constant<caf::atom("legacy")>;
using lsend_atom = caf::atom_constant<caf::atom("lsend")>;
using lsent_atom = caf::atom_constant<caf::atom("lsent")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using notice_atom = caf::atom_constant<caf::atom("notice")>;
using peers_atom = caf::atom_constant<caf::atom("peers")>;
using redial_atom = caf::atom_constant<caf::atom("redial")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using send_atom = caf::atom_constant<caf::atom("send")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using verify_atom = caf::atom_constant<caf::atom("verify")>;

// -- values exchanged between actors -----------------------------------------

/// What trust on first use says about a peer's key (docs/architecture.md,
/// "Identity and trust").
enum class trust_status : uint8_t {
  /// The key its name first came with (or a name met for the first time),
  /// not compared by the user.
  unverified,
  /// The user compared the safety number out of band and confirmed it.
  verified,
  /// The name was first seen with another key: an impostor, or the peer
  /// lost its key. Shown loudly, never merged with the old peer.
  key_changed,
};

/// "verified", "unverified" or "key changed".
std::string to_string(trust_status x);

/// What the console shows of a peer.
struct peer_view {
  node_id id;
  std::string name;
  /// The peer's listening address (socket IP + port from its hello).
  peer_address listen;
  /// Connected: a live p2pchat link, or, for a legacy peer, it said
  /// "connect" (the original app's notion).
  bool connected = false;
  /// Speaks only the original app's plain-text format; `id` is all zeros.
  bool legacy = false;
  /// Whether its key is the one pinned to its name (ignored for legacy
  /// peers, which have no key).
  trust_status trust = trust_status::unverified;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_view& x) {
  return f(caf::meta::type_name("peer_view"), x.id, x.name, x.listen,
           x.connected, x.legacy, x.trust);
}

/// Renders "NAME [IP:PORT]", the way every console line names a peer.
std::string display_name(const peer_view& x);

/// What a line about a message from `x` adds after its name: " (key
/// changed)", " (legacy, unencrypted)", or nothing.
std::string trust_mark(const peer_view& x);

// -- typed interfaces ---------------------------------------------------------

/// The peer table's owner. Connections (untyped brokers) report what their
/// peer does; the console asks and commands; the dialer reports failures.
/// A `dialed` address with an empty host means an inbound connection.
using registry_actor = caf::typed_actor<
    // A connection completed the hello exchange. Arguments: the connection,
    // the socket's remote address, the address we dialed, the peer's hello.
    caf::reacts_to<hello_atom, caf::actor, peer_address, peer_address, hello>,
    // A connection received chats from its peer: every complete one of a
    // read, in order (one message per read keeps a fast peer cheap).
    caf::reacts_to<chat_atom, caf::actor, std::vector<chat>>,
    // A connection received a broadcast (to show once and pass on).
    caf::reacts_to<bcast_atom, caf::actor, broadcast>,
    // The user broadcasts a text to the whole network.
    caf::reacts_to<bcast_atom, std::string>,
    // A connection's peer said goodbye.
    caf::reacts_to<bye_atom, caf::actor, bye>,
    // A connection's peer asks for the peers we know.
    caf::reacts_to<getpeers_atom, caf::actor, peers_request>,
    // A connection's peer sent the peers it knows.
    caf::reacts_to<peers_atom, caf::actor, peers>,
    // Timer: time to ask for peers and dial toward the target.
    caf::reacts_to<tick_atom>,
    // A connection is gone: the address it dialed, whether the peer stayed
    // silent (never sent a byte: an original app, when we dialed), and why.
    caf::reacts_to<closed_atom, caf::actor, peer_address, bool, std::string>,
    // A connection received a message in the original app's format.
    caf::reacts_to<legacy_atom, legacy_message>,
    // The dialer sent a text in the original format (error: why it failed).
    caf::reacts_to<lsent_atom, peer_address, std::string, caf::error>,
    // The dialer could not connect to an address.
    caf::reacts_to<dialfail_atom, peer_address, std::string>,
    // The user sends texts to a listening address, in order (the texts typed
    // one after another to the same address travel together).
    caf::reacts_to<send_atom, peer_address, std::vector<std::string>>,
    // The user says "exit" to a peer: close the connection, it forgets us.
    caf::reacts_to<discon_atom, peer_address>,
    // The user asks to connect to a known peer.
    caf::reacts_to<connect_atom, peer_address>,
    // A --peer at start: dial it, and greet it with "Hello!" if it turns out
    // to speak the original format.
    caf::reacts_to<bootstrap_atom, peer_address>,
    // A --legacy-peer at start: known to speak the original format.
    caf::reacts_to<legacy_atom, peer_address>,
    // Timer: time to dial a lost peer (or bootstrap address) again.
    caf::reacts_to<redial_atom, peer_address>,
    // The user compared the safety number with the peer's owner: pin this
    // key to this name as verified.
    caf::reacts_to<verify_atom, std::string, node_id>,
    // The user answered whether to send plain text to the legacy peer at
    // this address (the first time only, unless --allow-legacy).
    caf::reacts_to<confirm_atom, peer_address, bool>,
    // The console lists the peer table.
    caf::replies_to<list_atom>::with<std::vector<peer_view>>,
    // Quit: say bye to every peer; answers once all connections closed.
    caf::replies_to<shutdown_atom>::with<done_atom>,
    // Flow control: answers once everything sent to it before (and what
    // that made it send the console) was handled.
    caf::replies_to<barrier_atom>::with<done_atom>>;

/// The only writer to stdout: renders the menu and every event line.
using console_actor = caf::typed_actor<
    // Wiring: the registry to ask, after both exist.
    caf::reacts_to<start_atom, registry_actor>,
    // Lines the user typed (or a script piped), in order.
    caf::reacts_to<input_atom, std::vector<std::string>>,
    // End of input or a termination signal: quit like menu item 0.
    caf::reacts_to<eof_atom>,
    // A peer's chat messages, in order.
    caf::reacts_to<chat_atom, peer_view, std::vector<std::string>>,
    // A broadcast: its origin (name, address) and text.
    caf::reacts_to<bcast_atom, peer_view, std::string>,
    // A peer we did not know before completed its hello.
    caf::reacts_to<found_atom, peer_view>,
    // A peer disconnected or left.
    caf::reacts_to<left_atom, peer_view>,
    // A known name arrived with another key than before.
    caf::reacts_to<keychg_atom, peer_view>,
    // Ask the user before the first plain-text message to a legacy peer.
    caf::reacts_to<confirm_atom, peer_view>,
    // Any other line for the user (errors, status).
    caf::reacts_to<notice_atom, std::string>,
    // To itself: writes out buffered machine-readable output.
    caf::reacts_to<flush_atom>,
    // Flow control: answers once everything sent before it was printed.
    caf::replies_to<barrier_atom>::with<done_atom>>;

/// Opens outgoing connections without blocking the multiplexer, and sends
/// texts in the original format (one connection per text).
using dialer_actor =
    caf::typed_actor<caf::reacts_to<dial_atom, peer_address>,
                     caf::reacts_to<lsend_atom, peer_address, std::string>>;

} // namespace p2pchat
