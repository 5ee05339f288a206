// The nftables ruleset of pycontain's networks, rendered from the saved
// network records: one table, `inet pycontain`, that pycontain replaces
// as a whole in one transaction and never touches anything outside.
//
// What the table does, per bridge network:
// - outbound NAT: masquerade of the subnet (and of the IPv6 subnet, NAT66)
//   towards any interface but the network's own bridge, unless internal;
// - isolation: forwarding from one pycontain bridge to another is dropped,
//   and nothing enters a bridge except replies and published ports;
// - published ports: DNAT in prerouting (traffic from outside) and in
//   output (the host's own connections, loopback included).
//
// Relation to the host's firewall: nftables runs every base chain of a
// hook, and a drop in any of them is final, so our accepts never override
// the host's rules: a host `forward` chain with policy drop blocks
// containers and published ports until it allows them. Published ports
// are DNATed before routing, so their packets pass the host's forward
// chains, not its input chains, as with Docker: an input rule that blocks
// port 8080 does not block a port published as 8080. Ports published
// without an address bind 127.0.0.1, which is reachable only from the host
// itself; our table drops packets to 127.0.0.0/8 that arrive on any
// interface but lo.
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_NET_NFT_RULES_H_
#define PYCONTAIN_LIB_NET_NFT_RULES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/net/network_state.pb.h"

namespace pycontain::net {

inline constexpr char kNftFamily[] = "inet";
inline constexpr char kNftTable[] = "pycontain";

// Prefix of every bridge pycontain creates; isolation matches on it.
inline constexpr char kBridgePrefix[] = "pcbr-";
// Prefix of the host side of every veth pair pycontain creates.
inline constexpr char kVethPrefix[] = "pcv-";

// Returns an `nft -f` script that atomically replaces the table with the
// rules for `networks`; with no networks it only deletes the table.
// Errors: InvalidArgument for a record whose addresses or ports do not
// parse (a damaged state file).
absl::StatusOr<std::string> RenderRuleset(const std::vector<NetworkRecord>& networks);

// Bridges whose subnets receive connections published on 127.0.0.1, which
// need the route_localnet sysctl on the bridge.
std::vector<std::string> BridgesWithLoopbackPorts(
    const std::vector<NetworkRecord>& networks);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_NFT_RULES_H_
