#include "lib/net/link.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <string.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/net/netns.h"

namespace pycontain::net {
namespace {

// The ipvlan UAPI constants, for kernels whose headers lack them.
constexpr uint16_t kIpvlanModeL2 = 0;
constexpr uint16_t kIflaIpvlanMode = 1;

NetlinkRequest NewLinkRequest(uint16_t flags) {
  NetlinkRequest request(RTM_NEWLINK, flags);
  ifinfomsg info = {};
  info.ifi_family = AF_UNSPEC;
  request.AddHeader(info);
  return request;
}

NetlinkRequest ChangeLinkRequest(int index, unsigned flags = 0, unsigned change = 0) {
  NetlinkRequest request(RTM_NEWLINK, 0);
  ifinfomsg info = {};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = index;
  info.ifi_flags = flags;
  info.ifi_change = change;
  request.AddHeader(info);
  return request;
}

std::string LinkName(int index) { return absl::StrCat("link ", index); }

LinkInfo ParseLink(const nlmsghdr* message) {
  const ifinfomsg* header = static_cast<const ifinfomsg*>(NLMSG_DATA(message));
  NetlinkAttributes attributes = ParseAttributes(message, sizeof(ifinfomsg));
  LinkInfo link;
  link.index = header->ifi_index;
  link.flags = header->ifi_flags;
  if (auto name = attributes.find(IFLA_IFNAME); name != attributes.end()) {
    link.name = std::string(name->second.data(), strnlen(name->second.data(), name->second.size()));
  }
  if (auto master = attributes.find(IFLA_MASTER);
      master != attributes.end() && master->second.size() >= 4) {
    memcpy(&link.master, master->second.data(), 4);
  }
  if (auto mtu = attributes.find(IFLA_MTU); mtu != attributes.end() && mtu->second.size() >= 4) {
    memcpy(&link.mtu, mtu->second.data(), 4);
  }
  if (auto info = attributes.find(IFLA_LINKINFO); info != attributes.end()) {
    NetlinkAttributes nested = ParseNested(info->second);
    if (auto kind = nested.find(IFLA_INFO_KIND); kind != nested.end()) {
      link.kind = std::string(kind->second.data(), strnlen(kind->second.data(), kind->second.size()));
    }
  }
  return link;
}

absl::Status CheckName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxLinkName) {
    return absl::InvalidArgumentError(absl::StrCat(
        "interface name \"", name, "\" must be 1 to ", kMaxLinkName, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<LinkInfo>> ListLinks(NetlinkSocket& socket) {
  NetlinkRequest request(RTM_GETLINK, 0);
  ifinfomsg info = {};
  info.ifi_family = AF_UNSPEC;
  request.AddHeader(info);
  std::vector<LinkInfo> links;
  absl::Status status = socket.Dump(request, "list links", [&](const nlmsghdr* message) {
    if (message->nlmsg_type == RTM_NEWLINK) links.push_back(ParseLink(message));
  });
  if (!status.ok()) return status;
  return links;
}

absl::StatusOr<int> LinkIndex(NetlinkSocket& socket, absl::string_view name) {
  absl::Status status = CheckName(name);
  if (!status.ok()) return status;
  NetlinkRequest request(RTM_GETLINK, 0);
  ifinfomsg info = {};
  info.ifi_family = AF_UNSPEC;
  request.AddHeader(info);
  request.AddString(IFLA_IFNAME, name);
  int index = 0;
  status = socket.Get(request, "look up link", name, [&](const nlmsghdr* message) {
    if (message->nlmsg_type == RTM_NEWLINK) index = ParseLink(message).index;
  });
  if (status.code() == absl::StatusCode::kNotFound || (status.ok() && index == 0)) {
    return absl::NotFoundError(absl::StrCat("network interface \"", name, "\" not found"));
  }
  if (!status.ok()) return status;
  return index;
}

absl::Status CreateBridge(NetlinkSocket& socket, absl::string_view name, uint32_t mtu) {
  absl::Status status = CheckName(name);
  if (!status.ok()) return status;
  NetlinkRequest request = NewLinkRequest(NLM_F_CREATE | NLM_F_EXCL);
  request.AddString(IFLA_IFNAME, name);
  if (mtu != 0) request.AddU32(IFLA_MTU, mtu);
  size_t linkinfo = request.BeginNested(IFLA_LINKINFO);
  request.AddString(IFLA_INFO_KIND, "bridge");
  request.EndNested(linkinfo);
  Logf(LogLevel::kDebug, "", "create bridge %s (mtu %d)", name, mtu);
  return socket.Execute(request, "create bridge", name);
}

absl::Status CreateVeth(NetlinkSocket& socket, const VethOptions& options) {
  absl::Status status = CheckName(options.name);
  if (status.ok()) status = CheckName(options.peer_name);
  if (!status.ok()) return status;
  NetlinkRequest request = NewLinkRequest(NLM_F_CREATE | NLM_F_EXCL);
  request.AddString(IFLA_IFNAME, options.name);
  if (options.mtu != 0) request.AddU32(IFLA_MTU, options.mtu);
  size_t linkinfo = request.BeginNested(IFLA_LINKINFO);
  request.AddString(IFLA_INFO_KIND, "veth");
  size_t data = request.BeginNested(IFLA_INFO_DATA);
  size_t peer = request.BeginNested(VETH_INFO_PEER);
  ifinfomsg peer_info = {};
  request.AddHeader(peer_info);
  request.AddString(IFLA_IFNAME, options.peer_name);
  if (options.mtu != 0) request.AddU32(IFLA_MTU, options.mtu);
  if (options.peer_netns_fd >= 0) {
    request.AddU32(IFLA_NET_NS_FD, static_cast<uint32_t>(options.peer_netns_fd));
  }
  request.EndNested(peer);
  request.EndNested(data);
  request.EndNested(linkinfo);
  Logf(LogLevel::kDebug, "", "create veth %s with peer %s%s", options.name,
       options.peer_name, options.peer_netns_fd >= 0 ? " in the container" : "");
  return socket.Execute(request, "create veth pair", options.name);
}

absl::Status CreateL2Link(NetlinkSocket& socket, const L2Options& options) {
  absl::string_view kind = options.kind == L2Kind::kMacvlan ? "macvlan" : "ipvlan";
  absl::Status status = CheckLinkKind(kind);
  if (status.ok()) status = CheckName(options.name);
  if (!status.ok()) return status;
  NetlinkRequest request = NewLinkRequest(NLM_F_CREATE | NLM_F_EXCL);
  request.AddString(IFLA_IFNAME, options.name);
  request.AddU32(IFLA_LINK, static_cast<uint32_t>(options.parent_index));
  if (options.mtu != 0) request.AddU32(IFLA_MTU, options.mtu);
  if (options.netns_fd >= 0) {
    request.AddU32(IFLA_NET_NS_FD, static_cast<uint32_t>(options.netns_fd));
  }
  size_t linkinfo = request.BeginNested(IFLA_LINKINFO);
  request.AddString(IFLA_INFO_KIND, kind);
  size_t data = request.BeginNested(IFLA_INFO_DATA);
  switch (options.kind) {
    case L2Kind::kMacvlan:
      request.AddU32(IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
      break;
    case L2Kind::kIpvlan:
      request.AddU16(kIflaIpvlanMode, kIpvlanModeL2);
      break;
  }
  request.EndNested(data);
  request.EndNested(linkinfo);
  Logf(LogLevel::kDebug, "", "create %s %s on link %d", kind, options.name,
       options.parent_index);
  return socket.Execute(request, absl::StrCat("create ", kind, " link"), options.name);
}

absl::Status SetLinkUp(NetlinkSocket& socket, int index) {
  NetlinkRequest request = ChangeLinkRequest(index, IFF_UP, IFF_UP);
  Logf(LogLevel::kDebug, "", "set link %d up", index);
  return socket.Execute(request, "set up", LinkName(index));
}

absl::Status SetLinkMaster(NetlinkSocket& socket, int index, int master_index) {
  NetlinkRequest request = ChangeLinkRequest(index);
  request.AddU32(IFLA_MASTER, static_cast<uint32_t>(master_index));
  Logf(LogLevel::kDebug, "", "attach link %d to bridge %d", index, master_index);
  return socket.Execute(request, absl::StrCat("attach to bridge ", master_index),
                        LinkName(index));
}

absl::Status SetBridgePortHairpin(NetlinkSocket& socket, int index) {
  NetlinkRequest request(RTM_SETLINK, 0);
  ifinfomsg info = {};
  info.ifi_family = AF_BRIDGE;
  info.ifi_index = index;
  request.AddHeader(info);
  size_t protinfo = request.BeginNested(IFLA_PROTINFO);
  request.AddU8(IFLA_BRPORT_MODE, 1);
  request.EndNested(protinfo);
  Logf(LogLevel::kDebug, "", "set hairpin mode on bridge port %d", index);
  return socket.Execute(request, "set hairpin mode on", LinkName(index));
}

absl::Status SetLinkMtu(NetlinkSocket& socket, int index, uint32_t mtu) {
  NetlinkRequest request = ChangeLinkRequest(index);
  request.AddU32(IFLA_MTU, mtu);
  Logf(LogLevel::kDebug, "", "set mtu of link %d to %d", index, mtu);
  return socket.Execute(request, absl::StrCat("set mtu ", mtu, " on"), LinkName(index));
}

absl::Status RenameLink(NetlinkSocket& socket, int index, absl::string_view name) {
  absl::Status status = CheckName(name);
  if (!status.ok()) return status;
  NetlinkRequest request = ChangeLinkRequest(index);
  request.AddString(IFLA_IFNAME, name);
  Logf(LogLevel::kDebug, "", "rename link %d to %s", index, name);
  return socket.Execute(request, absl::StrCat("rename to ", name), LinkName(index));
}

absl::Status MoveLinkToProcess(NetlinkSocket& socket, int index, pid_t pid) {
  NetlinkRequest request = ChangeLinkRequest(index);
  request.AddU32(IFLA_NET_NS_PID, static_cast<uint32_t>(pid));
  Logf(LogLevel::kDebug, "", "move link %d into the network namespace of pid %d", index,
       pid);
  return socket.Execute(request, absl::StrCat("move into namespace of pid ", pid),
                        LinkName(index));
}

absl::Status MoveLinkToNamespace(NetlinkSocket& socket, int index, int netns_fd) {
  NetlinkRequest request = ChangeLinkRequest(index);
  request.AddU32(IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
  Logf(LogLevel::kDebug, "", "move link %d into network namespace fd %d", index, netns_fd);
  return socket.Execute(request, "move into namespace", LinkName(index));
}

absl::Status DeleteLink(NetlinkSocket& socket, absl::string_view name) {
  NetlinkRequest request(RTM_DELLINK, 0);
  ifinfomsg info = {};
  info.ifi_family = AF_UNSPEC;
  request.AddHeader(info);
  request.AddString(IFLA_IFNAME, name);
  Logf(LogLevel::kDebug, "", "delete link %s", name);
  return socket.Execute(request, "delete link", name);
}

absl::Status CheckLinkKind(absl::string_view kind) {
  static absl::Mutex mutex(absl::kConstInit);
  static auto* results = new absl::flat_hash_map<std::string, absl::Status>();
  absl::MutexLock lock(&mutex);
  if (auto found = results->find(kind); found != results->end()) return found->second;

  // A link of this kind without its parameters: a kernel with the driver
  // rejects the parameters (EINVAL), one without it the kind (EOPNOTSUPP).
  absl::Status result = absl::OkStatus();
  absl::StatusOr<NetNamespace> scratch = NetNamespace::CreateNew();
  absl::StatusOr<NetlinkSocket> socket =
      scratch.ok() ? scratch->OpenNetlink() : scratch.status();
  if (!socket.ok()) return socket.status();
  NetlinkRequest request = NewLinkRequest(NLM_F_CREATE | NLM_F_EXCL);
  request.AddString(IFLA_IFNAME, "probe0");
  size_t linkinfo = request.BeginNested(IFLA_LINKINFO);
  request.AddString(IFLA_INFO_KIND, kind);
  request.EndNested(linkinfo);
  absl::Status probe = socket->Execute(request, "probe link kind", kind);
  if (ErrnoOf(probe) == EOPNOTSUPP) {
    result = absl::UnimplementedError(absl::StrCat(
        "this kernel cannot create ", kind, " links (CONFIG_", absl::AsciiStrToUpper(kind),
        " is off or the ", kind, " module is missing)"));
  }
  Logf(LogLevel::kDebug, "", "link kind %s: %s", kind,
       result.ok() ? "supported" : "not supported");
  (*results)[std::string(kind)] = result;
  return result;
}

}  // namespace pycontain::net
