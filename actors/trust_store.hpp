#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/types.hpp"

namespace p2pchat {

/// Trust on first use: the node id each peer name first came with, and
/// whether the user verified it. A plain class owned by the registry; it
/// reads and writes one small file in the data dir (`trust.txt`):
///
/// ```
/// p2pchat-trust 1
/// NAME 64-HEX-DIGIT-NODE-ID verified|unverified
/// ```
///
/// one line per name (names never contain whitespace). Every save writes a
/// temporary file, syncs it and renames it over the old one, so a crash
/// leaves the old file or the new one, never a mix.
class trust_store {
public:
  /// The file name inside the data dir.
  static constexpr const char* file_name = "trust.txt";

  /// The first line of a file this version writes and reads.
  static constexpr const char* header = "p2pchat-trust 1";

  /// One pinned name.
  struct pin {
    node_id id;
    bool verified = false;
  };

  /// A store kept in memory only (tests, or after a load failed).
  trust_store() = default;

  /// A store saved to `path`; call `load` before use.
  explicit trust_store(std::string path);

  /// Reads the file; a missing file is an empty store. On failure the store
  /// stays empty and stops saving, so that the unreadable file is kept for
  /// the user to inspect rather than overwritten.
  caf::error load();

  /// Parses a whole file's content (`source` names it in errors).
  static caf::expected<std::map<std::string, pin>>
  parse(std::string_view content, const std::string& source);

  /// Renders `pins` in the file format.
  static std::string render(const std::map<std::string, pin>& pins);

  /// What the store says about `name` presenting `id`: unverified (or no
  /// pin yet), verified, or key changed.
  trust_status status_of(const std::string& name, const node_id& id) const;

  /// What registering a hello found.
  struct hello_result {
    trust_status status = trust_status::unverified;
    /// The name was new: `id` is pinned to it now.
    bool new_pin = false;
    /// Saving the new pin failed (it holds in memory for this run).
    caf::error save_error;
  };

  /// Pins `id` to `name` if the name is new (and saves).
  hello_result on_hello(const std::string& name, const node_id& id);

  /// The user compared keys: pins `id` to `name` as verified, replacing a
  /// previous key, and saves.
  caf::error verify(const std::string& name, const node_id& id);

  /// The pin of `name`, if any.
  std::optional<pin> pinned(const std::string& name) const;

  /// All pins, by name.
  const std::map<std::string, pin>& pins() const noexcept { return pins_; }

  /// False once loading failed or no path was given: changes stay in memory.
  bool persistent() const noexcept { return !path_.empty() && saving_; }

private:
  caf::error save() const;

  std::string path_;
  bool saving_ = true;
  std::map<std::string, pin> pins_;
};

} // namespace p2pchat
