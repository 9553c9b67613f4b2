#include "cli/identity.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "protocol/errors.hpp"

namespace fs = std::filesystem;

namespace p2pchat {

namespace {

constexpr const char* key_file_name = "identity.key";

static_assert(crypto_sign_SECRETKEYBYTES == 64);
static_assert(crypto_sign_PUBLICKEYBYTES == node_id::size);

/// An error naming `what` failed on `path` and why, from `err` (an errno).
caf::error fail(const std::string& what, const fs::path& path, int err) {
  return make_error(ec::identity_error,
                    what + " " + path.string() + ": " + std::strerror(err));
}

caf::error fail(const std::string& what, const fs::path& path) {
  return fail(what, path, errno);
}

/// Closes a descriptor on every path out of a function, keeping errno.
class fd_guard {
public:
  explicit fd_guard(int fd) : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0) {
      auto saved = errno;
      ::close(fd_);
      errno = saved;
    }
  }
  int get() const { return fd_; }
  /// Closes now, reporting the result (close can report a failed write).
  int close() {
    auto result = ::close(fd_);
    fd_ = -1;
    return result;
  }

private:
  int fd_;
};

/// Like `mkdir -p` with mode 0700 for each directory it creates, so that no
/// other user ever gets to look inside, not even for a moment.
caf::error make_dirs(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0)
    return caf::none;
  auto parent = dir.parent_path();
  if (errno == ENOENT && !parent.empty() && parent != dir) {
    if (auto err = make_dirs(parent))
      return err;
    if (::mkdir(dir.c_str(), 0700) == 0)
      return caf::none;
  }
  if (errno != EEXIST)
    return fail("cannot create", dir);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return fail("cannot create", dir);
  if (!S_ISDIR(st.st_mode))
    return fail("cannot create", dir, ENOTDIR);
  return caf::none;
}

identity from_secret_key(const std::array<uint8_t, 64>& secret_key) {
  identity result;
  result.secret_key = secret_key;
  std::copy(secret_key.begin() + 32, secret_key.end(), result.id.bytes.begin());
  return result;
}

caf::expected<identity> load(const fs::path& path, int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return fail("cannot read", path);
  if (!S_ISREG(st.st_mode))
    return make_error(ec::identity_error,
                      path.string() + " is not a regular file");
  if (st.st_size != 64)
    return make_error(ec::identity_error, path.string() + " has " +
                                              std::to_string(st.st_size) +
                                              " bytes, expected 64");
  std::array<uint8_t, 64> secret_key;
  size_t got = 0;
  while (got < secret_key.size()) {
    auto n = ::read(fd, secret_key.data() + got, secret_key.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail("cannot read", path);
    if (n == 0)
      return make_error(ec::identity_error,
                        path.string() + " shrank while being read");
    got += static_cast<size_t>(n);
  }
  // crypto_sign_ed25519_sk_to_pk merely copies the stored public half, so
  // derive the public key from the seed (the first half) to compare.
  std::array<uint8_t, crypto_sign_SEEDBYTES> seed;
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> public_key;
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> derived;
  crypto_sign_ed25519_sk_to_seed(seed.data(), secret_key.data());
  crypto_sign_seed_keypair(public_key.data(), derived.data(), seed.data());
  auto matches = sodium_memcmp(public_key.data(), secret_key.data() + 32,
                               public_key.size()) == 0;
  auto result = from_secret_key(secret_key);
  sodium_memzero(seed.data(), seed.size());
  sodium_memzero(derived.data(), derived.size());
  sodium_memzero(secret_key.data(), secret_key.size());
  if (!matches)
    return make_error(ec::identity_error,
                      path.string() +
                          ": public half does not match the secret half");
  return result;
}

/// Writes all of `data` to `fd`, or fails with errno set.
bool write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    auto n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

caf::expected<identity> create(const fs::path& dir, const fs::path& path) {
  std::array<uint8_t, crypto_sign_PUBLICKEYBYTES> public_key;
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret_key;
  crypto_sign_keypair(public_key.data(), secret_key.data());
  auto result = from_secret_key(secret_key);
  // A random name, so that a leftover from a crash cannot block us (a pid
  // would: in a container, each run may well get the same one).
  std::array<uint8_t, 8> nonce;
  randombytes_buf(nonce.data(), nonce.size());
  std::array<char, 2 * nonce.size() + 1> nonce_hex;
  sodium_bin2hex(nonce_hex.data(), nonce_hex.size(), nonce.data(),
                 nonce.size());
  auto tmp = path;
  tmp += std::string{".tmp."} + nonce_hex.data();
  fd_guard fd{
      ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600)};
  if (fd.get() < 0)
    return fail("cannot create", tmp);
  auto written = write_all(fd.get(), secret_key.data(), secret_key.size());
  sodium_memzero(secret_key.data(), secret_key.size());
  // Only a complete, durable file may take the real name.
  if (!written || ::fsync(fd.get()) != 0 || fd.close() != 0) {
    auto err = fail("cannot write", tmp);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = fail("cannot rename " + tmp.string() + " to", path);
    ::unlink(tmp.c_str());
    return err;
  }
  // Make the rename itself survive a crash.
  fd_guard dir_fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir_fd.get() < 0 || ::fsync(dir_fd.get()) != 0)
    return fail("cannot sync", dir);
  return result;
}

} // namespace

caf::expected<identity> load_or_create_identity(const std::string& data_dir) {
  if (sodium_init() < 0)
    return make_error(ec::identity_error, "cannot initialise libsodium");
  if (data_dir.empty())
    return make_error(ec::identity_error, "the data directory is empty");
  fs::path dir{data_dir};
  if (auto err = make_dirs(dir))
    return err;
  auto path = dir / key_file_name;
  fd_guard fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.get() >= 0)
    return load(path, fd.get());
  if (errno != ENOENT)
    return fail("cannot open", path);
  return create(dir, path);
}

} // namespace p2pchat
