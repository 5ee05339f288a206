// compose up: planning, creating and starting services in dependency order.
#include "lib/compose/runner.h"

#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <errno.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/base/units.h"
#include "lib/compose/runner_internal.h"
#include "lib/container/health.h"
#include "lib/container/restart.h"

namespace pycontain::compose {

using runner_internal::LabelOf;
using yaml::Node;

namespace runner_internal {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(100);

// Makes the missing host directories of bind mounts, as docker compose
// does for create_host_path (the default of the short syntax).
absl::Status CreateBindSources(const spec::ContainerSpec& spec) {
  for (const spec::Mount& mount : spec.mounts()) {
    if (mount.type() != "bind") continue;
    struct stat info;
    if (stat(mount.source().c_str(), &info) == 0) continue;
    std::string path;
    for (absl::string_view part : absl::StrSplit(mount.source(), '/', absl::SkipEmpty())) {
      absl::StrAppend(&path, "/", part);
      if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoError(errno, "create bind mount source", path);
      }
    }
  }
  return absl::OkStatus();
}

// The state of a depends_on condition.
enum class Outcome { kMet, kWaiting, kFailed };

Outcome CheckCondition(const container::ManagedContainer& dependency,
                       const std::string& condition, std::string* why) {
  if (condition == "service_completed_successfully") {
    if (dependency.running() || dependency.state.status() == "created") return Outcome::kWaiting;
    if (dependency.state.exit_code() == 0) return Outcome::kMet;
    *why = absl::StrCat("exited with code ", dependency.state.exit_code());
    return Outcome::kFailed;
  }
  if (!dependency.running()) {
    *why = absl::StrCat("exited with code ", dependency.state.exit_code());
    return Outcome::kFailed;
  }
  if (condition != "service_healthy") return Outcome::kMet;
  if (!container::HasHealthcheck(dependency.config.healthcheck())) {
    *why = "has no healthcheck configured";
    return Outcome::kFailed;
  }
  const std::string& health = dependency.state.health().status();
  if (health == container::kHealthHealthy) return Outcome::kMet;
  if (health == container::kHealthUnhealthy) {
    *why = "is unhealthy";
    return Outcome::kFailed;
  }
  return Outcome::kWaiting;
}

// Waits for one condition on every container of `dependency`.
absl::Status WaitForCondition(const Project& project, const std::string& dependency,
                              const std::string& condition, const Printer& print) {
  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      ProjectContainers(project, {dependency}, /*all=*/true);
  if (!containers.ok()) return containers.status();
  if (containers->empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("dependency ", dependency, " has no container"));
  }
  for (const container::ManagedContainer& first : *containers) {
    bool announced = false;
    while (true) {
      absl::StatusOr<container::ManagedContainer> now = container::ResolveContainer(first.id());
      if (!now.ok()) return now.status();
      std::string why;
      Outcome outcome = CheckCondition(*now, condition, &why);
      if (outcome == Outcome::kMet) break;
      if (outcome == Outcome::kFailed) {
        return absl::FailedPreconditionError(
            absl::StrCat("dependency failed to start: container ", now->name(), " ", why));
      }
      if (!announced) print(absl::StrCat("Container ", now->name(), "  Waiting"));
      announced = true;
      absl::SleepFor(kPollInterval);
    }
    if (condition == "service_healthy") print(absl::StrCat("Container ", first.name(), "  Healthy"));
    if (condition == "service_completed_successfully") {
      print(absl::StrCat("Container ", first.name(), "  Exited"));
    }
  }
  return absl::OkStatus();
}

bool IsRequired(const Node& dependency) {
  const Node* required = dependency.Find("required");
  bool ok = false;
  return required == nullptr || !ParseComposeBool(required->scalar, &ok) || ok;
}

// Returns the id of the running container that `donor` names: the first
// running container of its service, or a managed container by name or id.
absl::StatusOr<std::string> DonorId(const Project& project, const NamespaceDonor& donor) {
  if (!donor.container.empty()) {
    absl::StatusOr<container::ManagedContainer> found =
        container::ResolveContainer(donor.container);
    if (!found.ok()) return found.status();
    if (!found->running()) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", donor.container, " is not running"));
    }
    return found->id();
  }
  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      ProjectContainers(project, {donor.service}, /*all=*/false);
  if (!containers.ok()) return containers.status();
  for (const container::ManagedContainer& candidate : *containers) {
    if (LabelOf(candidate, kOneoffLabel) != "True" && candidate.running()) return candidate.id();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("service ", donor.service, " has no running container to join"));
}

// Whether `a` and `b` join the same IPC and PID namespaces.
bool SameJoins(const spec::ContainerSpec& a, const spec::ContainerSpec& b) {
  return a.namespaces().join_ipc().SerializeAsString() ==
             b.namespaces().join_ipc().SerializeAsString() &&
         a.namespaces().join_pid().SerializeAsString() ==
             b.namespaces().join_pid().SerializeAsString();
}

}  // namespace

absl::StatusOr<container::CreateOptions> JoinNamespaceDonors(const Project& project,
                                                             const ServiceContainer& plan) {
  container::CreateOptions create = plan.create;
  spec::Namespaces* namespaces = create.spec.mutable_namespaces();
  for (const auto& [field, donor, join] :
       {std::tuple{"ipc", &plan.ipc_donor, namespaces->mutable_join_ipc()},
        std::tuple{"pid", &plan.pid_donor, namespaces->mutable_join_pid()}}) {
    if (donor->empty()) continue;
    absl::StatusOr<std::string> id = DonorId(project, *donor);
    if (!id.ok()) {
      auto service = create.labels.find(kServiceLabel);
      return Annotate(id.status(),
                      absl::StrCat("service ",
                                   service == create.labels.end() ? "" : service->second, ": ",
                                   field));
    }
    join->set_container(*id);
  }
  if (plan.ipc_donor.empty()) namespaces->clear_join_ipc();
  if (plan.pid_donor.empty()) namespaces->clear_join_pid();
  return create;
}

absl::Status WaitForDependencies(const Project& project, const std::string& service,
                                 const Printer& print) {
  const Node* node = project.Service(service);
  const Node* depends_on = node ? node->Find("depends_on") : nullptr;
  if (depends_on == nullptr) return absl::OkStatus();
  for (const yaml::Entry& entry : depends_on->entries) {
    const Node* condition = entry.value.Find("condition");
    absl::Status status = WaitForCondition(
        project, entry.key, condition ? condition->scalar : "service_started", print);
    if (status.ok()) continue;
    if (IsRequired(entry.value)) {
      return Annotate(status, absl::StrCat("service ", service, " not started"));
    }
    print(absl::StrCat("warning: service ", service, ": optional ", status.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ServicePlan>> PlanServices(const Project& project,
                                                      const std::vector<std::string>& order,
                                                      const Printer& print,
                                                      const std::map<std::string, int>& scale) {
  std::vector<ServicePlan> plans;
  std::vector<std::string> warnings;
  for (const std::string& service : order) {
    ServicePlan plan{service, {}};
    const Node& node = *project.Service(service);
    auto scaled = scale.find(service);
    int replicas = scaled != scale.end() ? scaled->second : ServiceReplicas(node);
    if (replicas > 1 && node.Find("container_name") != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "service ", service, ": cannot scale to ", replicas,
          " replicas: container_name names a single container"));
    }
    for (int number = 1; number <= replicas; ++number) {
      absl::StatusOr<ServiceContainer> replica =
          PlanServiceContainer(project, service, number, number == 1 ? &warnings : nullptr);
      if (!replica.ok()) return replica.status();
      plan.replicas.push_back(std::move(*replica));
    }
    plans.push_back(std::move(plan));
  }
  for (const std::string& warning : warnings) print(absl::StrCat("warning: ", warning));
  return plans;
}

absl::Status CheckNameOwner(const Project& project, const std::string& name,
                            const absl::StatusOr<container::ManagedContainer>& existing) {
  if (existing.ok() && LabelOf(*existing, container::kComposeProjectLabel) != project.name) {
    return absl::AlreadyExistsError(absl::StrCat(
        "the container name \"", name, "\" is in use by a container outside project \"",
        project.name, "\"; remove that container or change the service's container_name"));
  }
  return absl::OkStatus();
}

absl::StatusOr<container::ManagedContainer> EnsureStarted(const Project& project,
                                                          const ServiceContainer& plan,
                                                          const Printer& print) {
  const std::string& name = plan.create.name;
  absl::StatusOr<container::CreateOptions> create = JoinNamespaceDonors(project, plan);
  if (!create.ok()) return create.status();
  absl::StatusOr<container::ManagedContainer> existing = container::ResolveContainer(name);
  absl::Status owned = CheckNameOwner(project, name, existing);
  if (!owned.ok()) return owned;
  // A container that joined a donor which was replaced since is
  // recreated too, as docker compose does.
  if (existing.ok() && (LabelOf(*existing, kConfigHashLabel) !=
                            plan.create.labels.at(kConfigHashLabel) ||
                        !SameJoins(existing->config.spec(), create->spec))) {
    print(absl::StrCat("Container ", name, "  Recreate"));
    absl::Status stopped =
        StopServiceContainer(*existing, plan.stop_signal, plan.stop_grace_period);
    if (!stopped.ok()) return stopped;
    absl::Status removed = container::RemoveContainer(existing->id(), {.force = true});
    if (!removed.ok()) return removed;
    existing = absl::NotFoundError(name);
  }
  if (existing.ok() && existing->running()) {
    print(absl::StrCat("Container ", name, "  Running"));
    return existing;
  }
  if (!existing.ok()) {
    absl::Status sources = CreateBindSources(plan.create.spec);
    if (!sources.ok()) return sources;
    absl::StatusOr<container::ManagedContainer> made = container::CreateContainer(*create);
    if (!made.ok()) return made.status();
    absl::Status mountpoint = CreateInitMountpoint(*made);
    if (!mountpoint.ok()) return mountpoint;
    print(absl::StrCat("Container ", name, "  Created"));
  }
  absl::Status started = container::StartContainer(name);
  if (!started.ok()) return started;
  absl::StatusOr<container::ManagedContainer> running = container::ResolveContainer(name);
  if (!running.ok()) return running.status();
  absl::Status connected = ConnectExtraNetworks(*running, plan.extra_networks);
  if (!connected.ok()) return connected;
  print(absl::StrCat("Container ", name, "  Started"));
  return running;
}

absl::Status StartInOrder(const Project& project, const std::vector<ServicePlan>& plans,
                          const Printer& print) {
  // Services whose containers this call replaced or restarted.
  std::vector<std::string> replaced;
  for (const ServicePlan& plan : plans) {
    absl::Status ready = WaitForDependencies(project, plan.service, print);
    if (!ready.ok()) return ready;
    std::vector<std::string> restarting = RestartingDependents(project, replaced);
    bool restart = std::find(restarting.begin(), restarting.end(), plan.service) !=
                   restarting.end();
    for (const ServiceContainer& replica : plan.replicas) {
      absl::StatusOr<container::ManagedContainer> before =
          container::ResolveContainer(replica.create.name);
      absl::StatusOr<container::ManagedContainer> started = EnsureStarted(project, replica, print);
      if (!started.ok()) return started.status();
      bool kept = before.ok() && before->running() && before->id() == started->id();
      if (!kept) {
        if (before.ok()) replaced.push_back(plan.service);
        continue;
      }
      if (!restart) continue;
      // As docker compose: depends_on.restart restarts the service after
      // its dependency was replaced.
      absl::Status stopped =
          StopServiceContainer(*started, replica.stop_signal, replica.stop_grace_period);
      if (stopped.ok()) stopped = container::StartContainer(started->id());
      if (!stopped.ok()) return stopped;
      print(absl::StrCat("Container ", started->name(), "  Restarted"));
      replaced.push_back(plan.service);
    }
    // Replicas beyond the scale go, as `up --scale` removes them.
    absl::StatusOr<std::vector<container::ManagedContainer>> all =
        ProjectContainers(project, {plan.service}, /*all=*/true);
    if (!all.ok()) return all.status();
    for (const container::ManagedContainer& extra : *all) {
      int number = 0;
      if (!absl::SimpleAtoi(LabelOf(extra, kContainerNumberLabel), &number) ||
          number <= static_cast<int>(plan.replicas.size())) {
        continue;
      }
      int signal = SIGTERM;
      absl::Duration grace;
      StopSettings(project, plan.service, &signal, &grace);
      absl::Status stopped = StopServiceContainer(extra, signal, grace);
      if (stopped.ok()) stopped = container::RemoveContainer(extra.id(), {.force = true});
      if (!stopped.ok()) return stopped;
      print(absl::StrCat("Container ", extra.name(), "  Removed"));
    }
  }
  return absl::OkStatus();
}

absl::Status CreateInitMountpoint(const container::ManagedContainer& container) {
  bool has_init = false;
  for (const spec::Mount& mount : container.config.spec().mounts()) {
    has_init = has_init || mount.destination() == kInitPath;
  }
  if (!has_init || container.upper_directory.empty()) return absl::OkStatus();
  std::string path = container.upper_directory;
  for (const char* part : {"", "/sbin"}) {
    absl::StrAppend(&path, part);
    if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "create directory", path);
    }
  }
  std::string file = absl::StrCat(container.upper_directory, kInitPath);
  UniqueFd created(open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0755));
  if (!created.valid()) return ErrnoError(errno, "create init mount point", file);
  return absl::OkStatus();
}

void StopSettings(const Project& project, const std::string& service, int* signal,
                  absl::Duration* grace) {
  *signal = SIGTERM;
  *grace = absl::Seconds(10);
  const Node* node = project.Service(service);
  if (node == nullptr) return;
  if (const Node* text = node->Find("stop_signal")) {
    absl::StatusOr<int> number = ParseSignal(text->scalar);
    if (number.ok()) *signal = *number;
  }
  if (const Node* text = node->Find("stop_grace_period")) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(text->scalar);
    if (duration.ok()) *grace = *duration;
  }
}

std::vector<std::string> RestartingDependents(const Project& project,
                                              const std::vector<std::string>& services) {
  std::set<std::string> restarting(services.begin(), services.end());
  std::vector<std::string> dependents;
  bool added = true;
  while (added) {
    added = false;
    for (const std::string& name : project.ServiceNames()) {
      if (restarting.count(name) > 0) continue;
      const Node* depends_on = project.Service(name)->Find("depends_on");
      if (depends_on == nullptr) continue;
      for (const yaml::Entry& entry : depends_on->entries) {
        const Node* restart = entry.value.Find("restart");
        bool ok = false;
        if (restart != nullptr && ParseComposeBool(restart->scalar, &ok) && ok &&
            restarting.count(entry.key) > 0) {
          restarting.insert(name);
          dependents.push_back(name);
          added = true;
          break;
        }
      }
    }
  }
  return dependents;
}

std::string LabelOf(const container::ManagedContainer& container, absl::string_view key) {
  auto found = container.config.labels().find(std::string(key));
  return found == container.config.labels().end() ? "" : found->second;
}

}  // namespace runner_internal

absl::Status Up(const Project& project, const UpOptions& options, const Printer& print) {
  absl::StatusOr<std::vector<std::string>> order = DependencyOrder(project, options.services);
  if (!order.ok()) return order.status();
  for (const auto& [service, replicas] : options.scale) {
    if (project.Service(service) == nullptr) {
      return absl::NotFoundError(absl::StrCat("--scale: no such service: \"", service, "\""));
    }
    if (replicas < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--scale: ", service, ": the number of replicas must be 0 or more"));
    }
  }
  // Every container is planned before anything is created, so that an
  // invalid service starts nothing.
  absl::StatusOr<std::vector<runner_internal::ServicePlan>> plans =
      runner_internal::PlanServices(project, *order, print, options.scale);
  if (!plans.ok()) return plans.status();
  // A name taken by another project's container fails the same way, before
  // any network or volume is made.
  for (const runner_internal::ServicePlan& plan : *plans) {
    for (const ServiceContainer& replica : plan.replicas) {
      const std::string& name = replica.create.name;
      absl::Status owned =
          runner_internal::CheckNameOwner(project, name, container::ResolveContainer(name));
      if (!owned.ok()) return owned;
    }
  }

  absl::Status status = runner_internal::CreateNetworks(project, *order, print);
  if (status.ok()) status = runner_internal::CreateVolumes(project, print);
  if (status.ok()) status = runner_internal::StartInOrder(project, *plans, print);
  if (!status.ok() || options.detach) return status;

  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      ProjectContainers(project, *order, /*all=*/true);
  if (!containers.ok()) return containers.status();
  absl::Status stopped = absl::OkStatus();
  runner_internal::FollowOutput(
      *containers, /*follow=*/true, options.interrupted,
      [&] {
        print("Gracefully stopping...");
        stopped = StopServices(project, *order, print);
      },
      options.output);
  return stopped;
}

absl::StatusOr<std::vector<container::ManagedContainer>> ProjectContainers(
    const Project& project, const std::vector<std::string>& services, bool all) {
  container::ListOptions options;
  options.all = all;
  options.labels[container::kComposeProjectLabel] = project.name;
  absl::StatusOr<std::vector<container::ManagedContainer>> listed =
      container::ListContainers(options);
  if (!listed.ok()) return listed.status();
  std::vector<container::ManagedContainer> kept;
  for (container::ManagedContainer& container : *listed) {
    std::string service = LabelOf(container, kServiceLabel);
    if (!services.empty() &&
        std::find(services.begin(), services.end(), service) == services.end()) {
      continue;
    }
    kept.push_back(std::move(container));
  }
  auto key = [](const container::ManagedContainer& c) {
    int number = 0;
    (void)absl::SimpleAtoi(LabelOf(c, kContainerNumberLabel), &number);
    return std::make_tuple(LabelOf(c, kServiceLabel), LabelOf(c, kOneoffLabel), number, c.name());
  };
  std::sort(kept.begin(), kept.end(),
            [&](const auto& a, const auto& b) { return key(a) < key(b); });
  return kept;
}

std::string DescribeStatus(const container::ManagedContainer& container) {
  if (container.running()) {
    const std::string& health = container.state.health().status();
    return health.empty() ? "running" : absl::StrCat("running (", health, ")");
  }
  if (container.state.status() == "exited") {
    return absl::StrCat("exited (", container.state.exit_code(), ")",
                        container.state.oom_killed() ? " OOMKilled" : "");
  }
  return container.state.status();
}

absl::Status StopServiceContainer(const container::ManagedContainer& container, int signal,
                                  absl::Duration grace) {
  container::MarkStoppedByUser(container.directory);
  if (!container.running()) return absl::OkStatus();
  if (signal == SIGTERM) return container::StopContainer(container.id(), grace);

  absl::Status sent = container::KillContainer(container.id(), signal);
  if (!sent.ok() && sent.code() != absl::StatusCode::kFailedPrecondition) return sent;
  absl::Time deadline = absl::Now() + grace;
  while (absl::Now() < deadline) {
    absl::StatusOr<container::ManagedContainer> now = container::ResolveContainer(container.id());
    if (!now.ok() || !now->running()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  // Grace zero: SIGKILL at once.
  return container::StopContainer(container.id(), absl::ZeroDuration());
}

}  // namespace pycontain::compose
