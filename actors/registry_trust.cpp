// The registry's part of identity and trust: pinning names to keys (trust on
// first use), the key-change warning, verification, and asking before plain
// text goes to a peer running the original app.

#include "actors/registry_internal.hpp"
#include "protocol/errors.hpp"

#include <spdlog/spdlog.h>

namespace p2pchat::detail {

void load_trust(registry_ptr self) {
  auto& st = self->state;
  st.trust = trust_store{st.cfg.trust_path};
  if (auto err = st.trust.load()) {
    // Keys pinned in this run still count; the broken file stays as it is.
    auto line = "Cannot load the pinned peer keys (" + describe(err) +
                "): keys are checked for this run only, the file is kept";
    spdlog::error("{}", line);
    self->send(st.cfg.console, notice_atom::value, std::move(line));
  }
}

peer_view with_trust(registry_ptr self, peer_view peer) {
  if (!peer.legacy)
    peer.trust = self->state.trust.status_of(peer.name, peer.id);
  return peer;
}

void trust_on_hello(registry_ptr self, const peer_view& peer) {
  auto& st = self->state;
  auto result = st.trust.on_hello(peer.name, peer.id);
  if (result.save_error)
    spdlog::error("cannot save the key of {}: {}", display_name(peer),
                  describe(result.save_error));
  if (result.status != trust_status::key_changed ||
      !st.key_change_warned.insert(peer.id).second)
    return;
  auto shown = peer;
  shown.trust = result.status;
  spdlog::warn("{} presents key {} but {} was pinned to {}", display_name(peer),
               peer.id.to_hex(), peer.name,
               st.trust.pinned(peer.name)->id.to_hex());
  self->send(st.cfg.console, keychg_atom::value, std::move(shown));
}

void on_verify(registry_ptr self, const std::string& name, const node_id& id) {
  auto& st = self->state;
  auto line = name + " (" + id.short_hex() + ") is verified now";
  if (auto err = st.trust.verify(name, id)) {
    spdlog::error("cannot save the verification of {}: {}", name,
                  describe(err));
    line += ", for this run only: " + describe(err);
  }
  // Another key of this name was announced before; this one is trusted now.
  st.key_change_warned.erase(id);
  self->send(st.cfg.console, notice_atom::value, std::move(line));
}

void send_to_legacy(registry_ptr self, const peer_address& addr,
                    std::string text) {
  auto& st = self->state;
  if (st.cfg.allow_legacy || st.legacy_confirmed.count(addr) > 0) {
    legacy_send(self, addr, std::move(text));
    return;
  }
  auto& held = st.legacy_held[addr];
  held.push_back(std::move(text));
  if (held.size() > 1)
    return; // the question is asked already
  peer_view peer{node_id{}, "unknown", addr, false, true};
  if (auto known = st.table.find(addr))
    peer = *known;
  self->send(st.cfg.console, confirm_atom::value, std::move(peer));
}

void on_legacy_confirm(registry_ptr self, const peer_address& addr, bool yes) {
  auto& st = self->state;
  auto i = st.legacy_held.find(addr);
  if (i == st.legacy_held.end())
    return;
  auto texts = std::move(i->second);
  st.legacy_held.erase(i);
  if (!yes) {
    self->send(st.cfg.console, notice_atom::value,
               "Not sent to " + to_string(addr) + " (" +
                   std::to_string(texts.size()) + " message" +
                   (texts.size() == 1 ? "" : "s") + ")");
    return;
  }
  st.legacy_confirmed.insert(addr);
  for (auto& text : texts)
    legacy_send(self, addr, std::move(text));
}

} // namespace p2pchat::detail
