#include "sim_network.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <caf/io/middleman.hpp>
#include <caf/io/network/operation.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "protocol/errors.hpp"

namespace p2pchat::test {

namespace {

/// Live sim_scribe objects (single-threaded, like the test coordinator).
size_t live_scribes = 0;

/// The first source port of every host's outgoing connections.
constexpr uint16_t first_source_port = 40000;

/// What `now_ms` reports at the start of every simulation.
constexpr int64_t epoch_ms = 1700000000000;

/// Upper bound for `run_until_idle`: far beyond any sane test, low enough
/// that a livelock fails in seconds instead of hitting ctest's timeout.
constexpr size_t max_idle_steps = 20'000'000;

} // namespace

// -- sim_scribe ---------------------------------------------------------------

sim_scribe::sim_scribe(sim_network& net, caf::io::connection_handle hdl,
                       uint64_t link, size_t side, std::string local_host,
                       std::string remote_host, uint16_t remote_port)
    : caf::io::scribe(hdl), net_(&net), link_(link), side_(side),
      local_host_(std::move(local_host)), remote_host_(std::move(remote_host)),
      remote_port_(remote_port),
      read_config_(caf::io::receive_policy::at_most(1)) {
  ++live_scribes;
}

sim_scribe::~sim_scribe() {
  --live_scribes;
}

size_t sim_scribe::instances() {
  return live_scribes;
}

void sim_scribe::configure_read(caf::io::receive_policy::config config) {
  if (config.first != caf::io::receive_policy_flag::at_most) {
    // Exactly/at-least reads would need bytes of several chunks joined; no
    // code under test uses them, so fail loudly rather than deliver wrongly.
    std::fprintf(stderr, "sim_scribe: only receive_policy::at_most is "
                         "simulated\n");
    std::abort();
  }
  read_config_ = config;
  configured_ = true;
}

void sim_scribe::ack_writes(bool enable) {
  ack_writes_ = enable;
}

std::vector<char>& sim_scribe::wr_buf() {
  return wr_buf_;
}

std::vector<char>& sim_scribe::rd_buf() {
  return rd_buf_;
}

void sim_scribe::flush() {
  if (wr_buf_.empty())
    return;
  if (closed_ || net_ == nullptr) {
    // Closed or crashed: nothing leaves anymore.
    wr_buf_.clear();
    return;
  }
  std::vector<char> bytes;
  bytes.swap(wr_buf_);
  net_->enqueue_data(link_, 1 - side_, std::move(bytes));
}

void sim_scribe::graceful_shutdown() {
  // Detaching may drop the broker's reference, the last one if the network
  // is gone already: stay alive until we return.
  sim_scribe_ptr guard{this};
  if (!closed_ && net_ != nullptr) {
    // Like a socket: what was written still goes out, then the FIN.
    flush();
    net_->enqueue_close(link_, 1 - side_);
  }
  mark_closed();
  // The broker's close_all() loops until its map is empty: always detach.
  detach(net_ != nullptr ? net_->ctx_ : nullptr, false);
}

void sim_scribe::add_to_loop() {
  passive_ = false;
}

void sim_scribe::remove_from_loop() {
  if (!passive_ && net_ != nullptr)
    ++net_->read_pauses_[local_host_];
  passive_ = true;
}

std::string sim_scribe::addr() const {
  return remote_host_;
}

uint16_t sim_scribe::port() const {
  return remote_port_;
}

bool sim_scribe::ready() {
  if (net_ == nullptr || closed_ || !configured_ || passive_)
    return false;
  auto broker = parent();
  return broker != nullptr &&
         broker->getf(caf::abstract_actor::is_initialized_flag);
}

void sim_scribe::mark_closed() {
  if (closed_)
    return;
  closed_ = true;
  wr_buf_.clear();
  if (net_ != nullptr)
    net_->end_closed(link_);
}

caf::behavior sim_connection(connection_broker* self, caf::io::scribe_ptr ptr,
                             connection_config cfg) {
  auto hdl = ptr->hdl();
  self->add_scribe(std::move(ptr));
  return connection(self, hdl, std::move(cfg));
}

// -- sim_network --------------------------------------------------------------

sim_network::sim_network(caf::actor_system& sys)
    : sys_(sys), ctx_(&sys.middleman().backend()) {
  // nop
}

sim_network::~sim_network() {
  // Ends still held by a broker (only if a test did not shut down) must not
  // call into a dead network.
  for (auto& kvp : links_)
    for (auto& end : kvp.second)
      end->net_ = nullptr;
}

void sim_network::listen(const peer_address& addr, connection_config cfg) {
  cfg.dialed = peer_address{};
  listeners_[addr] = std::move(cfg);
}

void sim_network::unlisten(const peer_address& addr) {
  listeners_.erase(addr);
}

bool sim_network::listening(const peer_address& addr) const {
  return listeners_.count(addr) > 0;
}

sim_network::dial_result sim_network::dial(const std::string& from_host,
                                           connection_config cfg,
                                           const peer_address& to) {
  if (silenced(from_host) || silenced(to.host))
    return dial_result::unreachable;
  auto listener = listeners_.find(to);
  if (listener == listeners_.end())
    return dial_result::refused;
  auto link = ++next_link_;
  auto source_port = next_source_port(from_host);
  auto dialer_end = caf::make_counted<sim_scribe>(
      *this, caf::io::connection_handle::from_int(++next_hdl_), link, 0,
      from_host, to.host, to.port);
  auto acceptor_end = caf::make_counted<sim_scribe>(
      *this, caf::io::connection_handle::from_int(++next_hdl_), link, 1,
      to.host, from_host, source_port);
  links_.emplace(link, link_ends{dialer_end, acceptor_end});
  cfg.dialed = to;
  auto accepted = listener->second;
  auto& mm = sys_.middleman();
  mm.spawn_broker(sim_connection, caf::io::scribe_ptr{dialer_end},
                  std::move(cfg));
  mm.spawn_broker(sim_connection, caf::io::scribe_ptr{acceptor_end},
                  std::move(accepted));
  return dial_result::connected;
}

bool sim_network::connect(const std::string& from_host, connection_config cfg,
                          const peer_address& to) {
  return dial(from_host, std::move(cfg), to) == dial_result::connected;
}

bool sim_network::held_by_silence(const event& x) const {
  auto link = links_.find(x.link);
  if (link == links_.end() || link->second[x.to]->closed_)
    return false;
  return silenced(link->second[0]->local_host_) ||
         silenced(link->second[1]->local_host_);
}

bool sim_network::deliver_one() {
  collect();
  for (auto i = queue_.begin(); i != queue_.end();) {
    // Set aside what a silence holds, so that scans stay short; restore()
    // puts it back at the front, ahead of anything newer for the same end.
    if (held_by_silence(*i)) {
      held_.push_back(std::move(*i));
      i = queue_.erase(i);
      continue;
    }
    auto link = links_.find(i->link);
    if (link == links_.end()) {
      // Both ends closed: nobody to deliver to.
      queue_.erase(i);
      return true;
    }
    auto target = link->second[i->to];
    if (target->closed_) {
      // Bytes (or a FIN) for a closed socket vanish.
      queue_.erase(i);
      return true;
    }
    // Also holds bytes that arrive before the receiving broker initialized:
    // every later event for the same end is held as well, so order stays.
    if (!target->ready()) {
      ++i;
      continue;
    }
    if (i->close) {
      queue_.erase(i);
      target->mark_closed();
      // What a socket does on end of file: detach, and hand the broker a
      // connection_closed_msg right away.
      target->io_failure(ctx_, caf::io::network::operation::read);
      return true;
    }
    auto i_link = i->link;
    auto i_to = i->to;
    auto available = i->bytes.size() - i->offset;
    auto n = std::min(available, target->read_config_.second);
    auto first = i->bytes.begin() + static_cast<ptrdiff_t>(i->offset);
    target->rd_buf_.assign(first, first + static_cast<ptrdiff_t>(n));
    i->offset += n;
    if (i->offset == i->bytes.size())
      queue_.erase(i);
    // No iterator is used past this point: the broker may flush (and thus
    // append to the queue) while it consumes.
    bytes_delivered_ += n;
    meter(i_link, i_to, target->rd_buf_.data(), n);
    if (!target->consume(ctx_, target->rd_buf_.data(), n))
      target->passive_ = true;
    return true;
  }
  return false;
}

void sim_network::crash(const std::string& host) {
  for (auto i = listeners_.begin(); i != listeners_.end();) {
    if (i->first.host == host)
      i = listeners_.erase(i);
    else
      ++i;
  }
  for (auto& [id, ends] : links_)
    for (size_t side = 0; side < 2; ++side) {
      auto& end = ends[side];
      if (end->local_host_ != host || end->closed_)
        continue;
      // What the end flushed is on the wire and still arrives; anything its
      // broker writes from now on is dropped.
      enqueue_close(id, 1 - side);
      end->mark_closed();
    }
}

void sim_network::silence(const std::string& host) {
  silenced_.insert(host);
}

void sim_network::restore(const std::string& host) {
  silenced_.erase(host);
  std::deque<event> released;
  std::deque<event> still_held;
  for (auto& x : held_) {
    auto link = links_.find(x.link);
    bool held =
        link != links_.end() && (silenced(link->second[0]->local_host_) ||
                                 silenced(link->second[1]->local_host_));
    (held ? still_held : released).push_back(std::move(x));
  }
  held_ = std::move(still_held);
  queue_.insert(queue_.begin(), std::make_move_iterator(released.begin()),
                std::make_move_iterator(released.end()));
}

bool sim_network::silenced(const std::string& host) const {
  return silenced_.count(host) > 0;
}

size_t sim_network::open_links() const {
  return static_cast<size_t>(
      std::count_if(links_.begin(), links_.end(), [](const auto& kvp) {
        return !kvp.second[0]->closed_ || !kvp.second[1]->closed_;
      }));
}

size_t sim_network::open_ends(const std::string& host) const {
  size_t result = 0;
  for (auto& kvp : links_)
    for (auto& end : kvp.second)
      if (end->local_host_ == host && !end->closed_)
        ++result;
  return result;
}

std::set<std::string> sim_network::linked_hosts(const std::string& host) const {
  std::set<std::string> result;
  for (auto& kvp : links_) {
    auto& ends = kvp.second;
    if (ends[0]->closed_ || ends[1]->closed_)
      continue;
    for (size_t side = 0; side < 2; ++side)
      if (ends[side]->local_host_ == host)
        result.insert(ends[1 - side]->local_host_);
  }
  return result;
}

size_t sim_network::attached_ends() const {
  size_t result = 0;
  for (auto& kvp : links_)
    for (auto& end : kvp.second)
      if (end->parent() != nullptr)
        ++result;
  return result;
}

void sim_network::enqueue_data(uint64_t link, size_t to,
                               std::vector<char> bytes) {
  queue_.push_back(event{link, to, false, std::move(bytes)});
}

void sim_network::enqueue_close(uint64_t link, size_t to) {
  auto i = links_.find(link);
  if (i == links_.end() || i->second[to]->closed_)
    return;
  queue_.push_back(event{link, to, true, {}});
}

void sim_network::end_closed(uint64_t link) {
  auto i = links_.find(link);
  if (i != links_.end() && i->second[0]->closed_ && i->second[1]->closed_)
    finished_links_.push_back(link);
}

void sim_network::meter(uint64_t link, size_t to, const char* data, size_t n) {
  auto [pos, fresh] = meters_.try_emplace(std::make_pair(link, to));
  auto& m = pos->second;
  if (fresh && to == 1)
    m.skip = preamble_size;
  auto skipped = std::min(m.skip, n);
  m.skip -= skipped;
  m.reader.append(data + skipped, n - skipped);
  auto host = links_.at(link)[to]->local_host_;
  for (auto frame = m.reader.next(); frame.data != nullptr;
       frame = m.reader.next())
    ++frames_by_host_[{host, static_cast<uint8_t>(frame.data[0])}];
}

uint64_t sim_network::read_pauses(const std::string& host) const {
  auto i = read_pauses_.find(host);
  return i == read_pauses_.end() ? 0 : i->second;
}

uint64_t sim_network::frames_received(message_type type) const {
  uint64_t result = 0;
  for (auto& [key, count] : frames_by_host_)
    if (key.second == static_cast<uint8_t>(type))
      result += count;
  return result;
}

uint64_t sim_network::frames_received(message_type type,
                                      const std::string& host) const {
  auto i = frames_by_host_.find({host, static_cast<uint8_t>(type)});
  return i == frames_by_host_.end() ? 0 : i->second;
}

void sim_network::collect() {
  // A crashed end is closed but stays attached until its broker dies: keep
  // its link (and so `attached_ends`) until then.
  auto detached = [](const sim_scribe_ptr& end) {
    return end->parent() == nullptr;
  };
  auto keep = std::remove_if(
      finished_links_.begin(), finished_links_.end(), [&](uint64_t link) {
        auto i = links_.find(link);
        if (i == links_.end())
          return true;
        if (!std::all_of(i->second.begin(), i->second.end(), detached))
          return false;
        links_.erase(i);
        meters_.erase({link, 0});
        meters_.erase({link, 1});
        return true;
      });
  finished_links_.erase(keep, finished_links_.end());
}

uint16_t sim_network::next_source_port(const std::string& host) {
  auto& port = source_ports_.try_emplace(host, first_source_port).first->second;
  auto result = port++;
  if (port == 0)
    port = first_source_port;
  return result;
}

// -- the dialer stand-in ------------------------------------------------------

dialer_actor::behavior_type sim_dialer(dialer_actor::pointer self,
                                       sim_network* net, std::string host,
                                       connection_config cfg,
                                       std::chrono::milliseconds timeout) {
  return {
      [self, net, host, cfg, timeout](dial_atom, const peer_address& addr) {
        auto conn = cfg;
        conn.dialed = addr;
        switch (net->dial(host, std::move(conn), addr)) {
          case sim_network::dial_result::connected:
            break;
          case sim_network::dial_result::refused:
            self->send(cfg.registry, dialfail_atom::value, addr,
                       std::string{"connection refused"});
            break;
          case sim_network::dial_result::unreachable:
            self->delayed_send(cfg.registry, timeout, dialfail_atom::value,
                               addr, std::string{"connection timed out"});
            break;
        }
      },
      [self, cfg](lsend_atom, const peer_address& addr,
                  const std::string& text) {
        self->send(cfg.registry, lsent_atom::value, addr, text,
                   make_error(ec::connect_failed,
                              "no peers in the original format here"));
      },
  };
}

std::function<dialer_actor(registry_actor)>
make_sim_dialer(caf::actor_system& sys, sim_network& net, std::string host,
                connection_config cfg,
                std::chrono::milliseconds connect_timeout) {
  return [&sys, &net, host, cfg, connect_timeout](registry_actor registry) {
    auto conn = cfg;
    conn.registry = std::move(registry);
    // Always with arguments: CAF 0.17.6 binds a null reference (UBSan)
    // when it spawns a function actor without any.
    return sys.spawn(sim_dialer, &net, host, std::move(conn), connect_timeout);
  };
}

// -- sim_node -----------------------------------------------------------------

std::vector<peer_view> sim_node::found() const {
  std::vector<peer_view> result;
  for (auto& msg : console.received<found_atom, peer_view>())
    result.push_back(msg.get_as<peer_view>(1));
  return result;
}

std::vector<peer_view> sim_node::left() const {
  std::vector<peer_view> result;
  for (auto& msg : console.received<left_atom, peer_view>())
    result.push_back(msg.get_as<peer_view>(1));
  return result;
}

std::vector<std::pair<peer_view, std::string>> sim_node::chats() const {
  std::vector<std::pair<peer_view, std::string>> result;
  for (auto& msg : console.received<chat_atom, peer_view, text_list>())
    for (auto& text : msg.get_as<text_list>(2))
      result.emplace_back(msg.get_as<peer_view>(1), text);
  return result;
}

std::vector<std::pair<peer_view, std::string>> sim_node::broadcasts() const {
  std::vector<std::pair<peer_view, std::string>> result;
  for (auto& msg : console.received<bcast_atom, peer_view, std::string>())
    result.emplace_back(msg.get_as<peer_view>(1), msg.get_as<std::string>(2));
  return result;
}

std::vector<std::string> sim_node::notices() const {
  std::vector<std::string> result;
  for (auto& msg : console.received<notice_atom, std::string>())
    result.push_back(msg.get_as<std::string>(1));
  return result;
}

// -- simulation ---------------------------------------------------------------

simulation::simulation(sim_options options)
    : opts(options), sys(fixture::configure(cfg)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
      mpx(dynamic_cast<caf::io::network::test_multiplexer&>(
          sys.middleman().backend())),
      net(sys), start_(sys.clock().now()),
      baseline_running_(sys.registry().running()) {
  if (opts.quiet_logs) {
    previous_log_level_ = static_cast<int>(spdlog::get_level());
    spdlog::set_level(spdlog::level::err);
  }
}

simulation::~simulation() {
  try {
    shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "simulation: teardown failed: %s\n", e.what());
  }
  if (auto n = running_actors(); n > 0) {
    // Waiting for them would hang the test binary: report and move on.
    std::fprintf(stderr,
                 "simulation: %zu actors still running at teardown (spawned "
                 "by the test without keep()?)\n",
                 n);
    sys.await_actors_before_shutdown(false);
  }
  if (opts.quiet_logs)
    spdlog::set_level(
        static_cast<spdlog::level::level_enum>(previous_log_level_));
}

std::string simulation::host_of(size_t i) {
  return "10.0." + std::to_string(i / 254) + "." + std::to_string(i % 254 + 1);
}

ed25519_secret_key simulation::secret_key_of(size_t i) {
  std::array<uint8_t, 32> seed{};
  seed[0] = 0x51;
  for (size_t k = 0; k < 8; ++k)
    seed[1 + k] = static_cast<uint8_t>(i >> (8 * (7 - k)));
  return secret_key_from_seed(seed);
}

node_id simulation::id_of(size_t i) {
  return p2pchat::id_of(secret_key_of(i));
}

sim_node& simulation::add_node() {
  auto i = nodes_.size();
  auto node = std::make_unique<sim_node>();
  node->index = i;
  node->id = id_of(i);
  node->name = "node" + std::to_string(i);
  node->listen = peer_address{host_of(i), opts.port};
  node->console.handle =
      sys.spawn(recorder, node->console.log, node->console.peers);
  start(*node);
  node_of_host_.emplace(node->listen.host, i);
  nodes_.push_back(std::move(node));
  return *nodes_.back();
}

void simulation::start(sim_node& node) {
  auto i = node.index;
  uint64_t generation = node.generation;
  connection_config conn;
  // Clear frames: the meters count frames by message type on the wire, and
  // what the simulation studies (discovery, flooding, healing) is the same
  // over Noise sessions (tests/actors/connection_tests.cpp covers those).
  conn.insecure_plaintext = true;
  conn.local_hello =
      hello{plaintext_protocol_version, node.id, node.name, opts.port, 0};
  conn.handshake_timeout = opts.handshake_timeout;
  conn.legacy_detect_timeout = opts.legacy_detect_timeout;
  conn.legacy_read_timeout = opts.legacy_read_timeout;
  conn.ping_interval = opts.ping_interval;
  registry_config reg;
  reg.self_id = node.id;
  reg.sign = [key = secret_key_of(i)](const std::vector<uint8_t>& data) {
    return sign_bytes(key, data);
  };
  reg.self_name = node.name;
  reg.self_port = opts.port;
  reg.console = caf::actor_cast<console_actor>(node.console.handle);
  reg.make_dialer =
      make_sim_dialer(sys, net, node.listen.host, conn, opts.connect_timeout);
  // Unique across nodes and restarts: node index, generation, counter.
  reg.make_message_id = [i, generation, count = uint64_t{0}]() mutable {
    ++count;
    message_id id{};
    for (size_t k = 0; k < 4; ++k) {
      id[k] = static_cast<uint8_t>(uint64_t{i} >> (8 * (3 - k)));
      id[4 + k] = static_cast<uint8_t>(generation >> (8 * (3 - k)));
    }
    for (size_t k = 0; k < 8; ++k)
      id[8 + k] = static_cast<uint8_t>(count >> (8 * (7 - k)));
    return id;
  };
  reg.now_ms = [this] {
    return now_ms();
  };
  reg.seed = (generation << 32) + i + 1;
  reg.max_connections = opts.max_connections;
  if (opts.configure_registry)
    opts.configure_registry(i, reg);
  node.registry = sys.spawn(registry, std::move(reg));
  conn.registry = node.registry;
  node.connection = conn;
  net.listen(node.listen, std::move(conn));
}

std::vector<size_t> simulation::linked(size_t i) {
  std::vector<size_t> result;
  for (auto& host : net.linked_hosts(node(i).listen.host))
    if (auto j = node_of_host_.find(host); j != node_of_host_.end())
      result.push_back(j->second);
  std::sort(result.begin(), result.end());
  return result;
}

void simulation::add_nodes(size_t n) {
  for (size_t k = 0; k < n; ++k)
    add_node();
}

void simulation::connect(size_t from, size_t to) {
  caf::anon_send(node(from).registry, connect_atom::value, node(to).listen);
}

void simulation::bootstrap(size_t from, size_t to) {
  caf::anon_send(node(from).registry, bootstrap_atom::value, node(to).listen);
}

void simulation::send_chat(size_t from, size_t to, std::string text) {
  caf::anon_send(node(from).registry, send_atom::value, node(to).listen,
                 text_list{std::move(text)});
}

void simulation::broadcast(size_t from, std::string text) {
  caf::anon_send(node(from).registry, bcast_atom::value, std::move(text));
}

void simulation::crash(size_t i) {
  auto& x = node(i);
  if (x.crashed)
    return;
  x.crashed = true;
  net.crash(x.listen.host);
  // The dialer and every connection are linked to the registry.
  caf::anon_send_exit(x.registry, caf::exit_reason::kill);
}

void simulation::restart(size_t i) {
  auto& x = node(i);
  if (!x.crashed)
    return;
  x.crashed = false;
  ++x.generation;
  start(x);
}

void simulation::silence(size_t i) {
  net.silence(node(i).listen.host);
}

void simulation::restore(size_t i) {
  net.restore(node(i).listen.host);
}

size_t simulation::run_until_idle() {
  size_t steps = 0;
  while (sched.try_run_once() || net.deliver_one() || mpx.try_exec_runnable())
    if (++steps > max_idle_steps)
      throw std::runtime_error("simulation not idle after " +
                               std::to_string(max_idle_steps) + " steps");
  return steps;
}

void simulation::advance(std::chrono::milliseconds d) {
  while (d.count() > 0) {
    auto step = std::min(d, opts.step);
    sched.advance_time(step);
    run_until_idle();
    d -= step;
  }
}

std::chrono::milliseconds simulation::elapsed() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      sys.clock().now() - start_);
}

int64_t simulation::now_ms() {
  return epoch_ms + elapsed().count();
}

void simulation::shutdown() {
  if (shut_down_)
    return;
  shut_down_ = true;
  for (auto& x : nodes_) {
    // Connections and the dialer are linked to the registry.
    caf::anon_send_exit(x->registry, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(x->console.handle, caf::exit_reason::user_shutdown);
  }
  for (auto& x : kept_)
    caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
  run_until_idle();
}

stand_in simulation::make_stand_in() {
  stand_in result;
  result.handle = keep(sys.spawn(recorder, result.log, result.peers));
  return result;
}

size_t simulation::running_actors() {
  return sys.registry().running() - baseline_running_;
}

} // namespace p2pchat::test
