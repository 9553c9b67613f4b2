// The command line as a user meets it: exit statuses and messages of the real
// binary, with stdin a pipe (not a terminal).

#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "node/support/node_process.hpp"

using namespace p2pchat::test;

namespace {

/// Runs the binary with `args` and no input; returns its exit status.
struct run_result {
  explicit run_result(std::vector<std::string> args) : proc(std::move(args)) {
    proc.close_stdin();
    status = proc.wait_exit();
  }

  node_process proc;
  std::optional<int> status;
};

/// The options that make a node valid, in a fresh data dir below `dir`.
std::vector<std::string> valid_args(const temp_dir& dir) {
  return {"--name", "opt", "--bind",     "127.0.0.1",
          "--port", "0",   "--data-dir", dir.path() + "/data"};
}

/// Replaces the value of `option` in `args`.
std::vector<std::string> with(std::vector<std::string> args,
                              const std::string& option,
                              const std::string& value) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == option)
      args[i + 1] = value;
  return args;
}

/// A socket listening on 127.0.0.1 with an OS-chosen port.
class listening_socket {
public:
  listening_socket() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ >= 0 &&
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::listen(fd_, 1) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port_ = ntohs(addr.sin_port);
  }
  ~listening_socket() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  listening_socket(const listening_socket&) = delete;
  listening_socket& operator=(const listening_socket&) = delete;

  /// 0 if binding failed.
  uint16_t port() const noexcept { return port_; }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

} // namespace

BOOST_AUTO_TEST_SUITE(options_tests)

BOOST_AUTO_TEST_CASE(the_valid_options_start_a_node) {
  // Control for the cases below: only the value under test makes them fail.
  temp_dir dir;
  node_process proc{valid_args(dir)};
  BOOST_CHECK_MESSAGE(proc.wait_for("Server listening on 127.0.0.1:"),
                      proc.report());
  proc.close_stdin();
  auto status = proc.wait_exit();
  BOOST_REQUIRE_MESSAGE(status.has_value(), proc.report());
  BOOST_CHECK_EQUAL(*status, 0);
}

BOOST_AUTO_TEST_CASE(the_node_keeps_its_id_in_the_data_dir) {
  temp_dir dir;
  line_pattern id_line{"Node opt, id ([0-9a-f]{16})"};
  auto id_of_a_run = [&](const std::vector<std::string>& args) {
    node_process proc{args};
    BOOST_REQUIRE_MESSAGE(proc.wait_for(id_line), proc.report());
    std::smatch m;
    std::regex_search(proc.output(), m, id_line.regex);
    auto id = m[1].str();
    proc.close_stdin();
    auto status = proc.wait_exit();
    BOOST_REQUIRE_MESSAGE(status == 0, proc.report());
    return id;
  };
  auto first = id_of_a_run(valid_args(dir));
  BOOST_CHECK_EQUAL(id_of_a_run(valid_args(dir)), first);
  temp_dir other;
  BOOST_CHECK_NE(id_of_a_run(valid_args(other)), first);
}

BOOST_AUTO_TEST_CASE(port_out_of_range_exits_2) {
  temp_dir dir;
  run_result run{with(valid_args(dir), "--port", "70000")};
  BOOST_REQUIRE_MESSAGE(run.status.has_value(), run.proc.report());
  BOOST_CHECK_EQUAL(*run.status, 2);
  BOOST_CHECK_MESSAGE(run.proc.output(stream::err).find("--port") !=
                          std::string::npos,
                      run.proc.report());
  BOOST_CHECK_MESSAGE(run.proc.output().find("Server listening") ==
                          std::string::npos,
                      run.proc.report());
}

BOOST_AUTO_TEST_CASE(missing_name_without_terminal_exits_2) {
  temp_dir dir;
  run_result run{{"--bind", "127.0.0.1", "--port", "0", "--data-dir",
                  dir.path() + "/data"}};
  BOOST_REQUIRE_MESSAGE(run.status.has_value(), run.proc.report());
  BOOST_CHECK_EQUAL(*run.status, 2);
  BOOST_CHECK_MESSAGE(run.proc.output(stream::err).find("--name") !=
                          std::string::npos,
                      run.proc.report());
}

BOOST_AUTO_TEST_CASE(help_exits_0_and_describes_the_options) {
  run_result run{{"--help"}};
  BOOST_REQUIRE_MESSAGE(run.status.has_value(), run.proc.report());
  BOOST_CHECK_EQUAL(*run.status, 0);
  for (auto option : {"--peer", "--name", "--port", "--data-dir"})
    BOOST_CHECK_MESSAGE(run.proc.output().find(option) != std::string::npos,
                        option << " not in the help" << run.proc.report());
}

BOOST_AUTO_TEST_CASE(version_exits_0) {
  run_result run{{"--version"}};
  BOOST_REQUIRE_MESSAGE(run.status.has_value(), run.proc.report());
  BOOST_CHECK_EQUAL(*run.status, 0);
  BOOST_CHECK_MESSAGE(run.proc.output().find("p2pchat") != std::string::npos,
                      run.proc.report());
}

BOOST_AUTO_TEST_CASE(uncreatable_data_dir_fails_naming_the_path) {
  temp_dir dir;
  auto file = dir.path() + "/a-file";
  std::ofstream{file} << "not a directory\n";
  auto data_dir = file + "/data";
  run_result run{with(valid_args(dir), "--data-dir", data_dir)};
  BOOST_REQUIRE_MESSAGE(run.status.has_value(), run.proc.report());
  BOOST_CHECK_NE(*run.status, 0);
  BOOST_CHECK_MESSAGE(run.proc.output(stream::err).find(file) !=
                          std::string::npos,
                      "the path is not named" << run.proc.report());
}

BOOST_AUTO_TEST_CASE(port_in_use_fails_saying_it_cannot_listen) {
  listening_socket taken;
  BOOST_REQUIRE(taken.port() != 0);
  temp_dir dir;
  run_result run{with(valid_args(dir), "--port", std::to_string(taken.port()))};
  BOOST_REQUIRE_MESSAGE(run.status.has_value(), run.proc.report());
  BOOST_CHECK_NE(*run.status, 0);
  const auto& err = run.proc.output(stream::err);
  BOOST_CHECK_MESSAGE(err.find("cannot listen") != std::string::npos &&
                          err.find(std::to_string(taken.port())) !=
                              std::string::npos,
                      run.proc.report());
}

BOOST_AUTO_TEST_SUITE_END()
