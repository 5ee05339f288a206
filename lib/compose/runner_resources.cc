// Networks and volumes of a Compose project.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/compose/runner_internal.h"
#include "lib/container/record.h"
#include "lib/container/state_dir.h"
#include "lib/container/volume.h"
#include "lib/net/network.h"

namespace pycontain::compose::runner_internal {
namespace {

using yaml::Node;

bool IsExternal(const Node& declared) {
  const Node* external = declared.Find("external");
  bool ok = false;
  return external != nullptr && external->IsScalar() && ParseComposeBool(external->scalar, &ok) &&
         ok;
}

std::string NameOf(const Project& project, const yaml::Entry& entry) {
  const Node* name = entry.value.Find("name");
  return name != nullptr ? name->scalar : absl::StrCat(project.name, "_", entry.key);
}

absl::StatusOr<std::shared_ptr<net::NetworkHost>> OpenHost() {
  net::HostOptions options;
  options.state_dir = net::NetworkStateDir(container::StateRoot());
  return net::NetworkHost::Open(options);
}

// The keys of the networks that `services` join.
std::set<std::string> UsedNetworks(const Project& project,
                                   const std::vector<std::string>& services) {
  std::set<std::string> used;
  for (const std::string& service : services) {
    const Node* node = project.Service(service);
    const Node* networks = node ? node->Find("networks") : nullptr;
    if (networks == nullptr) continue;
    for (const yaml::Entry& entry : networks->entries) used.insert(entry.key);
  }
  return used;
}

bool IsTrue(const Node* value) {
  bool ok = false;
  return value != nullptr && value->IsScalar() && ParseComposeBool(value->scalar, &ok) && ok;
}

// Takes the subnets and gateways of `ipam.config`: at most one IPv4 and
// one IPv6 entry, which the network host checks further.
absl::Status ApplyIpam(const yaml::Entry& entry, net::NetworkOptions& options) {
  const Node* ipam = entry.value.Find("ipam");
  if (ipam == nullptr) return absl::OkStatus();
  std::string field = absl::StrCat("networks.", entry.key, ".ipam");
  const Node* driver = ipam->Find("driver");
  if (driver != nullptr && driver->scalar != "default") {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".driver: \"", driver->scalar, "\" is not supported; use default"));
  }
  const Node* configs = ipam->Find("config");
  if (configs == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < configs->items.size(); ++i) {
    const Node& config = configs->items[i];
    const Node* subnet = config.Find("subnet");
    const Node* gateway = config.Find("gateway");
    if (subnet == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".config[", i, "]: a subnet is required"));
    }
    bool ipv6 = absl::StrContains(subnet->scalar, ':');
    std::string& chosen = ipv6 ? options.subnet6 : options.subnet;
    if (!chosen.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".config[", i, "]: a network has at most one ", ipv6 ? "IPv6" : "IPv4",
          " subnet"));
    }
    chosen = subnet->scalar;
    if (gateway != nullptr) (ipv6 ? options.gateway6 : options.gateway) = gateway->scalar;
    options.ipv6 = options.ipv6 || ipv6;
  }
  return absl::OkStatus();
}

absl::StatusOr<net::NetworkOptions> NetworkOptionsFor(const std::string& name,
                                                      const yaml::Entry& entry) {
  net::NetworkOptions options;
  options.name = name;
  const Node* driver = entry.value.Find("driver");
  std::string kind = driver != nullptr ? driver->scalar : "bridge";
  if (kind == "macvlan") {
    options.driver = net::NetworkRecord::MACVLAN;
  } else if (kind == "ipvlan") {
    options.driver = net::NetworkRecord::IPVLAN;
  } else if (kind != "bridge") {
    return absl::InvalidArgumentError(absl::StrCat(
        "networks.", entry.key, ".driver: \"", kind, "\" is not supported; use bridge, macvlan "
        "or ipvlan"));
  }
  absl::Status ipam = ApplyIpam(entry, options);
  if (!ipam.ok()) return ipam;
  options.internal = IsTrue(entry.value.Find("internal"));
  options.ipv6 = options.ipv6 || IsTrue(entry.value.Find("enable_ipv6"));
  if (const Node* opts = entry.value.Find("driver_opts")) {
    for (const yaml::Entry& opt : opts->entries) {
      if (opt.key == "parent") {
        options.parent = opt.value.scalar;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "networks.", entry.key, ".driver_opts.", opt.key,
            ": unknown option; pycontain networks take only parent"));
      }
    }
  }
  return options;
}

}  // namespace

absl::Status CreateNetworks(const Project& project, const std::vector<std::string>& services,
                            const Printer& print) {
  const Node* networks = project.model.Find("networks");
  std::set<std::string> used = UsedNetworks(project, services);
  if (networks == nullptr || used.empty()) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = OpenHost();
  if (!host.ok()) return host.status();
  for (const yaml::Entry& entry : networks->entries) {
    if (used.count(entry.key) == 0) continue;
    std::string name = NameOf(project, entry);
    absl::StatusOr<net::NetworkRecord> existing = (*host)->InspectNetwork(name);
    if (existing.ok()) continue;
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    if (IsExternal(entry.value)) {
      return absl::NotFoundError(absl::StrCat("external network \"", name, "\" not found; ",
                                              "create it with `pycontain network create`"));
    }
    absl::StatusOr<net::NetworkOptions> options = NetworkOptionsFor(name, entry);
    if (!options.ok()) return options.status();
    // So that `down -p NAME` without the file finds the network even when
    // no container of the project is left.
    options->labels[container::kComposeProjectLabel] = project.name;
    options->labels[kNetworkLabel] = entry.key;
    absl::StatusOr<net::NetworkRecord> made = (*host)->CreateNetwork(*options);
    if (!made.ok()) return made.status();
    print(absl::StrCat("Network ", name, "  Created"));
  }
  return absl::OkStatus();
}

absl::Status CreateVolumes(const Project& project, const Printer& print) {
  const Node* volumes = project.model.Find("volumes");
  if (volumes == nullptr || volumes->entries.empty()) return absl::OkStatus();
  absl::StatusOr<container::VolumeStore> store = container::VolumeStore::Open("");
  if (!store.ok()) return store.status();
  for (const yaml::Entry& entry : volumes->entries) {
    std::string name = NameOf(project, entry);
    absl::StatusOr<container::VolumeRecord> existing = store->Inspect(name);
    if (existing.ok()) continue;
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    if (IsExternal(entry.value)) {
      return absl::NotFoundError(absl::StrCat("external volume \"", name, "\" not found; ",
                                              "create it with `pycontain volume create`"));
    }
    container::VolumeOptions options;
    options.name = name;
    options.labels[container::kComposeProjectLabel] = project.name;
    options.labels["com.docker.compose.volume"] = entry.key;
    if (const Node* driver = entry.value.Find("driver")) options.driver = driver->scalar;
    if (const Node* opts = entry.value.Find("driver_opts")) {
      for (const yaml::Entry& opt : opts->entries) {
        options.driver_options[opt.key] = opt.value.scalar;
      }
    }
    absl::StatusOr<container::VolumeRecord> made = store->Create(options);
    if (!made.ok() && made.status().code() != absl::StatusCode::kAlreadyExists) {
      return made.status();
    }
    print(absl::StrCat("Volume ", name, "  Created"));
  }
  return absl::OkStatus();
}

absl::Status RemoveNetworks(const Project& project, const Printer& print) {
  const Node* networks = project.model.Find("networks");
  if (networks == nullptr) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = OpenHost();
  if (!host.ok()) return host.status();
  absl::Status result = absl::OkStatus();
  for (const yaml::Entry& entry : networks->entries) {
    if (IsExternal(entry.value)) continue;
    std::string name = NameOf(project, entry);
    absl::Status removed = (*host)->RemoveNetwork(name);
    if (removed.ok()) {
      print(absl::StrCat("Network ", name, "  Removed"));
    } else if (removed.code() != absl::StatusCode::kNotFound) {
      result.Update(removed);
    }
  }
  return result;
}

absl::Status RemoveVolumes(const Project& project, const Printer& print) {
  const Node* volumes = project.model.Find("volumes");
  if (volumes == nullptr) return absl::OkStatus();
  absl::StatusOr<container::VolumeStore> store = container::VolumeStore::Open("");
  if (!store.ok()) return store.status();
  absl::Status result = absl::OkStatus();
  for (const yaml::Entry& entry : volumes->entries) {
    if (IsExternal(entry.value)) continue;
    std::string name = NameOf(project, entry);
    absl::Status removed = store->Remove(name, /*force=*/false);
    if (removed.ok()) {
      print(absl::StrCat("Volume ", name, "  Removed"));
    } else if (removed.code() != absl::StatusCode::kNotFound) {
      result.Update(removed);
    }
  }
  return result;
}

absl::Status ConnectExtraNetworks(const container::ManagedContainer& container,
                                  const std::vector<ExtraNetwork>& networks) {
  // The monitor has joined them already, unless the container was created
  // before ManagedConfig listed its networks.
  if (networks.empty() || !container.config.extra_networks().empty()) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = OpenHost();
  if (!host.ok()) return host.status();
  for (const ExtraNetwork& network : networks) {
    // The container has just started, so an endpoint of it that is still
    // recorded belongs to its previous run, whose process is gone.
    absl::Status stale = (*host)->Disconnect(network.network, container.id());
    if (!stale.ok() && stale.code() != absl::StatusCode::kNotFound) {
      Logf(LogLevel::kDebug, container.id(), "no stale endpoint removed from %s: %s",
           network.network, stale.message());
    }
    net::ConnectOptions options;
    options.network = network.network;
    options.container_id = container.id();
    options.name = container.name();
    options.aliases = network.aliases;
    options.ip = network.ipv4_address;
    options.container_pid = container.state.pid();
    // The container's first process owns the attachment, so that gc
    // removes it once the container exited.
    options.owner_pid = container.state.pid();
    // The /etc files of the first network (lib/container/network.cc), so
    // that /etc/hosts lists the peers of every network.
    options.etc_dir = absl::StrCat(container.state.state_root(), "/", container.id(), "/etc");
    absl::StatusOr<net::Attachment> attachment = (*host)->Connect(options);
    if (!attachment.ok()) {
      return Annotate(attachment.status(),
                      absl::StrCat("connect ", container.name(), " to network ", network.network));
    }
    attachment->Keep();
  }
  return absl::OkStatus();
}

}  // namespace pycontain::compose::runner_internal
