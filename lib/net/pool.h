// Address pools: which subnet a new network gets and which address a new
// container gets in it. Pure functions over the addresses already taken,
// so callers decide where "taken" comes from (the saved networks and the
// host's own routes).
//
// Defaults are small on purpose: each network is a /28 (13 containers
// besides the gateway) carved from the base 10.213.0.0/24, so the pool
// claims 256 addresses instead of Docker's many /16s, which tend to hide a
// site's own private ranges. Both numbers are settings (NetworkHost).
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_NET_POOL_H_
#define PYCONTAIN_LIB_NET_POOL_H_

#include <stdint.h>

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/net/ip.h"

namespace pycontain::net {

// SPEC: 10.213.0.0/24 is an arbitrary private /24. Sites that use it set
// another base; the host's own routes are skipped in any case.
inline constexpr char kDefaultPoolBase[] = "10.213.0.0/24";
inline constexpr int kDefaultSubnetLength = 28;

// Returns the first subnet of `length` bits inside `base` that overlaps
// none of `taken`. Errors: InvalidArgument when `length` does not fit in
// `base`; ResourceExhausted naming the base when every subnet is taken.
absl::StatusOr<IpPrefix> AllocateSubnet(const IpPrefix& base, int length,
                                        const std::vector<IpPrefix>& taken);

// Returns the lowest address of `subnet` that is not its network address,
// not the IPv4 broadcast address and not in `used` (which holds the
// gateway too). Errors: ResourceExhausted naming the subnet.
absl::StatusOr<IpAddress> AllocateAddress(const IpPrefix& subnet,
                                          const std::vector<IpAddress>& used);

// Checks an address that the caller chose (--ip, --gateway) the same way.
// Errors: InvalidArgument naming `field`, or AlreadyExists when in use.
absl::Status CheckAddress(const IpPrefix& subnet, const IpAddress& address,
                          const std::vector<IpAddress>& used,
                          absl::string_view field);

// Returns the unique local IPv6 /64 fdXX:XXXX:XXXX:SSSS::/64 (RFC 4193)
// built from the low 40 bits of `global_id` and `subnet_id`.
IpPrefix UlaSubnet(uint64_t global_id, uint16_t subnet_id);

// Returns a ULA /64 with a random global id that overlaps none of `taken`.
absl::StatusOr<IpPrefix> RandomUlaSubnet(const std::vector<IpPrefix>& taken);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_POOL_H_
