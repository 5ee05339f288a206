// NetworkHost::Connect and Disconnect, and the Attachment owner.
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/net/address.h"
#include "lib/net/etc_files.h"
#include "lib/net/link.h"
#include "lib/net/network.h"
#include "lib/net/nft_rules.h"
#include "lib/net/store.h"
#include "lib/net/sync.h"

namespace pycontain::net {
namespace {

// The container's interface on its first network; later ones get eth1 and
// up, the first "ethN" free in its namespace.
constexpr char kFirstInterface[] = "eth0";
// Largest port range checked against the host's sockets, port by port.
constexpr int kMaxProbedPorts = 1024;

NetworkRecord* FindNetwork(std::vector<NetworkRecord>& all, absl::string_view name) {
  for (NetworkRecord& record : all) {
    if (record.name() == name) return &record;
  }
  return nullptr;
}

absl::Status CheckNames(const NetworkRecord& record, const EndpointRecord& endpoint) {
  for (const EndpointRecord& other : record.endpoints()) {
    if (other.container_id() == endpoint.container_id()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "container ", endpoint.container_id(), " is already on network ", record.name()));
    }
    if (other.name() == endpoint.name()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "name ", endpoint.name(), " is taken on network ", record.name(),
          " by container ", other.container_id()));
    }
  }
  return absl::OkStatus();
}

// Picks or checks the endpoint's address of one family.
absl::Status AssignAddress(const NetworkRecord& record, const std::string& subnet_text,
                           const std::string& gateway, const std::string& requested,
                           bool v4, std::string* out) {
  if (subnet_text.empty()) {
    if (requested.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        v4 ? "--ip " : "--ip6 ", requested, ": network ", record.name(),
        " has no ", v4 ? "IPv4" : "IPv6", " subnet"));
  }
  absl::StatusOr<IpPrefix> subnet = IpPrefix::Parse(subnet_text);
  if (!subnet.ok()) return subnet.status();
  std::vector<IpAddress> used;
  for (const std::string& text : {gateway}) {
    absl::StatusOr<IpAddress> address = IpAddress::Parse(text);
    if (address.ok()) used.push_back(*address);
  }
  for (const EndpointRecord& endpoint : record.endpoints()) {
    absl::StatusOr<IpAddress> address = IpAddress::Parse(v4 ? endpoint.ip() : endpoint.ip6());
    if (address.ok()) used.push_back(*address);
  }
  if (requested.empty()) {
    absl::StatusOr<IpAddress> address = AllocateAddress(*subnet, used);
    if (!address.ok()) return Annotate(address.status(), absl::StrCat("network ", record.name()));
    *out = address->ToString();
    return absl::OkStatus();
  }
  absl::StatusOr<IpAddress> address = IpAddress::Parse(requested);
  if (!address.ok()) return address.status();
  absl::Status status = CheckAddress(*subnet, *address, used, v4 ? "--ip" : "--ip6");
  if (!status.ok()) return status;
  *out = address->ToString();
  return absl::OkStatus();
}

// Tries to bind each host port in the host namespace: a listener there
// means the port is taken. Sends nothing.
absl::Status ProbeHostPorts(const NetNamespace& host, const PortMapping& port) {
  if (port.host_port_end - port.host_port >= kMaxProbedPorts) return absl::OkStatus();
  return host.Run([&port]() -> absl::Status {
    for (int number = port.host_port; number <= port.host_port_end; ++number) {
      int type = port.protocol == Protocol::kTcp ? SOCK_STREAM : SOCK_DGRAM;
      UniqueFd fd(socket(port.host_ip.family(), type | SOCK_CLOEXEC, 0));
      if (!fd.valid()) return ErrnoError(errno, "open socket to check a host port");
      sockaddr_storage address = {};
      socklen_t size = 0;
      if (port.host_ip.is_v4()) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(number));
        memcpy(&v4->sin_addr, port.host_ip.bytes(), 4);
        size = sizeof(*v4);
      } else {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(number));
        memcpy(&v6->sin6_addr, port.host_ip.bytes(), 16);
        size = sizeof(*v6);
      }
      if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), size) == 0) continue;
      if (errno == EADDRINUSE) {
        return absl::AlreadyExistsError(absl::StrCat(
            "host port ", number, "/", ProtocolName(port.protocol), " on ",
            port.host_ip.ToString(), " is already in use by a process on the host"));
      }
      if (errno == EADDRNOTAVAIL) {
        return absl::InvalidArgumentError(absl::StrCat(
            "-p ", port.ToString(), ": ", port.host_ip.ToString(),
            " is not an address of the host"));
      }
      return ErrnoError(errno, "check host port", absl::StrCat(number));
    }
    return absl::OkStatus();
  });
}

absl::Status CheckPorts(const NetNamespace& host, const std::vector<NetworkRecord>& all,
                        const NetworkRecord& record, const ConnectOptions& options,
                        const EndpointRecord& endpoint) {
  if (options.ports.empty()) return absl::OkStatus();
  if (record.driver() != NetworkRecord::BRIDGE || record.internal()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "-p: network ", record.name(), " is ", record.internal() ? "internal" : "not a bridge",
        ", so it cannot publish ports"));
  }
  for (const PortMapping& port : options.ports) {
    if (!port.host_ip.is_v4() && port.host_ip.IsLoopback()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "-p ", port.ToString(), ": the kernel does not route ::1 to another "
          "namespace and pycontain runs no proxy; use 127.0.0.1 or a host address"));
    }
    if (!port.host_ip.is_v4() && endpoint.ip6().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "-p ", port.ToString(), ": network ", record.name(), " has no IPv6 subnet"));
    }
    for (const NetworkRecord& other_network : all) {
      for (const EndpointRecord& other : other_network.endpoints()) {
        for (const std::string& text : other.ports()) {
          absl::StatusOr<PortMapping> taken = ParsePortMapping(text);
          if (taken.ok() && PortsConflict(port, *taken)) {
            return absl::AlreadyExistsError(absl::StrCat(
                "-p ", port.ToString(), ": container ", other.container_id(),
                " already publishes ", text));
          }
        }
      }
    }
    absl::Status status = ProbeHostPorts(host, port);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// Creates the container's interface (a veth whose host end joins the
// bridge, or a macvlan/ipvlan link on the parent), inside the container.
absl::Status CreateLinks(NetlinkSocket& host, const NetworkRecord& record,
                         const EndpointRecord& endpoint, const NetNamespace& container) {
  if (record.driver() != NetworkRecord::BRIDGE) {
    absl::StatusOr<int> parent = LinkIndex(host, record.parent());
    if (!parent.ok()) return Annotate(parent.status(), absl::StrCat("network ", record.name()));
    L2Options options;
    options.kind = record.driver() == NetworkRecord::MACVLAN ? L2Kind::kMacvlan : L2Kind::kIpvlan;
    options.name = endpoint.container_interface();
    options.parent_index = *parent;
    options.mtu = record.mtu();
    options.netns_fd = container.fd();
    return CreateL2Link(host, options);
  }

  absl::StatusOr<int> bridge = LinkIndex(host, record.bridge());
  if (!bridge.ok()) return Annotate(bridge.status(), absl::StrCat("network ", record.name()));
  VethOptions veth;
  veth.name = endpoint.host_link();
  veth.peer_name = endpoint.container_interface();
  veth.mtu = record.mtu();
  veth.peer_netns_fd = container.fd();
  absl::Status status = CreateVeth(host, veth);
  if (!status.ok()) return status;
  absl::StatusOr<int> index = LinkIndex(host, endpoint.host_link());
  if (!index.ok()) return index.status();
  status = SetLinkMaster(host, *index, *bridge);
  if (!status.ok()) return status;
  status = SetBridgePortHairpin(host, *index);
  if (!status.ok()) return status;
  return SetLinkUp(host, *index);
}

// Adds one family's address to the interface, and the default route when
// `default_route` is set.
absl::Status ConfigureFamily(NetlinkSocket& socket, int index, const std::string& ip,
                             const std::string& subnet_text, const std::string& gateway,
                             bool default_route) {
  if (ip.empty()) return absl::OkStatus();
  absl::StatusOr<IpPrefix> subnet = IpPrefix::Parse(subnet_text);
  absl::StatusOr<IpAddress> address = IpAddress::Parse(ip);
  absl::StatusOr<IpAddress> via = IpAddress::Parse(gateway);
  if (!subnet.ok() || !address.ok() || !via.ok()) {
    return absl::DataLossError(absl::StrCat("saved addresses ", ip, " in ", subnet_text,
                                            " via ", gateway, " do not parse"));
  }
  absl::Status status = AddAddress(socket, index, IpPrefix(*address, subnet->length()));
  if (!status.ok()) return status;
  if (!default_route) return absl::OkStatus();
  const uint8_t zeros[16] = {};
  IpPrefix any(IpAddress::FromBytes(address->family(), zeros), 0);
  return AddRoute(socket, any, *via, index);
}

absl::Status ConfigureContainer(const NetNamespace& container, const NetworkRecord& record,
                                const EndpointRecord& endpoint) {
  absl::StatusOr<NetlinkSocket> socket = container.OpenNetlink();
  if (!socket.ok()) return socket.status();
  absl::StatusOr<int> index = LinkIndex(*socket, endpoint.container_interface());
  if (!index.ok()) return index.status();
  absl::Status status = SetLinkUp(*socket, *index);
  if (!status.ok()) return status;
  // NOTE: only the first network gives the container its default routes.
  // Networks connected later reach their own subnets only, which keeps
  // the routes the container started with.
  bool default_route = endpoint.container_interface() == kFirstInterface;
  status = ConfigureFamily(*socket, *index, endpoint.ip(), record.subnet(), record.gateway(),
                           default_route);
  if (!status.ok()) return status;
  return ConfigureFamily(*socket, *index, endpoint.ip6(), record.subnet6(),
                         record.gateway6(), default_route);
}

// Returns the first of eth0, eth1, ... that no link in `container` has.
absl::StatusOr<std::string> FreeInterfaceName(const NetNamespace& container) {
  absl::StatusOr<NetlinkSocket> socket = container.OpenNetlink();
  if (!socket.ok()) return socket.status();
  absl::StatusOr<std::vector<LinkInfo>> links = ListLinks(*socket);
  if (!links.ok()) return links.status();
  for (int number = 0;; ++number) {
    std::string name = absl::StrCat("eth", number);
    bool taken = std::any_of(links->begin(), links->end(),
                             [&](const LinkInfo& link) { return link.name == name; });
    if (!taken) return name;
  }
}

// Fills the endpoint from `options`: names, addresses, ports and owner.
absl::Status PlanEndpoint(const NetNamespace& host, const std::vector<NetworkRecord>& all,
                          const NetworkRecord& record, const ConnectOptions& options,
                          EndpointRecord& endpoint) {
  endpoint.set_container_id(options.container_id);
  endpoint.set_name(options.name.empty() ? options.container_id : options.name);
  for (const std::string& alias : options.aliases) endpoint.add_aliases(alias);
  endpoint.set_hostname(options.hostname.empty() ? endpoint.name() : options.hostname);
  endpoint.set_etc_dir(options.etc_dir);
  for (const std::string& line : options.extra_hosts) endpoint.add_extra_hosts(line);
  pid_t owner = options.owner_pid > 0 ? options.owner_pid : getpid();
  endpoint.set_owner_pid(owner);
  endpoint.set_owner_start_time(ProcessStartTime(owner));
  if (record.driver() == NetworkRecord::BRIDGE) {
    endpoint.set_host_link(absl::StrCat(kVethPrefix, RandomHex(8)));
  }
  absl::Status status = CheckNames(record, endpoint);
  if (!status.ok()) return status;
  status = AssignAddress(record, record.subnet(), record.gateway(), options.ip, true,
                         endpoint.mutable_ip());
  if (!status.ok()) return status;
  status = AssignAddress(record, record.subnet6(), record.gateway6(), options.ip6, false,
                         endpoint.mutable_ip6());
  if (!status.ok()) return status;
  status = CheckPorts(host, all, record, options, endpoint);
  if (!status.ok()) return status;
  for (const PortMapping& port : options.ports) endpoint.add_ports(port.ToString());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Attachment> NetworkHost::Connect(const ConnectOptions& options) const {
  if (options.container_id.empty() || options.container_pid <= 0) {
    return absl::InvalidArgumentError("ConnectOptions needs container_id and container_pid");
  }
  absl::StatusOr<NetNamespace> container = NetNamespace::OfProcess(options.container_pid);
  if (!container.ok()) return container.status();
  absl::StatusOr<NetworkStore> store = NetworkStore::Lock(options_.state_dir);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::vector<NetworkRecord>> all = store->LoadAll();
  if (!all.ok()) return all.status();
  NetworkRecord* record = FindNetwork(*all, options.network);
  if (record == nullptr) {
    return absl::NotFoundError(absl::StrCat("network ", options.network, " not found"));
  }
  absl::Status status = CheckSameHost(*record, netns_);
  if (!status.ok()) return status;

  EndpointRecord endpoint;
  status = PlanEndpoint(netns_, *all, *record, options, endpoint);
  if (!status.ok()) return Annotate(status, absl::StrCat("connect to network ", record->name()));
  absl::StatusOr<std::string> interface = FreeInterfaceName(*container);
  if (!interface.ok()) return interface.status();
  endpoint.set_container_interface(*interface);

  absl::StatusOr<NetlinkSocket> host_socket = netns_.OpenNetlink();
  if (!host_socket.ok()) return host_socket.status();
  status = CreateLinks(*host_socket, *record, endpoint, *container);
  if (status.ok()) status = ConfigureContainer(*container, *record, endpoint);
  *record->add_endpoints() = endpoint;
  if (status.ok()) status = store->Save(*record);
  if (status.ok() && !options.etc_dir.empty()) {
    status = WriteEtcFiles(*all, endpoint.container_id(), options.etc_dir,
                           options_.resolv_conf, true);
  }
  if (status.ok() && endpoint.ports_size() > 0) status = ApplyRuleset(netns_, *all);
  if (!status.ok()) {
    // Undo: the veth goes with its host end; the record loses the endpoint.
    DeleteLinkIfPresent(netns_, endpoint.host_link());
    record->mutable_endpoints()->RemoveLast();
    (void)store->Save(*record);
    return Annotate(status, absl::StrCat("connect ", options.container_id, " to network ",
                                         options.network));
  }
  RefreshHostsFiles(*all, record->name());
  Logf(LogLevel::kDebug, options.container_id, "attached to network %s as %s (%s)",
       record->name(), endpoint.ip(), endpoint.host_link());

  Attachment attachment;
  attachment.host_ = shared_from_this();
  attachment.network_ = record->name();
  attachment.endpoint_ = std::move(endpoint);
  return attachment;
}

absl::Status NetworkHost::Disconnect(absl::string_view network,
                                     absl::string_view container_id) const {
  absl::StatusOr<NetworkStore> store = NetworkStore::Lock(options_.state_dir);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::vector<NetworkRecord>> all = store->LoadAll();
  if (!all.ok()) return all.status();
  NetworkRecord* record = FindNetwork(*all, network);
  if (record == nullptr) return absl::NotFoundError(absl::StrCat("network ", network, " not found"));
  absl::Status status = CheckSameHost(*record, netns_);
  if (!status.ok()) return status;
  auto* endpoints = record->mutable_endpoints();
  auto found = std::find_if(endpoints->begin(), endpoints->end(),
                            [&](const EndpointRecord& e) { return e.container_id() == container_id; });
  if (found == endpoints->end()) {
    return absl::NotFoundError(absl::StrCat("container ", container_id,
                                            " is not on network ", network));
  }
  EndpointRecord endpoint = *found;
  endpoints->erase(found);

  DeleteLinkIfPresent(netns_, endpoint.host_link());
  status = store->Save(*record);
  if (!status.ok()) return status;
  if (endpoint.ports_size() > 0) status = ApplyRuleset(netns_, *all);
  RefreshHostsFiles(*all, network);
  Logf(LogLevel::kDebug, std::string(container_id), "detached from network %s", network);
  return status;
}

Attachment::Attachment(Attachment&& other) noexcept
    : host_(std::move(other.host_)),
      network_(std::move(other.network_)),
      endpoint_(std::move(other.endpoint_)) {
  other.host_.reset();
}

Attachment& Attachment::operator=(Attachment&& other) noexcept {
  if (this != &other) {
    (void)Release();
    host_ = std::move(other.host_);
    other.host_.reset();
    network_ = std::move(other.network_);
    endpoint_ = std::move(other.endpoint_);
  }
  return *this;
}

Attachment::~Attachment() {
  absl::Status status = Release();
  if (!status.ok()) {
    Logf(LogLevel::kWarning, endpoint_.container_id(), "disconnect from network %s: %s",
         network_, status.ToString());
  }
}

absl::Status Attachment::Release() {
  if (host_ == nullptr) return absl::OkStatus();
  std::shared_ptr<const NetworkHost> host = std::move(host_);
  host_.reset();
  return host->Disconnect(network_, endpoint_.container_id());
}

}  // namespace pycontain::net
