#pragma once

// A TCP relay on 127.0.0.1 for node tests: accepts connections, opens one to
// the target for each, forwards bytes both ways and records them, as a
// passive observer on the path between two nodes would see them.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace p2pchat::test {

class tcp_relay {
public:
  /// Listens on an OS-chosen port and relays to 127.0.0.1:`target_port`.
  explicit tcp_relay(uint16_t target_port);

  /// Stops relaying (closing every connection) if `stop` was not called.
  ~tcp_relay();

  tcp_relay(const tcp_relay&) = delete;
  tcp_relay& operator=(const tcp_relay&) = delete;

  /// The port to dial instead of the target's.
  uint16_t port() const noexcept { return port_; }

  /// Stops relaying and closes every connection; afterwards the captures
  /// hold everything relayed.
  void stop();

  /// Bytes from the dialing side to the target, and back, of every
  /// connection in turn. Only valid after `stop`.
  const std::string& to_target() const noexcept { return to_target_; }
  const std::string& from_target() const noexcept { return from_target_; }

private:
  void run();

  uint16_t target_port_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::string to_target_;
  std::string from_target_;
  std::thread worker_;
};

} // namespace p2pchat::test
