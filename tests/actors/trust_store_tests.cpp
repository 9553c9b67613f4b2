// Trust on first use: the pinned keys and their file (actors/trust_store.*).

#include "actors/trust_store.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <boost/test/unit_test.hpp>

#include "protocol/errors.hpp"

namespace fs = std::filesystem;

using namespace p2pchat;

namespace {

node_id id_filled(uint8_t x) {
  node_id result;
  result.bytes.fill(x);
  return result;
}

std::string hex_of(uint8_t x) {
  return id_filled(x).to_hex();
}

/// A fresh directory per test, removed afterwards.
struct fixture {
  fs::path root;
  std::string path;

  fixture() {
    auto pattern =
        (fs::temp_directory_path() / "p2pchat-trust-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    root = pattern;
    path = (root / trust_store::file_name).string();
  }

  ~fixture() {
    std::error_code ignored;
    fs::permissions(root, fs::perms::owner_all, ignored);
    fs::remove_all(root, ignored);
  }

  void write(const std::string& content) const {
    std::ofstream out{path, std::ios::binary};
    out << content;
  }

  std::string read() const {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
  }
};

std::string parse_error(const std::string& content) {
  auto result = trust_store::parse(content, "trust.txt");
  return result ? std::string{"parsed"} : describe(result.error());
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(trust_store_tests, fixture)

BOOST_AUTO_TEST_CASE(first_key_of_a_name_is_pinned) {
  trust_store store;
  auto first = store.on_hello("bob", id_filled(1));
  BOOST_TEST(first.new_pin);
  BOOST_TEST((first.status == trust_status::unverified));
  auto again = store.on_hello("bob", id_filled(1));
  BOOST_TEST(!again.new_pin);
  BOOST_TEST((again.status == trust_status::unverified));
  // Another key under the same name: flagged, and the pin stays the old one.
  auto other = store.on_hello("bob", id_filled(2));
  BOOST_TEST(!other.new_pin);
  BOOST_TEST((other.status == trust_status::key_changed));
  BOOST_TEST((store.pinned("bob")->id == id_filled(1)));
  // A name is pinned, not a key: the same key under a new name is new.
  BOOST_TEST(store.on_hello("robert", id_filled(1)).new_pin);
}

BOOST_AUTO_TEST_CASE(verifying_replaces_the_key_and_marks_it) {
  trust_store store;
  store.on_hello("bob", id_filled(1));
  BOOST_TEST(!store.verify("bob", id_filled(1)));
  BOOST_TEST((store.status_of("bob", id_filled(1)) == trust_status::verified));
  BOOST_TEST(
      (store.status_of("bob", id_filled(2)) == trust_status::key_changed));
  // The user checked the new key out of band: it replaces the old one.
  BOOST_TEST(!store.verify("bob", id_filled(2)));
  BOOST_TEST((store.status_of("bob", id_filled(2)) == trust_status::verified));
  BOOST_TEST(
      (store.status_of("bob", id_filled(1)) == trust_status::key_changed));
}

BOOST_AUTO_TEST_CASE(pins_survive_a_restart) {
  {
    trust_store store{path};
    BOOST_TEST(!store.load()); // no file yet: empty
    BOOST_TEST(store.persistent());
    BOOST_TEST(!store.on_hello("bob", id_filled(1)).save_error);
    BOOST_TEST(!store.on_hello("carol", id_filled(2)).save_error);
    BOOST_TEST(!store.verify("carol", id_filled(2)));
  }
  BOOST_TEST(read() == std::string{"p2pchat-trust 1\n"} + "bob " + hex_of(1) +
                           " unverified\n" + "carol " + hex_of(2) +
                           " verified\n");
  trust_store store{path};
  BOOST_TEST(!store.load());
  BOOST_TEST(
      (store.status_of("bob", id_filled(1)) == trust_status::unverified));
  BOOST_TEST(
      (store.status_of("bob", id_filled(3)) == trust_status::key_changed));
  BOOST_TEST(
      (store.status_of("carol", id_filled(2)) == trust_status::verified));
  // No temporary file is left behind.
  size_t files = 0;
  for ([[maybe_unused]] auto& entry : fs::directory_iterator(root))
    ++files;
  BOOST_TEST(files == 1u);
}

BOOST_AUTO_TEST_CASE(render_and_parse_round_trip) {
  std::map<std::string, trust_store::pin> pins{
      {"bob", {id_filled(1), false}}, {"zo\xC3\xAB", {id_filled(0xab), true}}};
  auto parsed = trust_store::parse(trust_store::render(pins), "x");
  BOOST_TEST_REQUIRE(parsed.engaged());
  BOOST_TEST(parsed->size() == 2u);
  BOOST_TEST((parsed->at("zo\xC3\xAB").id == id_filled(0xab)));
  BOOST_TEST(parsed->at("zo\xC3\xAB").verified);
  BOOST_TEST(!parsed->at("bob").verified);
}

BOOST_AUTO_TEST_CASE(corrupt_files_are_refused_with_a_reason) {
  std::string head = "p2pchat-trust 1\n";
  auto line = "bob " + hex_of(1) + " verified\n";
  BOOST_TEST(parse_error(head + line) == "parsed");
  BOOST_TEST(parse_error(head) == "parsed"); // no pins yet
  BOOST_TEST(parse_error("") == "cannot load or store the pinned peer keys: "
                                "trust.txt: empty (no header line)");
  BOOST_TEST(parse_error("p2pchat-trust 2\n" + line) ==
             "cannot load or store the pinned peer keys: trust.txt: line 1: "
             "not a p2pchat trust file of version 1 ('p2pchat-trust 2')");
  BOOST_TEST(parse_error(head + line.substr(0, line.size() - 1)) ==
             "cannot load or store the pinned peer keys: trust.txt: line 2 "
             "does not end with a newline (cut short?)");
  BOOST_TEST(parse_error(head + "bob " + hex_of(1) + "\n") ==
             "cannot load or store the pinned peer keys: trust.txt: line 2: "
             "expected NAME ID STATUS");
  BOOST_TEST(parse_error(head + "bob " + hex_of(1).substr(2) + " verified\n") ==
             "cannot load or store the pinned peer keys: trust.txt: line 2: "
             "invalid node id '" +
                 hex_of(1).substr(2, 48) + "'...");
  auto upper = hex_of(0xab);
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  BOOST_TEST(parse_error(head + "bob " + upper + " verified\n") !=
             "parsed"); // one spelling only
  BOOST_TEST(parse_error(head + "bob " + hex_of(1) + " trusted\n") ==
             "cannot load or store the pinned peer keys: trust.txt: line 2: "
             "status 'trusted' is neither verified nor unverified");
  BOOST_TEST(parse_error(head + "\x1b[2J " + hex_of(1) + " verified\n") ==
             "cannot load or store the pinned peer keys: trust.txt: line 2: "
             "invalid name '\\x1b[2J'");
  BOOST_TEST(parse_error(head + line + line) ==
             "cannot load or store the pinned peer keys: trust.txt: line 3: "
             "name 'bob' appears twice");
}

BOOST_AUTO_TEST_CASE(a_corrupt_file_is_kept_and_the_store_runs_in_memory) {
  std::string garbage = "p2pchat-trust 1\nbob not-a-key verified\n";
  write(garbage);
  trust_store store{path};
  auto err = store.load();
  BOOST_TEST((code_of(err) == ec::trust_store_error));
  BOOST_TEST(describe(err).find(path + ": line 2") != std::string::npos);
  BOOST_TEST(!store.persistent());
  // Pins still work for this run, and the user's file is not overwritten.
  BOOST_TEST(store.on_hello("bob", id_filled(1)).new_pin);
  BOOST_TEST(
      (store.status_of("bob", id_filled(2)) == trust_status::key_changed));
  BOOST_TEST(read() == garbage);
}

BOOST_AUTO_TEST_CASE(a_failed_save_is_reported_not_fatal) {
  // A data dir that vanished: the temporary file cannot be created (this
  // fails for root too, unlike a read-only directory).
  trust_store store{(root / "gone" / trust_store::file_name).string()};
  BOOST_TEST(!store.load());
  auto result = store.on_hello("bob", id_filled(1));
  BOOST_TEST((code_of(result.save_error) == ec::trust_store_error));
  BOOST_TEST(describe(result.save_error).find("cannot create") !=
             std::string::npos);
  // The pin holds for this run all the same.
  BOOST_TEST((result.status == trust_status::unverified));
  BOOST_TEST(
      (store.status_of("bob", id_filled(2)) == trust_status::key_changed));
}

BOOST_AUTO_TEST_CASE(a_directory_in_place_of_the_file_fails_to_load) {
  fs::create_directory(path);
  trust_store store{path};
  auto err = store.load();
  BOOST_TEST((code_of(err) == ec::trust_store_error));
  BOOST_TEST(!store.persistent());
}

BOOST_AUTO_TEST_SUITE_END()
