#include "protocol/signing.hpp"

#include <algorithm>
#include <cstring>

#include <sodium.h>

#include "protocol/byte_io.hpp"

namespace p2pchat {

static_assert(crypto_sign_BYTES == std::tuple_size_v<ed25519_signature>);
static_assert(crypto_sign_SECRETKEYBYTES ==
              std::tuple_size_v<ed25519_secret_key>);

namespace {

void append_domain(std::vector<char>& out, const char* domain) {
  // The terminating zero ends the domain string: no field can extend it.
  out.insert(out.end(), domain, domain + std::strlen(domain) + 1);
}

std::vector<uint8_t> to_bytes(const std::vector<char>& x) {
  return std::vector<uint8_t>(x.begin(), x.end());
}

} // namespace

std::vector<uint8_t> broadcast_signed_bytes(const broadcast& msg) {
  std::vector<char> buf;
  append_domain(buf, broadcast_signature_domain);
  detail::byte_writer out{buf};
  out.bytes(msg.id.data(), msg.id.size());
  out.bytes(msg.origin.bytes.data(), msg.origin.bytes.size());
  out.str_u8(msg.origin_name);
  out.u16(msg.origin_port);
  out.i64(msg.sent_at_ms);
  out.str_u32(msg.text);
  return to_bytes(buf);
}

ed25519_signature sign_bytes(const ed25519_secret_key& secret_key,
                             const std::vector<uint8_t>& data) {
  ed25519_signature result;
  crypto_sign_detached(result.data(), nullptr, data.data(), data.size(),
                       secret_key.data());
  return result;
}

void sign_broadcast(broadcast& msg, const ed25519_secret_key& secret_key) {
  msg.signature = sign_bytes(secret_key, broadcast_signed_bytes(msg));
}

bool verify_broadcast(const broadcast& msg) {
  auto data = broadcast_signed_bytes(msg);
  return crypto_sign_verify_detached(msg.signature.data(), data.data(),
                                     data.size(), msg.origin.bytes.data()) == 0;
}

ed25519_secret_key secret_key_from_seed(const std::array<uint8_t, 32>& seed) {
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> public_key;
  ed25519_secret_key result;
  crypto_sign_seed_keypair(public_key.data(), result.data(), seed.data());
  return result;
}

node_id id_of(const ed25519_secret_key& secret_key) {
  node_id result;
  std::copy(secret_key.begin() + 32, secret_key.end(), result.bytes.begin());
  return result;
}

std::string safety_number(const node_id& x, const node_id& y) {
  auto& lo = std::min(x, y);
  auto& hi = std::max(x, y);
  std::vector<char> buf;
  append_domain(buf, safety_number_domain);
  buf.insert(buf.end(), lo.bytes.begin(), lo.bytes.end());
  buf.insert(buf.end(), hi.bytes.begin(), hi.bytes.end());
  std::array<uint8_t, 64> hash;
  crypto_generichash_blake2b(hash.data(), hash.size(),
                             reinterpret_cast<const uint8_t*>(buf.data()),
                             buf.size(), nullptr, 0);
  // Each group: 5 bytes (40 bits) taken modulo 100,000. The bias of the
  // modulo is below 2^-23 per group, irrelevant for a comparison by eye.
  std::string result;
  for (size_t group = 0; group < 6; ++group) {
    uint64_t value = 0;
    for (size_t i = 0; i < 5; ++i)
      value = (value << 8) | hash[group * 5 + i];
    auto digits = std::to_string(value % 100000);
    if (group > 0)
      result += ' ';
    result += std::string(5 - digits.size(), '0') + digits;
  }
  return result;
}

std::string fingerprint(const node_id& id) {
  auto hex = id.to_hex();
  std::string result;
  for (size_t i = 0; i < hex.size(); i += 8) {
    if (i > 0)
      result += ' ';
    result += hex.substr(i, 8);
  }
  return result;
}

} // namespace p2pchat
