// Interface addresses and routes through rtnetlink.
//
// Thread safety: as NetlinkSocket: one thread per socket.
#ifndef PYCONTAIN_LIB_NET_ADDRESS_H_
#define PYCONTAIN_LIB_NET_ADDRESS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "lib/net/ip.h"
#include "lib/net/netlink.h"

namespace pycontain::net {

// Adds `address` (an interface address with its prefix length, such as
// 10.213.0.2/28) to link `index`. IPv6 addresses skip duplicate address
// detection, because the pool already made them unique and DAD would
// delay their use by about a second.
absl::Status AddAddress(NetlinkSocket& socket, int index, const IpPrefix& address);

struct AddressInfo {
  int index = 0;
  IpPrefix address;
};
// Lists the addresses of `family` (AF_INET, AF_INET6 or AF_UNSPEC).
absl::StatusOr<std::vector<AddressInfo>> ListAddresses(NetlinkSocket& socket, int family);

// Adds a route to `destination` (a prefix of length 0 for the default
// route) through `gateway` on link `index`.
absl::Status AddRoute(NetlinkSocket& socket, const IpPrefix& destination,
                      const IpAddress& gateway, int index);

// Lists the destinations of the main routing table's routes of `family`,
// for address pools to avoid the host's own networks.
absl::StatusOr<std::vector<IpPrefix>> ListRouteDestinations(NetlinkSocket& socket,
                                                            int family);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_ADDRESS_H_
