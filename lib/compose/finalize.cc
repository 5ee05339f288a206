#include "lib/compose/finalize.h"

#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/compose/loader.h"
#include "lib/compose/merge.h"
#include "lib/compose/normalize.h"

namespace pycontain::compose {
namespace {

using yaml::Node;

absl::Status Invalid(const yaml::Mark& mark, absl::string_view path,
                     absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(yaml::ToString(mark), ": ", path, ": ", problem));
}

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

void SortKeys(Node* node) {
  if (!node->IsMapping()) return;
  std::stable_sort(node->entries.begin(), node->entries.end(),
                   [](const yaml::Entry& a, const yaml::Entry& b) { return a.key < b.key; });
}

// ---- profiles ----

bool EnabledByProfiles(const Node& service, const std::vector<std::string>& profiles) {
  const Node* own = service.Find("profiles");
  if (own == nullptr || own->items.empty()) return true;
  if (Contains(profiles, "*")) return true;
  for (const Node& profile : own->items) {
    if (Contains(profiles, profile.scalar)) return true;
  }
  return false;
}

// Returns the active service names: enabled by profiles, named, or needed
// by a named service.
absl::StatusOr<std::set<std::string>> ActiveServices(const Node& services,
                                                     const FinalizeOptions& options) {
  std::set<std::string> active;
  for (const yaml::Entry& entry : services.entries) {
    if (EnabledByProfiles(entry.value, options.profiles)) active.insert(entry.key);
  }
  std::vector<std::string> pending;
  for (const std::string& name : options.services) {
    if (services.Find(name) == nullptr) {
      return absl::NotFoundError(absl::StrCat("no such service: \"", name, "\""));
    }
    pending.push_back(name);
  }
  while (!pending.empty()) {
    std::string name = pending.back();
    pending.pop_back();
    active.insert(name);
    for (const Dependency& dependency : DependenciesOf(*services.Find(name))) {
      if (services.Find(dependency.service) != nullptr && !active.count(dependency.service)) {
        pending.push_back(dependency.service);
      }
    }
  }
  return active;
}

// ---- environment ----

absl::Status MergeEnvFiles(Node* service, const std::string& path,
                           const Environment& environment, Environment* variables) {
  const Node* env_files = service->Find("env_file");
  if (env_files == nullptr) return absl::OkStatus();
  for (const Node& item : env_files->items) {
    const std::string& file = item.Find("path")->scalar;
    const Node* format = item.Find("format");
    bool raw = format != nullptr && format->scalar == "raw";
    if (format != nullptr && !raw && !format->scalar.empty()) {
      return Invalid(format->mark, absl::StrCat(path, ".env_file"),
                     absl::StrCat("unsupported format \"", format->scalar,
                                  "\" (use raw, or omit it for the Compose env file format)"));
    }
    struct stat info;
    if (stat(file.c_str(), &info) != 0) {
      if (item.Find("required")->scalar == "false") continue;
      return absl::NotFoundError(absl::StrCat(yaml::ToString(item.mark), ": ", path,
                                              ".env_file: env file ", file, " not found"));
    }
    absl::StatusOr<Environment> read = ReadEnvironmentFile(
        file, environment, raw ? EnvFileFormat::kRaw : EnvFileFormat::kCompose);
    if (!read.ok()) return read.status();
    for (auto& [name, value] : *read) (*variables)[name] = std::move(value);
  }
  service->Erase("env_file");
  return absl::OkStatus();
}

// Builds `environment` from the env_file values and then the service's own
// entries. A `KEY` entry without a value takes the project environment's
// value, else the env file's. Without either it stays null.
absl::Status ResolveEnvironment(Node* service, const std::string& path,
                                const Environment& environment) {
  Environment from_files;
  absl::Status status = MergeEnvFiles(service, path, environment, &from_files);
  if (!status.ok()) return status;
  Node* own = service->Find("environment");
  if (own == nullptr && from_files.empty()) return absl::OkStatus();

  Node result = Node::Mapping(own != nullptr ? own->mark : service->mark);
  for (const auto& [name, value] : from_files) result.Set(name, StringNode(value, service->mark));
  if (own != nullptr) {
    for (const yaml::Entry& entry : own->entries) {
      if (!entry.value.IsNull()) {
        SetEntry(&result, entry.key, entry.key_mark, entry.value);
        continue;
      }
      auto host = environment.find(entry.key);
      if (host != environment.end()) {
        SetEntry(&result, entry.key, entry.key_mark, StringNode(host->second, entry.value.mark));
      } else if (result.Find(entry.key) == nullptr) {
        SetEntry(&result, entry.key, entry.key_mark, entry.value);
      }
    }
  }
  SortKeys(&result);
  service->Set("environment", std::move(result));
  return absl::OkStatus();
}

// ---- references ----

absl::Status CheckDependsOn(Node* service, const std::string& path, const Node& all,
                            const std::set<std::string>& active) {
  Node* depends_on = service->Find("depends_on");
  if (depends_on == nullptr) return absl::OkStatus();
  for (size_t i = 0; i < depends_on->entries.size();) {
    const yaml::Entry& entry = depends_on->entries[i];
    std::string field = absl::StrCat(path, ".depends_on");
    if (all.Find(entry.key) == nullptr) {
      return Invalid(entry.key_mark, field,
                     absl::StrCat("depends on undefined service \"", entry.key, "\""));
    }
    if (active.count(entry.key)) {
      ++i;
      continue;
    }
    const Node* required = entry.value.Find("required");
    if (required != nullptr && required->scalar == "false") {
      depends_on->entries.erase(depends_on->entries.begin() + i);
      continue;
    }
    return Invalid(entry.key_mark, field,
                   absl::StrCat("depends on service \"", entry.key,
                                "\", which no enabled profile activates (enable one of its "
                                "profiles or set required: false)"));
  }
  return absl::OkStatus();
}

absl::Status CheckReferences(const Node& service, const std::string& path, const Node& all,
                             const Node* networks, const Node* volumes) {
  for (const Dependency& dependency : DependenciesOf(service)) {
    if (dependency.field == "depends_on" || all.Find(dependency.service) != nullptr) continue;
    return Invalid(dependency.mark, absl::StrCat(path, ".", dependency.field),
                   absl::StrCat("refers to undefined service \"", dependency.service, "\""));
  }
  if (const Node* own = service.Find("networks")) {
    for (const yaml::Entry& entry : own->entries) {
      if (entry.key == "default" || (networks != nullptr && networks->Find(entry.key))) continue;
      return Invalid(entry.key_mark, absl::StrCat(path, ".networks"),
                     absl::StrCat("network \"", entry.key, "\" is not defined in the top-level "
                                  "networks"));
    }
  }
  const Node* mounts = service.Find("volumes");
  for (size_t i = 0; mounts != nullptr && i < mounts->items.size(); ++i) {
    const Node& mount = mounts->items[i];
    const Node* type = mount.Find("type");
    const Node* source = mount.Find("source");
    if (type == nullptr || type->scalar != "volume" || source == nullptr) continue;
    if (volumes != nullptr && volumes->Find(source->scalar) != nullptr) continue;
    return Invalid(mount.mark, absl::StrCat(path, ".volumes[", i, "]"),
                   absl::StrCat("volume \"", source->scalar,
                                "\" is not defined in the top-level volumes"));
  }
  return absl::OkStatus();
}

// Reports the first dependency cycle among `services`.
absl::Status CheckCycles(const Node& services) {
  enum class State { kNew, kVisiting, kDone };
  std::map<std::string, State> state;
  std::vector<std::string> stack;
  std::function<absl::Status(const std::string&)> visit =
      [&](const std::string& name) -> absl::Status {
    state[name] = State::kVisiting;
    stack.push_back(name);
    for (const Dependency& dependency : DependenciesOf(*services.Find(name))) {
      if (services.Find(dependency.service) == nullptr) continue;
      State next = state[dependency.service];
      if (next == State::kVisiting) {
        auto start = std::find(stack.begin(), stack.end(), dependency.service);
        std::vector<std::string> cycle(start, stack.end());
        cycle.push_back(dependency.service);
        return Invalid(dependency.mark, absl::StrCat("services.", name, ".", dependency.field),
                       absl::StrCat("dependency cycle: ", absl::StrJoin(cycle, " -> ")));
      }
      if (next == State::kNew) {
        absl::Status status = visit(dependency.service);
        if (!status.ok()) return status;
      }
    }
    stack.pop_back();
    state[name] = State::kDone;
    return absl::OkStatus();
  };
  for (const yaml::Entry& entry : services.entries) {
    if (state[entry.key] != State::kNew) continue;
    absl::Status status = visit(entry.key);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// ---- one service ----

absl::Status FinalizeService(Node* service, const std::string& name, const Node& all,
                             const std::set<std::string>& active, const FinalizeOptions& options) {
  std::string path = absl::StrCat("services.", name);
  absl::Status status = ResolveEnvironment(service, path, *options.environment);
  if (!status.ok()) return status;

  status = CheckDependsOn(service, path, all, active);
  if (!status.ok()) return status;

  if (service->Find("networks") == nullptr && service->Find("network_mode") == nullptr) {
    Node networks = Node::Mapping(service->mark);
    networks.Set("default", Node::Null(service->mark));
    service->Set("networks", std::move(networks));
  }
  for (absl::string_view key : {"labels", "annotations", "sysctls", "extra_hosts", "depends_on",
                                "networks", "ulimits"}) {
    if (Node* value = service->Find(key)) SortKeys(value);
  }
  SortKeys(service);
  return absl::OkStatus();
}

// ---- top-level resources ----

bool UsesDefaultNetwork(const Node& services) {
  for (const yaml::Entry& entry : services.entries) {
    const Node* networks = entry.value.Find("networks");
    if (networks != nullptr && networks->Find("default") != nullptr) return true;
  }
  return false;
}

void NameResources(Node* resources, const std::string& project) {
  for (yaml::Entry& entry : resources->entries) {
    Node& resource = entry.value;
    if (resource.Find("name") != nullptr) continue;
    const Node* external = resource.Find("external");
    bool is_external = external != nullptr && external->scalar == "true";
    resource.Set("name", StringNode(is_external ? entry.key : absl::StrCat(project, "_", entry.key),
                                    entry.key_mark));
    ReorderKeys(&resource, {"name", "driver", "driver_opts", "ipam", "external", "internal",
                            "attachable", "labels"});
  }
  SortKeys(resources);
}

void FinalizeResources(Node* model, const std::string& project) {
  Node* services = model->Find("services");
  if (UsesDefaultNetwork(*services)) {
    if (model->Find("networks") == nullptr) model->Set("networks", Node::Mapping(model->mark));
    Node* networks = model->Find("networks");
    if (networks->Find("default") == nullptr) networks->Set("default", Node::Mapping(model->mark));
  }
  for (absl::string_view kind : {"networks", "volumes", "secrets", "configs"}) {
    if (Node* resources = model->Find(kind)) NameResources(resources, project);
  }
  model->Erase("version");
  model->Set("name", StringNode(project, model->mark));
  ReorderKeys(model, {"name", "services", "networks", "volumes", "secrets", "configs"});
}

}  // namespace

std::vector<Dependency> DependenciesOf(const Node& service) {
  std::vector<Dependency> dependencies;
  if (const Node* depends_on = service.Find("depends_on")) {
    for (const yaml::Entry& entry : depends_on->entries) {
      dependencies.push_back({entry.key, entry.key_mark, "depends_on"});
    }
  }
  for (absl::string_view field : {"ipc", "pid", "network_mode"}) {
    const Node* value = service.Find(field);
    if (value != nullptr && absl::StartsWith(value->scalar, "service:")) {
      dependencies.push_back({value->scalar.substr(8), value->mark, std::string(field)});
    }
  }
  if (const Node* volumes_from = service.Find("volumes_from")) {
    for (const Node& item : volumes_from->items) {
      if (absl::StartsWith(item.scalar, "container:")) continue;
      // SERVICE[:ro|rw]
      std::string name = item.scalar.substr(0, item.scalar.find(':'));
      dependencies.push_back({name, item.mark, "volumes_from"});
    }
  }
  return dependencies;
}

absl::Status FinalizeModel(Node* model, const FinalizeOptions& options,
                           std::vector<std::string>* disabled) {
  ResolveMergeTags(model);
  if (model->Find("services") == nullptr) model->Set("services", Node::Mapping(model->mark));
  Node all = *model->Find("services");

  absl::StatusOr<std::set<std::string>> active = ActiveServices(all, options);
  if (!active.ok()) return active.status();

  Node services = Node::Mapping(all.mark);
  for (const yaml::Entry& entry : all.entries) {
    if (!active->count(entry.key)) {
      disabled->push_back(entry.key);
      continue;
    }
    Node service = entry.value;
    absl::Status status = FinalizeService(&service, entry.key, all, *active, options);
    if (!status.ok()) return status;
    services.Set(entry.key, std::move(service));
  }
  SortKeys(&services);

  for (const yaml::Entry& entry : services.entries) {
    absl::Status status =
        CheckReferences(entry.value, absl::StrCat("services.", entry.key), all,
                        model->Find("networks"), model->Find("volumes"));
    if (!status.ok()) return status;
  }
  absl::Status status = CheckCycles(services);
  if (!status.ok()) return status;

  model->Set("services", std::move(services));
  FinalizeResources(model, options.project_name);
  return absl::OkStatus();
}

}  // namespace pycontain::compose
