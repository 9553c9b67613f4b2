#include "actors/peer_exchange.hpp"

namespace p2pchat {

peer_exchange::peer_exchange(int64_t interval_ms, uint32_t flood_limit)
    : interval_ms_(interval_ms), flood_limit_(flood_limit) {
  // nop
}

peer_exchange::verdict peer_exchange::on_request(const node_id& peer,
                                                 int64_t now_ms) {
  auto& st = peers_[peer];
  if (st.requests_in_window == 0 ||
      now_ms - st.window_start_ms >= interval_ms_) {
    st.window_start_ms = now_ms;
    st.requests_in_window = 0;
  }
  if (++st.requests_in_window > flood_limit_)
    return verdict::flood;
  if (st.answered_any && now_ms - st.last_answered_ms < interval_ms_)
    return verdict::ignore;
  st.answered_any = true;
  st.last_answered_ms = now_ms;
  return verdict::answer;
}

bool peer_exchange::may_ask(const node_id& peer, int64_t now_ms) const {
  auto i = peers_.find(peer);
  return i == peers_.end() || !i->second.asked_any ||
         now_ms - i->second.last_asked_ms >= 2 * interval_ms_;
}

void peer_exchange::asked(const node_id& peer, int64_t now_ms) {
  auto& st = peers_[peer];
  st.asked_any = true;
  st.last_asked_ms = now_ms;
  st.reply_pending = true;
}

bool peer_exchange::accept_reply(const node_id& peer) {
  auto i = peers_.find(peer);
  if (i == peers_.end() || !i->second.reply_pending)
    return false;
  i->second.reply_pending = false;
  return true;
}

void peer_exchange::forget(const node_id& peer) {
  peers_.erase(peer);
}

} // namespace p2pchat
