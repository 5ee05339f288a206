// Network interfaces through rtnetlink: creating bridges, veth pairs,
// macvlan and ipvlan links, setting them up, attaching them to a bridge,
// moving them into another namespace and deleting them.
//
// Each call acts in the namespace of `socket` (netns.h opens one in any
// namespace). Links may be created directly inside another namespace by
// passing its descriptor, which saves a move.
//
// Thread safety: as NetlinkSocket: one thread per socket.
#ifndef PYCONTAIN_LIB_NET_LINK_H_
#define PYCONTAIN_LIB_NET_LINK_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/net/netlink.h"

namespace pycontain::net {

// Largest interface name, in bytes (IFNAMSIZ - 1).
inline constexpr size_t kMaxLinkName = 15;

struct LinkInfo {
  int index = 0;
  std::string name;
  // IFLA_INFO_KIND: "bridge", "veth", "macvlan"; empty for physical and lo.
  std::string kind;
  // Index of the bridge the link is attached to, or 0.
  int master = 0;
  unsigned flags = 0;  // IFF_UP and friends
  uint32_t mtu = 0;
};

absl::StatusOr<std::vector<LinkInfo>> ListLinks(NetlinkSocket& socket);

// Returns the index of link `name`. Errors: NotFound.
absl::StatusOr<int> LinkIndex(NetlinkSocket& socket, absl::string_view name);

// Creates a bridge. `mtu` 0 keeps the kernel's default.
absl::Status CreateBridge(NetlinkSocket& socket, absl::string_view name, uint32_t mtu);

struct VethOptions {
  std::string name;
  std::string peer_name;
  uint32_t mtu = 0;
  // The namespace the peer is created in (a namespace fd), or -1 for the
  // socket's own.
  int peer_netns_fd = -1;
};
absl::Status CreateVeth(NetlinkSocket& socket, const VethOptions& options);

enum class L2Kind { kMacvlan, kIpvlan };

struct L2Options {
  L2Kind kind = L2Kind::kMacvlan;
  std::string name;
  // The parent link in the socket's namespace.
  int parent_index = 0;
  uint32_t mtu = 0;
  // Where the new link is created (a namespace fd), or -1 for the socket's.
  int netns_fd = -1;
};
// Creates a macvlan link in bridge mode (links on one parent reach each
// other) or an ipvlan link in L2 mode. Errors: Unimplemented naming the
// missing kernel module when the kernel lacks the link type.
absl::Status CreateL2Link(NetlinkSocket& socket, const L2Options& options);

absl::Status SetLinkUp(NetlinkSocket& socket, int index);
absl::Status SetLinkMaster(NetlinkSocket& socket, int index, int master_index);
// Lets the bridge send a frame back out of the port it came in on, which
// a container needs to reach its own published port through the host.
absl::Status SetBridgePortHairpin(NetlinkSocket& socket, int index);
absl::Status SetLinkMtu(NetlinkSocket& socket, int index, uint32_t mtu);
absl::Status RenameLink(NetlinkSocket& socket, int index, absl::string_view name);

// Moves a link into the network namespace of process `pid`, or into the
// namespace `netns_fd` refers to.
absl::Status MoveLinkToProcess(NetlinkSocket& socket, int index, pid_t pid);
absl::Status MoveLinkToNamespace(NetlinkSocket& socket, int index, int netns_fd);

// Deletes link `name` (for a veth, both ends). Errors: NotFound.
absl::Status DeleteLink(NetlinkSocket& socket, absl::string_view name);

// Returns OK when the kernel can create links of `kind` ("macvlan",
// "ipvlan", "vxlan", ...), else Unimplemented naming the kernel's missing
// support. Probes once per kind and process, in a throwaway namespace.
absl::Status CheckLinkKind(absl::string_view kind);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_LINK_H_
