#include "actors/connection.hpp"

#include <iterator>

#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/io/network/multiplexer.hpp>
#include <spdlog/spdlog.h>

#include "protocol/errors.hpp"
#include "protocol/legacy.hpp"

namespace p2pchat {

namespace {

/// Names the peer in log lines: its name once known, and always its socket.
std::string who(connection_broker* self) {
  auto& st = self->state;
  auto addr = to_string(st.remote);
  return st.peer_name.empty() ? addr : st.peer_name + " (" + addr + ")";
}

void finish(connection_broker* self, const std::string& reason);

/// The protocol version this connection speaks.
uint8_t version_of(const connection_state& st) {
  return st.cfg.insecure_plaintext ? plaintext_protocol_version
                                   : protocol_version;
}

/// Frames `msg` (sealed, in a session) into the write buffer, without
/// flushing it yet. Returns false if the session cannot seal it any more;
/// the connection is closed then.
bool append(connection_broker* self, const message& msg) {
  auto& st = self->state;
  auto& buf = self->wr_buf(st.hdl);
  if (!st.session) {
    append_frame(msg, buf);
  } else if (auto err = st.session->seal(msg, buf)) {
    spdlog::warn("closing connection to {}: {}", who(self), describe(err));
    finish(self, describe(err));
    return false;
  }
  return true;
}

/// Frames `msg` into the write buffer and hands it to the socket.
bool write(connection_broker* self, const message& msg) {
  if (!append(self, msg))
    return false;
  self->flush(self->state.hdl);
  return true;
}

/// The reason we give when a peer speaks protocol version `got`.
std::string version_mismatch(const connection_state& st, unsigned got) {
  return "peer speaks protocol version " + std::to_string(got) +
         ", this node requires version " + std::to_string(version_of(st));
}

/// The peer answered our opening with a bye in clear: it speaks another
/// version. Names its reason (decoding validated it: no control characters)
/// and closes, never trying another version.
void on_refusal(connection_broker* self, const bye& refusal) {
  auto reason = "peer refused the handshake: " + refusal.reason;
  spdlog::warn("closing connection to {}: {}", who(self), reason);
  finish(self, reason);
}

/// True if the peer can read what we send: in plaintext mode once the
/// preamble is settled, in a session once its keys are set.
bool peer_can_read(const connection_state& st) {
  if (st.phase == connection_phase::awaiting_preamble)
    return false;
  return !st.session || st.session->established();
}

/// Drops the peer if it left more than the bound unread. Returns whether
/// the connection still sends.
bool check_send_buffer(connection_broker* self) {
  auto& st = self->state;
  // What CAF could not hand to the socket yet: the peer does not read.
  auto unsent = self->wr_buf(st.hdl).size();
  if (unsent <= st.cfg.max_send_buffer)
    return true;
  spdlog::warn("closing connection to {}: {} bytes unsent, more than {} (the "
               "peer does not read)",
               who(self), unsent, st.cfg.max_send_buffer);
  finish(self, "peer does not read");
  return false;
}

/// Writes `msg` unless the peer left too much unread; then drops the peer.
/// Returns whether the connection still sends.
bool write_bounded(connection_broker* self, const message& msg) {
  return self->state.phase == connection_phase::established &&
         write(self, msg) && check_send_buffer(self);
}

/// Above this many unsent bytes, chats wait in the connection until the
/// peer took enough.
size_t send_high_water(const connection_state& st) {
  return st.cfg.max_send_buffer / 2;
}

/// Writes waiting chats while the peer keeps up: CAF's buffer holds at most
/// the high-water mark plus one chat. Confirms each batch once all of its
/// chats are written. The registry sends only a few batches unconfirmed, so
/// a peer that reads slower than the user types slows the registry down
/// instead of filling our memory. Returns false if the connection closed.
bool write_waiting_chats(connection_broker* self) {
  auto& st = self->state;
  bool wrote = false;
  while (!st.unwritten.empty() &&
         self->wr_buf(st.hdl).size() <= send_high_water(st)) {
    if (!append(self, st.unwritten.front()))
      return false;
    st.unwritten.pop_front();
    wrote = true;
    auto& batch = st.held_batches.front();
    if (--batch.chats_unwritten == 0) {
      batch.promise.deliver(caf::unit);
      st.held_batches.pop_front();
    }
  }
  if (wrote) {
    self->flush(st.hdl);
    if (!check_send_buffer(self))
      return false;
  }
  // While chats wait, CAF reports each write (data_transferred_msg): the
  // cue to go on, and the proof that the peer still reads.
  bool waiting = !st.unwritten.empty();
  if (waiting != st.acking_writes) {
    st.acking_writes = waiting;
    self->ack_writes(st.hdl, waiting);
    st.wrote_since_tick = false;
    st.stalled_intervals = 0;
  }
  return true;
}

/// Takes a batch of chats from the registry; answers once all are written.
caf::result<void> send_chats(connection_broker* self, std::vector<chat>& msgs) {
  auto& st = self->state;
  if (st.phase != connection_phase::established)
    return make_error(ec::connection_closing);
  if (msgs.empty())
    return caf::unit;
  st.held_batches.push_back({self->make_response_promise(), msgs.size()});
  std::move(msgs.begin(), msgs.end(), std::back_inserter(st.unwritten));
  write_waiting_chats(self);
  return caf::delegated<void>{};
}

/// Hands the chats collected from the current read to the registry.
void forward_chats(connection_broker* self) {
  auto& st = self->state;
  if (st.inbound_chats.empty())
    return;
  self->send(st.cfg.registry, chat_atom::value,
             caf::actor_cast<caf::actor>(self), std::move(st.inbound_chats));
  st.inbound_chats.clear();
}

/// CAF 0.17.6's brokers never close their mailbox when they terminate
/// (abstract_broker::cleanup calls local_actor::cleanup, skipping
/// scheduled_actor::cleanup), so a message that arrives afterwards stays in it
/// for good, unanswered. Our own timeout and tick carry us as sender, so every
/// closed connection would keep itself alive (a leak LeakSanitizer found), and
/// a chat the registry sends before it hears of the close would never be
/// refused. On exit, do what CAF does for its other actors: close the mailbox
/// and answer each request still in it with an error.
void close_mailbox_on_exit(connection_broker* self) {
  self->attach_functor([self](const caf::error& reason) {
    auto& box = self->mailbox();
    if (box.closed())
      return;
    box.close();
    self->get_normal_queue().flush_cache();
    self->get_urgent_queue().flush_cache();
    caf::detail::sync_request_bouncer bounce{reason};
    while (box.queue().new_round(1000, bounce).consumed_items)
      ; // nop
  });
}

/// Tells the registry once that this connection is gone, then stops.
void finish(connection_broker* self, const std::string& reason) {
  auto& st = self->state;
  // What the peer sent before comes first.
  forward_chats(self);
  // The chats of unconfirmed batches may never reach the peer: the registry
  // sends them elsewhere.
  for (auto& batch : st.held_batches)
    batch.promise.deliver(make_error(ec::connection_closing));
  st.held_batches.clear();
  st.unwritten.clear();
  if (!st.reported_closed) {
    st.reported_closed = true;
    self->send(st.cfg.registry, closed_atom::value,
               caf::actor_cast<caf::actor>(self), st.cfg.dialed, !st.peer_spoke,
               reason);
  }
  st.phase = connection_phase::closing;
  // close() still sends what is buffered (e.g. a bye) before closing.
  self->close(st.hdl);
  self->quit();
}

/// Says bye with `code` (if the peer can still understand it), then closes.
void close_with(connection_broker* self, bye_code code,
                const std::string& reason) {
  auto& st = self->state;
  if (st.phase == connection_phase::closing)
    return;
  if (st.phase == connection_phase::draining) {
    // Our bye is out already.
    finish(self, reason);
    return;
  }
  // In a handshake nothing can be sealed yet: the connection just closes.
  if (peer_can_read(st) &&
      !write(self, bye{code, reason.substr(0, max_bye_reason_bytes)}))
    return;
  if (code == bye_code::duplicate_connection &&
      st.phase == connection_phase::established) {
    // The peer may have chats in flight on this link: read them first.
    st.phase = connection_phase::draining;
    self->delayed_send(self, st.cfg.handshake_timeout, timeout_atom::value);
    return;
  }
  finish(self, reason);
}

/// Drops the connection because the peer broke the protocol.
void reject(connection_broker* self, const caf::error& err) {
  auto reason = describe(err);
  spdlog::warn("closing connection to {}: {}", who(self), reason);
  close_with(self, bye_code::protocol_error, reason);
}

/// The peer's hello arrived (and, in a session, proved its node id).
void on_hello(connection_broker* self, hello& msg) {
  auto& st = self->state;
  st.peer_name = msg.name;
  st.phase = connection_phase::established;
  self->delayed_send(self, st.cfg.ping_interval, tick_atom::value);
  self->send(st.cfg.registry, hello_atom::value,
             caf::actor_cast<caf::actor>(self), st.remote, st.cfg.dialed,
             std::move(msg));
}

void on_message(connection_broker* self, message& msg) {
  auto& st = self->state;
  if (st.phase == connection_phase::awaiting_hello) {
    // Plaintext mode only: a session's hellos travel in its handshake.
    auto x = std::get_if<hello>(&msg);
    if (auto refusal = std::get_if<bye>(&msg)) {
      on_refusal(self, *refusal);
    } else if (x == nullptr) {
      reject(self,
             make_error(ec::unexpected_message, "first message must be hello"));
    } else if (x->version != plaintext_protocol_version) {
      auto reason = version_mismatch(st, x->version);
      spdlog::warn("closing connection to {}: {}", who(self), reason);
      close_with(self, bye_code::unsupported_version, reason);
    } else {
      on_hello(self, *x);
    }
    return;
  }
  if (auto x = std::get_if<chat>(&msg)) {
    // Collected, and forwarded with every other chat of this read.
    ++st.forwarded;
    st.inbound_chats.push_back(std::move(*x));
    return;
  }
  // Anything else the peer sent after those chats comes after them.
  forward_chats(self);
  if (auto x = std::get_if<broadcast>(&msg)) {
    ++st.forwarded;
    self->send(st.cfg.registry, bcast_atom::value,
               caf::actor_cast<caf::actor>(self), std::move(*x));
  } else if (auto x = std::get_if<peers_request>(&msg)) {
    ++st.forwarded;
    self->send(st.cfg.registry, getpeers_atom::value,
               caf::actor_cast<caf::actor>(self), *x);
  } else if (auto x = std::get_if<peers>(&msg)) {
    ++st.forwarded;
    self->send(st.cfg.registry, peers_atom::value,
               caf::actor_cast<caf::actor>(self), std::move(*x));
  } else if (auto x = std::get_if<ping>(&msg)) {
    write(self, pong{x->nonce});
  } else if (std::holds_alternative<pong>(msg)) {
    // Receiving it was the point: any byte proves the peer alive.
  } else if (auto x = std::get_if<bye>(&msg)) {
    spdlog::debug("{} said bye: {}", who(self),
                  x->reason.empty() ? "(no reason)" : x->reason);
    self->send(st.cfg.registry, bye_atom::value,
               caf::actor_cast<caf::actor>(self), std::move(*x));
    finish(self, "peer said bye");
  } else {
    reject(self, make_error(ec::unexpected_message, "second hello"));
  }
}

void process_frames(connection_broker* self);

/// A handshake that cannot go on: nothing can be sealed for the peer yet, so
/// the connection just closes. A node that does not speak our version
/// answers our first message with a bye in clear frames instead.
void handshake_failed(connection_broker* self, const caf::error& err,
                      const char* data, size_t size) {
  auto clear = decode_payload(data, size);
  auto refusal = clear ? std::get_if<bye>(&*clear) : nullptr;
  if (refusal != nullptr && refusal->code == bye_code::unsupported_version) {
    on_refusal(self, *refusal);
    return;
  }
  spdlog::warn("closing connection to {}: {}", who(self), describe(err));
  finish(self, describe(err));
}

/// Hands one handshake message to the session and sends its answer. Returns
/// false once the connection closes.
bool handshake_step(connection_broker* self, const char* data, size_t size) {
  auto& st = self->state;
  auto peer = st.session->read_handshake(data, size, self->wr_buf(st.hdl));
  if (!peer) {
    handshake_failed(self, peer.error(), data, size);
    return false;
  }
  self->flush(st.hdl);
  if (*peer)
    on_hello(self, **peer);
  return st.phase != connection_phase::closing;
}

/// Reading resumes after a pause, in a later multiplexer cycle. CAF 0.17.6
/// queues each halt and trigger as a change of the socket's epoll events,
/// applied at the end of the cycle, and merges the changes queued within one
/// cycle. A halt after a trigger in the same cycle cancels the trigger's
/// change out, but the stream keeps the reader the trigger set, so it never
/// adds itself to the loop again and reading stops for good; a trigger after
/// a halt in the same cycle is ignored (the stream still has its reader) and
/// the halt wins. Function objects posted to the multiplexer run only after
/// the cycle's changes are applied, so the trigger goes through one.
void resume_reading(connection_broker* self) {
  self->backend().post([to = caf::actor_cast<caf::actor>(self)] {
    caf::anon_send(to, resume_atom::value);
  });
}

/// Asks registry and console to confirm the messages forwarded so far, and
/// resumes reading once they did.
void request_barrier(connection_broker* self) {
  auto& st = self->state;
  if (st.barrier_pending)
    return;
  // The barrier must queue behind every message it confirms.
  forward_chats(self);
  st.barrier_pending = true;
  auto mark = st.forwarded;
  self->request(st.cfg.registry, caf::infinite, barrier_atom::value)
      .then(
          [self, mark](done_atom) {
            auto& st = self->state;
            st.barrier_pending = false;
            st.confirmed = mark;
            if (st.paused) {
              // Frames read before the pause come first; if they fill the
              // bound again, reading stays halted until the next barrier.
              st.paused = false;
              process_frames(self);
              if (!st.paused)
                resume_reading(self);
            }
          },
          [self](const caf::error&) {
            // The registry is gone; the link will close with it.
            self->state.barrier_pending = false;
          });
}

/// Flow control before forwarding one more message: asks for confirmation
/// halfway to the limit, so that a steady peer rarely waits, and stops
/// reading at the limit. Returns false if the message must wait.
bool may_forward(connection_broker* self) {
  auto& st = self->state;
  auto pending = st.forwarded - st.confirmed;
  if (pending >= std::max<size_t>(st.cfg.max_pending_messages / 2, 1))
    request_barrier(self);
  if (pending < st.cfg.max_pending_messages)
    return true;
  if (!st.paused) {
    st.paused = true;
    self->halt(st.hdl);
    spdlog::debug("pausing reads from {}: {} messages not handled yet",
                  who(self), pending);
  }
  return false;
}

void handle_frames(connection_broker* self);

/// Cuts and handles every complete frame buffered so far, and forwards the
/// chats among them in one message.
void process_frames(connection_broker* self) {
  handle_frames(self);
  forward_chats(self);
}

void handle_frames(connection_broker* self) {
  auto& st = self->state;
  while (st.phase == connection_phase::awaiting_hello ||
         st.phase == connection_phase::established ||
         st.phase == connection_phase::draining) {
    if (!may_forward(self))
      return;
    auto frame = st.reader.next();
    if (frame.error) {
      reject(self, frame.error);
      return;
    }
    if (frame.data == nullptr)
      return;
    if (st.session && !st.session->established()) {
      if (!handshake_step(self, frame.data, frame.size))
        return;
      continue;
    }
    auto msg = st.session ? st.session->open(frame.data, frame.size)
                          : decode_payload(frame.data, frame.size);
    if (!msg) {
      if (code_of(msg.error()) == ec::unknown_message_type) {
        // A newer peer may send types we do not know yet.
        spdlog::debug("skipping message from {}: {}", who(self),
                      describe(msg.error()));
        continue;
      }
      reject(self, msg.error());
      return;
    }
    on_message(self, *msg);
  }
}

/// Consumes preamble bytes; returns how many bytes of `data` it used.
size_t consume_preamble(connection_broker* self, const char* data,
                        size_t size) {
  auto& st = self->state;
  auto used = std::min(size, preamble_size - st.preamble.size());
  st.preamble.append(data, used);
  switch (
      check_preamble(st.preamble.data(), st.preamble.size(), version_of(st))) {
    case preamble_status::incomplete:
      break;
    case preamble_status::ok:
      st.phase = connection_phase::awaiting_hello;
      if (st.cfg.insecure_plaintext)
        write(self, st.cfg.local_hello);
      else
        // The initiator's first handshake message comes next.
        st.session.emplace(noise_role::responder, *st.cfg.static_key,
                           st.cfg.local_hello, st.cfg.limits);
      break;
    case preamble_status::legacy_text:
      // The original app: its whole text arrives, then it closes.
      st.phase = connection_phase::legacy_reading;
      self->delayed_send(self, st.cfg.legacy_read_timeout, timeout_atom::value);
      return 0;
    case preamble_status::unsupported_version: {
      auto reason =
          version_mismatch(st, static_cast<uint8_t>(st.preamble.back()));
      spdlog::warn("closing connection from {}: {}", who(self), reason);
      // Framing is the same in every version, so the peer can read why; the
      // bye is in clear, as nothing else will ever be.
      append_frame(bye{bye_code::unsupported_version, reason},
                   self->wr_buf(st.hdl));
      self->flush(st.hdl);
      finish(self, reason);
      break;
    }
    case preamble_status::invalid:
      spdlog::warn("closing connection from {}: {}", who(self),
                   describe(make_error(ec::bad_preamble)));
      finish(self, "bad preamble");
      break;
  }
  return used;
}

/// Collects the original app's text; drops it as soon as it is too long.
void read_legacy(connection_broker* self, const char* data, size_t size) {
  auto& st = self->state;
  if (st.legacy_text.size() + size > max_legacy_bytes) {
    spdlog::warn("dropping plain-text message from {}: more than {} bytes",
                 who(self), max_legacy_bytes);
    finish(self, "legacy text too long");
    return;
  }
  st.legacy_text.append(data, size);
}

/// The sender closed: its text is complete.
void deliver_legacy(connection_broker* self) {
  auto& st = self->state;
  auto msg = parse_legacy(st.legacy_text);
  if (!msg) {
    spdlog::warn("dropping plain-text message from {}: {}", who(self),
                 describe(msg.error()));
    finish(self, "malformed legacy text");
    return;
  }
  self->send(st.cfg.registry, legacy_atom::value, std::move(*msg));
  finish(self, "legacy text delivered");
}

/// Grows the read size while reads fill it and shrinks it when they do not.
void adapt_read_size(connection_broker* self, size_t bytes_read) {
  auto& st = self->state;
  auto next = st.read_size;
  if (bytes_read == st.read_size && next < max_read_size)
    next *= 2;
  else if (bytes_read < st.read_size / 8 && next > min_read_size)
    next /= 2;
  if (next != st.read_size) {
    st.read_size = next;
    self->configure_read(st.hdl, caf::io::receive_policy::at_most(next));
  }
}

} // namespace

caf::behavior connection(connection_broker* self,
                         caf::io::connection_handle hdl,
                         connection_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.hdl = hdl;
  st.reader = frame_reader{st.cfg.max_frame_size};
  st.remote = peer_address{normalize_host(self->remote_addr(hdl)),
                           self->remote_port(hdl)};
  st.read_size = min_read_size;
  self->configure_read(hdl, caf::io::receive_policy::at_most(st.read_size));
  close_mailbox_on_exit(self);
  // Die with the registry: nothing would listen to us anymore.
  self->link_to(st.cfg.registry);
  if (st.cfg.dialed.host.empty()) {
    st.phase = connection_phase::awaiting_preamble;
  } else {
    st.phase = connection_phase::awaiting_hello;
    auto& buf = self->wr_buf(hdl);
    if (st.cfg.insecure_plaintext) {
      buf.insert(buf.end(), preamble_v1.begin(), preamble_v1.end());
      write(self, st.cfg.local_hello);
    } else {
      st.session.emplace(noise_role::initiator, *st.cfg.static_key,
                         st.cfg.local_hello, st.cfg.limits);
      if (auto err = st.session->start(buf)) {
        spdlog::error("cannot start a handshake with {}: {}", who(self),
                      describe(err));
        finish(self, describe(err));
      } else {
        self->flush(hdl);
      }
    }
  }
  // A dialed peer that keeps silent is likely the original app, which never
  // answers: give up on it sooner.
  self->delayed_send(self,
                     st.cfg.dialed.host.empty() ? st.cfg.handshake_timeout
                                                : st.cfg.legacy_detect_timeout,
                     timeout_atom::value);
  return {
      [self](const caf::io::new_data_msg& msg) {
        auto& st = self->state;
        auto data = msg.buf.data();
        auto size = msg.buf.size();
        st.peer_spoke = true;
        st.silent_intervals = 0;
        adapt_read_size(self, size);
        if (st.phase == connection_phase::awaiting_preamble) {
          auto used = consume_preamble(self, data, size);
          data += used;
          size -= used;
        }
        if (st.phase == connection_phase::legacy_reading) {
          read_legacy(self, data, size);
          return;
        }
        if (st.phase == connection_phase::closing)
          return;
        st.reader.append(data, size);
        process_frames(self);
      },
      [self](const caf::io::connection_closed_msg&) {
        if (self->state.phase == connection_phase::legacy_reading)
          deliver_legacy(self);
        else
          finish(self, "connection closed by peer");
      },
      [self](timeout_atom) {
        auto& st = self->state;
        if (st.phase == connection_phase::legacy_reading) {
          spdlog::warn("dropping plain-text message from {}: sender did not "
                       "close within {} ms",
                       who(self), st.cfg.legacy_read_timeout.count());
          finish(self, "legacy read timeout");
        } else if (st.phase == connection_phase::awaiting_preamble ||
                   st.phase == connection_phase::awaiting_hello)
          reject(self, make_error(ec::handshake_timeout));
        else if (st.phase == connection_phase::draining)
          finish(self, "duplicate connection drained");
      },
      [self](tick_atom) {
        auto& st = self->state;
        if (st.phase != connection_phase::established)
          return;
        if (!st.unwritten.empty()) {
          // Chats wait for the peer to read: it must make progress.
          st.stalled_intervals =
              st.wrote_since_tick ? 0 : st.stalled_intervals + 1;
          st.wrote_since_tick = false;
          if (st.stalled_intervals >= stalled_intervals_limit) {
            spdlog::warn("closing connection to {}: {} bytes unsent, none "
                         "taken for {} ms (the peer does not read)",
                         who(self), self->wr_buf(st.hdl).size(),
                         (st.stalled_intervals - 1) *
                             st.cfg.ping_interval.count());
            finish(self, "peer does not read");
            return;
          }
        }
        // Counts whole intervals without a byte from the peer: a busy link
        // is never pinged, an idle one once per interval.
        auto silent = st.silent_intervals++;
        if (silent >= silent_intervals_limit) {
          spdlog::warn("closing connection to {}: nothing received for {} ms",
                       who(self), silent * st.cfg.ping_interval.count());
          finish(self, "peer silent");
          return;
        }
        if (silent > 0 && !write(self, ping{st.next_ping++}))
          return;
        self->delayed_send(self, st.cfg.ping_interval, tick_atom::value);
      },
      [self](resume_atom) {
        // See resume_reading.
        if (!self->state.paused)
          self->trigger(self->state.hdl);
      },
      [self](send_atom, std::vector<chat>& msgs) {
        return send_chats(self, msgs);
      },
      [self](const caf::io::data_transferred_msg&) {
        self->state.wrote_since_tick = true;
        write_waiting_chats(self);
      },
      [self](send_atom, const broadcast& msg) {
        // Best effort: a flood reaches its targets over other links too.
        write_bounded(self, msg);
      },
      [self](send_atom, const peers_request& msg) { write_bounded(self, msg); },
      [self](send_atom, const peers& msg) {
        // Also sent right before refusing a link (over the connection cap),
        // so that the refused node can go elsewhere.
        write_bounded(self, msg);
      },
      [self](close_atom, const bye& msg) {
        close_with(self, msg.code, msg.reason);
      },
  };
}

caf::behavior outbound_connection(connection_broker* self,
                                  caf::io::network::native_socket fd,
                                  connection_config cfg) {
  auto hdl = self->add_scribe(fd);
  return connection(self, hdl, std::move(cfg));
}

} // namespace p2pchat
