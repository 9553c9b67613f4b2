#include "cli/identity.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <sodium.h>

#include "protocol/errors.hpp"

namespace fs = std::filesystem;

using namespace p2pchat;

namespace {

/// The reason `x` failed, or nothing (Boost.Test builds a check's message
/// even when the check passes).
std::string why(const caf::expected<identity>& x) {
  return x ? std::string{} : describe(x.error());
}

/// A fresh directory per test, removed afterwards.
struct fixture {
  fs::path root;

  fixture() {
    auto pattern =
        (fs::temp_directory_path() / "p2pchat-identity-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    root = pattern;
  }

  ~fixture() {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }

  static unsigned mode_of(const fs::path& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      return 0;
    return st.st_mode & 07777;
  }

  static std::vector<char> read_file(const fs::path& path) {
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in},
            std::istreambuf_iterator<char>{}};
  }

  static void write_file(const fs::path& path, const std::vector<char>& data) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }

  /// Checks that loading from `dir` fails with our code and a detail that
  /// contains `text`.
  static void check_fails(const fs::path& dir, const std::string& text) {
    auto result = load_or_create_identity(dir.string());
    BOOST_TEST_REQUIRE(!result);
    BOOST_TEST(to_string(code_of(result.error())) ==
               to_string(ec::identity_error));
    auto what = describe(result.error());
    BOOST_TEST(what.find(text) != std::string::npos,
               "'" << what << "' lacks '" << text << "'");
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(identity_tests, fixture)

BOOST_AUTO_TEST_CASE(creates_a_usable_key_with_private_modes) {
  auto dir = root / "a" / "b";
  auto result = load_or_create_identity(dir.string());
  BOOST_TEST_REQUIRE(!!result, why(result));
  // Every directory we create is private, and so is the key file.
  BOOST_TEST(mode_of(root / "a") == 0700u);
  BOOST_TEST(mode_of(dir) == 0700u);
  auto key_file = dir / "identity.key";
  BOOST_TEST(mode_of(key_file) == 0600u);
  // The file holds exactly the secret key; no temp file is left behind.
  auto bytes = read_file(key_file);
  BOOST_TEST_REQUIRE(bytes.size() == 64u);
  BOOST_TEST(std::memcmp(bytes.data(), result->secret_key.data(), 64) == 0);
  BOOST_TEST(std::distance(fs::directory_iterator{dir},
                           fs::directory_iterator{}) == 1);
  // The id is the public half, and it verifies what the secret half signs.
  BOOST_TEST(std::equal(result->id.bytes.begin(), result->id.bytes.end(),
                        result->secret_key.begin() + 32));
  const unsigned char msg[] = "hello";
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, msg, sizeof(msg),
                       result->secret_key.data());
  BOOST_TEST(crypto_sign_verify_detached(sig, msg, sizeof(msg),
                                         result->id.bytes.data()) == 0);
}

BOOST_AUTO_TEST_CASE(loads_the_same_identity_the_second_time) {
  auto first = load_or_create_identity(root.string());
  BOOST_TEST_REQUIRE(!!first, why(first));
  auto second = load_or_create_identity(root.string());
  BOOST_TEST_REQUIRE(!!second, why(second));
  BOOST_TEST(first->id.to_hex() == second->id.to_hex());
  BOOST_TEST((first->secret_key == second->secret_key));
  // A different directory gets a different key.
  auto other = load_or_create_identity((root / "other").string());
  BOOST_TEST_REQUIRE(!!other, why(other));
  BOOST_TEST(other->id.to_hex() != first->id.to_hex());
}

BOOST_AUTO_TEST_CASE(leaves_an_existing_directory_mode_alone) {
  fs::permissions(root, fs::perms{0755});
  auto result = load_or_create_identity(root.string());
  BOOST_TEST_REQUIRE(!!result, why(result));
  BOOST_TEST(mode_of(root) == 0755u);
}

BOOST_AUTO_TEST_CASE(a_key_file_of_the_wrong_size_is_an_error) {
  auto key_file = root / "identity.key";
  write_file(key_file, std::vector<char>(10, 'x'));
  check_fails(root, key_file.string() + " has 10 bytes, expected 64");
  write_file(key_file, std::vector<char>(65, 'x'));
  check_fails(root, key_file.string() + " has 65 bytes, expected 64");
  write_file(key_file, {});
  check_fails(root, key_file.string() + " has 0 bytes, expected 64");
  // The bad file is reported, never replaced.
  BOOST_TEST(read_file(key_file).empty());
}

BOOST_AUTO_TEST_CASE(a_tampered_public_half_is_an_error) {
  auto good = load_or_create_identity(root.string());
  BOOST_TEST_REQUIRE(!!good, why(good));
  auto key_file = root / "identity.key";
  auto bytes = read_file(key_file);
  bytes[40] ^= 0x01;
  write_file(key_file, bytes);
  check_fails(root, key_file.string() +
                        ": public half does not match the secret half");
  // A changed seed no longer yields the stored public half either.
  bytes[40] ^= 0x01;
  bytes[5] ^= 0x01;
  write_file(key_file, bytes);
  check_fails(root, key_file.string() +
                        ": public half does not match the secret half");
}

BOOST_AUTO_TEST_CASE(a_directory_under_a_file_is_an_error_naming_the_path) {
  // Tests run as root, which ignores permission bits: a path below a regular
  // file cannot be created by anyone.
  auto file = root / "file";
  write_file(file, {'x'});
  auto dir = file / "sub";
  check_fails(dir, "cannot create " + dir.string() + ": Not a directory");
  check_fails(dir / "deeper", "cannot create " + (dir / "deeper").string() +
                                  ": Not a directory");
  BOOST_TEST(read_file(file) == std::vector<char>{'x'});
}

BOOST_AUTO_TEST_CASE(a_data_dir_that_is_a_file_is_an_error) {
  auto file = root / "file";
  write_file(file, {'x'});
  check_fails(file, "cannot create " + file.string() + ": Not a directory");
}

BOOST_AUTO_TEST_CASE(a_key_path_that_is_a_directory_is_an_error) {
  fs::create_directory(root / "identity.key");
  check_fails(root,
              (root / "identity.key").string() + " is not a regular file");
}

BOOST_AUTO_TEST_CASE(an_empty_data_dir_is_an_error) {
  auto result = load_or_create_identity("");
  BOOST_TEST_REQUIRE(!result);
  BOOST_TEST(to_string(code_of(result.error())) ==
             to_string(ec::identity_error));
}

BOOST_AUTO_TEST_CASE(errors_read_as_a_reason) {
  BOOST_TEST(to_string(ec::identity_error) ==
             "cannot load or store the node key");
}

BOOST_AUTO_TEST_SUITE_END()
