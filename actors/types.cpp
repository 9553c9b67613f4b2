#include "actors/types.hpp"

namespace p2pchat {

std::string display_name(const peer_view& x) {
  return x.name + " [" + to_string(x.listen) + "]";
}

} // namespace p2pchat
