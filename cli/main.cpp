// p2pchat: parses the options, loads the node's key, binds the listening
// socket, then wires the actors together and waits for the console to quit.

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "actors/console.hpp"
#include "actors/dialer.hpp"
#include "actors/listener.hpp"
#include "actors/registry.hpp"
#include "actors/sockets.hpp"
#include "cli/identity.hpp"
#include "cli/options.hpp"
#include "cli/stdin_reader.hpp"
#include "protocol/errors.hpp"
#include "protocol/noise_identity.hpp"

using namespace p2pchat;

namespace {

std::string env_or_empty(const char* name) {
  auto value = std::getenv(name);
  return value != nullptr ? value : "";
}

/// Logs go to stderr: stdout belongs to the console actor.
void configure_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("p2pchat");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

int run_node(const node_options& opts, const identity& me,
             const listen_socket& sock) {
  stdin_reader::block_termination_signals();
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  // Lets CAF's own messages (e.g. about an actor that died) name our errors.
  cfg.add_error_category(
      ec_category, [](uint8_t code, caf::atom_value, const caf::message&) {
        return to_string(static_cast<ec>(code));
      });
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  console_config console_cfg{&std::cout, isatty(STDOUT_FILENO) == 1,
                             caf::actor_cast<caf::actor>(self)};
  console_cfg.jsonl = opts.output == output_format::jsonl;
  auto console = sys.spawn(p2pchat::console, std::move(console_cfg));
  hello local_hello{opts.insecure_plaintext ? plaintext_protocol_version
                                            : protocol_version,
                    me.id, opts.name, sock.port, 0};
  auto static_key = std::make_shared<const noise::keypair>(
      noise_static_keypair(me.secret_key));
  auto make_connection_config = [&](registry_actor registry) {
    connection_config result;
    result.registry = std::move(registry);
    result.local_hello = local_hello;
    result.static_key = static_key;
    result.insecure_plaintext = opts.insecure_plaintext;
    result.handshake_timeout = opts.handshake_timeout;
    result.legacy_detect_timeout = opts.legacy_detect_timeout;
    result.legacy_read_timeout = opts.legacy_read_timeout;
    result.ping_interval = opts.ping_interval;
    result.max_pending_messages = opts.max_pending_messages;
    result.max_send_buffer = opts.max_send_buffer;
    return result;
  };
  registry_config reg_cfg;
  reg_cfg.self_id = me.id;
  reg_cfg.self_name = opts.name;
  reg_cfg.self_port = sock.port;
  reg_cfg.max_connections = opts.max_connections;
  reg_cfg.target_peers = opts.target_peers;
  reg_cfg.discovery_interval = opts.discovery_interval;
  reg_cfg.console = console;
  reg_cfg.make_dialer = [&](registry_actor registry) {
    dialer_config dial_cfg{make_connection_config(std::move(registry)),
                           opts.connect_timeout, opts.advertise_host};
    return sys.spawn(dialer, std::move(dial_cfg));
  };
  auto reg = sys.spawn(registry, std::move(reg_cfg));
  sys.middleman().spawn_broker(listener, sock.fd, make_connection_config(reg),
                               opts.max_connections);

  self->send(console, notice_atom::value,
             "Server listening on " + opts.bind + ":" +
                 std::to_string(sock.port));
  self->send(console, notice_atom::value,
             "Node " + opts.name + ", id " + me.id.short_hex());
  if (opts.insecure_plaintext)
    self->send(console, notice_atom::value,
               std::string{"WARNING: --insecure-plaintext: everything this "
                           "node sends travels in clear, unauthenticated"});
  self->send(console, start_atom::value, reg);
  for (auto& peer : opts.legacy_peers)
    self->send(reg, legacy_atom::value, peer);
  for (auto& peer : opts.peers)
    self->send(reg, bootstrap_atom::value, peer);
  {
    stdin_reader reader{console};
    self->receive([](done_atom) {});
  }
  // Everything else is linked to the registry and goes down with it.
  self->send_exit(reg, caf::exit_reason::user_shutdown);
  return EXIT_SUCCESS;
}

} // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv, isatty(STDIN_FILENO) == 1, std::cin,
                              std::cout, std::cerr, env_or_empty("HOME"),
                              env_or_empty("XDG_DATA_HOME"));
  if (!parsed.run)
    return parsed.exit_code;
  auto& opts = parsed.options;
  configure_logging(opts.log_level);
  auto me = load_or_create_identity(opts.data_dir);
  if (!me) {
    std::cerr << "p2pchat: " << describe(me.error()) << '\n';
    return EXIT_FAILURE;
  }
  if (opts.output == output_format::jsonl) {
    // The console flushes after each burst of events: let a burst fill
    // fewer, larger writes than a pipe's default 4 KiB buffer allows.
    std::setvbuf(stdout, nullptr, _IOFBF, 64 * 1024);
  }
  auto sock = open_listen_socket(opts.bind, opts.port);
  if (!sock) {
    std::cerr << "p2pchat: " << describe(sock.error()) << '\n';
    return EXIT_FAILURE;
  }
  return run_node(opts, *me, *sock);
}
