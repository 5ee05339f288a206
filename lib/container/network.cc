#include "lib/container/network.h"

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/record.h"
#include "lib/net/etc_files.h"
#include "lib/net/ports.h"

namespace pycontain::container {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// The driver a named network needs for `mode`.
net::NetworkRecord::Driver DriverFor(spec::Network::Mode mode) {
  switch (mode) {
    case spec::Network::MACVLAN:
      return net::NetworkRecord::MACVLAN;
    case spec::Network::IPVLAN:
      return net::NetworkRecord::IPVLAN;
    case spec::Network::NONE:
    case spec::Network::HOST:
    case spec::Network::BRIDGE:
    case spec::Network::CONTAINER:
    case spec::Network_Mode_Network_Mode_INT_MIN_SENTINEL_DO_NOT_USE_:
    case spec::Network_Mode_Network_Mode_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  return net::NetworkRecord::BRIDGE;
}

absl::Status CheckUnattached(const spec::Network& network) {
  if (!network.name().empty() || !network.ip().empty() || !network.ip6().empty() ||
      network.aliases_size() > 0 || network.ports_size() > 0) {
    return FieldError("network",
                      "name, ip, ip6, aliases and ports need mode BRIDGE, MACVLAN or IPVLAN");
  }
  return absl::OkStatus();
}

void AddBind(const std::string& source, const std::string& destination,
             std::vector<spec::Mount>& mounts) {
  spec::Mount mount;
  mount.set_type("bind");
  mount.set_source(source);
  mount.set_destination(destination);
  mount.add_options("bind");
  mounts.push_back(std::move(mount));
}

}  // namespace

EtcFiles& EtcFiles::operator=(EtcFiles&& other) noexcept {
  if (this != &other) {
    net::RemoveEtcFiles(directory_);
    directory_ = std::exchange(other.directory_, {});
  }
  return *this;
}

EtcFiles::~EtcFiles() { net::RemoveEtcFiles(directory_); }

absl::StatusOr<std::optional<PreparedNetwork>> PrepareNetwork(
    const spec::ContainerSpec& spec, const std::string& id, const std::string& hostname,
    StateDir& state, std::vector<spec::Mount>& mounts) {
  const spec::Network& network = spec.network();
  switch (network.mode()) {
    case spec::Network::NONE:
    case spec::Network::HOST: {
      absl::Status status = CheckUnattached(network);
      if (!status.ok()) return status;
      return std::nullopt;
    }
    case spec::Network::CONTAINER: {
      // NOTE: the joining container gets no generated /etc/hosts,
      // resolv.conf or hostname files; it keeps those of its root
      // filesystem, where Docker shares the other container's.
      absl::Status status = CheckUnattached(network);
      if (!status.ok()) return status;
      return std::nullopt;
    }
    case spec::Network::BRIDGE:
    case spec::Network::MACVLAN:
    case spec::Network::IPVLAN:
    case spec::Network_Mode_Network_Mode_INT_MIN_SENTINEL_DO_NOT_USE_:
    case spec::Network_Mode_Network_Mode_INT_MAX_SENTINEL_DO_NOT_USE_:
      break;
  }
  if (network.name().empty()) {
    return FieldError("network.name", "the network to attach to is required");
  }
  if (spec.namespaces().has_net() && !spec.namespaces().net()) {
    return FieldError("namespaces.net", "a network attachment needs a new network namespace");
  }

  PreparedNetwork prepared;
  net::ConnectOptions& connect = prepared.connect;
  connect.network = network.name();
  connect.container_id = id;
  connect.hostname = hostname;
  connect.aliases.assign(network.aliases().begin(), network.aliases().end());
  connect.ip = network.ip();
  connect.ip6 = network.ip6();
  for (int i = 0; i < network.ports_size(); ++i) {
    absl::StatusOr<net::PortMapping> port = net::ParsePortMapping(network.ports(i));
    if (!port.ok()) return FieldError(absl::StrCat("network.ports[", i, "]"), port.status().message());
    connect.ports.push_back(*port);
  }

  net::HostOptions host_options;
  host_options.netns_path = network.host_namespace_path();
  host_options.state_dir = net::NetworkStateDir(StateRoot());
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = net::NetworkHost::Open(host_options);
  if (!host.ok()) return Annotate(host.status(), "network.host_namespace_path");
  prepared.host = *host;
  absl::StatusOr<net::NetworkRecord> record = prepared.host->InspectNetwork(network.name());
  if (!record.ok()) return Annotate(record.status(), "network.name");
  if (record->driver() != DriverFor(network.mode())) {
    return FieldError("network.mode", absl::StrCat(
        "network ", network.name(), " has driver ",
        net::NetworkRecord::Driver_Name(record->driver()), ", which mode ",
        spec::Network::Mode_Name(network.mode()), " cannot attach to"));
  }

  absl::StatusOr<std::string> etc = state.MakeSubdirectory("etc");
  if (!etc.ok()) return etc.status();
  prepared.etc = EtcFiles(*etc);
  absl::Status status = net::CreateEtcFiles(*etc);
  if (!status.ok()) return status;
  connect.etc_dir = *etc;
  AddBind(absl::StrCat(*etc, "/", net::kHostsFile), "/etc/hosts", mounts);
  AddBind(absl::StrCat(*etc, "/", net::kResolvConfFile), "/etc/resolv.conf", mounts);
  AddBind(absl::StrCat(*etc, "/", net::kHostnameFile), "/etc/hostname", mounts);
  return prepared;
}

namespace {

// Opens the network namespace of running container `other`, found by its
// record.
absl::StatusOr<net::NetNamespace> OpenContainerNetwork(const std::string& id,
                                                       const std::string& other) {
  absl::StatusOr<pid_t> pid = FindRunningContainer(other);
  if (!pid.ok()) return Annotate(pid.status(), "network.container");
  uint64_t start = ProcessStartTime(*pid);
  absl::StatusOr<net::NetNamespace> joined = net::NetNamespace::OfProcess(*pid);
  if (!joined.ok()) return Annotate(joined.status(), "network.container");
  // The pid may have been reused between the check and the open.
  if (ProcessStartTime(*pid) != start) {
    return absl::NotFoundError(absl::StrCat("network.container: container ", other,
                                            " exited while its namespace was opened"));
  }
  Logf(LogLevel::kDebug, id, "will join the network namespace of container %s (pid %d)", other,
       *pid);
  return joined;
}

}  // namespace

absl::StatusOr<net::NetNamespace> OpenJoinedNetwork(const spec::ContainerSpec& spec) {
  const spec::Network& network = spec.network();
  if (network.mode() != spec::Network::CONTAINER) {
    if (!network.container_namespace_path().empty() || !network.container().empty()) {
      return FieldError("network", "container and container_namespace_path need mode CONTAINER");
    }
    return net::NetNamespace();
  }
  if (spec.namespaces().has_net() && spec.namespaces().net()) {
    return FieldError("namespaces.net",
                      "mode CONTAINER joins another container's network namespace, so it "
                      "cannot have a new one");
  }
  if (network.container_namespace_path().empty()) {
    if (!network.container().empty()) return OpenContainerNetwork(spec.id(), network.container());
    return FieldError("network.container_namespace_path",
                      "mode CONTAINER needs the network namespace to join, such as "
                      "/proc/PID/ns/net of the other container's first process");
  }
  absl::StatusOr<net::NetNamespace> joined =
      net::NetNamespace::Open(network.container_namespace_path());
  if (!joined.ok()) return Annotate(joined.status(), "network.container_namespace_path");
  Logf(LogLevel::kDebug, spec.id(), "will join network namespace %s",
       network.container_namespace_path());
  return joined;
}

absl::StatusOr<ContainerNetwork> AttachNetwork(PreparedNetwork& prepared, pid_t pid) {
  prepared.connect.container_pid = pid;
  absl::StatusOr<net::Attachment> attachment = prepared.host->Connect(prepared.connect);
  if (!attachment.ok()) return attachment.status();
  ContainerNetwork network;
  network.etc = std::move(prepared.etc);
  network.attachment = std::move(*attachment);
  return network;
}

}  // namespace pycontain::container
