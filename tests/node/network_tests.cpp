// A network of real p2pchat processes on loopback that share one bootstrap
// address: discovery links them up, a broadcast reaches every node once, and
// losing the bootstrap node does not split the rest.

#include <algorithm>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "node/support/node_process.hpp"

using namespace p2pchat::test;

namespace {

constexpr size_t node_count = 30;
constexpr size_t target_peers = 8;

/// Generous for 30 processes on a loaded 2-core CI machine.
constexpr milliseconds network_timeout{60000};

/// Menu 4 on `from`.
bool broadcast(chat_node& from, const std::string& text) {
  return from->send_line("4") && from->send_line(text);
}

/// Requires every node in `nodes` except `from` to print `text` as a
/// broadcast from `from`, and returns the marks to count from.
void require_everyone_got(std::vector<std::unique_ptr<chat_node>>& nodes,
                          chat_node& from, const std::string& text,
                          const std::vector<size_t>& marks) {
  auto line = exact_line("Broadcast from " + from.display() + ": " + text);
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto& node = *nodes[i];
    if (&node == &from)
      continue;
    BOOST_REQUIRE_MESSAGE(node->wait_for(line, network_timeout, marks[i]),
                          node.name() << " did not get '" << text << "'"
                                      << node.report());
  }
}

/// Requires `text` to have been printed exactly once by every node but
/// `from` since `marks`.
void check_exactly_once(std::vector<std::unique_ptr<chat_node>>& nodes,
                        chat_node& from, const std::string& text,
                        const std::vector<size_t>& marks) {
  auto line = exact_line("Broadcast from " + from.display() + ": " + text);
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto& node = *nodes[i];
    if (&node == &from)
      continue;
    BOOST_CHECK_MESSAGE(node->count_lines(line, marks[i]) == 1,
                        node.name() << " printed '" << text << "' "
                                    << node->count_lines(line, marks[i])
                                    << " times" << node.report());
  }
  BOOST_CHECK_MESSAGE(from->count_lines(line) == 0,
                      "the origin printed its own broadcast" << from.report());
}

std::vector<size_t> marks_of(std::vector<std::unique_ptr<chat_node>>& nodes) {
  std::vector<size_t> result;
  for (auto& node : nodes)
    result.push_back((*node)->mark());
  return result;
}

} // namespace

BOOST_AUTO_TEST_SUITE(network_tests)

BOOST_AUTO_TEST_CASE(thirty_nodes_sharing_one_bootstrap_become_one_network) {
  // Short discovery intervals so that the test does not wait minutes; every
  // other figure is the default.
  std::vector<std::string> common{"--discovery-interval", "500"};
  std::vector<std::unique_ptr<chat_node>> nodes;
  nodes.push_back(std::make_unique<chat_node>("n0", common));
  auto bootstrap = "127.0.0.1:" + std::to_string(nodes[0]->port());
  for (size_t i = 1; i < node_count; ++i) {
    auto extra = common;
    extra.insert(extra.end(), {"--peer", bootstrap});
    nodes.push_back(
        std::make_unique<chat_node>("n" + std::to_string(i), extra));
  }
  // Discovery: every node meets at least its target of peers.
  auto wanted = std::min(target_peers, node_count - 1);
  for (auto& node : nodes)
    BOOST_REQUIRE_MESSAGE(
        (*node)->wait_for_count(line_starting("New peer found: "), wanted,
                                network_timeout),
        node->name() << " found fewer than " << wanted << " peers"
                     << node->report());
  auto& last = *nodes.back();
  auto marks = marks_of(nodes);
  BOOST_REQUIRE(broadcast(last, "hello network"));
  require_everyone_got(nodes, last, "hello network", marks);
  // A second broadcast flushes the links: a late duplicate of the first one
  // would have arrived by the time every node shows the second.
  BOOST_REQUIRE(broadcast(last, "second"));
  require_everyone_got(nodes, last, "second", marks);
  check_exactly_once(nodes, last, "hello network", marks);
  check_exactly_once(nodes, last, "second", marks);
  // Kill the bootstrap node; its peers notice at once (the kernel closes
  // its sockets) and the rest stays one network.
  auto boot_display = nodes[0]->display();
  BOOST_REQUIRE((*nodes[0])->signal(SIGKILL));
  BOOST_REQUIRE((*nodes[0])->wait_exit());
  nodes.erase(nodes.begin());
  for (auto& node : nodes)
    BOOST_REQUIRE_MESSAGE(
        (*node)->wait_for(exact_line(boot_display + " disconnected"),
                          network_timeout),
        node->name() << " did not notice the bootstrap "
                        "node's death"
                     << node->report());
  marks = marks_of(nodes);
  BOOST_REQUIRE(broadcast(last, "still here"));
  require_everyone_got(nodes, last, "still here", marks);
  BOOST_REQUIRE(broadcast(last, "and again"));
  require_everyone_got(nodes, last, "and again", marks);
  check_exactly_once(nodes, last, "still here", marks);
}

BOOST_AUTO_TEST_SUITE_END()
