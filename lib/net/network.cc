#include "lib/net/network.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/net/address.h"
#include "lib/net/link.h"
#include "lib/net/nft_rules.h"
#include "lib/net/store.h"
#include "lib/net/sync.h"

namespace pycontain::net {
namespace {

// Prefixes that a new bridge subnet must not overlap: other networks' and
// the host's routes and addresses.
absl::StatusOr<std::vector<IpPrefix>> TakenPrefixes(const NetNamespace& host,
                                                    const std::vector<NetworkRecord>& all,
                                                    int family, bool include_host) {
  std::vector<IpPrefix> taken;
  for (const NetworkRecord& record : all) {
    const std::string& subnet = family == AF_INET ? record.subnet() : record.subnet6();
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(subnet);
    if (prefix.ok()) taken.push_back(*prefix);
  }
  if (!include_host) return taken;
  absl::StatusOr<NetlinkSocket> socket = host.OpenNetlink();
  if (!socket.ok()) return socket.status();
  absl::StatusOr<std::vector<IpPrefix>> routes = ListRouteDestinations(*socket, family);
  if (!routes.ok()) return routes.status();
  taken.insert(taken.end(), routes->begin(), routes->end());
  absl::StatusOr<std::vector<AddressInfo>> addresses = ListAddresses(*socket, family);
  if (!addresses.ok()) return addresses.status();
  for (const AddressInfo& address : *addresses) {
    if (!address.address.address().IsLoopback()) taken.push_back(address.address.Network());
  }
  return taken;
}

// Picks or checks one family's subnet and gateway.
absl::Status PlanSubnet(const std::vector<IpPrefix>& taken, const IpPrefix& pool,
                        int length, const std::string& subnet_text,
                        const std::string& gateway_text, bool check_overlap,
                        std::string* subnet_out, std::string* gateway_out) {
  IpPrefix subnet;
  if (!subnet_text.empty()) {
    absl::StatusOr<IpPrefix> parsed = IpPrefix::Parse(subnet_text);
    if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat("--subnet: ", parsed.status().message()));
    if (!parsed->IsNetwork()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--subnet ", subnet_text, " has host bits set; did you mean ",
          parsed->Network().ToString(), "?"));
    }
    subnet = *parsed;
    for (const IpPrefix& used : taken) {
      if (check_overlap && used.Overlaps(subnet)) {
        return absl::AlreadyExistsError(absl::StrCat(
            "--subnet ", subnet.ToString(), " overlaps ", used.ToString(),
            ", which another network or the host already uses"));
      }
    }
  } else {
    absl::StatusOr<IpPrefix> allocated = AllocateSubnet(pool, length, taken);
    if (!allocated.ok()) return allocated.status();
    subnet = *allocated;
  }
  IpAddress gateway = subnet.Host(1);
  if (!gateway_text.empty()) {
    absl::StatusOr<IpAddress> parsed = IpAddress::Parse(gateway_text);
    if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat("--gateway: ", parsed.status().message()));
    absl::Status status = CheckAddress(subnet, *parsed, {}, "--gateway");
    if (!status.ok()) return status;
    gateway = *parsed;
  }
  *subnet_out = subnet.ToString();
  *gateway_out = gateway.ToString();
  return absl::OkStatus();
}

absl::Status PlanSubnets(const NetNamespace& host, const IpPrefix& pool, int length,
                         const NetworkOptions& options,
                         const std::vector<NetworkRecord>& all, NetworkRecord& record) {
  // A macvlan or ipvlan subnet is the parent's LAN, which the host may
  // well have a route to; only other networks must not overlap it.
  bool bridge = options.driver == NetworkRecord::BRIDGE;
  absl::StatusOr<std::vector<IpPrefix>> taken = TakenPrefixes(host, all, AF_INET, bridge);
  if (!taken.ok()) return taken.status();
  absl::Status status =
      PlanSubnet(*taken, pool, length, options.subnet, options.gateway, true,
                 record.mutable_subnet(), record.mutable_gateway());
  if (!status.ok()) return status;
  if (!options.ipv6 && options.subnet6.empty()) return absl::OkStatus();

  taken = TakenPrefixes(host, all, AF_INET6, bridge);
  if (!taken.ok()) return taken.status();
  std::string subnet6 = options.subnet6;
  if (subnet6.empty()) {
    absl::StatusOr<IpPrefix> ula = RandomUlaSubnet(*taken);
    if (!ula.ok()) return ula.status();
    subnet6 = ula->ToString();
  }
  return PlanSubnet(*taken, IpPrefix(), 64, subnet6, options.gateway6, true,
                    record.mutable_subnet6(), record.mutable_gateway6());
}

absl::Status SetUpBridge(const NetNamespace& host, const NetworkRecord& record) {
  absl::StatusOr<NetlinkSocket> socket = host.OpenNetlink();
  if (!socket.ok()) return socket.status();
  absl::Status status = CreateBridge(*socket, record.bridge(), record.mtu());
  if (!status.ok()) return status;
  absl::StatusOr<int> index = LinkIndex(*socket, record.bridge());
  if (!index.ok()) return index.status();
  for (const auto& [gateway, subnet] : {std::pair(record.gateway(), record.subnet()),
                                        std::pair(record.gateway6(), record.subnet6())}) {
    if (gateway.empty()) continue;
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(subnet);
    absl::StatusOr<IpAddress> address = IpAddress::Parse(gateway);
    if (!prefix.ok() || !address.ok()) return absl::InternalError("bad saved subnet");
    status = AddAddress(*socket, *index, IpPrefix(*address, prefix->length()));
    if (!status.ok()) return status;
  }
  return SetLinkUp(*socket, *index);
}

absl::Status CheckDriverOptions(const NetworkOptions& options) {
  bool l2 = options.driver != NetworkRecord::BRIDGE;
  if (l2 && options.parent.empty()) {
    return absl::InvalidArgumentError(
        "--parent: a macvlan or ipvlan network needs a parent interface");
  }
  if (!l2 && !options.parent.empty()) {
    return absl::InvalidArgumentError("--parent: only macvlan and ipvlan networks have one");
  }
  if (options.mtu != 0 && (options.mtu < 68 || options.mtu > 65535)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--mtu: ", options.mtu, " is outside 68 to 65535"));
  }
  if (options.driver == NetworkRecord::MACVLAN) return CheckLinkKind("macvlan");
  if (options.driver == NetworkRecord::IPVLAN) return CheckLinkKind("ipvlan");
  return absl::OkStatus();
}

}  // namespace

std::string NetworkStateDir(absl::string_view state_root) {
  // Container ids start with a letter or digit, so this never clashes
  // with a container's state directory.
  return absl::StrCat(state_root, "/_networks");
}

absl::StatusOr<std::shared_ptr<NetworkHost>> NetworkHost::Open(const HostOptions& options) {
  if (options.state_dir.empty()) {
    return absl::InvalidArgumentError("HostOptions.state_dir is required");
  }
  absl::StatusOr<IpPrefix> pool = IpPrefix::Parse(options.pool_base);
  if (!pool.ok() || !pool->address().is_v4()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address pool \"", options.pool_base, "\" is not an IPv4 prefix such as ",
        kDefaultPoolBase));
  }
  absl::StatusOr<NetNamespace> netns = options.netns_path.empty()
                                           ? NetNamespace::Current()
                                           : NetNamespace::Open(options.netns_path);
  if (!netns.ok()) return netns.status();
  std::shared_ptr<NetworkHost> host(new NetworkHost());
  host->netns_ = std::move(*netns);
  host->options_ = options;
  host->pool_ = pool->Network();
  return host;
}

absl::StatusOr<NetworkRecord> NetworkHost::CreateNetwork(const NetworkOptions& options) const {
  absl::Status status = ValidateNetworkName(options.name);
  if (status.ok()) status = CheckDriverOptions(options);
  if (!status.ok()) return status;
  absl::StatusOr<NetworkStore> store = NetworkStore::Lock(options_.state_dir);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::vector<NetworkRecord>> all = store->LoadAll();
  if (!all.ok()) return all.status();
  for (const NetworkRecord& existing : *all) {
    if (existing.name() == options.name) {
      return absl::AlreadyExistsError(absl::StrCat("network ", options.name, " already exists"));
    }
  }

  NetworkRecord record;
  record.set_name(options.name);
  record.set_id(RandomHex(10));
  record.set_driver(options.driver);
  record.set_mtu(options.mtu);
  record.set_internal(options.internal);
  record.mutable_labels()->insert(options.labels.begin(), options.labels.end());
  record.set_parent(options.parent);
  record.set_host_netns_device(netns_.device());
  record.set_host_netns_inode(netns_.inode());
  record.set_created(absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
  status = PlanSubnets(netns_, pool_, options_.subnet_length, options, *all, record);
  if (!status.ok()) return status;

  if (options.driver != NetworkRecord::BRIDGE) {
    absl::StatusOr<NetlinkSocket> socket = netns_.OpenNetlink();
    if (!socket.ok()) return socket.status();
    absl::StatusOr<int> parent = LinkIndex(*socket, options.parent);
    if (!parent.ok()) return Annotate(parent.status(), "--parent");
    status = store->Save(record);
    if (!status.ok()) return status;
    return record;
  }

  record.set_bridge(absl::StrCat(kBridgePrefix, record.id()));
  status = SetUpBridge(netns_, record);
  if (status.ok()) status = EnableForwarding(netns_, !record.subnet6().empty());
  all->push_back(record);
  if (status.ok()) status = ApplyRuleset(netns_, *all);
  if (status.ok()) status = store->Save(record);
  if (!status.ok()) {
    all->pop_back();
    DeleteLinkIfPresent(netns_, record.bridge());
    // Put the table back as it was without the new network.
    (void)ApplyRuleset(netns_, *all);
    return Annotate(status, absl::StrCat("create network ", options.name));
  }
  Logf(LogLevel::kDebug, "", "network %s: bridge %s, subnet %s, gateway %s", record.name(),
       record.bridge(), record.subnet(), record.gateway());
  return record;
}

absl::StatusOr<std::vector<NetworkRecord>> NetworkHost::ListNetworks() const {
  // Looking must not create the records' directory.
  if (access(options_.state_dir.c_str(), F_OK) != 0) return std::vector<NetworkRecord>();
  absl::StatusOr<NetworkStore> store = NetworkStore::Lock(options_.state_dir);
  if (!store.ok()) return store.status();
  return store->LoadAll();
}

absl::StatusOr<NetworkRecord> NetworkHost::InspectNetwork(absl::string_view name) const {
  if (access(options_.state_dir.c_str(), F_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("network ", name, " not found"));
  }
  absl::StatusOr<NetworkStore> store = NetworkStore::Lock(options_.state_dir);
  if (!store.ok()) return store.status();
  return store->Load(name);
}

absl::Status NetworkHost::RemoveNetwork(absl::string_view name) const {
  absl::StatusOr<NetworkStore> store = NetworkStore::Lock(options_.state_dir);
  if (!store.ok()) return store.status();
  absl::StatusOr<NetworkRecord> record = store->Load(name);
  if (!record.ok()) return record.status();
  absl::Status status = CheckSameHost(*record, netns_);
  if (!status.ok()) return status;
  std::vector<std::string> live;
  for (const EndpointRecord& endpoint : record->endpoints()) {
    if (OwnerAlive(endpoint)) live.push_back(endpoint.container_id());
  }
  if (!live.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "network ", name, " has containers attached (", absl::StrJoin(live, ", "),
        "); stop or disconnect them first"));
  }

  for (const EndpointRecord& endpoint : record->endpoints()) {
    DeleteLinkIfPresent(netns_, endpoint.host_link());
  }
  DeleteLinkIfPresent(netns_, record->bridge());
  status = store->Remove(name);
  if (!status.ok()) return status;
  absl::StatusOr<std::vector<NetworkRecord>> rest = store->LoadAll();
  if (!rest.ok()) return rest.status();
  Logf(LogLevel::kDebug, "", "removed network %s", name);
  return ApplyRuleset(netns_, *rest);
}

}  // namespace pycontain::net
