#pragma once

// An in-process network for deterministic simulations of whole nodes.
//
// Every simulated TCP connection is a pair of `sim_scribe`s, one per end,
// each owned by a production `connection` broker. Bytes a broker flushes go
// into one FIFO queue owned by the `sim_network`; the simulation driver
// delivers them one chunk at a time, between the runs of CAF's test
// coordinator and test multiplexer, so that time moves only when a test says
// so and every run of a test sees the same interleaving.
//
// A closed end tells the other end after the bytes it flushed before: the
// other broker receives `connection_closed_msg` exactly as from a socket
// that read end of file. `crash(host)` closes every connection of a host at
// once (its peers see a close); `silence(host)` holds every byte to and from
// a host without closing anything (its peers notice only by the missing
// pings), until `restore(host)`.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/execution_unit.hpp>
#include <caf/intrusive_ptr.hpp>
#include <caf/io/network/test_multiplexer.hpp>
#include <caf/io/receive_policy.hpp>
#include <caf/io/scribe.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/connection.hpp"
#include "actors/registry.hpp"
#include "actors/types.hpp"
#include "fixture.hpp"
#include "protocol/signing.hpp"

namespace p2pchat::test {

class sim_network;

// -- one end of a simulated connection ----------------------------------------

/// One end of a simulated TCP connection, owned by the broker of that end
/// (and by the `sim_network`, until both ends are closed).
class sim_scribe final : public caf::io::scribe {
public:
  /// `local_host` is the host this end lives on; `remote_host` and
  /// `remote_port` are what the broker's `remote_addr`/`remote_port` report.
  sim_scribe(sim_network& net, caf::io::connection_handle hdl, uint64_t link,
             size_t side, std::string local_host, std::string remote_host,
             uint16_t remote_port);

  ~sim_scribe() override;

  // -- caf::io::scribe --------------------------------------------------------

  /// Records the receive policy; the first call starts reading. Only
  /// `receive_policy::at_most` is simulated (the production code uses
  /// nothing else); the other policies abort.
  void configure_read(caf::io::receive_policy::config config) override;

  /// Recorded only: the simulation sends no `data_transferred_msg`.
  void ack_writes(bool enable) override;

  std::vector<char>& wr_buf() override;

  std::vector<char>& rd_buf() override;

  /// Moves the bytes in `wr_buf()` into the network's delivery queue.
  void flush() override;

  // -- caf::io::network::manager ----------------------------------------------

  /// Closing by our broker (`close(hdl)`, or quitting): flushes what is
  /// buffered, queues a close for the other end (after those bytes) and
  /// detaches from the broker, like `scribe_impl` does.
  void graceful_shutdown() override;

  void add_to_loop() override;

  void remove_from_loop() override;

  /// The other end's host (an IPv4 literal).
  std::string addr() const override;

  /// The other end's port: its listening port for the end that dialed, the
  /// dialer's source port for the accepted end.
  uint16_t port() const override;

  // -- inspection -------------------------------------------------------------

  const std::string& local_host() const { return local_host_; }

  /// True once this end is closed: by its broker, by the other end's close
  /// arriving, or by a crash of its host. Nothing is read or sent anymore.
  bool closed() const { return closed_; }

  /// True if the broker can read now: attached, initialized, reading
  /// configured, not passive, not closed.
  bool ready();

  /// The receive policy the broker configured last.
  caf::io::receive_policy::config read_config() const { return read_config_; }

  /// Live `sim_scribe` objects in this process (for leak checks).
  static size_t instances();

private:
  friend class sim_network;

  /// Marks this end closed and tells the network.
  void mark_closed();

  sim_network* net_;
  uint64_t link_;
  size_t side_;
  std::string local_host_;
  std::string remote_host_;
  uint16_t remote_port_;
  caf::io::receive_policy::config read_config_;
  bool configured_ = false;
  bool passive_ = false;
  bool ack_writes_ = false;
  bool closed_ = false;
  std::vector<char> wr_buf_;
  std::vector<char> rd_buf_;
};

using sim_scribe_ptr = caf::intrusive_ptr<sim_scribe>;

/// Broker body for one end of a simulated connection: adopts `ptr` and runs
/// the production `connection` on it.
caf::behavior sim_connection(connection_broker* self, caf::io::scribe_ptr ptr,
                             connection_config cfg);

// -- the network --------------------------------------------------------------

/// Owns the delivery queue, the listening addresses and every connection.
/// Single-threaded, like the test coordinator: call it from the test's
/// thread (or from actors the test coordinator runs).
class sim_network {
public:
  /// How a dial ended.
  enum class dial_result {
    /// Both brokers are spawned; the handshake runs as bytes are delivered.
    connected,
    /// Nothing listens at the address: the node is down.
    refused,
    /// One of the two hosts is silenced: a real dial would time out.
    unreachable,
  };

  explicit sim_network(caf::actor_system& sys);

  ~sim_network();

  sim_network(const sim_network&) = delete;
  sim_network& operator=(const sim_network&) = delete;

  // -- listening addresses ----------------------------------------------------

  /// Accepts connections at `addr`: each one runs a `connection` broker with
  /// `cfg` (whose `dialed` is cleared: an accepted connection).
  void listen(const peer_address& addr, connection_config cfg);

  /// Stops accepting at `addr`; live connections stay.
  void unlisten(const peer_address& addr);

  bool listening(const peer_address& addr) const;

  // -- connecting -------------------------------------------------------------

  /// Connects `from_host` to `to`: creates a scribe pair and spawns two
  /// production `connection` brokers, the dialing one with `cfg` (set its
  /// `dialed` to `to`), the accepting one with the listener's config.
  dial_result dial(const std::string& from_host, connection_config cfg,
                   const peer_address& to);

  /// `dial(...) == dial_result::connected`.
  bool connect(const std::string& from_host, connection_config cfg,
               const peer_address& to);

  // -- delivery ---------------------------------------------------------------

  /// Delivers (or drops, if its receiving end is gone) the oldest queued
  /// chunk or close whose receiving end can read and whose hosts are not
  /// silenced: at most as many bytes as the receiver's read size, the rest
  /// stays first in line. Returns false if nothing could be delivered.
  bool deliver_one();

  /// Chunks and closes queued, deliverable or held.
  size_t queued() const { return queue_.size() + held_.size(); }

  /// Payload bytes handed to brokers so far.
  uint64_t bytes_delivered() const { return bytes_delivered_; }

  /// How often a broker on `host` stopped reading one of its connections
  /// (flow control: `halt`, which removes the end from the loop).
  uint64_t read_pauses(const std::string& host) const;

  /// Frames of type `type` handed to brokers so far, on any host or on
  /// `host` (the network cuts the delivered streams into frames with the
  /// production frame reader, to count what crossed the wire).
  uint64_t frames_received(message_type type) const;
  uint64_t frames_received(message_type type, const std::string& host) const;

  // -- failures ---------------------------------------------------------------

  /// The host's process dies: it stops listening, bytes to it are dropped,
  /// every end on it is closed at once (nothing more leaves it; what it
  /// flushed before still arrives, then the other end sees a close). Its
  /// actors must be killed by the caller (see `simulation::crash`).
  void crash(const std::string& host);

  /// Holds every byte and close to or from `host`, and makes dials to or
  /// from it time out, without closing anything.
  void silence(const std::string& host);

  /// Ends `silence(host)`: what was held is delivered in order.
  void restore(const std::string& host);

  bool silenced(const std::string& host) const;

  // -- inspection -------------------------------------------------------------

  /// Connections with at least one end not closed.
  size_t open_links() const;

  /// Open ends on `host`.
  size_t open_ends(const std::string& host) const;

  /// Hosts that `host` has a connection with whose ends are both open.
  std::set<std::string> linked_hosts(const std::string& host) const;

  /// Ends still attached to a broker (0 once every broker is gone).
  size_t attached_ends() const;

  /// Connections created so far.
  uint64_t links_created() const { return next_link_; }

private:
  friend class sim_scribe;

  struct event {
    uint64_t link;
    /// The receiving end: 0 (dialer) or 1 (acceptor).
    size_t to;
    bool close;
    std::vector<char> bytes;
    size_t offset = 0;
  };

  using link_ends = std::array<sim_scribe_ptr, 2>;

  /// Cuts the stream of one direction of a link into frames, to count them.
  struct stream_meter {
    /// Preamble bytes still to skip (the dialing end sends one first).
    size_t skip = 0;
    frame_reader reader;
  };

  /// True if a silenced host holds `x` back (its end is still open).
  bool held_by_silence(const event& x) const;

  /// Counts the frames in `n` bytes delivered to end `to` of `link`.
  void meter(uint64_t link, size_t to, const char* data, size_t n);

  void enqueue_data(uint64_t link, size_t to, std::vector<char> bytes);

  void enqueue_close(uint64_t link, size_t to);

  /// Called when an end becomes closed.
  void end_closed(uint64_t link);

  /// Drops links whose ends are both closed.
  void collect();

  uint16_t next_source_port(const std::string& host);

  caf::actor_system& sys_;
  caf::execution_unit* ctx_;
  std::map<peer_address, connection_config> listeners_;
  std::map<uint64_t, link_ends> links_;
  std::deque<event> queue_;
  /// Events a silence holds, in order.
  std::deque<event> held_;
  std::set<std::string> silenced_;
  std::map<std::string, uint16_t> source_ports_;
  std::vector<uint64_t> finished_links_;
  uint64_t next_link_ = 0;
  int64_t next_hdl_ = 0;
  uint64_t bytes_delivered_ = 0;
  std::map<std::pair<uint64_t, size_t>, stream_meter> meters_;
  std::map<std::string, uint64_t> read_pauses_;
  std::map<std::pair<std::string, uint8_t>, uint64_t> frames_by_host_;
};

/// The dialer stand-in: `(dial_atom, addr)` connects through `net` from
/// `host` with `cfg` (its `dialed` set to `addr`); a refused dial is
/// reported at once as `(dialfail_atom, addr, "connection refused")`, an
/// unreachable one after `connect_timeout` as "connection timed out".
/// `(lsend_atom, addr, text)` fails: the simulation has no legacy peers.
dialer_actor::behavior_type sim_dialer(dialer_actor::pointer self,
                                       sim_network* net, std::string host,
                                       connection_config cfg,
                                       std::chrono::milliseconds timeout);

/// A `registry_config::make_dialer` that spawns `sim_dialer` for the
/// registry it is given (`cfg.registry` is set to it).
std::function<dialer_actor(registry_actor)>
make_sim_dialer(caf::actor_system& sys, sim_network& net, std::string host,
                connection_config cfg,
                std::chrono::milliseconds connect_timeout);

// -- whole nodes and the driver -----------------------------------------------

/// Settings shared by every node of a simulation.
struct sim_options {
  /// Every node listens on this port of its own host.
  uint16_t port = 6555;
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds legacy_detect_timeout{2000};
  std::chrono::milliseconds legacy_read_timeout{3000};
  std::chrono::milliseconds ping_interval{30000};
  std::chrono::milliseconds connect_timeout{5000};
  size_t max_connections = 125;
  /// `advance` moves time in steps of this size, running until idle after
  /// each.
  std::chrono::milliseconds step{100};
  /// Raises spdlog's level to `err` while the simulation lives (hundreds of
  /// nodes log a lot of routine warnings).
  bool quiet_logs = true;
  /// Last word on every node's registry settings, called with the node's
  /// index right before its registry is spawned (e.g. for settings the
  /// registry gains later, which this file does not know).
  std::function<void(size_t, registry_config&)> configure_registry;
};

/// One complete node: a production registry, its dialer stand-in, a
/// recording console, and a listening address on its own host.
struct sim_node {
  size_t index = 0;
  node_id id;
  std::string name;
  peer_address listen;
  registry_actor registry;
  /// Records everything the console would print.
  stand_in console;
  /// What this node's connections are configured with (`dialed` empty).
  connection_config connection;
  bool crashed = false;
  /// Restarts so far.
  uint32_t generation = 0;

  // -- what the console received ----------------------------------------------

  /// `found_atom` events: peers that completed their first hello.
  std::vector<peer_view> found() const;

  /// `left_atom` events: peers that disconnected or left.
  std::vector<peer_view> left() const;

  /// `chat_atom` events: sender and text.
  std::vector<std::pair<peer_view, std::string>> chats() const;

  /// `bcast_atom` events: origin and text.
  std::vector<std::pair<peer_view, std::string>> broadcasts() const;

  /// `notice_atom` lines.
  std::vector<std::string> notices() const;
};

/// An actor system on CAF's test coordinator and test multiplexer, a
/// `sim_network`, and the nodes on it. Time moves only in `advance`.
class simulation {
public:
  explicit simulation(sim_options opts = {});

  /// Stops every node and actor, runs until idle, releases the network.
  ~simulation();

  simulation(const simulation&) = delete;
  simulation& operator=(const simulation&) = delete;

  // -- nodes ------------------------------------------------------------------

  /// Adds node number `size()`: name "nodeI", host `host_of(I)`, listening
  /// on `opts.port`, node id ordered like I.
  sim_node& add_node();

  /// Adds `n` nodes.
  void add_nodes(size_t n);

  sim_node& node(size_t i) { return *nodes_.at(i); }

  size_t size() const { return nodes_.size(); }

  /// Nodes that node i has a connection with (both ends open), ascending.
  std::vector<size_t> linked(size_t i);

  /// "10.0.X.Y" for node i: X = i / 254, Y = i % 254 + 1.
  static std::string host_of(size_t i);

  /// The node id of node i: the public half of `secret_key_of(i)`.
  static node_id id_of(size_t i);

  /// Node `i`'s key pair (derived from `i`: the same in every run).
  static ed25519_secret_key secret_key_of(size_t i);

  // -- what a user would type -------------------------------------------------

  /// Menu 3: node `from` connects to node `to`'s listening address.
  void connect(size_t from, size_t to);

  /// `--peer`: node `from` bootstraps from node `to`.
  void bootstrap(size_t from, size_t to);

  /// Menu 1: node `from` sends `text` to node `to`'s listening address.
  void send_chat(size_t from, size_t to, std::string text);

  /// Menu 4: node `from` broadcasts `text`.
  void broadcast(size_t from, std::string text);

  // -- failures ---------------------------------------------------------------

  /// Kills node i's actors and closes every connection of its host: its
  /// peers see the close at once.
  void crash(size_t i);

  /// Starts a crashed node i again: same id, name and address, a fresh
  /// registry (it knows no peers), the same console recorder.
  void restart(size_t i);

  /// Node i keeps running but nothing reaches it or leaves it.
  void silence(size_t i);

  /// Ends `silence(i)`.
  void restore(size_t i);

  // -- driving ----------------------------------------------------------------

  /// Runs actors, delivers bytes and runs brokers until nothing is left;
  /// returns the number of steps taken. Throws if it does not become idle.
  size_t run_until_idle();

  /// Moves virtual time forward by `d` in steps of `opts.step`, running
  /// until idle after each.
  void advance(std::chrono::milliseconds d);

  /// Virtual time since the simulation started.
  std::chrono::milliseconds elapsed();

  /// What `now_ms` reports to the registries: a fixed epoch plus `elapsed()`.
  int64_t now_ms();

  /// Stops every node (as in `~simulation`): afterwards nothing runs
  /// anymore, and `net.attached_ends()` is 0 if every broker is gone.
  void shutdown();

  /// Actors running (registered at the actor system) beyond those the
  /// system itself started.
  size_t running_actors();

  /// Remembers an actor the test spawned itself, so that `shutdown` stops
  /// it too (an actor left running would make `~actor_system` wait forever).
  template <class Handle>
  Handle keep(Handle x) {
    kept_.push_back(caf::actor_cast<caf::actor>(x));
    return x;
  }

  /// Spawns a stand-in actor that records what it receives (kept).
  stand_in make_stand_in();

  sim_options opts;
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::io::network::test_multiplexer& mpx;
  sim_network net;

private:
  /// Spawns node's registry (with its dialer) and starts listening.
  void start(sim_node& node);

  std::vector<std::unique_ptr<sim_node>> nodes_;
  std::map<std::string, size_t> node_of_host_;
  std::vector<caf::actor> kept_;
  caf::actor_clock::time_point start_;
  size_t baseline_running_ = 0;
  int previous_log_level_ = 0;
  bool shut_down_ = false;
};

} // namespace p2pchat::test
