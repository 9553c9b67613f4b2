#include "protocol/session.hpp"

#include <utility>

#include "protocol/errors.hpp"
#include "protocol/frame.hpp"
#include "protocol/noise_identity.hpp"

namespace p2pchat {

namespace {

caf::error not_established() {
  return make_error(ec::handshake_failed,
                    "no transport keys: the handshake has not finished");
}

} // namespace

secure_session::secure_session(noise_role role,
                               const noise::keypair& static_key, hello local,
                               session_limits limits)
    : role_(role), local_(std::move(local)), limits_(limits) {
  handshake_.emplace(role, static_key, noise_prologue_v2);
}

secure_session::secure_session(noise_role role,
                               const noise::keypair& static_key, hello local,
                               session_limits limits,
                               const noise::private_key& fixed_ephemeral)
    : role_(role), local_(std::move(local)), limits_(limits) {
  handshake_.emplace(role, static_key, noise_prologue_v2, fixed_ephemeral);
}

caf::error secure_session::start(std::vector<char>& out) {
  if (role_ != noise_role::initiator || !handshake_ ||
      handshake_->role() != noise_role::initiator)
    return make_error(ec::handshake_failed, "only the initiator starts");
  out.insert(out.end(), preamble_v2.begin(), preamble_v2.end());
  // Message 1 is in clear: it carries nothing but the ephemeral key.
  return write_handshake({}, out);
}

caf::expected<std::optional<hello>>
secure_session::read_handshake(const char* data, size_t size,
                               std::vector<char>& out) {
  if (!handshake_)
    return make_error(ec::handshake_failed,
                      established() ? "a handshake message after the handshake"
                                    : "the handshake failed earlier");
  auto payload = handshake_->read_message({data, size});
  if (!payload) {
    handshake_.reset();
    return payload.error();
  }
  if (!handshake_->finished() && role_ == noise_role::responder) {
    // Message 1: nothing in it is authenticated, so it must carry nothing.
    if (!payload->empty()) {
      handshake_.reset();
      return make_error(ec::handshake_failed,
                        "message 1 carries a payload of " +
                            std::to_string(payload->size()) + " bytes");
    }
    scratch_.clear();
    encode_payload(local_, scratch_);
    if (auto err = write_handshake(scratch_, out))
      return err;
    return std::optional<hello>{};
  }
  auto peer = accept_hello(*payload);
  if (!peer) {
    handshake_.reset();
    return peer.error();
  }
  if (role_ == noise_role::initiator) {
    scratch_.clear();
    encode_payload(local_, scratch_);
    if (auto err = write_handshake(scratch_, out))
      return err;
  }
  if (auto err = complete())
    return err;
  return std::optional<hello>{std::move(*peer)};
}

caf::error secure_session::seal(const message& msg, std::vector<char>& out) {
  scratch_.clear();
  encode_payload(msg, scratch_);
  return seal_payload(scratch_, out);
}

caf::error secure_session::seal_payload(caf::span<const char> payload,
                                        std::vector<char>& out) {
  if (!transport_)
    return not_established();
  auto& cipher = transport_->send;
  if (cipher.nonce() >= limits_.message_limit)
    return make_error(ec::nonce_exhausted,
                      std::to_string(cipher.nonce()) + " messages sent");
  auto start = out.size();
  out.resize(start + frame_header_size);
  if (auto err = cipher.encrypt_append({}, payload, out)) {
    out.resize(start);
    return err;
  }
  put_frame_length(out, start, out.size() - start - frame_header_size);
  if (cipher.nonce() % limits_.rekey_interval == 0)
    cipher.rekey();
  return caf::none;
}

caf::expected<message> secure_session::open(const char* data, size_t size) {
  if (!transport_)
    return not_established();
  auto& cipher = transport_->recv;
  if (cipher.nonce() >= limits_.message_limit)
    return make_error(ec::nonce_exhausted,
                      std::to_string(cipher.nonce()) + " messages received");
  if (auto err = cipher.decrypt_into({}, {data, size}, scratch_))
    return err;
  if (cipher.nonce() % limits_.rekey_interval == 0)
    cipher.rekey();
  return decode_payload(scratch_.data(), scratch_.size());
}

uint64_t secure_session::sent() const noexcept {
  return transport_ ? transport_->send.nonce() : 0;
}

uint64_t secure_session::received() const noexcept {
  return transport_ ? transport_->recv.nonce() : 0;
}

void secure_session::append_framed(const std::vector<char>& noise_message,
                                   std::vector<char>& out) {
  auto start = out.size();
  out.resize(start + frame_header_size);
  put_frame_length(out, start, noise_message.size());
  out.insert(out.end(), noise_message.begin(), noise_message.end());
}

caf::error secure_session::write_handshake(caf::span<const char> payload,
                                           std::vector<char>& out) {
  auto msg = handshake_->write_message(payload);
  if (!msg) {
    handshake_.reset();
    return msg.error();
  }
  append_framed(*msg, out);
  return caf::none;
}

caf::expected<hello>
secure_session::accept_hello(const std::vector<char>& payload) {
  auto msg = decode_payload(payload.data(), payload.size());
  if (!msg)
    return msg.error();
  auto peer = std::get_if<hello>(&*msg);
  if (peer == nullptr)
    return make_error(ec::unexpected_message,
                      "the handshake payload is not a hello");
  if (peer->version != protocol_version)
    return make_error(ec::unsupported_version,
                      "hello version " + std::to_string(peer->version) +
                          ", this node requires version " +
                          std::to_string(protocol_version));
  // The handshake proved the peer holds this X25519 key; the node id it
  // names must be the Ed25519 key it was converted from.
  if (auto err = check_static_key(peer->id, *handshake_->remote_static()))
    return err;
  return std::move(*peer);
}

caf::error secure_session::complete() {
  auto ciphers = handshake_->split();
  if (!ciphers) {
    handshake_.reset();
    return ciphers.error();
  }
  h_ = handshake_->handshake_hash();
  transport_ = std::move(*ciphers);
  handshake_.reset();
  return caf::none;
}

} // namespace p2pchat
