#include "node/support/node_process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

extern char** environ;

namespace p2pchat::test {

namespace {

using clock_type = std::chrono::steady_clock;

/// Upper bound on the rounds of any wait loop; each round either reads
/// something or ends at the deadline, so this only guards against bugs.
constexpr int max_rounds = 1000000;

/// Without a pidfd, how often a wait looks whether the child exited.
constexpr milliseconds reap_interval{20};

/// How much of each stream a report shows.
constexpr size_t tail_bytes = 3000;

int remaining_ms(clock_type::time_point deadline) {
  auto left =
      std::chrono::duration_cast<milliseconds>(deadline - clock_type::now());
  return static_cast<int>(std::max<milliseconds::rep>(left.count(), 0));
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

/// Writing to a child that died must fail with EPIPE, not kill the test.
void ignore_sigpipe() {
  static const bool done = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

std::string tail(const std::string& text) {
  if (text.size() <= tail_bytes)
    return text;
  return "[...]" + text.substr(text.size() - tail_bytes);
}

/// Calls `f` on each complete line of `text` that starts at or after byte
/// `from`. The rest of a line begun before `from` is no line of its own.
template <class F>
void for_each_line(const std::string& text, size_t from, F f) {
  size_t pos = std::min(from, text.size());
  if (pos > 0 && text[pos - 1] != '\n') {
    pos = text.find('\n', pos);
    if (pos == std::string::npos)
      return;
    ++pos;
  }
  for (int i = 0; i < max_rounds; ++i) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos)
      return;
    f(text.substr(pos, end - pos));
    pos = end + 1;
  }
}

std::string stream_name(stream s) {
  return s == stream::out ? "stdout" : "stderr";
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

} // namespace

// -- temp_dir -----------------------------------------------------------------

temp_dir::temp_dir() {
  // Prefer a tmpfs: each node fsyncs its new key, and on a shared disk busy
  // with builds one fsync can stall a node's start for seconds.
  std::string base = "/tmp";
  if (auto env = std::getenv("TMPDIR"); env != nullptr && env[0] == '/')
    base = env;
  if (::access("/dev/shm", W_OK | X_OK) == 0)
    base = "/dev/shm";
  std::string templ = base + "/p2pchat-node-test-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
  path_ = templ;
}

temp_dir::~temp_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

// -- node_process -------------------------------------------------------------

node_process::node_process(std::vector<std::string> args) {
  ignore_sigpipe();
  label_ = args.empty() ? "p2pchat" : "p2pchat " + args.front();
  int in[2];
  int out[2];
  int err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  // The child gets default signal handling and mask, not the test's.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<std::string> argv_storage;
  argv_storage.push_back(P2PCHAT_BINARY);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  auto rc =
      posix_spawn(&pid_, P2PCHAT_BINARY, &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  if (rc != 0) {
    pid_ = -1;
    close_fd(stdin_fd_);
    close_fd(stdout_fd_);
    close_fd(stderr_fd_);
    throw std::system_error(rc, std::generic_category(),
                            std::string{"posix_spawn "} + P2PCHAT_BINARY);
  }
  set_nonblocking(stdin_fd_);
  set_nonblocking(stdout_fd_);
  set_nonblocking(stderr_fd_);
  // A pidfd lets poll wake up on the exit itself; without one, waits look
  // every reap_interval.
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
}

node_process::~node_process() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR)
      continue;
  }
  close_fd(pidfd_);
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
}

const std::string& node_process::output(stream s) const {
  return s == stream::out ? out_ : err_;
}

bool node_process::try_reap() {
  if (status_)
    return true;
  int status = 0;
  auto rc = ::waitpid(pid_, &status, WNOHANG);
  if (rc != pid_)
    return false;
  if (WIFEXITED(status))
    status_ = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    status_ = 128 + WTERMSIG(status);
  else
    status_ = -1;
  close_fd(pidfd_);
  return true;
}

bool node_process::pump(clock_type::time_point deadline) {
  pollfd fds[3];
  int* owners[3];
  nfds_t n = 0;
  for (int* fd : {&stdout_fd_, &stderr_fd_}) {
    if (*fd >= 0) {
      fds[n] = pollfd{*fd, POLLIN, 0};
      owners[n++] = fd;
    }
  }
  bool watch_exit = !status_ && pidfd_ >= 0;
  if (watch_exit) {
    fds[n] = pollfd{pidfd_, POLLIN, 0};
    owners[n++] = &pidfd_;
  }
  if (status_ && n == 0)
    return false; // Nothing more can happen.
  auto timeout = remaining_ms(deadline);
  if (!status_ && pidfd_ < 0)
    timeout = std::min(timeout, static_cast<int>(reap_interval.count()));
  auto rc = ::poll(fds, n, timeout);
  if (rc < 0 && errno != EINTR)
    throw std::system_error(errno, std::generic_category(), "poll");
  for (nfds_t i = 0; rc > 0 && i < n; ++i) {
    if (fds[i].revents == 0 || owners[i] == &pidfd_)
      continue;
    auto& buf = owners[i] == &stdout_fd_ ? out_ : err_;
    char chunk[4096];
    for (int round = 0; round < max_rounds; ++round) {
      auto got = ::read(*owners[i], chunk, sizeof(chunk));
      if (got > 0) {
        buf.append(chunk, static_cast<size_t>(got));
        continue;
      }
      if (got < 0 && errno == EINTR)
        continue;
      if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
        close_fd(*owners[i]);
      break;
    }
  }
  try_reap();
  return !(status_ && stdout_fd_ < 0 && stderr_fd_ < 0);
}

template <class Pred>
bool node_process::wait_until(Pred pred, milliseconds timeout,
                              std::string what) {
  auto deadline = clock_type::now() + timeout;
  last_wait_ = what;
  for (int round = 0; round < max_rounds; ++round) {
    if (pred()) {
      last_wait_ = "(ok) " + what;
      return true;
    }
    if (clock_type::now() >= deadline)
      break;
    if (!pump(deadline)) {
      // Nothing can change anymore: both streams ended, the child is gone.
      if (pred()) {
        last_wait_ = "(ok) " + what;
        return true;
      }
      last_wait_ = "FAILED: " + what + " (the process ended)";
      return false;
    }
  }
  last_wait_ = "FAILED: " + what + " (no match within " +
               std::to_string(timeout.count()) + " ms)";
  return false;
}

bool node_process::wait_for(const std::string& text, milliseconds timeout,
                            size_t from, stream s) {
  const auto& buf = output(s);
  return wait_until(
      [&] {
        return buf.size() >= from && buf.find(text, from) != std::string::npos;
      },
      timeout,
      "'" + text + "' on " + stream_name(s) + " after byte " +
          std::to_string(from));
}

bool node_process::wait_for(const line_pattern& line, milliseconds timeout,
                            size_t from, stream s) {
  // Only lines completed since the last look need checking.
  size_t checked = from;
  const auto& buf = output(s);
  return wait_until(
      [&] {
        bool found = false;
        auto last_newline = buf.rfind('\n');
        if (last_newline == std::string::npos || last_newline < checked)
          return false;
        for_each_line(buf.substr(0, last_newline + 1), checked,
                      [&](const std::string& x) {
                        found = found || std::regex_match(x, line.regex);
                      });
        checked = last_newline + 1;
        return found;
      },
      timeout,
      "a line matching '" + line.source + "' on " + stream_name(s) +
          " after byte " + std::to_string(from));
}

size_t node_process::count_lines(const line_pattern& line, size_t from,
                                 stream s) const {
  size_t result = 0;
  for_each_line(output(s), from, [&](const std::string& x) {
    if (std::regex_match(x, line.regex))
      ++result;
  });
  return result;
}

bool node_process::wait_for_count(const line_pattern& line, size_t count,
                                  milliseconds timeout, size_t from) {
  return wait_until([&] { return count_lines(line, from) >= count; }, timeout,
                    std::to_string(count) + " lines matching '" + line.source +
                        "' on stdout after byte " + std::to_string(from));
}

bool node_process::send_line(const std::string& line) {
  if (stdin_fd_ < 0)
    return false;
  auto data = line + '\n';
  size_t sent = 0;
  auto deadline = clock_type::now() + default_timeout;
  for (int round = 0; round < max_rounds && sent < data.size(); ++round) {
    auto n = ::write(stdin_fd_, data.data() + sent, data.size() - sent);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The child does not read: keep draining its output meanwhile so
      // that it cannot block on a full stdout pipe.
      if (clock_type::now() >= deadline)
        break;
      pollfd pfd{stdin_fd_, POLLOUT, 0};
      ::poll(&pfd, 1, std::min(remaining_ms(deadline), 100));
      pump(clock_type::now());
      continue;
    }
    break;
  }
  last_wait_ = (sent == data.size() ? "(ok) sent line '" : "FAILED: send '") +
               line + "'";
  return sent == data.size();
}

void node_process::close_stdin() {
  close_fd(stdin_fd_);
}

bool node_process::signal(int sig) {
  return pid_ > 0 && ::kill(pid_, sig) == 0;
}

std::optional<int> node_process::wait_exit(milliseconds timeout) {
  if (!wait_until([this] { return status_.has_value(); }, timeout,
                  "exit within " + std::to_string(timeout.count()) + " ms"))
    return std::nullopt;
  // Collect the last output; the child is gone, so the pipes end promptly.
  auto deadline = clock_type::now() + milliseconds{1000};
  for (int round = 0; round < max_rounds && clock_type::now() < deadline;
       ++round)
    if (!pump(deadline))
      break;
  return status_;
}

std::ostream& operator<<(std::ostream& out, const process_report& x) {
  auto& p = *x.process;
  p.pump(clock_type::now());
  out << "\n==== " << p.label_ << " (pid " << p.pid_ << ")";
  if (p.status_)
    out << ", exited with status " << *p.status_;
  else
    out << ", running";
  out << "\nlast wait: " << p.last_wait_;
  out << "\n---- stdout (" << p.out_.size() << " bytes, tail):\n"
      << tail(p.out_);
  out << "\n---- stderr (" << p.err_.size() << " bytes, tail):\n"
      << tail(p.err_) << "\n==== end of " << p.label_ << '\n';
  return out;
}

// -- chat_node ----------------------------------------------------------------

chat_node::chat_node(const std::string& name, std::vector<std::string> extra)
    : name_(name) {
  std::vector<std::string> args{
      "--name", name, "--bind",     "127.0.0.1",
      "--port", "0",  "--data-dir", dir_.path() + "/data"};
  args.insert(args.end(), extra.begin(), extra.end());
  proc_ = std::make_unique<node_process>(std::move(args));
  proc_->label("node " + name);
  line_pattern listening{R"(Server listening on 127\.0\.0\.1:(\d+))"};
  BOOST_REQUIRE_MESSAGE(proc_->wait_for(listening),
                        "node " << name << " did not start listening"
                                << proc_->report());
  std::smatch m;
  const auto& out = proc_->output();
  BOOST_REQUIRE(std::regex_search(out, m, listening.regex));
  auto port = std::stoul(m[1].str());
  BOOST_REQUIRE_MESSAGE(port > 0 && port <= 65535,
                        "bad port " << port << proc_->report());
  port_ = static_cast<uint16_t>(port);
}

std::string chat_node::display() const {
  return name_ + " [127.0.0.1:" + std::to_string(port_) + "]";
}

bool chat_node::send_message(uint16_t port, const std::string& text) {
  return proc_->send_line("1") && proc_->send_line("127.0.0.1") &&
         proc_->send_line(std::to_string(port)) && proc_->send_line(text);
}

bool chat_node::query_shows(const std::string& line, milliseconds timeout) {
  auto from = proc_->mark();
  return proc_->send_line("2") &&
         proc_->wait_for(exact_line(line), timeout, from);
}

bool chat_node::query_shows(const line_pattern& line, milliseconds timeout) {
  auto from = proc_->mark();
  return proc_->send_line("2") && proc_->wait_for(line, timeout, from);
}

// -- node_pair ----------------------------------------------------------------

node_pair::node_pair(std::vector<std::string> a_extra)
    : a("A", std::move(a_extra)),
      b("B", {"--peer", "127.0.0.1:" + std::to_string(a.port())}) {
  BOOST_REQUIRE_MESSAGE(
      a->wait_for(exact_line("New peer found: " + b.display())),
      "A did not see B" << a.report() << b.report());
  BOOST_REQUIRE_MESSAGE(
      b->wait_for(exact_line("New peer found: " + a.display())),
      "B did not see A" << a.report() << b.report());
}

// -- free functions
// -------------------------------------------------------------

std::string regex_escape(const std::string& text) {
  static const std::string special = R"(\^$.|?*+()[]{})";
  std::string result;
  for (char c : text) {
    if (special.find(c) != std::string::npos)
      result += '\\';
    result += c;
  }
  return result;
}

void check_chat_both_ways(chat_node& a, chat_node& b,
                          const std::string& words) {
  for (auto [from, to] : {std::pair{&b, &a}, std::pair{&a, &b}}) {
    auto text = words + ", says " + from->name();
    auto mark = (*to)->mark();
    BOOST_REQUIRE(from->send_message(*to, text));
    BOOST_CHECK_MESSAGE(
        (*to)->wait_for(
            exact_line("Message from " + from->display() + ": " + text),
            default_timeout, mark),
        "no message from " << from->name() << a.report() << b.report());
  }
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "socket");
  auto addr = loopback(0);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    auto saved = errno;
    ::close(fd);
    throw std::system_error(saved, std::generic_category(), "bind");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// -- raw_client ---------------------------------------------------------------

raw_client::raw_client(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0)
    return;
  auto addr = loopback(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    if (err == EINPROGRESS) {
      pollfd pfd{fd_, POLLOUT, 0};
      err = ETIMEDOUT;
      if (::poll(&pfd, 1, static_cast<int>(default_timeout.count())) == 1) {
        socklen_t len = sizeof(err);
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
    if (err != 0) {
      close_fd(fd_);
      return;
    }
  }
  sockaddr_in local{};
  socklen_t len = sizeof(local);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
  local_port_ = ntohs(local.sin_port);
}

raw_client::~raw_client() {
  close_fd(fd_);
}

size_t node_process::rss_kib() const {
  std::ifstream status{"/proc/" + std::to_string(pid_) + "/status"};
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoul(line.substr(6));
  return 0;
}

bool raw_client::send(const std::vector<char>& bytes, milliseconds timeout) {
  if (fd_ < 0 || closed_)
    return false;
  auto deadline = clock_type::now() + timeout;
  size_t sent = 0;
  for (int round = 0; round < max_rounds && sent < bytes.size(); ++round) {
    auto n =
        ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (clock_type::now() >= deadline)
        return false;
      pollfd pfd{fd_, POLLOUT, 0};
      ::poll(&pfd, 1, remaining_ms(deadline));
      continue;
    }
    closed_ = true;
    return false;
  }
  return sent == bytes.size();
}

bool raw_client::wait_closed(milliseconds timeout) {
  if (fd_ < 0)
    return false;
  auto deadline = clock_type::now() + timeout;
  for (int round = 0; round < max_rounds && !closed_; ++round) {
    char chunk[4096];
    auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0)
      continue; // What the node says (its hello) does not matter here.
    if (n == 0) {
      closed_ = true;
      break;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      // ECONNRESET: closed with our bytes unread, which counts as closed.
      closed_ = true;
      break;
    }
    if (clock_type::now() >= deadline)
      break;
    pollfd pfd{fd_, POLLIN, 0};
    ::poll(&pfd, 1, remaining_ms(deadline));
  }
  return closed_;
}

bool raw_client::receive(std::vector<char>& out, milliseconds timeout) {
  if (fd_ < 0 || closed_)
    return false;
  auto deadline = clock_type::now() + timeout;
  for (int round = 0; round < max_rounds; ++round) {
    char chunk[65536];
    auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      out.insert(out.end(), chunk, chunk + n);
      return true;
    }
    if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
      closed_ = true;
      return false;
    }
    if (clock_type::now() >= deadline)
      return false;
    pollfd pfd{fd_, POLLIN, 0};
    ::poll(&pfd, 1, remaining_ms(deadline));
  }
  return false;
}

} // namespace p2pchat::test
