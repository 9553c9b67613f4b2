#include "node/support/legacy_peer.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <system_error>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/errors.hpp"
#include "protocol/frame.hpp"

namespace p2pchat::test {

namespace {

using clock_type = std::chrono::steady_clock;

/// The thread ends after this long even if nobody stops it (a test binary
/// is killed after 300 s anyway).
constexpr std::chrono::minutes max_life{10};

/// Upper bound on the rounds of any loop; each round handles an event or
/// ends at a deadline, so this only guards against bugs.
constexpr int max_rounds = 1000000;

/// How many connections the double reads at once; more wait in the backlog.
constexpr size_t max_open = 64;

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

int remaining_ms(clock_type::time_point deadline) {
  auto left =
      std::chrono::duration_cast<milliseconds>(deadline - clock_type::now());
  // Round up, so that a poll does not wake up just before the deadline.
  return static_cast<int>(std::max<milliseconds::rep>(left.count() + 1, 0));
}

std::string mode_name(legacy_mode x) {
  switch (x) {
    case legacy_mode::read_until_close:
      return "read until close";
    case legacy_mode::read_once:
      return "read once";
    case legacy_mode::stay_silent:
      return "stay silent";
  }
  return "?";
}

} // namespace

std::ostream& operator<<(std::ostream& out, connection_end x) {
  switch (x) {
    case connection_end::open:
      return out << "open";
    case connection_end::sender_closed:
      return out << "sender closed";
    case connection_end::read_once:
      return out << "read once, closed";
    case connection_end::too_large:
      return out << "too large, closed";
    case connection_end::timed_out:
      return out << "timed out, closed";
    case connection_end::reset:
      return out << "reset";
    case connection_end::stopped:
      return out << "double stopped";
  }
  return out << "?";
}

std::string printable(const std::string& bytes, size_t max) {
  std::string result;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      result += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      result += hex;
    }
  }
  if (bytes.size() > max)
    result += "[... " + std::to_string(bytes.size()) + " bytes]";
  return result;
}

// -- received_connection ------------------------------------------------------

std::optional<legacy_message> received_connection::legacy() const {
  auto parsed = parse_legacy(bytes);
  if (!parsed)
    return std::nullopt;
  return std::move(*parsed);
}

bool received_connection::starts_with_preamble() const {
  return bytes.size() >= preamble_v2.size() &&
         std::equal(preamble_v2.begin(), preamble_v2.end(), bytes.begin());
}

// -- legacy_peer --------------------------------------------------------------

legacy_peer::legacy_peer(std::string name, legacy_mode mode,
                         milliseconds read_timeout)
    : name_(std::move(name)), mode_(mode), read_timeout_(read_timeout) {
  // A node that closes while we write must cost an error, not the test.
  static const bool sigpipe_ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)sigpipe_ignored;
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int wake[2];
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
          0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) !=
          0 ||
      ::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    auto saved = errno;
    close_fd(listen_fd_);
    throw std::system_error(saved, std::generic_category(),
                            "legacy_peer listen");
  }
  port_ = ntohs(addr.sin_port);
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];
  thread_ = std::thread([this] { run(); });
}

legacy_peer::~legacy_peer() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stop_ = true;
  }
  char one = 1;
  auto written = ::write(wake_write_fd_, &one, 1);
  (void)written; // A full pipe wakes the thread just as well.
  if (thread_.joinable())
    thread_.join();
  close_fd(listen_fd_);
  close_fd(wake_read_fd_);
  close_fd(wake_write_fd_);
}

std::string legacy_peer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::string legacy_peer::display() const {
  return name_ + " [" + address() + "]";
}

std::string legacy_peer::format(const std::string& text) const {
  return address() + " " + name_ + " " + text;
}

void legacy_peer::finish(open_connection& c, connection_end end) {
  close_fd(c.fd);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    received_[c.index].end = end;
  }
  changed_.notify_all();
}

bool legacy_peer::read_from(open_connection& c) {
  if (mode_ == legacy_mode::read_once) {
    // The original: one recv of at most 1024 bytes, then close.
    char buf[original_read_bytes];
    ssize_t n = -1;
    for (int round = 0; round < max_rounds; ++round) {
      n = ::recv(c.fd, buf, sizeof(buf), 0);
      if (n >= 0 || errno != EINTR)
        break;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return false;
    if (n > 0) {
      std::lock_guard<std::mutex> guard{mtx_};
      received_[c.index].bytes.append(buf, static_cast<size_t>(n));
    }
    finish(c, n > 0    ? connection_end::read_once
              : n == 0 ? connection_end::sender_closed
                       : connection_end::reset);
    return true;
  }
  std::string got;
  auto end = connection_end::open;
  for (int round = 0; round < max_rounds; ++round) {
    char buf[16384];
    auto n = ::recv(c.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      got.append(buf, static_cast<size_t>(n));
      if (got.size() > max_read_bytes) {
        end = connection_end::too_large;
        break;
      }
      continue;
    }
    if (n == 0) {
      end = connection_end::sender_closed;
      break;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      end = connection_end::reset;
    break;
  }
  bool too_large = false;
  if (!got.empty()) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      auto& bytes = received_[c.index].bytes;
      bytes += got;
      too_large = bytes.size() > max_read_bytes;
    }
    changed_.notify_all();
  }
  if (too_large && end == connection_end::open)
    end = connection_end::too_large;
  if (end == connection_end::open)
    return false;
  finish(c, end);
  return true;
}

void legacy_peer::run() {
  std::vector<open_connection> open;
  auto life_end = clock_type::now() + max_life;
  for (int round = 0; round < max_rounds; ++round) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (stop_)
        break;
    }
    auto now = clock_type::now();
    if (now >= life_end)
      break;
    // Connections past their deadline (read_until_close only).
    auto wake_at = life_end;
    for (auto& c : open) {
      if (mode_ != legacy_mode::read_until_close)
        continue;
      if (now >= c.deadline)
        finish(c, connection_end::timed_out);
      else
        wake_at = std::min(wake_at, c.deadline);
    }
    open.erase(
        std::remove_if(open.begin(), open.end(),
                       [](const open_connection& c) { return c.fd < 0; }),
        open.end());
    std::vector<pollfd> fds;
    fds.push_back(pollfd{wake_read_fd_, POLLIN, 0});
    bool accepting = open.size() < max_open;
    fds.push_back(pollfd{accepting ? listen_fd_ : -1, POLLIN, 0});
    for (auto& c : open)
      fds.push_back(pollfd{c.fd, POLLIN, 0});
    auto rc = ::poll(fds.data(), fds.size(), remaining_ms(wake_at));
    if (rc < 0 && errno != EINTR)
      break;
    if (rc <= 0)
      continue;
    if (fds[0].revents != 0)
      continue; // Stop was asked for; the loop head sees it.
    for (size_t i = 0; i < open.size(); ++i)
      if (fds[i + 2].revents != 0)
        read_from(open[i]);
    if (accepting && fds[1].revents != 0) {
      for (int n = 0; open.size() < max_open && n < max_rounds; ++n) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          break; // EAGAIN: nothing more to accept.
        }
        size_t index = 0;
        {
          std::lock_guard<std::mutex> guard{mtx_};
          index = received_.size();
          received_.emplace_back();
        }
        changed_.notify_all();
        open.push_back(
            open_connection{fd, index, clock_type::now() + read_timeout_});
      }
    }
  }
  for (auto& c : open)
    if (c.fd >= 0)
      finish(c, connection_end::stopped);
}

std::vector<received_connection> legacy_peer::connections() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return received_;
}

size_t legacy_peer::connection_count() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return received_.size();
}

template <class Pred>
bool legacy_peer::wait_until(Pred pred, milliseconds timeout) {
  std::unique_lock<std::mutex> lock{mtx_};
  return changed_.wait_until(lock, clock_type::now() + timeout,
                             [&] { return pred(); });
}

bool legacy_peer::wait_for_connections(size_t n, milliseconds timeout) {
  return wait_until(
      [&] {
        return received_.size() >= n &&
               std::all_of(
                   received_.begin(), received_.begin() + n,
                   [](const received_connection& x) { return x.finished(); });
      },
      timeout);
}

std::optional<legacy_message>
legacy_peer::wait_for_text(const std::string& text, milliseconds timeout) {
  std::optional<legacy_message> result;
  // Parses each finished connection once, not on every wake-up.
  size_t checked = 0;
  std::vector<bool> seen;
  wait_until(
      [&] {
        seen.resize(received_.size(), false);
        for (size_t i = checked; i < received_.size(); ++i) {
          if (seen[i] || !received_[i].finished())
            continue;
          seen[i] = true;
          auto msg = received_[i].legacy();
          if (msg && msg->text == text) {
            result = std::move(msg);
            return true;
          }
        }
        while (checked < seen.size() && seen[checked])
          ++checked;
        return false;
      },
      timeout);
  return result;
}

size_t legacy_peer::count_text(const std::string& text) const {
  auto all = connections();
  return static_cast<size_t>(
      std::count_if(all.begin(), all.end(), [&](const received_connection& x) {
        if (!x.finished())
          return false;
        auto msg = x.legacy();
        return msg && msg->text == text;
      }));
}

std::optional<uint16_t> legacy_peer::send(uint16_t to_port,
                                          const std::string& text,
                                          milliseconds timeout) const {
  return send_raw(to_port, format(text), timeout);
}

std::optional<uint16_t> legacy_peer::send_raw(uint16_t to_port,
                                              const std::string& bytes,
                                              milliseconds timeout) {
  // Connect, write everything, close; never read.
  raw_client client{to_port};
  if (!client.connected())
    return std::nullopt;
  if (!client.send(std::vector<char>(bytes.begin(), bytes.end()), timeout))
    return std::nullopt;
  return client.local_port();
}

std::ostream& operator<<(std::ostream& out, const legacy_peer_report& x) {
  auto& p = *x.peer;
  auto all = p.connections();
  out << "\n==== legacy double " << p.display() << " (" << mode_name(p.mode_)
      << "), " << all.size() << " connection(s)";
  for (size_t i = 0; i < all.size(); ++i) {
    auto& c = all[i];
    out << "\n  #" << i << " [" << c.end << ", " << c.bytes.size()
        << " bytes] '" << printable(c.bytes) << "'";
    if (c.starts_with_preamble()) {
      out << " (p2pchat preamble)";
    } else if (c.finished()) {
      auto parsed = parse_legacy(c.bytes);
      if (parsed)
        out << " (legacy: name '" << parsed->name << "', text '"
            << printable(parsed->text, 60) << "')";
      else
        out << " (not legacy: " << describe(parsed.error()) << ")";
    }
  }
  out << "\n==== end of legacy double " << p.name() << '\n';
  return out;
}

} // namespace p2pchat::test
