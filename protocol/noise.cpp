#include "protocol/noise.hpp"

#include <string>
#include <string_view>
#include <utility>

#include "protocol/errors.hpp"

namespace p2pchat {

namespace {

using noise::dh_len;
using noise::hash_len;
using noise::key_len;
using noise::max_message_size;
using noise::tag_len;

caf::span<const uint8_t> as_bytes(caf::span<const char> xs) {
  return {reinterpret_cast<const uint8_t*>(xs.data()), xs.size()};
}

caf::span<const char> as_chars(caf::span<const uint8_t> xs) {
  return {reinterpret_cast<const char*>(xs.data()), xs.size()};
}

void append(std::vector<char>& out, caf::span<const uint8_t> xs) {
  auto chars = as_chars(xs);
  out.insert(out.end(), chars.begin(), chars.end());
}

/// The first `key_len` bytes of a HKDF output (HASHLEN 64 > 32).
noise::secret<key_len> truncate_key(const noise::secret<hash_len>& temp_k) {
  noise::secret<key_len> result;
  for (size_t i = 0; i < key_len; ++i)
    result.data()[i] = temp_k.data()[i];
  return result;
}

/// XX's message patterns (section 7.5), token by token as the spec writes
/// them; a pattern ends at its first empty token.
constexpr std::array<std::array<std::string_view, 4>, 3> xx_pattern = {{
    {"e"},
    {"e", "ee", "s", "es"},
    {"s", "se"},
}};

/// Bytes of message `step` besides the payload: the keys it carries and its
/// tags. `keyed` says whether the cipher has a key when the message starts.
size_t overhead(int step, bool keyed) {
  size_t result = 0;
  for (auto t : xx_pattern[static_cast<size_t>(step)]) {
    if (t == "e")
      result += dh_len;
    else if (t == "s")
      result += dh_len + (keyed ? tag_len : 0);
    else if (!t.empty())
      keyed = true;
  }
  return result + (keyed ? tag_len : 0);
}

std::string message_name(int step) {
  return "message " + std::to_string(step + 1);
}

} // namespace

// -- cipher_state -------------------------------------------------------------

cipher_state::cipher_state(const noise::secret<key_len>& key)
    : k_(key), has_key_(true) {
  // nop
}

cipher_state::cipher_state(cipher_state&& other) noexcept
    : k_(std::move(other.k_)), has_key_(std::exchange(other.has_key_, false)),
      n_(other.n_) {
  // nop
}

cipher_state& cipher_state::operator=(cipher_state&& other) noexcept {
  if (this != &other) {
    k_ = std::move(other.k_);
    has_key_ = std::exchange(other.has_key_, false);
    n_ = other.n_;
  }
  return *this;
}

caf::error cipher_state::check_usable(size_t size, size_t max_size) const {
  if (!has_key_)
    return make_error(ec::handshake_failed,
                      "no transport key: the handshake has not finished");
  if (n_ == noise::max_nonce)
    return make_error(ec::nonce_exhausted,
                      "all 2^64 - 1 nonces of this direction are used");
  if (size > max_size)
    return make_error(ec::frame_too_large, std::to_string(size) + " bytes > " +
                                               std::to_string(max_size));
  return caf::none;
}

caf::expected<std::vector<char>>
cipher_state::encrypt(caf::span<const char> ad,
                      caf::span<const char> plaintext) {
  std::vector<char> out;
  if (auto err = encrypt_append(ad, plaintext, out))
    return err;
  return out;
}

caf::expected<std::vector<char>>
cipher_state::decrypt(caf::span<const char> ad,
                      caf::span<const char> ciphertext) {
  std::vector<char> out;
  if (auto err = decrypt_into(ad, ciphertext, out))
    return err;
  return out;
}

caf::error cipher_state::encrypt_append(caf::span<const char> ad,
                                        caf::span<const char> plaintext,
                                        std::vector<char>& out) {
  if (auto err = check_usable(plaintext.size(), noise_max_plaintext))
    return err;
  auto start = out.size();
  out.resize(start + plaintext.size() + tag_len);
  noise::encrypt(k_, n_, as_bytes(ad), as_bytes(plaintext),
                 reinterpret_cast<uint8_t*>(out.data() + start));
  ++n_;
  return caf::none;
}

caf::error cipher_state::decrypt_into(caf::span<const char> ad,
                                      caf::span<const char> ciphertext,
                                      std::vector<char>& out) {
  if (auto err = check_usable(ciphertext.size(), max_message_size))
    return err;
  if (ciphertext.size() < tag_len)
    return make_error(ec::decrypt_failed, std::to_string(ciphertext.size()) +
                                              " bytes, shorter than a tag");
  out.resize(ciphertext.size() - tag_len);
  if (!noise::decrypt(k_, n_, as_bytes(ad), as_bytes(ciphertext),
                      reinterpret_cast<uint8_t*>(out.data())))
    return make_error(ec::decrypt_failed, "the message for nonce " +
                                              std::to_string(n_) +
                                              " does not authenticate");
  ++n_;
  return caf::none;
}

void cipher_state::rekey() {
  if (has_key_)
    k_ = noise::rekey(k_);
}

// -- symmetric_state ----------------------------------------------------------

symmetric_state::symmetric_state() {
  constexpr size_t name_len = sizeof(noise_protocol_name) - 1;
  static_assert(name_len <= hash_len, "the name must be padded, not hashed");
  for (size_t i = 0; i < name_len; ++i) {
    h_[i] = static_cast<uint8_t>(noise_protocol_name[i]);
    ck_.data()[i] = h_[i];
  }
}

void symmetric_state::mix_key(caf::span<const uint8_t> input_key_material) {
  auto [ck, temp_k] = noise::hkdf(ck_, input_key_material);
  ck_ = std::move(ck);
  cs_ = cipher_state{truncate_key(temp_k)};
}

void symmetric_state::mix_hash(caf::span<const uint8_t> data) {
  h_ = noise::hash(h_, data);
}

bool symmetric_state::encrypt_and_hash(caf::span<const uint8_t> plaintext,
                                       std::vector<char>& out) {
  if (!cs_.has_key()) {
    if (plaintext.size() > noise_max_plaintext)
      return false;
    append(out, plaintext);
    mix_hash(plaintext);
    return true;
  }
  auto ciphertext = cs_.encrypt(as_chars(h_), as_chars(plaintext));
  if (!ciphertext)
    return false;
  out.insert(out.end(), ciphertext->begin(), ciphertext->end());
  mix_hash(as_bytes(*ciphertext));
  return true;
}

bool symmetric_state::decrypt_and_hash(caf::span<const uint8_t> ciphertext,
                                       std::vector<char>& out) {
  if (!cs_.has_key()) {
    append(out, ciphertext);
    mix_hash(ciphertext);
    return true;
  }
  auto plaintext = cs_.decrypt(as_chars(h_), as_chars(ciphertext));
  if (!plaintext)
    return false;
  out.insert(out.end(), plaintext->begin(), plaintext->end());
  mix_hash(ciphertext);
  return true;
}

std::pair<cipher_state, cipher_state> symmetric_state::split() {
  auto [temp_k1, temp_k2] = noise::hkdf(ck_, {});
  ck_.clear();
  cs_ = cipher_state{};
  return {cipher_state{truncate_key(temp_k1)},
          cipher_state{truncate_key(temp_k2)}};
}

// -- noise_handshake ----------------------------------------------------------

noise_handshake::noise_handshake(noise_role role, const noise::keypair& s,
                                 caf::span<const char> prologue)
    : role_(role), s_(s) {
  sym_.mix_hash(as_bytes(prologue));
}

noise_handshake::noise_handshake(noise_role role, const noise::keypair& s,
                                 caf::span<const char> prologue,
                                 const noise::private_key& fixed_ephemeral)
    : noise_handshake(role, s, prologue) {
  fixed_e_ = fixed_ephemeral;
}

noise_handshake::noise_handshake(noise_handshake&& other) noexcept
    : role_(other.role_), s_(std::move(other.s_)),
      fixed_e_(std::move(other.fixed_e_)), e_(std::move(other.e_)),
      re_(other.re_), rs_(other.rs_), sym_(std::move(other.sym_)),
      step_(other.step_), failed_(std::exchange(other.failed_, true)),
      transport_(std::move(other.transport_)) {
  other.transport_.reset();
}

noise_handshake& noise_handshake::operator=(noise_handshake&& other) noexcept {
  if (this != &other) {
    role_ = other.role_;
    s_ = std::move(other.s_);
    fixed_e_ = std::move(other.fixed_e_);
    e_ = std::move(other.e_);
    re_ = other.re_;
    rs_ = other.rs_;
    sym_ = std::move(other.sym_);
    step_ = other.step_;
    failed_ = std::exchange(other.failed_, true);
    transport_ = std::move(other.transport_);
    other.transport_.reset();
  }
  return *this;
}

bool noise_handshake::my_turn() const noexcept {
  if (failed_ || step_ == 3)
    return false;
  // The initiator writes messages 1 and 3, the responder message 2.
  return (step_ % 2 == 0) == (role_ == noise_role::initiator);
}

caf::error noise_handshake::fail(std::string detail) {
  failed_ = true;
  s_.priv.clear();
  e_.priv.clear();
  fixed_e_.reset();
  sym_ = symmetric_state{};
  transport_.reset();
  return make_error(ec::handshake_failed, std::move(detail));
}

bool noise_handshake::mix_dh(std::string_view t) {
  // Section 7.1: the first letter of a DH token names the initiator's key,
  // the second the responder's; each side uses its own private key.
  auto initiator = role_ == noise_role::initiator;
  auto local = initiator ? t[0] : t[1];
  auto remote = initiator ? t[1] : t[0];
  if (remote == 's' && !rs_)
    return false;
  noise::secret<dh_len> shared;
  if (!noise::dh(local == 'e' ? e_ : s_, remote == 'e' ? re_ : *rs_, shared))
    return false;
  sym_.mix_key(shared);
  return true;
}

caf::expected<std::vector<char>>
noise_handshake::write_message(caf::span<const char> payload) {
  if (failed_)
    return make_error(ec::handshake_failed, "the handshake failed earlier");
  if (step_ == 3)
    return make_error(ec::handshake_failed, "the handshake is over");
  auto name = message_name(step_);
  if (!my_turn())
    return make_error(ec::handshake_failed, name + " is the peer's to write");
  auto size = overhead(step_, sym_.has_key()) + payload.size();
  if (size > max_message_size)
    return make_error(ec::frame_too_large,
                      name + " would have " + std::to_string(size) +
                          " bytes > " + std::to_string(max_message_size));
  std::vector<char> out;
  out.reserve(size);
  for (auto t : xx_pattern[static_cast<size_t>(step_)]) {
    if (t.empty())
      break;
    if (t == "e") {
      if (fixed_e_)
        e_ = noise::keypair_from_private(*fixed_e_);
      else if (!noise::generate_keypair(e_))
        return fail(name + ": cannot generate an ephemeral key");
      append(out, e_.pub);
      sym_.mix_hash(e_.pub);
    } else if (t == "s") {
      if (!sym_.encrypt_and_hash(s_.pub, out))
        return fail(name + ": cannot encrypt the static key");
    } else if (!mix_dh(t)) {
      return fail(name + ": invalid key from the peer (" + std::string{t} +
                  ")");
    }
  }
  if (!sym_.encrypt_and_hash(as_bytes(payload), out))
    return fail(name + ": cannot encrypt the payload");
  if (++step_ == 3)
    finish();
  return out;
}

caf::expected<std::vector<char>>
noise_handshake::read_message(caf::span<const char> message) {
  if (failed_)
    return make_error(ec::handshake_failed, "the handshake failed earlier");
  if (step_ == 3)
    return fail("a handshake message after the handshake finished");
  auto name = message_name(step_);
  if (my_turn())
    return fail(name + " came from the peer, but it is ours to write");
  auto min_size = overhead(step_, sym_.has_key());
  if (message.size() < min_size || message.size() > max_message_size)
    return fail(name + " has " + std::to_string(message.size()) +
                " bytes, not " + std::to_string(min_size) + " to " +
                std::to_string(max_message_size));
  auto rest = as_bytes(message);
  for (auto t : xx_pattern[static_cast<size_t>(step_)]) {
    if (t.empty())
      break;
    if (t == "e") {
      for (size_t j = 0; j < dh_len; ++j)
        re_[j] = rest[j];
      sym_.mix_hash(re_);
      rest = rest.subspan(dh_len, rest.size() - dh_len);
    } else if (t == "s") {
      auto len = dh_len + (sym_.has_key() ? tag_len : 0);
      std::vector<char> key;
      if (!sym_.decrypt_and_hash(rest.first(len), key))
        return fail(name + ": the peer's static key does not decrypt");
      noise::public_key rs;
      for (size_t j = 0; j < dh_len; ++j)
        rs[j] = static_cast<uint8_t>(key[j]);
      rs_ = rs;
      rest = rest.subspan(len, rest.size() - len);
    } else if (!mix_dh(t)) {
      return fail(name + ": invalid key from the peer (" + std::string{t} +
                  ")");
    }
  }
  std::vector<char> payload;
  if (!sym_.decrypt_and_hash(rest, payload))
    return fail(name + ": the payload does not decrypt");
  if (++step_ == 3)
    finish();
  return payload;
}

void noise_handshake::finish() {
  auto [c1, c2] = sym_.split();
  if (role_ == noise_role::initiator)
    transport_ = transport_ciphers{std::move(c1), std::move(c2)};
  else
    transport_ = transport_ciphers{std::move(c2), std::move(c1)};
  // Only the transport keys, h and rs outlive the handshake.
  s_.priv.clear();
  e_.priv.clear();
  fixed_e_.reset();
}

caf::expected<transport_ciphers> noise_handshake::split() {
  if (!finished())
    return make_error(ec::handshake_failed, "the handshake has not finished");
  if (!transport_)
    return make_error(ec::handshake_failed, "the transport keys were taken");
  auto result = std::move(*transport_);
  transport_.reset();
  return result;
}

} // namespace p2pchat
