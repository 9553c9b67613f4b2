#include "protocol/noise.hpp"

#include <array>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <sodium.h>

#include "protocol/errors.hpp"
#include "protocol/noise_crypto.hpp"
#include "protocol/noise_identity.hpp"
#include "protocol/support/test_helpers.hpp"

extern char** environ;

using namespace p2pchat;
using test::code_of;

namespace {

// -- hex ----------------------------------------------------------------------

std::string to_hex(const void* data, size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string result;
  auto bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    result += digits[bytes[i] >> 4];
    result += digits[bytes[i] & 0x0F];
  }
  return result;
}

template <class Container>
std::string to_hex(const Container& xs) {
  return to_hex(xs.data(), xs.size());
}

std::vector<char> from_hex(const std::string& hex) {
  std::vector<char> result;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    result.push_back(
        static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return result;
}

/// Why `x` failed, or nothing (Boost.Test renders a message even when the
/// check passes, and a good result has no error to describe).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : describe(x.error());
}

/// The value of a result that must be there; fails the test otherwise.
template <class T>
T must(caf::expected<T> x) {
  BOOST_REQUIRE_MESSAGE(x, why(x));
  return std::move(*x);
}

std::vector<char> chars(const std::string& xs) {
  return {xs.begin(), xs.end()};
}

template <size_t N>
noise::secret<N> secret_from_hex(const std::string& hex) {
  auto bytes = from_hex(hex);
  noise::secret<N> result;
  BOOST_REQUIRE_EQUAL(bytes.size(), N);
  for (size_t i = 0; i < N; ++i)
    result.data()[i] = static_cast<uint8_t>(bytes[i]);
  return result;
}

/// `n` bytes counting up from `first`, as Python's bytes(range(...)).
std::vector<uint8_t> counting(uint8_t first, size_t n) {
  std::vector<uint8_t> result;
  for (size_t i = 0; i < n; ++i)
    result.push_back(static_cast<uint8_t>(first + i));
  return result;
}

std::vector<uint8_t> bytes_of(const std::string& xs) {
  return {xs.begin(), xs.end()};
}

// -- fixed keys ---------------------------------------------------------------

/// A node identity as cli/identity.* makes it: libsodium's Ed25519 key pair,
/// here from a fixed seed.
struct test_identity {
  node_id id;
  std::array<uint8_t, 64> secret_key{};
  std::array<uint8_t, 32> seed{};
};

test_identity make_identity(uint8_t first) {
  BOOST_REQUIRE(sodium_init() >= 0);
  test_identity result;
  auto seed = counting(first, 32);
  std::copy(seed.begin(), seed.end(), result.seed.begin());
  crypto_sign_seed_keypair(result.id.bytes.data(), result.secret_key.data(),
                           result.seed.data());
  return result;
}

/// The initiator and responder of every test: their Noise static keys are
/// their identity keys converted, as the node will do.
const test_identity& alice() {
  static const auto result = make_identity(0xa0);
  return result;
}

const test_identity& bob() {
  static const auto result = make_identity(0xc0);
  return result;
}

noise::keypair alice_static() {
  return noise_static_keypair(alice().secret_key);
}

noise::keypair bob_static() {
  return noise_static_keypair(bob().secret_key);
}

noise::private_key fixed_ephemeral(uint8_t first) {
  noise::private_key result;
  for (size_t i = 0; i < result.size(); ++i)
    result.data()[i] = static_cast<uint8_t>(first + i);
  return result;
}

const noise::private_key& alice_ephemeral() {
  static const auto result = fixed_ephemeral(0x40);
  return result;
}

const noise::private_key& bob_ephemeral() {
  static const auto result = fixed_ephemeral(0x60);
  return result;
}

caf::span<const char> prologue() {
  return {noise_prologue_v2.data(), noise_prologue_v2.size()};
}

const std::array<std::string, 3> handshake_payloads = {
    "", "bob's hello, encrypted to alice", "alice's hello, encrypted to bob"};

/// Transport plaintexts: who sends ('i' initiator, 'r' responder), what.
const std::vector<std::pair<char, std::string>> transport_messages = {
    {'i', "hi bob"},
    {'i', ""},
    {'r', "hi alice \xe2\x9c\x93"},
    {'i', "three in a row"},
    {'r', std::string(1000, 'x')},
};

noise_handshake initiator_with_fixed_keys() {
  return {noise_role::initiator, alice_static(), prologue(), alice_ephemeral()};
}

noise_handshake responder_with_fixed_keys() {
  return {noise_role::responder, bob_static(), prologue(), bob_ephemeral()};
}

/// The three handshake messages between `i` and `r`, checked to succeed.
std::array<std::vector<char>, 3> run_handshake(noise_handshake& i,
                                               noise_handshake& r) {
  std::array<std::vector<char>, 3> messages;
  for (size_t k = 0; k < 3; ++k) {
    auto& writer = k % 2 == 0 ? i : r;
    auto& reader = k % 2 == 0 ? r : i;
    auto msg = writer.write_message(chars(handshake_payloads[k]));
    BOOST_REQUIRE_MESSAGE(msg, why(msg));
    auto payload = reader.read_message(*msg);
    BOOST_REQUIRE_MESSAGE(payload, why(payload));
    BOOST_TEST(std::string(payload->begin(), payload->end()) ==
               handshake_payloads[k]);
    messages[k] = std::move(*msg);
  }
  BOOST_REQUIRE(i.finished());
  BOOST_REQUIRE(r.finished());
  return messages;
}

/// Both sides of a finished handshake, ready for transport messages.
struct session {
  transport_ciphers initiator;
  transport_ciphers responder;
};

session make_session() {
  auto i = initiator_with_fixed_keys();
  auto r = responder_with_fixed_keys();
  run_handshake(i, r);
  auto ti = i.split();
  auto tr = r.split();
  BOOST_REQUIRE(ti);
  BOOST_REQUIRE(tr);
  return {std::move(*ti), std::move(*tr)};
}

std::vector<char> must_encrypt(cipher_state& cs, const std::string& text) {
  auto result = cs.encrypt({}, chars(text));
  BOOST_REQUIRE_MESSAGE(result, why(result));
  return std::move(*result);
}

std::string must_decrypt(cipher_state& cs, const std::vector<char>& msg) {
  auto result = cs.decrypt({}, msg);
  BOOST_REQUIRE_MESSAGE(result, why(result));
  return {result->begin(), result->end()};
}

// -- the oracle ---------------------------------------------------------------

/// tests/protocol/noise_oracle.py (dissononce) in a child process: Debian's
/// /usr/bin/python3 (P2PCHAT_ORACLE_PYTHON) runs it with our arguments; we
/// talk to it one line at a time over its stdin and stdout. Its stderr goes
/// to ours, so a Python traceback shows in the test log.
class oracle {
public:
  explicit oracle(const std::vector<std::string>& args) {
    // A dead oracle must fail the test, not kill it on the next write.
    std::signal(SIGPIPE, SIG_IGN);
    int to_child[2];
    int from_child[2];
    BOOST_REQUIRE(::pipe2(to_child, O_CLOEXEC) == 0);
    BOOST_REQUIRE(::pipe2(from_child, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    std::vector<std::string> argv_strings{P2PCHAT_ORACLE_PYTHON,
                                          P2PCHAT_NOISE_ORACLE};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_strings)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    auto rc = posix_spawn(&pid_, P2PCHAT_ORACLE_PYTHON, &actions, nullptr,
                          argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    to_child_ = to_child[1];
    from_child_ = from_child[0];
    BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start " P2PCHAT_ORACLE_PYTHON
                                   " (run scripts/setup)");
  }

  oracle(const oracle&) = delete;
  oracle& operator=(const oracle&) = delete;

  ~oracle() {
    close_input();
    if (from_child_ >= 0)
      ::close(from_child_);
    if (pid_ > 0)
      wait();
  }

  /// Ends the oracle's input: a `peer` oracle exits.
  void close_input() {
    if (to_child_ >= 0)
      ::close(to_child_);
    to_child_ = -1;
  }

  /// Waits for the oracle to exit and returns its exit status.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  /// The next line of output, or nothing at the end of it. A line that takes
  /// more than 30 s fails the test.
  std::optional<std::string> read_line() {
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        auto line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      pollfd pfd{from_child_, POLLIN, 0};
      BOOST_REQUIRE_MESSAGE(::poll(&pfd, 1, 30'000) == 1,
                            "the noise oracle does not answer");
      char chunk[4096];
      auto n = ::read(from_child_, chunk, sizeof(chunk));
      if (n <= 0)
        return std::nullopt;
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }

  /// Sends one command and returns the whole answer line.
  std::string ask(const std::string& command) {
    auto line = command + "\n";
    BOOST_REQUIRE(::write(to_child_, line.data(), line.size()) ==
                  static_cast<ssize_t>(line.size()));
    auto answer = read_line();
    BOOST_REQUIRE_MESSAGE(answer, "the noise oracle ended (see its stderr)");
    return *answer;
  }

  /// Sends one command that must succeed and returns the bytes it answered.
  std::vector<char> ok(const std::string& command) {
    auto answer = ask(command);
    BOOST_REQUIRE_MESSAGE(answer.rfind("ok", 0) == 0, command.substr(0, 40)
                                                          << ": " << answer);
    return from_hex(answer.size() > 3 ? answer.substr(3) : "");
  }

private:
  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buf_;
};

std::string private_hex(const noise::keypair& kp) {
  return to_hex(kp.priv.data(), kp.priv.size());
}

std::string private_hex(const noise::private_key& k) {
  return to_hex(k.data(), k.size());
}

/// The transcript format of `noise_oracle.py vectors`: "NAME HEX".
std::string line(const std::string& name, const std::string& hex) {
  return name + " " + hex;
}

/// Our side of `noise_oracle.py vectors`: the same handshake and transport
/// messages, printed the same way.
std::vector<std::string> our_transcript() {
  std::vector<std::string> out;
  auto i = initiator_with_fixed_keys();
  auto r = responder_with_fixed_keys();
  for (size_t k = 0; k < 3; ++k) {
    auto& writer = k % 2 == 0 ? i : r;
    auto& reader = k % 2 == 0 ? r : i;
    auto msg = writer.write_message(chars(handshake_payloads[k]));
    BOOST_REQUIRE(msg);
    auto payload = reader.read_message(*msg);
    BOOST_REQUIRE(payload);
    out.push_back(line("message" + std::to_string(k + 1), to_hex(*msg)));
    out.push_back(line("payload" + std::to_string(k + 1), to_hex(*payload)));
  }
  out.push_back(line("initiator_hash", to_hex(i.handshake_hash())));
  out.push_back(line("responder_hash", to_hex(r.handshake_hash())));
  out.push_back(line("initiator_remote_static", to_hex(*i.remote_static())));
  out.push_back(line("responder_remote_static", to_hex(*r.remote_static())));
  auto ti = i.split();
  auto tr = r.split();
  BOOST_REQUIRE(ti && tr);
  for (size_t k = 0; k < transport_messages.size(); ++k) {
    auto& [sender, text] = transport_messages[k];
    auto& writer = sender == 'i' ? ti->send : tr->send;
    auto& reader = sender == 'i' ? tr->recv : ti->recv;
    auto msg = must_encrypt(writer, text);
    out.push_back(line("transport" + std::to_string(k), to_hex(msg)));
    out.push_back(line("plain" + std::to_string(k),
                       to_hex(chars(must_decrypt(reader, msg)))));
  }
  return out;
}

std::vector<std::string> oracle_transcript() {
  std::vector<std::string> args{
      "vectors",
      "--prologue",
      to_hex(noise_prologue_v2),
      "--initiator-static",
      private_hex(alice_static()),
      "--initiator-ephemeral",
      private_hex(alice_ephemeral()),
      "--responder-static",
      private_hex(bob_static()),
      "--responder-ephemeral",
      private_hex(bob_ephemeral()),
  };
  for (const auto& payload : handshake_payloads) {
    args.push_back("--payload");
    args.push_back(to_hex(payload));
  }
  for (const auto& [sender, text] : transport_messages) {
    args.push_back("--transport");
    args.push_back(std::string{sender} + ":" + to_hex(text));
  }
  oracle py{args};
  py.close_input();
  std::vector<std::string> out;
  while (auto l = py.read_line())
    out.push_back(*l);
  BOOST_REQUIRE_EQUAL(py.wait(), 0);
  return out;
}

std::vector<std::string> peer_args(const char* role, const noise::keypair& s) {
  return {
      "peer",     "--role",      role, "--prologue", to_hex(noise_prologue_v2),
      "--static", private_hex(s)};
}

/// Flips one bit of `xs[pos]`.
std::vector<char> flipped(std::vector<char> xs, size_t pos, int bit = 0) {
  xs[pos] = static_cast<char>(xs[pos] ^ (1 << bit));
  return xs;
}

} // namespace

BOOST_AUTO_TEST_SUITE(noise_tests)

// -- known answers ------------------------------------------------------------
//
// The expected values below were computed with Debian's /usr/bin/python3,
// independently of libsodium and of our code:
//   H = lambda k, d: hmac.new(k, d, hashlib.blake2b).digest()   # HMAC-BLAKE2b
//   def hkdf(ck, ikm):                                           # section 4.3
//       t = H(ck, ikm); o1 = H(t, b"\x01"); return o1, H(t, o1 + b"\x02")
//   nonce = lambda n: b"\0" * 4 + struct.pack("<Q", n)
//   ChaCha20Poly1305(key).encrypt(nonce(n), plaintext, ad)      # cryptography
// with hashlib, hmac and struct from the standard library and ChaCha20Poly1305
// from cryptography.hazmat.primitives.ciphers.aead (python3-cryptography).

BOOST_AUTO_TEST_CASE(hash_is_blake2b_512) {
  // RFC 7693, appendix A.
  BOOST_TEST(to_hex(noise::hash(bytes_of("abc"))) ==
             "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2"
             "d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd400"
             "9923");
  // hashlib.blake2b(b"").hexdigest()
  BOOST_TEST(to_hex(noise::hash({})) ==
             "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f54"
             "19d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9b"
             "e2ce");
  // HASH(a || b) is the hash of the concatenation.
  BOOST_TEST(to_hex(noise::hash(bytes_of("a"), bytes_of("bc"))) ==
             to_hex(noise::hash(bytes_of("abc"))));
}

BOOST_AUTO_TEST_CASE(hmac_blake2b_known_answers) {
  auto check = [](const std::vector<uint8_t>& key, const std::string& data,
                  const std::string& expected) {
    auto mac = noise::hmac(key, bytes_of(data));
    BOOST_TEST(to_hex(mac.data(), mac.size()) == expected);
  };
  // H(bytes(range(64)), b"Noise_XX"): a HASHLEN key, as Noise uses it.
  check(counting(0, 64), "Noise_XX",
        "25951cef4038758e0f7e4134027a948b7986defa217992957594cb20a3b9c4ec79"
        "44a22e79bf4bf50eb618550206da55578b1e01742f213eb3caff5aaf85a844");
  // H(b"key", b"The quick brown fox jumps over the lazy dog"): a short key.
  check(bytes_of("key"), "The quick brown fox jumps over the lazy dog",
        "92294f92c0dfb9b00ec9ae8bd94d7e7d8a036b885a499f149dfe2fd2199394aaaf"
        "6b8894a1730cccb2cd050f9bcf5062a38b51b0dab33207f8ef35ae2c9df51b");
  // H(bytes(range(200)), b""): a key longer than BLOCKLEN is hashed first.
  check(counting(0, 200), "",
        "7388546f6fc7f13d6a774d6c7ed213aafc3c82f27851f8fae9fa679c6f52eb7cc8"
        "73c4a7f0b574ce29ff40e0641a436015a41a2cfbb84b9906495d4f801dbe4c");
  // H(bytes(range(128)), b"block-sized key"): exactly BLOCKLEN, not hashed.
  check(counting(0, 128), "block-sized key",
        "e8f055350fe58fe19360b0179889b1242eae250409cc853d12ebff65bb8c9cf0e9"
        "fe5c510b791836928de71403dd6461659aa2987889a4fbf685f0dd6706be4c");
}

BOOST_AUTO_TEST_CASE(hkdf_known_answers) {
  noise::secret<noise::hash_len> ck;
  for (size_t i = 0; i < ck.size(); ++i)
    ck.data()[i] = static_cast<uint8_t>(i);
  // hkdf(bytes(range(64)), bytes(range(0x40, 0x60))): a DH result, MixKey.
  auto [a1, a2] = noise::hkdf(ck, counting(0x40, 32));
  BOOST_TEST(to_hex(a1.data(), a1.size()) ==
             "53a22334fb402fe757480b953f4ea7077e9ea2dfb7f42595792c1b41c210e7"
             "3cdd9f42a3411540b52a39f09330f4c177b6dd94f6a9d3a0f34fd83d3f13a4"
             "ea31");
  BOOST_TEST(to_hex(a2.data(), a2.size()) ==
             "2177d1f87d50dbd71ab6f92ae2cb128e9b14be6cc976b8ef3100e8bb1a5059"
             "324dd854b9bfcfa2abe870da9089d323469b70ae63cf4aa8236fbfb83e9eb8"
             "9bcb");
  // hkdf(bytes(range(64)), b""): zero-length input, as in Split().
  auto [b1, b2] = noise::hkdf(ck, {});
  BOOST_TEST(to_hex(b1.data(), b1.size()) ==
             "03be0946afb62e33dcc2e8cb76dfad47663d284d81c0bde963f32a283dede2"
             "21be2b9e3a86fa82934234d2a6ed331fb664a3e670252b9454da9ed2567b43"
             "5e11");
  BOOST_TEST(to_hex(b2.data(), b2.size()) ==
             "8481b385940ea1ddc1e37243d34e6a00d9e35fe86844b75be2f9d084efcbf4"
             "a9d18c764645baf5262707efcb490c9ddfcc81c78ff75e1e727428f05b9fee"
             "857f");
}

BOOST_AUTO_TEST_CASE(cipher_state_nonce_is_32_zero_bits_and_little_endian_n) {
  auto key = secret_from_hex<32>(
      to_hex(counting(0x80, 32))); // bytes(range(0x80, 0xa0))
  auto ad = chars("ad");
  auto pt = chars("nonce layout");
  // ChaCha20Poly1305(key).encrypt(nonce(n), b"nonce layout", b"ad") for n =
  // 0, 1, 0x0102030405060708 and 2^64 - 2 (the last nonce ENCRYPT may use).
  const std::vector<std::pair<uint64_t, std::string>> vectors = {
      {0, "443374ce5b7a82aab45e508b54c2644093a653a44983cf232e2c412b"},
      {1, "8d7e1a6e1b5f4b871b6aaf62566ea80ba20c8a7bedcf6ddeed99de01"},
      {0x0102030405060708,
       "9ade80d835fa37bc5ade04ff47fdb8294a63a8914b6fadfc906c747f"},
      {UINT64_MAX - 1,
       "70646a8d7822c450f75ce9416c9cbbf844f32d5107ceaf4cdcd79b3a"},
  };
  cipher_state sender{key};
  cipher_state receiver{key};
  for (const auto& [n, expected] : vectors) {
    sender.set_nonce(n);
    auto ct = sender.encrypt(ad, pt);
    BOOST_REQUIRE(ct);
    BOOST_TEST(to_hex(*ct) == expected);
    BOOST_TEST(sender.nonce() == n + 1);
    receiver.set_nonce(n);
    auto back = receiver.decrypt(ad, from_hex(expected));
    BOOST_REQUIRE(back);
    BOOST_TEST(to_hex(*back) == to_hex(pt));
    BOOST_TEST(receiver.nonce() == n + 1);
  }
}

BOOST_AUTO_TEST_CASE(rekey_known_answer) {
  auto key = secret_from_hex<32>(to_hex(counting(0x80, 32)));
  // new_key = ChaCha20Poly1305(key).encrypt(b"\0" * 4 + b"\xff" * 8,
  //                                         b"\0" * 32, b"")[:32]
  // (REKEY: ENCRYPT at nonce 2^64 - 1, which no message ever uses), then
  // "after" is ChaCha20Poly1305(new_key).encrypt(nonce(1), b"after rekey",
  // b""): the nonce goes on counting across a rekey.
  cipher_state sender{key};
  cipher_state receiver{key};
  auto before = must_encrypt(sender, "before rekey");
  BOOST_TEST(to_hex(before) ==
             "48397cc24c3fceb9a85a40862fedccd0e9edcb1699c3db988b7b71ec");
  sender.rekey();
  BOOST_TEST(sender.nonce() == 1u);
  auto after = must_encrypt(sender, "after rekey");
  BOOST_TEST(to_hex(after) ==
             "505e7323bac9051a8967783a62b5629999c8785d5005f57783644a");
  // A receiver that has not rekeyed yet cannot read it, and stays put.
  BOOST_TEST(must_decrypt(receiver, before) == "before rekey");
  auto early = receiver.decrypt({}, after);
  BOOST_TEST(code_of(early) == ec::decrypt_failed);
  BOOST_TEST(receiver.nonce() == 1u);
  receiver.rekey();
  BOOST_TEST(must_decrypt(receiver, after) == "after rekey");
  // A second rekey derives from the first: REKEY(REKEY(key)), at nonce 2.
  sender.rekey();
  BOOST_TEST(to_hex(must_encrypt(sender, "after rekey")) ==
             "42279bbadfa040d8166dfc5cb0d0d834ddd49377b1f8a02ef5097e");
}

BOOST_AUTO_TEST_CASE(nonce_exhaustion_is_refused_not_wrapped) {
  auto key = secret_from_hex<32>(to_hex(counting(0x80, 32)));
  cipher_state sender{key};
  cipher_state receiver{key};
  sender.set_nonce(UINT64_MAX - 1);
  receiver.set_nonce(UINT64_MAX - 1);
  auto last = must_encrypt(sender, "last");
  BOOST_TEST(must_decrypt(receiver, last) == "last");
  BOOST_TEST(sender.nonce() == UINT64_MAX);
  auto more = sender.encrypt({}, chars("one more"));
  BOOST_TEST(code_of(more) == ec::nonce_exhausted);
  BOOST_TEST(sender.nonce() == UINT64_MAX);
  auto in = receiver.decrypt({}, last);
  BOOST_TEST(code_of(in) == ec::nonce_exhausted);
  BOOST_TEST(receiver.nonce() == UINT64_MAX);
}

BOOST_AUTO_TEST_CASE(cipher_state_without_key_refuses_to_work) {
  cipher_state none;
  BOOST_TEST(!none.has_key());
  BOOST_TEST(code_of(none.encrypt({}, chars("clear?"))) ==
             ec::handshake_failed);
  BOOST_TEST(code_of(none.decrypt({}, std::vector<char>(20))) ==
             ec::handshake_failed);
  // Moving a state takes its key along: the source cannot reuse a nonce.
  cipher_state keyed{secret_from_hex<32>(to_hex(counting(0, 32)))};
  cipher_state moved{std::move(keyed)};
  BOOST_TEST(moved.has_key());
  BOOST_TEST(!keyed.has_key()); // NOLINT(bugprone-use-after-move)
  BOOST_TEST(code_of(keyed.encrypt({}, chars("x"))) == ec::handshake_failed);
}

BOOST_AUTO_TEST_CASE(transport_messages_are_at_most_65535_bytes) {
  auto s = make_session();
  auto too_big = s.initiator.send.encrypt({}, std::vector<char>(65520));
  BOOST_TEST(code_of(too_big) == ec::frame_too_large);
  BOOST_TEST(s.initiator.send.nonce() == 0u);
  auto biggest = s.initiator.send.encrypt({}, std::vector<char>(65519));
  BOOST_REQUIRE(biggest);
  BOOST_TEST(biggest->size() == 65535u);
  BOOST_TEST(must(s.responder.recv.decrypt({}, *biggest)).size() == 65519u);
  auto in = s.responder.recv.decrypt({}, std::vector<char>(65536));
  BOOST_TEST(code_of(in) == ec::frame_too_large);
  BOOST_TEST(s.responder.recv.nonce() == 1u);
}

// -- the handshake between two of ours ----------------------------------------

BOOST_AUTO_TEST_CASE(xx_handshake_agrees_on_keys_hash_and_identities) {
  auto i = initiator_with_fixed_keys();
  auto r = responder_with_fixed_keys();
  BOOST_TEST(i.my_turn());
  BOOST_TEST(!r.my_turn());
  auto messages = run_handshake(i, r);
  // -> e;  <- e, ee, s, es;  -> s, se: keys, tags and payloads add up.
  BOOST_TEST(messages[0].size() == 32 + handshake_payloads[0].size());
  BOOST_TEST(messages[1].size() == 32 + 48 + handshake_payloads[1].size() + 16);
  BOOST_TEST(messages[2].size() == 48 + handshake_payloads[2].size() + 16);
  BOOST_TEST(to_hex(i.handshake_hash()) == to_hex(r.handshake_hash()));
  BOOST_REQUIRE(i.remote_static());
  BOOST_REQUIRE(r.remote_static());
  BOOST_TEST(to_hex(*i.remote_static()) == to_hex(bob_static().pub));
  BOOST_TEST(to_hex(*r.remote_static()) == to_hex(alice_static().pub));
  // Each side checks the node id the peer claims against the proven key.
  BOOST_TEST(!check_static_key(bob().id, *i.remote_static()));
  BOOST_TEST(!check_static_key(alice().id, *r.remote_static()));
  BOOST_TEST(code_of(check_static_key(alice().id, *i.remote_static())) ==
             ec::key_mismatch);
  auto ti = i.split();
  auto tr = r.split();
  BOOST_REQUIRE(ti && tr);
  BOOST_TEST(must_decrypt(tr->recv, must_encrypt(ti->send, "to bob")) ==
             "to bob");
  BOOST_TEST(must_decrypt(ti->recv, must_encrypt(tr->send, "to alice")) ==
             "to alice");
  // The transport keys leave the handshake once.
  BOOST_TEST(code_of(i.split()) == ec::handshake_failed);
}

BOOST_AUTO_TEST_CASE(fresh_ephemeral_keys_make_every_handshake_different) {
  noise_handshake i1{noise_role::initiator, alice_static(), prologue()};
  noise_handshake r1{noise_role::responder, bob_static(), prologue()};
  noise_handshake i2{noise_role::initiator, alice_static(), prologue()};
  noise_handshake r2{noise_role::responder, bob_static(), prologue()};
  auto m1 = run_handshake(i1, r1);
  auto m2 = run_handshake(i2, r2);
  BOOST_TEST(to_hex(m1[0]) != to_hex(m2[0]));
  BOOST_TEST(to_hex(i1.handshake_hash()) != to_hex(i2.handshake_hash()));
}

BOOST_AUTO_TEST_CASE(steps_out_of_turn_fail) {
  auto i = initiator_with_fixed_keys();
  auto r = responder_with_fixed_keys();
  // Writing out of turn is the caller's mistake: refused, nothing changes.
  BOOST_TEST(code_of(r.write_message({})) == ec::handshake_failed);
  BOOST_TEST(!r.failed());
  BOOST_TEST(code_of(i.split()) == ec::handshake_failed);
  // Reading out of turn means the peer broke the protocol: the end.
  BOOST_TEST(code_of(i.read_message(std::vector<char>(32))) ==
             ec::handshake_failed);
  BOOST_TEST(i.failed());
  BOOST_TEST(code_of(i.write_message({})) == ec::handshake_failed);
  // A failed handshake never finishes.
  BOOST_TEST(!i.finished());
}

BOOST_AUTO_TEST_CASE(oversized_handshake_payload_is_refused_without_harm) {
  auto i = initiator_with_fixed_keys();
  auto r = responder_with_fixed_keys();
  auto big = i.write_message(std::vector<char>(65535 - 32 + 1));
  BOOST_TEST(code_of(big) == ec::frame_too_large);
  BOOST_TEST(!i.failed());
  auto msg1 = i.write_message(std::vector<char>(65535 - 32));
  BOOST_REQUIRE(msg1);
  BOOST_TEST(msg1->size() == 65535u);
  BOOST_REQUIRE(r.read_message(*msg1));
  BOOST_TEST(code_of(r.write_message(std::vector<char>(65535 - 96 + 1))) ==
             ec::frame_too_large);
  BOOST_TEST(must(r.write_message(std::vector<char>(65535 - 96))).size() ==
             65535u);
}

BOOST_AUTO_TEST_CASE(a_moved_from_handshake_is_failed) {
  auto i = initiator_with_fixed_keys();
  auto moved = std::move(i);
  BOOST_TEST(moved.my_turn());
  BOOST_TEST(i.failed()); // NOLINT(bugprone-use-after-move)
  BOOST_TEST(code_of(i.write_message({})) == ec::handshake_failed);
}

// -- negative: tampering ------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_flipped_bit_in_message_1_fails_the_handshake) {
  // Message 1 carries only e and a clear payload: nothing can authenticate
  // it yet, so the responder reads it. But both are hashed, so the initiator
  // cannot decrypt message 2 and the handshake fails there.
  auto payload_1 = std::string{"m1"};
  for (size_t pos :
       {size_t{0}, size_t{17}, size_t{31}, size_t{32}, size_t{33}}) {
    BOOST_TEST_CONTEXT("byte " << pos) {
      auto i = initiator_with_fixed_keys();
      auto r = responder_with_fixed_keys();
      auto msg1 = i.write_message(chars(payload_1));
      BOOST_REQUIRE(msg1);
      BOOST_REQUIRE(r.read_message(flipped(*msg1, pos, 3)));
      auto msg2 = r.write_message(chars("bob"));
      BOOST_REQUIRE(msg2);
      auto res = i.read_message(*msg2);
      BOOST_TEST(code_of(res) == ec::handshake_failed);
      BOOST_TEST(i.failed());
      BOOST_TEST(!i.remote_static());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_in_message_2_fails_the_initiator) {
  // e (0-31), encrypted s (32-63) and its tag (64-79), payload and its tag.
  auto probe = [] {
    auto i = initiator_with_fixed_keys();
    auto r = responder_with_fixed_keys();
    BOOST_REQUIRE(r.read_message(must(i.write_message({}))));
    return must(r.write_message(chars("payload 2")));
  }();
  for (size_t pos = 0; pos < probe.size(); ++pos) {
    BOOST_TEST_CONTEXT("byte " << pos) {
      auto i = initiator_with_fixed_keys();
      auto r = responder_with_fixed_keys();
      BOOST_REQUIRE(r.read_message(must(i.write_message({}))));
      auto msg2 = r.write_message(chars("payload 2"));
      BOOST_REQUIRE(msg2);
      auto res = i.read_message(flipped(*msg2, pos, static_cast<int>(pos % 8)));
      BOOST_TEST(code_of(res) == ec::handshake_failed);
      BOOST_TEST(i.failed());
      BOOST_TEST(code_of(i.write_message({})) == ec::handshake_failed);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_in_message_3_fails_the_responder) {
  auto probe_size = 48 + std::string{"payload 3"}.size() + 16;
  for (size_t pos = 0; pos < probe_size; ++pos) {
    BOOST_TEST_CONTEXT("byte " << pos) {
      auto i = initiator_with_fixed_keys();
      auto r = responder_with_fixed_keys();
      BOOST_REQUIRE(r.read_message(must(i.write_message({}))));
      BOOST_REQUIRE(i.read_message(must(r.write_message({}))));
      auto msg3 = i.write_message(chars("payload 3"));
      BOOST_REQUIRE(msg3);
      BOOST_REQUIRE_EQUAL(msg3->size(), probe_size);
      auto res = r.read_message(flipped(*msg3, pos, static_cast<int>(pos % 8)));
      BOOST_TEST(code_of(res) == ec::handshake_failed);
      BOOST_TEST(r.failed());
      BOOST_TEST(!r.finished());
      BOOST_TEST(code_of(r.split()) == ec::handshake_failed);
    }
  }
}

BOOST_AUTO_TEST_CASE(handshake_messages_of_the_wrong_size_fail) {
  // Too short for its keys and tags, one byte too long (the extra byte
  // lands in the payload's ciphertext, which then fails its tag), or above
  // the Noise maximum.
  {
    auto r = responder_with_fixed_keys();
    auto res = r.read_message(std::vector<char>(31));
    BOOST_TEST(code_of(res) == ec::handshake_failed);
    BOOST_TEST(why(res).find("message 1 has 31 bytes") != std::string::npos);
    BOOST_TEST(r.failed());
  }
  {
    auto r = responder_with_fixed_keys();
    BOOST_TEST(code_of(r.read_message(std::vector<char>(65536))) ==
               ec::handshake_failed);
  }
  auto msg2_sized = [](size_t size) {
    auto i = initiator_with_fixed_keys();
    auto r = responder_with_fixed_keys();
    BOOST_REQUIRE(r.read_message(must(i.write_message({}))));
    auto msg2 = must(r.write_message({}));
    BOOST_REQUIRE_EQUAL(msg2.size(), 96u);
    msg2.resize(size, 0);
    auto res = i.read_message(msg2);
    BOOST_TEST(i.failed());
    return code_of(res);
  };
  BOOST_TEST(msg2_sized(95) == ec::handshake_failed);
  BOOST_TEST(msg2_sized(97) == ec::handshake_failed);
  BOOST_TEST(msg2_sized(0) == ec::handshake_failed);
  auto msg3_sized = [](size_t size) {
    auto i = initiator_with_fixed_keys();
    auto r = responder_with_fixed_keys();
    BOOST_REQUIRE(r.read_message(must(i.write_message({}))));
    BOOST_REQUIRE(i.read_message(must(r.write_message({}))));
    auto msg3 = must(i.write_message({}));
    BOOST_REQUIRE_EQUAL(msg3.size(), 64u);
    msg3.resize(size, 0);
    auto res = r.read_message(msg3);
    BOOST_TEST(r.failed());
    return code_of(res);
  };
  BOOST_TEST(msg3_sized(63) == ec::handshake_failed);
  BOOST_TEST(msg3_sized(65) == ec::handshake_failed);
}

BOOST_AUTO_TEST_CASE(a_different_prologue_fails_the_handshake) {
  // The responder hashes the preamble it received; one that a middleman
  // changed (here: to version 1) makes message 2 unreadable for the
  // initiator, which hashed the preamble it sent.
  const std::array<char, 4> v1 = {0x00, 'P', 'C', 0x01};
  auto i = initiator_with_fixed_keys();
  noise_handshake r{noise_role::responder, bob_static(),
                    caf::span<const char>{v1.data(), v1.size()},
                    bob_ephemeral()};
  BOOST_REQUIRE(r.read_message(must(i.write_message({}))));
  auto res = i.read_message(must(r.write_message(chars("bob"))));
  BOOST_TEST(code_of(res) == ec::handshake_failed);
  BOOST_TEST(why(res).find("static key does not decrypt") != std::string::npos);
  // An empty prologue differs as well.
  auto i2 = initiator_with_fixed_keys();
  noise_handshake r2{noise_role::responder, bob_static(),
                     caf::span<const char>{}, bob_ephemeral()};
  BOOST_REQUIRE(r2.read_message(must(i2.write_message({}))));
  BOOST_TEST(code_of(i2.read_message(must(r2.write_message({})))) ==
             ec::handshake_failed);
}

BOOST_AUTO_TEST_CASE(a_low_order_ephemeral_key_fails_the_handshake) {
  // An all-zero e is a point of small order: X25519 with it yields zeros,
  // which libsodium reports and the handshake refuses (section 12.1 allows
  // it), so nobody ends up with a key an attacker can predict.
  auto r = responder_with_fixed_keys();
  BOOST_REQUIRE(r.read_message(std::vector<char>(32, 0)));
  auto res = r.write_message({});
  BOOST_TEST(code_of(res) == ec::handshake_failed);
  BOOST_TEST(why(res).find("(ee)") != std::string::npos);
  BOOST_TEST(r.failed());
}

BOOST_AUTO_TEST_CASE(
    a_flipped_bit_in_a_transport_message_fails_and_keeps_nonce) {
  auto s = make_session();
  auto genuine = must_encrypt(s.initiator.send, "first");
  auto next = must_encrypt(s.initiator.send, "second");
  for (size_t pos = 0; pos < genuine.size(); ++pos) {
    BOOST_TEST_CONTEXT("byte " << pos) {
      auto res = s.responder.recv.decrypt({}, flipped(genuine, pos, 7));
      BOOST_TEST(code_of(res) == ec::decrypt_failed);
      BOOST_TEST(s.responder.recv.nonce() == 0u);
    }
  }
  // Truncated to less than a tag, or by one byte.
  BOOST_TEST(code_of(s.responder.recv.decrypt({}, std::vector<char>(15))) ==
             ec::decrypt_failed);
  BOOST_TEST(code_of(s.responder.recv.decrypt(
                 {}, std::vector<char>(genuine.begin(), genuine.end() - 1))) ==
             ec::decrypt_failed);
  BOOST_TEST(s.responder.recv.nonce() == 0u);
  // The genuine messages still decrypt, in order.
  BOOST_TEST(must_decrypt(s.responder.recv, genuine) == "first");
  BOOST_TEST(must_decrypt(s.responder.recv, next) == "second");
}

BOOST_AUTO_TEST_CASE(replayed_and_reordered_transport_messages_fail) {
  auto s = make_session();
  auto first = must_encrypt(s.initiator.send, "first");
  auto second = must_encrypt(s.initiator.send, "second");
  // Reordered: the second message cannot come first.
  BOOST_TEST(code_of(s.responder.recv.decrypt({}, second)) ==
             ec::decrypt_failed);
  BOOST_TEST(must_decrypt(s.responder.recv, first) == "first");
  // Replayed: a message is good exactly once.
  BOOST_TEST(code_of(s.responder.recv.decrypt({}, first)) ==
             ec::decrypt_failed);
  BOOST_TEST(must_decrypt(s.responder.recv, second) == "second");
  BOOST_TEST(code_of(s.responder.recv.decrypt({}, second)) ==
             ec::decrypt_failed);
  // A message reflected back to its sender does not decrypt either: each
  // direction has its own key.
  auto reflected = must_encrypt(s.initiator.send, "third");
  BOOST_TEST(code_of(s.initiator.recv.decrypt({}, reflected)) ==
             ec::decrypt_failed);
}

// -- key conversion -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(identity_keys_convert_like_the_textbook_formulas) {
  // The oracle derives the X25519 keys from the Ed25519 seed by hand
  // (SHA-512 and clamping; u = (1 + y) / (1 - y) from the Ed25519 public
  // key), without libsodium.
  for (const auto* who : {&alice(), &bob()}) {
    oracle py{{"convert", "--ed25519-seed", to_hex(who->seed)}};
    py.close_input();
    std::vector<std::string> lines;
    while (auto l = py.read_line())
      lines.push_back(*l);
    BOOST_REQUIRE_EQUAL(py.wait(), 0);
    BOOST_REQUIRE_EQUAL(lines.size(), 3u);
    auto kp = noise_static_keypair(who->secret_key);
    auto pub = noise_static_key_of(who->id);
    BOOST_REQUIRE(pub);
    BOOST_TEST(lines[0] == line("x25519_private", private_hex(kp)));
    BOOST_TEST(lines[1] == line("x25519_public", to_hex(kp.pub)));
    BOOST_TEST(lines[2] == line("x25519_public_from_ed25519", to_hex(*pub)));
  }
}

BOOST_AUTO_TEST_CASE(check_static_key_binds_node_ids_to_static_keys) {
  auto alice_key = alice_static().pub;
  BOOST_TEST(!check_static_key(alice().id, alice_key));
  BOOST_TEST(code_of(check_static_key(bob().id, alice_key)) ==
             ec::key_mismatch);
  // Any other bit of the id changed: another key, or no key at all.
  for (size_t byte : {size_t{0}, size_t{13}, size_t{31}}) {
    auto other = alice().id;
    other.bytes[byte] ^= 0x01;
    BOOST_TEST(code_of(check_static_key(other, alice_key)) == ec::key_mismatch);
  }
  // Not an Ed25519 key: a point of small order.
  auto zero = noise_static_key_of(node_id{});
  BOOST_TEST(code_of(zero) == ec::key_mismatch);
  BOOST_TEST(code_of(check_static_key(node_id{}, alice_key)) ==
             ec::key_mismatch);
  // The conversion ignores the sign of x (the top bit): that twin id maps to
  // the same X25519 key, so it names the same key holder (documented).
  auto twin = alice().id;
  twin.bytes[31] ^= 0x80;
  BOOST_TEST(!check_static_key(twin, alice_key));
}

// -- interop with dissononce --------------------------------------------------

BOOST_AUTO_TEST_CASE(handshake_matches_dissononce_byte_for_byte) {
  // Same static keys, ephemeral keys, prologue and payloads on both sides:
  // the three handshake messages, the payloads read, both handshake hashes,
  // the static keys learnt and every transport message must be identical.
  auto theirs = oracle_transcript();
  auto ours = our_transcript();
  BOOST_REQUIRE_EQUAL(theirs.size(), ours.size());
  BOOST_REQUIRE_EQUAL(ours.size(), 6 + 4 + 2 * transport_messages.size());
  for (size_t k = 0; k < ours.size(); ++k)
    BOOST_TEST(ours[k] == theirs[k]);
}

BOOST_AUTO_TEST_CASE(cpp_initiator_talks_to_dissononce_responder) {
  // Fresh ephemeral keys on both sides: this is a live conversation, not a
  // replay of fixed vectors.
  oracle bob_py{peer_args("responder", bob_static())};
  noise_handshake alice_cpp{noise_role::initiator, alice_static(), prologue()};
  auto msg1 = alice_cpp.write_message(chars("m1"));
  BOOST_REQUIRE(msg1);
  BOOST_TEST(to_hex(bob_py.ok("read " + to_hex(*msg1))) ==
             to_hex(std::string{"m1"}));
  auto msg2 = bob_py.ok("write " + to_hex(handshake_payloads[1]));
  auto payload2 = alice_cpp.read_message(msg2);
  BOOST_REQUIRE_MESSAGE(payload2, why(payload2));
  BOOST_TEST(to_hex(*payload2) == to_hex(handshake_payloads[1]));
  BOOST_TEST(!check_static_key(bob().id, alice_cpp.remote_static().value()));
  auto msg3 = alice_cpp.write_message(chars(handshake_payloads[2]));
  BOOST_REQUIRE(msg3);
  BOOST_TEST(to_hex(bob_py.ok("read " + to_hex(*msg3))) ==
             to_hex(handshake_payloads[2]));
  BOOST_REQUIRE(alice_cpp.finished());
  BOOST_TEST(to_hex(bob_py.ok("hash")) == to_hex(alice_cpp.handshake_hash()));
  BOOST_TEST(to_hex(bob_py.ok("remote")) == to_hex(alice_static().pub));
  auto t = alice_cpp.split();
  BOOST_REQUIRE(t);
  for (const auto& [sender, text] : transport_messages) {
    if (sender == 'i') {
      auto msg = must_encrypt(t->send, text);
      BOOST_TEST(to_hex(bob_py.ok("read " + to_hex(msg))) == to_hex(text));
    } else {
      auto msg = bob_py.ok("write " + to_hex(text));
      BOOST_TEST(must_decrypt(t->recv, msg) == text);
    }
  }
  // dissononce rejects our tampered message too.
  auto tampered = flipped(must_encrypt(t->send, "tampered"), 0);
  BOOST_TEST(bob_py.ask("read " + to_hex(tampered)).rfind("error", 0) == 0);
}

BOOST_AUTO_TEST_CASE(dissononce_initiator_talks_to_cpp_responder) {
  oracle alice_py{peer_args("initiator", alice_static())};
  noise_handshake bob_cpp{noise_role::responder, bob_static(), prologue()};
  auto msg1 = alice_py.ok("write " + to_hex(std::string{"m1"}));
  auto payload1 = bob_cpp.read_message(msg1);
  BOOST_REQUIRE_MESSAGE(payload1, why(payload1));
  BOOST_TEST(to_hex(*payload1) == to_hex(std::string{"m1"}));
  auto msg2 = bob_cpp.write_message(chars(handshake_payloads[1]));
  BOOST_REQUIRE(msg2);
  BOOST_TEST(to_hex(alice_py.ok("read " + to_hex(*msg2))) ==
             to_hex(handshake_payloads[1]));
  auto msg3 = alice_py.ok("write " + to_hex(handshake_payloads[2]));
  auto payload3 = bob_cpp.read_message(msg3);
  BOOST_REQUIRE_MESSAGE(payload3, why(payload3));
  BOOST_TEST(to_hex(*payload3) == to_hex(handshake_payloads[2]));
  BOOST_REQUIRE(bob_cpp.finished());
  BOOST_TEST(!check_static_key(alice().id, bob_cpp.remote_static().value()));
  BOOST_TEST(to_hex(alice_py.ok("hash")) == to_hex(bob_cpp.handshake_hash()));
  BOOST_TEST(to_hex(alice_py.ok("remote")) == to_hex(bob_static().pub));
  auto t = bob_cpp.split();
  BOOST_REQUIRE(t);
  for (const auto& [sender, text] : transport_messages) {
    if (sender == 'r') {
      auto msg = must_encrypt(t->send, text);
      BOOST_TEST(to_hex(alice_py.ok("read " + to_hex(msg))) == to_hex(text));
    } else {
      auto msg = alice_py.ok("write " + to_hex(text));
      BOOST_TEST(must_decrypt(t->recv, msg) == text);
    }
  }
  // And we reject dissononce's message once tampered with.
  auto tampered = flipped(alice_py.ok("write " + to_hex(std::string{"x"})), 5);
  BOOST_TEST(code_of(t->recv.decrypt({}, tampered)) == ec::decrypt_failed);
}

BOOST_AUTO_TEST_SUITE_END()
