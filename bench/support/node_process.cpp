#include "node_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace p2pchat::bench {

double micros(bench_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

child_process::child_process(const std::vector<std::string>& argv,
                             const std::string& log_path) {
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe: " + std::string{strerror(errno)});
  pid_ = fork();
  if (pid_ < 0)
    throw std::runtime_error("fork: " + std::string{strerror(errno)});
  if (pid_ == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    auto log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0)
      dup2(log, STDERR_FILENO);
    std::vector<char*> args;
    for (auto& x : argv)
      args.push_back(const_cast<char*>(x.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];
}

child_process::~child_process() {
  close_stdin();
  if (!wait_exit(std::chrono::seconds{5})) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  close(stdout_fd_);
}

void child_process::write(const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(stdin_fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw std::runtime_error("write to child: " +
                               std::string{strerror(errno)});
    }
    done += static_cast<size_t>(n);
  }
}

void child_process::close_stdin() {
  if (stdin_fd_ >= 0) {
    close(stdin_fd_);
    stdin_fd_ = -1;
  }
}

std::optional<std::string>
child_process::read_line(bench_clock::time_point deadline) {
  for (;;) {
    auto nl = buffer_.find('\n', scan_);
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      scan_ = 0;
      return line;
    }
    scan_ = buffer_.size();
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - bench_clock::now());
    if (left.count() < 0)
      return std::nullopt;
    pollfd p{stdout_fd_, POLLIN, 0};
    auto ready = poll(&p, 1, static_cast<int>(left.count()) + 1);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      continue; // the deadline check above ends the wait
    char chunk[65536];
    auto n = read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0)
      return std::nullopt;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

std::optional<std::string>
child_process::wait_for(const std::string& needle,
                        bench_clock::time_point deadline) {
  while (auto line = read_line(deadline))
    if (line->find(needle) != std::string::npos)
      return line;
  return std::nullopt;
}

long child_process::rss_kib() const {
  std::ifstream in{"/proc/" + std::to_string(pid_) + "/status"};
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      in >> kib;
      return kib;
    }
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
  if (exited_)
    return 0;
  auto deadline = bench_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      return status;
    }
    if (bench_clock::now() >= deadline)
      return std::nullopt;
    usleep(2000);
  }
}

namespace {

std::vector<std::string> node_argv(const std::string& binary,
                                   const std::string& name,
                                   const std::string& dir,
                                   const std::vector<std::string>& extra) {
  std::vector<std::string> result{
      binary,          "--name",   name,    "--port",      "0",    "--bind",
      "127.0.0.1",     "--output", "jsonl", "--log-level", "warn", "--data-dir",
      dir + "/" + name};
  result.insert(result.end(), extra.begin(), extra.end());
  return result;
}

} // namespace

node_process::node_process(const std::string& binary, const std::string& name,
                           const std::string& dir,
                           const std::vector<std::string>& extra)
    : process_(node_argv(binary, name, dir, extra), dir + "/" + name + ".log") {
  auto start = bench_clock::now();
  auto line = process_.wait_for("Server listening on",
                                start + std::chrono::seconds{10});
  if (!line)
    throw std::runtime_error("node " + name + " did not start (see " + dir +
                             "/" + name + ".log)");
  startup_ = bench_clock::now() - start;
  // {"event":"notice","text":"Server listening on 127.0.0.1:PORT"}
  auto colon = line->rfind(':');
  port_ = static_cast<uint16_t>(std::stoi(line->substr(colon + 1)));
}

std::string node_process::send_lines(uint16_t port, const std::string& text) {
  return "1\n127.0.0.1\n" + std::to_string(port) + "\n" + text + "\n";
}

std::vector<std::string> session_options(bool plain) {
  if (plain)
    return {"--insecure-plaintext"};
  return {};
}

std::string arg(int argc, char** argv, const std::string& name,
                const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name)
      return argv[i + 1];
  return fallback;
}

bool flag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] == name)
      return true;
  return false;
}

void result(const std::string& metric, double value) {
  std::printf("%s %.6g\n", metric.c_str(), value);
  std::fflush(stdout);
}

} // namespace p2pchat::bench
