// Named container networks: bridge, macvlan and ipvlan networks, and
// attaching containers to them (`pycontain network create|ls|inspect|rm|
// connect|disconnect|gc`).
//
//   absl::StatusOr<NetworkHost> host = NetworkHost::Open({.state_dir = dir});
//   absl::StatusOr<NetworkRecord> net = host->CreateNetwork({.name = "web"});
//   ConnectOptions connect;
//   connect.network = "web";
//   connect.container_id = "c1";
//   connect.container_pid = pid;  // any process in the container's netns
//   absl::StatusOr<Attachment> attachment = host->Connect(connect);
//   // ... dropping `attachment` disconnects the container again.
//
// A bridge network is a Linux bridge "pcbr-<id>" in the host namespace
// with the gateway's addresses, outbound NAT and isolation rules in the
// nftables table `inet pycontain` (nft_rules.h), and one veth pair per
// container. Macvlan and ipvlan networks put each container's eth0
// directly on a parent interface's L2 segment, without NAT.
//
// The host is a parameter: NetworkHost acts in the network namespace it is
// opened with, so tests build whole topologies in a namespace of their own.
// Needs CAP_NET_ADMIN (and CAP_SYS_ADMIN to enter namespaces); the nft
// command for bridge networks. Linux 4.12 or later.
//
// Thread safety: NetworkHost is thread-safe; every change runs under the
// store's lock (store.h), which also excludes other processes.
#ifndef PYCONTAIN_LIB_NET_NETWORK_H_
#define PYCONTAIN_LIB_NET_NETWORK_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/net/netns.h"
#include "lib/net/network_state.pb.h"
#include "lib/net/pool.h"
#include "lib/net/ports.h"

namespace pycontain::net {

struct HostOptions {
  // The network namespace that plays the host; empty: the caller's.
  std::string netns_path;
  // Directory of the saved network records. Required.
  std::string state_dir;
  // The pool that networks without --subnet get their subnet from.
  std::string pool_base = kDefaultPoolBase;
  int subnet_length = kDefaultSubnetLength;
  // The resolv.conf that containers' resolv.conf is derived from.
  std::string resolv_conf = "/etc/resolv.conf";
};

struct NetworkOptions {
  std::string name;
  NetworkRecord::Driver driver = NetworkRecord::BRIDGE;
  // Empty: a subnet from the pool and its first address as the gateway.
  std::string subnet;
  std::string gateway;
  // An IPv6 subnet too: `subnet6` or, when empty, a random ULA /64.
  bool ipv6 = false;
  std::string subnet6;
  std::string gateway6;
  // 0: the kernel's default (1500).
  uint32_t mtu = 0;
  // The parent interface of a macvlan or ipvlan network.
  std::string parent;
  // No outbound NAT and no published ports.
  bool internal = false;
  // Kept in the record (NetworkRecord::labels).
  std::map<std::string, std::string> labels;
};

struct ConnectOptions {
  std::string network;
  std::string container_id;
  // The name peers resolve; default: container_id.
  std::string name;
  std::vector<std::string> aliases;
  // The container's hostname, listed with its own address; default: name.
  std::string hostname;
  // Empty: the next free address of the network's subnet.
  std::string ip;
  std::string ip6;
  std::vector<PortMapping> ports;
  // The container's network namespace: a process inside it.
  pid_t container_pid = 0;
  // The process whose exit lets CollectGarbage remove the endpoint;
  // default (0): the caller. A command that attaches a running container
  // and exits names the container's first process here.
  pid_t owner_pid = 0;
  // Directory for the container's generated hosts, resolv.conf and
  // hostname files; empty: none are written.
  std::string etc_dir;
  // Lines for the container's own /etc/hosts after its peers, as
  // "HOST:IP" with a valid address (the caller checks them).
  std::vector<std::string> extra_hosts;
};

class NetworkHost;

// One container's attachment to one network. Dropping it disconnects the
// container (its links, addresses, rules and hosts entries go away).
class Attachment {
 public:
  Attachment() = default;
  Attachment(Attachment&& other) noexcept;
  Attachment& operator=(Attachment&& other) noexcept;
  ~Attachment();

  const EndpointRecord& endpoint() const { return endpoint_; }
  const std::string& network() const { return network_; }
  // Disconnects now and reports the error, instead of logging it.
  absl::Status Release();
  // Gives up ownership without disconnecting: the endpoint stays until
  // NetworkHost::Disconnect, or CollectGarbage after its owner exits.
  void Keep() { host_.reset(); }

 private:
  friend class NetworkHost;
  std::shared_ptr<const NetworkHost> host_;
  std::string network_;
  EndpointRecord endpoint_;
};

// What `CollectGarbage` removed.
struct GarbageReport {
  std::vector<std::string> endpoints;  // "network/container"
  std::vector<std::string> links;
};

class NetworkHost : public std::enable_shared_from_this<NetworkHost> {
 public:
  // Opens the host namespace and checks the options. Errors: those of
  // NetNamespace::Open; InvalidArgument for a bad pool.
  static absl::StatusOr<std::shared_ptr<NetworkHost>> Open(const HostOptions& options);

  const NetNamespace& netns() const { return netns_; }
  const HostOptions& options() const { return options_; }

  // Creates a network and its bridge. Errors: InvalidArgument naming the
  // bad option; AlreadyExists for a taken name or overlapping subnet;
  // ResourceExhausted when the pool is full; Unimplemented when the
  // kernel lacks the driver's link type.
  absl::StatusOr<NetworkRecord> CreateNetwork(const NetworkOptions& options) const;
  absl::StatusOr<std::vector<NetworkRecord>> ListNetworks() const;
  absl::StatusOr<NetworkRecord> InspectNetwork(absl::string_view name) const;
  // Removes a network with no live containers: its bridge, rules and
  // record. Errors: NotFound; FailedPrecondition naming attached containers.
  absl::Status RemoveNetwork(absl::string_view name) const;

  // Attaches a container. Errors: NotFound for the network; AlreadyExists
  // for a name, address or host port in use; InvalidArgument for an
  // address outside the subnet or ports on an internal network.
  absl::StatusOr<Attachment> Connect(const ConnectOptions& options) const;
  // Detaches a container; NotFound when it is not attached.
  absl::Status Disconnect(absl::string_view network,
                          absl::string_view container_id) const;

  // Removes endpoints whose owning process is gone, links named like ours
  // that no record lists, and rewrites the nftables table from the records.
  absl::StatusOr<GarbageReport> CollectGarbage() const;

 private:
  NetworkHost() = default;

  NetNamespace netns_;
  HostOptions options_;
  IpPrefix pool_;
};

// Returns the directory of network records under a state root.
std::string NetworkStateDir(absl::string_view state_root);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_NETWORK_H_
