// A project rebuilt from its containers' labels, for `down`, `ps`,
// `stop`, `start`, `restart` and `logs` with -p and no Compose file.
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/compose/finalize.h"
#include "lib/compose/runner.h"
#include "lib/compose/runner_internal.h"
#include "lib/container/state_dir.h"
#include "lib/container/volume.h"
#include "lib/net/network.h"

namespace pycontain::compose {

using runner_internal::LabelOf;
using yaml::Node;

namespace runner_internal {

std::string DependsOnLabel(const Node& service) {
  std::vector<std::string> parts;
  const Node* depends_on = service.Find("depends_on");
  for (const Dependency& dependency : DependenciesOf(service)) {
    std::string condition = "service_started";
    std::string restart = "false";
    const Node* entry = depends_on != nullptr ? depends_on->Find(dependency.service) : nullptr;
    if (entry != nullptr) {
      if (const Node* value = entry->Find("condition")) condition = value->scalar;
      if (const Node* value = entry->Find("restart")) restart = value->scalar;
    }
    parts.push_back(absl::StrCat(dependency.service, ":", condition, ":", restart));
  }
  return absl::StrJoin(parts, ",");
}

}  // namespace runner_internal

namespace {

// Adds the service of `container` to `services`, with its depends_on,
// stop_signal and stop_grace_period from the labels.
void AddService(const container::ManagedContainer& container, Node* services) {
  std::string name = LabelOf(container, kServiceLabel);
  if (name.empty() || services->Find(name) != nullptr) return;
  Node service = Node::Mapping();
  Node depends_on = Node::Mapping();
  for (absl::string_view part :
       absl::StrSplit(LabelOf(container, kDependsOnLabel), ',', absl::SkipEmpty())) {
    // SERVICE:CONDITION:RESTART, as docker compose writes it.
    std::vector<std::string> fields = absl::StrSplit(part, ':');
    Node dependency = Node::Mapping();
    dependency.Set("condition",
                   Node::Scalar(fields.size() > 1 ? fields[1] : "service_started"));
    dependency.Set("required", Node::Scalar("true"));
    dependency.Set("restart", Node::Scalar(fields.size() > 2 ? fields[2] : "false"));
    depends_on.Set(fields[0], std::move(dependency));
  }
  if (!depends_on.entries.empty()) service.Set("depends_on", std::move(depends_on));
  for (const auto& [label, field] : {std::pair{kStopSignalLabel, "stop_signal"},
                                     std::pair{kStopGracePeriodLabel, "stop_grace_period"}}) {
    std::string value = LabelOf(container, label);
    if (!value.empty()) service.Set(field, Node::Scalar(value));
  }
  services->Set(name, std::move(service));
}

// Adds the project's networks that `container` joined, by their names on
// the host.
void AddNetworks(const container::ManagedContainer& container, Node* networks) {
  for (absl::string_view name :
       absl::StrSplit(LabelOf(container, kNetworksLabel), ',', absl::SkipEmpty())) {
    if (networks->Find(name) != nullptr) continue;
    Node network = Node::Mapping();
    network.Set("name", Node::Scalar(std::string(name)));
    networks->Set(name, std::move(network));
  }
}

// Adds the networks that `up` created for `project` (labeled with it),
// also those that no container of it joined, unless already listed.
absl::Status AddLabeledNetworks(const std::string& project, Node* networks) {
  net::HostOptions options;
  options.state_dir = net::NetworkStateDir(container::StateRoot());
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = net::NetworkHost::Open(options);
  if (!host.ok()) return host.status();
  absl::StatusOr<std::vector<net::NetworkRecord>> records = (*host)->ListNetworks();
  if (!records.ok()) return records.status();
  for (const net::NetworkRecord& record : *records) {
    auto owner = record.labels().find(container::kComposeProjectLabel);
    if (owner == record.labels().end() || owner->second != project ||
        networks->Find(record.name()) != nullptr) {
      continue;
    }
    Node network = Node::Mapping();
    network.Set("name", Node::Scalar(record.name()));
    networks->Set(record.name(), std::move(network));
  }
  return absl::OkStatus();
}

// Adds the volumes that `up` created for `project` (labeled with it).
absl::Status AddVolumes(const std::string& project, Node* volumes) {
  absl::StatusOr<container::VolumeStore> store = container::VolumeStore::Open("");
  if (!store.ok()) return store.status();
  absl::StatusOr<std::vector<container::VolumeRecord>> records = store->List();
  if (!records.ok()) return records.status();
  for (const container::VolumeRecord& record : *records) {
    auto owner = record.labels().find(container::kComposeProjectLabel);
    auto key = record.labels().find("com.docker.compose.volume");
    if (owner == record.labels().end() || owner->second != project ||
        key == record.labels().end()) {
      continue;
    }
    Node volume = Node::Mapping();
    volume.Set("name", Node::Scalar(record.name()));
    volumes->Set(key->second, std::move(volume));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Project> ProjectFromContainers(const std::string& name) {
  Project project;
  project.name = name;
  project.model = Node::Mapping();
  Node services = Node::Mapping();
  Node networks = Node::Mapping();
  Node volumes = Node::Mapping();

  container::ListOptions options;
  options.all = true;
  options.labels[container::kComposeProjectLabel] = name;
  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      container::ListContainers(options);
  if (!containers.ok()) return containers.status();
  for (const container::ManagedContainer& container : *containers) {
    if (project.directory.empty()) project.directory = LabelOf(container, kProjectDirectoryLabel);
    AddService(container, &services);
    AddNetworks(container, &networks);
  }
  absl::Status status = AddVolumes(name, &volumes);
  if (status.ok()) status = AddLabeledNetworks(name, &networks);
  if (!status.ok()) return status;

  project.model.Set("name", Node::Scalar(name));
  project.model.Set("services", std::move(services));
  project.model.Set("networks", std::move(networks));
  project.model.Set("volumes", std::move(volumes));
  return project;
}

}  // namespace pycontain::compose
