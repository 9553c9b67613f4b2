#include "node/support/noise_client.hpp"

#include "protocol/errors.hpp"

namespace p2pchat::test {

namespace {

hello hello_for(const test_node_key& key, const std::string& name,
                uint16_t listen_port) {
  return hello{protocol_version, key.id, name, listen_port, 0};
}

} // namespace

noise_client::noise_client(uint16_t port, const std::string& name,
                           uint16_t listen_port, uint8_t key_seed)
    : key_(make_node_key(key_seed)), raw_(port),
      session_(noise_role::initiator, key_.static_key,
               hello_for(key_, name, listen_port)) {
  // nop
}

noise_client::noise_client(uint16_t port, const hello& claim, uint8_t key_seed)
    : key_(make_node_key(key_seed)), raw_(port),
      session_(noise_role::initiator, key_.static_key, claim) {
  // nop
}

bool noise_client::handshake(milliseconds timeout) {
  std::vector<char> out;
  if (auto err = session_.start(out)) {
    error_ = describe(err);
    return false;
  }
  if (!raw_.send(out, timeout)) {
    error_ = "cannot send message 1";
    return false;
  }
  auto second = next_frame(timeout);
  if (!second)
    return false;
  out.clear();
  auto got = session_.read_handshake(second->data(), second->size(), out);
  if (!got || !*got) {
    error_ = got ? "no hello in message 2" : describe(got.error());
    return false;
  }
  peer_hello_ = std::move(**got);
  if (!raw_.send(out, timeout)) {
    error_ = "cannot send message 3";
    return false;
  }
  return true;
}

bool noise_client::send(const message& msg, milliseconds timeout) {
  return send_all({msg}, timeout);
}

bool noise_client::send_all(const std::vector<message>& msgs,
                            milliseconds timeout) {
  auto out = seal_all(msgs);
  return error_.empty() && raw_.send(out, timeout);
}

std::vector<char> noise_client::seal_all(const std::vector<message>& msgs) {
  std::vector<char> out;
  for (auto& msg : msgs) {
    if (auto err = session_.seal(msg, out)) {
      error_ = describe(err);
      break;
    }
  }
  return out;
}

std::optional<message> noise_client::receive(milliseconds timeout) {
  auto frame = next_frame(timeout);
  if (!frame)
    return std::nullopt;
  auto msg = session_.open(frame->data(), frame->size());
  if (!msg) {
    error_ = describe(msg.error());
    return std::nullopt;
  }
  return std::move(*msg);
}

std::optional<std::vector<char>>
noise_client::next_frame(milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto frame = reader_.next();
    if (frame.error) {
      error_ = describe(frame.error);
      return std::nullopt;
    }
    if (frame.data != nullptr)
      return std::vector<char>(frame.data, frame.data + frame.size);
    auto left = std::chrono::duration_cast<milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::vector<char> bytes;
    if (left.count() <= 0 || !raw_.receive(bytes, left)) {
      error_ = "nothing (more) from the node";
      return std::nullopt;
    }
    reader_.append(bytes.data(), bytes.size());
  }
}

} // namespace p2pchat::test
