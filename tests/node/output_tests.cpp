// The machine-readable console (--output jsonl) of real nodes: stdout holds
// one JSON object per line and event, and nothing else (no menu, no prompt),
// while input still comes as menu lines on stdin.

#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "node/support/node_process.hpp"

using namespace p2pchat::test;
using json = nlohmann::json;

namespace {

/// A node started with --output jsonl on 127.0.0.1 and an OS-chosen port.
struct jsonl_node {
  explicit jsonl_node(const std::string& name,
                      std::vector<std::string> extra = {})
      : name(name) {
    std::vector<std::string> args{
        "--name",   name,   "--bind",     "127.0.0.1",
        "--port",   "0",    "--data-dir", dir.path() + "/data",
        "--output", "jsonl"};
    args.insert(args.end(), extra.begin(), extra.end());
    proc = std::make_unique<node_process>(std::move(args));
    proc->label("node " + name);
    line_pattern listening{
        R"re(\{"event":"notice","text":"Server listening on 127\.0\.0\.1:(\d+)"\})re"};
    BOOST_REQUIRE_MESSAGE(proc->wait_for(listening),
                          "node " << name << " did not start listening"
                                  << proc->report());
    std::smatch m;
    const auto& out = proc->output();
    BOOST_REQUIRE(std::regex_search(out, m, listening.regex));
    port = static_cast<uint16_t>(std::stoul(m[1].str()));
  }

  /// Every complete line of stdout, parsed; fails the test on a line that is
  /// not a JSON object with a string "event".
  std::vector<json> events() {
    std::vector<json> result;
    const auto& out = proc->output();
    size_t start = 0;
    for (size_t end; (end = out.find('\n', start)) != std::string::npos;
         start = end + 1) {
      auto line = out.substr(start, end - start);
      auto event = json::parse(line, nullptr, false);
      BOOST_CHECK_MESSAGE(event.is_object() && event.contains("event") &&
                              event["event"].is_string(),
                          "not an event: '" << line << "'" << proc->report());
      result.push_back(std::move(event));
    }
    return result;
  }

  std::string name;
  temp_dir dir;
  std::unique_ptr<node_process> proc;
  uint16_t port = 0;
};

/// The line a jsonl node prints when `peer` completes its hello.
line_pattern found_line(const jsonl_node& peer) {
  return line_pattern{
      R"(\{"event":"peer_found","peer":\{"name":")" + regex_escape(peer.name) +
      R"(","host":"127\.0\.0\.1","port":)" + std::to_string(peer.port) +
      R"(,"legacy":false,"id":"[0-9a-f]{64}","trust":"unverified"\}\})"};
}

} // namespace

BOOST_AUTO_TEST_SUITE(output_tests)

BOOST_AUTO_TEST_CASE(jsonl_nodes_print_events_as_json_lines) {
  jsonl_node a{"A"};
  jsonl_node b{"B", {"--peer", "127.0.0.1:" + std::to_string(a.port)}};
  BOOST_REQUIRE_MESSAGE(a.proc->wait_for(found_line(b)), a.proc->report());
  BOOST_REQUIRE_MESSAGE(b.proc->wait_for(found_line(a)), b.proc->report());

  // Input is still the menu, line by line.
  std::string text = "h\xC3\xA9llo \"quoted\"\tand tabbed";
  for (auto& line : {std::string{"1"}, std::string{"127.0.0.1"},
                     std::to_string(b.port), text})
    BOOST_REQUIRE(a.proc->send_line(line));
  BOOST_REQUIRE_MESSAGE(b.proc->wait_for(line_pattern{R"(\{"event":"chat".*)"}),
                        b.proc->report());
  auto chats = b.events();
  std::vector<json> received;
  for (auto& event : chats)
    if (event["event"] == "chat")
      received.push_back(event);
  BOOST_REQUIRE_EQUAL(received.size(), 1u);
  BOOST_CHECK_EQUAL(received[0]["text"], text);
  BOOST_CHECK_EQUAL(received[0]["from"]["name"], "A");
  BOOST_CHECK_EQUAL(received[0]["from"]["port"], a.port);

  // Menu 2's answer, without the menu around it.
  auto mark = a.proc->mark();
  BOOST_REQUIRE(a.proc->send_line("2"));
  BOOST_REQUIRE_MESSAGE(
      a.proc->wait_for(
          line_pattern{R"(\{"event":"menu","text":"1\. B \[127\.0\.0\.1:)" +
                       std::to_string(b.port) +
                       R"re(\] - Connected \(unverified\)"\})re"},
          default_timeout, mark),
      a.proc->report());

  // End of input quits as usual; the peer sees it leave.
  a.proc->close_stdin();
  BOOST_CHECK_EQUAL(a.proc->wait_exit().value_or(-1), 0);
  const std::string goodbye = "{\"event\":\"goodbye\"}\n";
  const auto& a_out = a.proc->output();
  BOOST_CHECK_MESSAGE(a_out.size() >= goodbye.size() &&
                          a_out.compare(a_out.size() - goodbye.size(),
                                        goodbye.size(), goodbye) == 0,
                      a.proc->report());
  BOOST_CHECK_MESSAGE(b.proc->wait_for(line_pattern{
                          R"(\{"event":"peer_left","peer":\{"name":"A".*)"}),
                      b.proc->report());
  // Nothing but events: no menu, no prompt, no partial line.
  for (auto* node : {&a, &b}) {
    auto events = node->events();
    BOOST_CHECK(!events.empty());
    const auto& out = node->proc->output();
    BOOST_CHECK_MESSAGE(out.empty() || out.back() == '\n',
                        "a partial line" << node->proc->report());
    BOOST_CHECK(out.find("Menu") == std::string::npos);
    BOOST_CHECK(out.find("Enter ") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_burst_of_chats_arrives_complete_and_in_order) {
  jsonl_node a{"A"};
  jsonl_node b{"B", {"--peer", "127.0.0.1:" + std::to_string(a.port)}};
  BOOST_REQUIRE_MESSAGE(a.proc->wait_for(found_line(b)), a.proc->report());
  constexpr int count = 2000;
  auto port = std::to_string(b.port);
  for (int i = 0; i < count; ++i)
    for (auto& line : {std::string{"1"}, std::string{"127.0.0.1"}, port,
                       "message " + std::to_string(i)})
      BOOST_REQUIRE(a.proc->send_line(line));
  BOOST_REQUIRE_MESSAGE(
      b.proc->wait_for_count(line_pattern{R"(\{"event":"chat".*)"}, count),
      b.proc->report());
  int next = 0;
  for (auto& event : b.events())
    if (event["event"] == "chat")
      BOOST_CHECK_EQUAL(event["text"], "message " + std::to_string(next++));
  BOOST_CHECK_EQUAL(next, count);
}

BOOST_AUTO_TEST_SUITE_END()
