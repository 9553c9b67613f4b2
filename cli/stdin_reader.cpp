#include "cli/stdin_reader.hpp"

#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include <caf/send.hpp>
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace p2pchat {

namespace {

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

} // namespace

void stdin_reader::block_termination_signals() {
  auto set = termination_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

stdin_reader::stdin_reader(console_actor console)
    : console_(std::move(console)) {
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0)
    stop_pipe_[0] = stop_pipe_[1] = -1;
  auto set = termination_signals();
  signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC);
  thread_ = std::thread{[this] {
    run();
  }};
}

stdin_reader::~stdin_reader() {
  if (stop_pipe_[1] >= 0) {
    char wake = 1;
    [[maybe_unused]] auto n = write(stop_pipe_[1], &wake, 1);
  }
  thread_.join();
  for (int fd : {stop_pipe_[0], stop_pipe_[1], signal_fd_})
    if (fd >= 0)
      close(fd);
}

void stdin_reader::run() {
  std::string line;
  // Every complete line of one read goes to the console in one message: a
  // script piping thousands of lines costs a message per read, not per line.
  std::vector<std::string> lines;
  std::vector<char> buf(64 * 1024);
  for (;;) {
    pollfd fds[] = {{STDIN_FILENO, POLLIN, 0},
                    {stop_pipe_[0], POLLIN, 0},
                    {signal_fd_, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (fds[1].revents != 0)
      return; // Stopped by the destructor: the console is gone or going.
    if (fds[2].revents != 0) {
      signalfd_siginfo info;
      [[maybe_unused]] auto n = read(signal_fd_, &info, sizeof(info));
      caf::anon_send(console_, eof_atom::value);
      continue;
    }
    if (fds[0].revents == 0)
      continue;
    auto n = read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (n <= 0)
      break;
    for (ssize_t i = 0; i < n; ++i) {
      char c = buf[i];
      if (c == '\n') {
        if (!line.empty() && line.back() == '\r')
          line.pop_back();
        lines.push_back(std::move(line));
        line.clear();
      } else if (line.size() < max_line) {
        line.push_back(c);
      }
    }
    if (!lines.empty()) {
      caf::anon_send(console_, input_atom::value, std::move(lines));
      lines.clear();
    }
  }
  if (!line.empty())
    caf::anon_send(console_, input_atom::value,
                   std::vector<std::string>{std::move(line)});
  caf::anon_send(console_, eof_atom::value);
}

} // namespace p2pchat
