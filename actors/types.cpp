#include "actors/types.hpp"

namespace p2pchat {

std::string display_name(const peer_view& x) {
  return x.name + " [" + to_string(x.listen) + "]";
}

std::string to_string(trust_status x) {
  switch (x) {
    case trust_status::unverified:
      return "unverified";
    case trust_status::verified:
      return "verified";
    case trust_status::key_changed:
      return "key changed";
  }
  return "unknown";
}

std::string trust_mark(const peer_view& x) {
  if (x.legacy)
    return " (legacy, unencrypted)";
  if (x.trust == trust_status::key_changed)
    return " (key changed)";
  return "";
}

} // namespace p2pchat
