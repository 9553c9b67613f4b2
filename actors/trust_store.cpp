#include "actors/trust_store.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

#include "protocol/errors.hpp"
#include "protocol/validation.hpp"

namespace p2pchat {

namespace {

caf::error fail(const std::string& detail) {
  return make_error(ec::trust_store_error, detail);
}

std::optional<node_id> parse_id(std::string_view hex) {
  node_id result;
  if (hex.size() != 2 * node_id::size)
    return std::nullopt;
  size_t len = 0;
  if (sodium_hex2bin(result.bytes.data(), result.bytes.size(), hex.data(),
                     hex.size(), nullptr, &len, nullptr) != 0 ||
      len != node_id::size)
    return std::nullopt;
  // Only the lower-case form we write: one spelling per file.
  if (result.to_hex() != hex)
    return std::nullopt;
  return result;
}

/// Writes `data` to `path` through a temporary file and a rename.
caf::error write_atomically(const std::string& path, const std::string& data) {
  std::array<uint8_t, 8> nonce;
  randombytes_buf(nonce.data(), nonce.size());
  std::array<char, 2 * nonce.size() + 1> nonce_hex;
  sodium_bin2hex(nonce_hex.data(), nonce_hex.size(), nonce.data(),
                 nonce.size());
  auto tmp = path + ".tmp." + nonce_hex.data();
  auto fd = ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail("cannot create " + tmp + ": " + std::strerror(errno));
  auto ptr = data.data();
  auto left = data.size();
  bool ok = true;
  while (left > 0) {
    auto n = ::write(fd, ptr, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ok = false;
      break;
    }
    ptr += n;
    left -= static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  auto saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err =
        fail("cannot write " + path + ": " + std::strerror(ok ? errno : saved));
    ::unlink(tmp.c_str());
    return err;
  }
  return caf::none;
}

} // namespace

trust_store::trust_store(std::string path) : path_(std::move(path)) {
  // nop
}

caf::error trust_store::load() {
  if (path_.empty())
    return caf::none;
  auto fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return caf::none;
    saving_ = false;
    return fail("cannot open " + path_ + ": " + std::strerror(errno));
  }
  // A trust file holds one short line per peer name: 1 MiB is thousands
  // of peers, and a bound keeps a wrong file (a device, a huge log) out.
  constexpr size_t max_bytes = 1 << 20;
  std::string content;
  std::array<char, 4096> buf;
  for (;;) {
    auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 || content.size() + static_cast<size_t>(n) > max_bytes) {
      auto saved = errno;
      ::close(fd);
      if (n == 0)
        break;
      saving_ = false;
      return fail(n < 0 ? "cannot read " + path_ + ": " + std::strerror(saved)
                        : path_ + " is larger than 1 MiB");
    }
    content.append(buf.data(), static_cast<size_t>(n));
  }
  auto parsed = parse(content, path_);
  if (!parsed) {
    saving_ = false;
    return parsed.error();
  }
  pins_ = std::move(*parsed);
  return caf::none;
}

caf::expected<std::map<std::string, trust_store::pin>>
trust_store::parse(std::string_view content, const std::string& source) {
  std::map<std::string, pin> result;
  size_t line_no = 0;
  while (!content.empty()) {
    auto end = content.find('\n');
    if (end == std::string_view::npos)
      return fail(source + ": line " + std::to_string(line_no + 1) +
                  " does not end with a newline (cut short?)");
    auto line = content.substr(0, end);
    content.remove_prefix(end + 1);
    ++line_no;
    auto where = source + ": line " + std::to_string(line_no) + ": ";
    if (line_no == 1) {
      if (line != header)
        return fail(where + "not a p2pchat trust file of version 1 (" +
                    quote_untrusted(line) + ")");
      continue;
    }
    auto first = line.find(' ');
    auto second = first == std::string_view::npos ? std::string_view::npos
                                                  : line.find(' ', first + 1);
    if (second == std::string_view::npos)
      return fail(where + "expected NAME ID STATUS");
    auto name = line.substr(0, first);
    auto hex = line.substr(first + 1, second - first - 1);
    auto status = line.substr(second + 1);
    if (validate_name(name))
      return fail(where + "invalid name " + quote_untrusted(name));
    auto id = parse_id(hex);
    if (!id)
      return fail(where + "invalid node id " + quote_untrusted(hex));
    if (status != "verified" && status != "unverified")
      return fail(where + "status " + quote_untrusted(status) +
                  " is neither verified nor unverified");
    if (!result.emplace(std::string{name}, pin{*id, status == "verified"})
             .second)
      return fail(where + "name '" + std::string{name} + "' appears twice");
  }
  if (line_no == 0)
    return fail(source + ": empty (no header line)");
  return result;
}

std::string trust_store::render(const std::map<std::string, pin>& pins) {
  std::string result = header;
  result += '\n';
  for (auto& [name, entry] : pins)
    result += name + ' ' + entry.id.to_hex() + ' ' +
              (entry.verified ? "verified" : "unverified") + '\n';
  return result;
}

trust_status trust_store::status_of(const std::string& name,
                                    const node_id& id) const {
  auto i = pins_.find(name);
  if (i == pins_.end())
    return trust_status::unverified;
  if (i->second.id != id)
    return trust_status::key_changed;
  return i->second.verified ? trust_status::verified : trust_status::unverified;
}

trust_store::hello_result trust_store::on_hello(const std::string& name,
                                                const node_id& id) {
  hello_result result;
  result.new_pin = pins_.emplace(name, pin{id, false}).second;
  if (result.new_pin)
    result.save_error = save();
  result.status = status_of(name, id);
  return result;
}

caf::error trust_store::verify(const std::string& name, const node_id& id) {
  pins_[name] = pin{id, true};
  return save();
}

std::optional<trust_store::pin>
trust_store::pinned(const std::string& name) const {
  if (auto i = pins_.find(name); i != pins_.end())
    return i->second;
  return std::nullopt;
}

caf::error trust_store::save() const {
  if (!persistent())
    return caf::none;
  return write_atomically(path_, render(pins_));
}

} // namespace p2pchat
