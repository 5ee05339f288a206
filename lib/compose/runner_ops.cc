// compose down, logs, start, stop, restart, exec and run.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lib/compose/finalize.h"
#include "lib/compose/runner.h"
#include "lib/compose/runner_internal.h"
#include "lib/container/restart.h"

namespace pycontain::compose {

using runner_internal::LabelOf;

namespace runner_internal {

bool FollowOutput(const std::vector<container::ManagedContainer>& containers, bool follow,
                  const std::function<bool()>& interrupted,
                  const std::function<void()>& on_interrupt, const Printer& output) {
  size_t width = 0;
  std::vector<std::string> prefixes;
  for (const container::ManagedContainer& c : containers) {
    std::string prefix = LabelOf(c, kOneoffLabel) == "True"
                             ? c.name()
                             : absl::StrCat(LabelOf(c, kServiceLabel), "-",
                                            LabelOf(c, kContainerNumberLabel));
    width = std::max(width, prefix.size());
    prefixes.push_back(prefix);
  }
  std::mutex lock;
  std::atomic<size_t> done{0};
  std::atomic<bool> stop_reading{false};
  std::vector<std::thread> readers;
  for (size_t i = 0; i < containers.size(); ++i) {
    std::string prefix = prefixes[i];
    prefix.resize(width, ' ');
    readers.emplace_back([&, prefix, id = containers[i].id()] {
      container::LogOptions options;
      options.follow = follow;
      options.stop = [&] { return stop_reading.load(); };
      // A container removed meanwhile (run --rm) just ends its output.
      (void)container::ReadContainerLogs(id, options, [&](const container::LogRecord& record) {
        std::string line = record.log();
        if (!line.empty() && line.back() == '\n') line.pop_back();
        std::lock_guard<std::mutex> guard(lock);
        output(absl::StrCat(prefix, "  | ", line));
        return true;
      });
      ++done;
    });
  }
  bool was_interrupted = false;
  while (done.load() < readers.size()) {
    if (interrupted && interrupted()) {
      was_interrupted = true;
      // Ends the containers, and so the readers that wait for output.
      if (on_interrupt) {
        on_interrupt();
      } else {
        stop_reading = true;
      }
      break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  for (std::thread& reader : readers) reader.join();
  return was_interrupted;
}

}  // namespace runner_internal

namespace {

// Stops `containers` at once, each with its service's stop settings.
absl::Status StopAll(const Project& project,
                     const std::vector<container::ManagedContainer>& listed,
                     const Printer& print) {
  // The state as it is now: a container may have stopped since it was
  // listed.
  std::vector<container::ManagedContainer> containers;
  for (const container::ManagedContainer& container : listed) {
    absl::StatusOr<container::ManagedContainer> now = container::ResolveContainer(container.id());
    if (now.ok()) containers.push_back(std::move(*now));
  }
  std::vector<absl::Status> results(containers.size());
  std::vector<std::thread> stoppers;
  for (size_t i = 0; i < containers.size(); ++i) {
    if (!containers[i].running()) continue;
    print(absl::StrCat("Container ", containers[i].name(), "  Stopping"));
    stoppers.emplace_back([&, i] {
      int signal = SIGTERM;
      absl::Duration grace;
      runner_internal::StopSettings(project, LabelOf(containers[i], kServiceLabel), &signal,
                                    &grace);
      results[i] = StopServiceContainer(containers[i], signal, grace);
    });
  }
  for (std::thread& stopper : stoppers) stopper.join();
  absl::Status status = absl::OkStatus();
  for (size_t i = 0; i < containers.size(); ++i) {
    if (!results[i].ok()) {
      status.Update(results[i]);
    } else if (containers[i].running()) {
      print(absl::StrCat("Container ", containers[i].name(), "  Stopped"));
    } else {
      container::MarkStoppedByUser(containers[i].directory);
    }
  }
  return status;
}

// Groups `containers` by the dependency level of their service, the last
// level first: a service's level is one more than the highest level of
// the services it depends on, so no service depends on another of its
// level. Containers of services the project does not have (orphans) come
// in the first group.
std::vector<std::vector<container::ManagedContainer>> GroupForStop(
    const Project& project, const std::vector<container::ManagedContainer>& containers) {
  std::map<std::string, int> levels;
  absl::StatusOr<std::vector<std::string>> order = DependencyOrder(project, {});
  int top = 0;
  if (order.ok()) {
    // The order puts every dependency before its dependants.
    for (const std::string& service : *order) {
      int level = 0;
      for (const Dependency& dependency : DependenciesOf(*project.Service(service))) {
        auto found = levels.find(dependency.service);
        if (found != levels.end()) level = std::max(level, found->second + 1);
      }
      levels[service] = level;
      top = std::max(top, level);
    }
  }
  std::vector<std::vector<container::ManagedContainer>> groups(top + 2);
  for (const container::ManagedContainer& container : containers) {
    auto found = levels.find(LabelOf(container, kServiceLabel));
    int level = found == levels.end() ? top + 1 : found->second;
    groups[top + 1 - level].push_back(container);
  }
  return groups;
}

// Stops `containers`, dependants before their dependencies as docker
// compose does, and the containers of one dependency level at once, so
// that a project takes about one grace period per level.
absl::Status StopInLevels(const Project& project,
                          const std::vector<container::ManagedContainer>& containers,
                          const Printer& print) {
  for (const std::vector<container::ManagedContainer>& group :
       GroupForStop(project, containers)) {
    if (group.empty()) continue;
    absl::Status stopped = StopAll(project, group, print);
    if (!stopped.ok()) return stopped;
  }
  return absl::OkStatus();
}

// Whether the container's service is gone from the project. Services of
// profiles that are not enabled are still the project's, as in docker
// compose.
// Joins a container that was started again to its networks after the
// first, which its spec does not name.
absl::Status ConnectAgain(const Project& project, const std::string& service,
                          const container::ManagedContainer& container) {
  int number = 1;
  (void)absl::SimpleAtoi(LabelOf(container, kContainerNumberLabel), &number);
  absl::StatusOr<ServiceContainer> plan = PlanServiceContainer(project, service, number, nullptr);
  if (!plan.ok() || plan->extra_networks.empty()) return absl::OkStatus();
  absl::StatusOr<container::ManagedContainer> running = container::ResolveContainer(container.id());
  if (!running.ok()) return running.status();
  return runner_internal::ConnectExtraNetworks(*running, plan->extra_networks);
}

bool IsOrphan(const Project& project, const container::ManagedContainer& container) {
  std::string service = LabelOf(container, kServiceLabel);
  const std::vector<std::string>& disabled = project.disabled_services;
  return project.Service(service) == nullptr &&
         std::find(disabled.begin(), disabled.end(), service) == disabled.end();
}

}  // namespace

absl::Status Down(const Project& project, const DownOptions& options, const Printer& print) {
  absl::StatusOr<std::vector<container::ManagedContainer>> all =
      ProjectContainers(project, {}, /*all=*/true);
  if (!all.ok()) return all.status();
  std::vector<container::ManagedContainer> removing;
  bool orphans_kept = false;
  for (container::ManagedContainer& container : *all) {
    if (IsOrphan(project, container) && !options.remove_orphans) {
      orphans_kept = true;
      print(absl::StrCat("warning: found orphan container ", container.name(),
                         " (of service ", LabelOf(container, kServiceLabel),
                         "); remove it with --remove-orphans"));
      continue;
    }
    removing.push_back(std::move(container));
  }

  absl::Status status = StopInLevels(project, removing, print);

  for (const container::ManagedContainer& container : removing) {
    absl::Status removed =
        container::RemoveContainer(container.id(), {.force = true, .volumes = options.volumes});
    if (removed.ok()) {
      print(absl::StrCat("Container ", container.name(), "  Removed"));
    } else if (removed.code() != absl::StatusCode::kNotFound) {
      status.Update(removed);
    }
  }
  if (!status.ok()) return status;

  status = runner_internal::RemoveNetworks(project, print);
  // The kept orphans may still use the networks.
  if (!status.ok() && orphans_kept) {
    print(absl::StrCat("warning: ", status.message()));
    status = absl::OkStatus();
  }
  if (status.ok() && options.volumes) status = runner_internal::RemoveVolumes(project, print);
  return status;
}

absl::Status Logs(const Project& project, const LogsOptions& options, const Printer& output) {
  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      ProjectContainers(project, options.services, /*all=*/true);
  if (!containers.ok()) return containers.status();
  if (!options.follow) {
    runner_internal::FollowOutput(*containers, false, nullptr, nullptr, output);
    return absl::OkStatus();
  }
  // An interruption only ends the reading; the containers keep running.
  runner_internal::FollowOutput(*containers, true, options.interrupted, nullptr, output);
  return absl::OkStatus();
}

absl::Status StartServices(const Project& project, const std::vector<std::string>& services,
                           const Printer& print) {
  absl::StatusOr<std::vector<std::string>> order = DependencyOrder(project, services);
  if (!order.ok()) return order.status();
  for (const std::string& service : *order) {
    absl::StatusOr<std::vector<container::ManagedContainer>> containers =
        ProjectContainers(project, {service}, /*all=*/true);
    if (!containers.ok()) return containers.status();
    if (containers->empty()) {
      if (services.empty() ||
          std::find(services.begin(), services.end(), service) == services.end()) {
        continue;
      }
      return absl::NotFoundError(
          absl::StrCat("service ", service, " has no container; run `compose up` first"));
    }
    absl::Status ready = runner_internal::WaitForDependencies(project, service, print);
    if (!ready.ok()) return ready;
    for (const container::ManagedContainer& container : *containers) {
      if (LabelOf(container, kOneoffLabel) == "True" || container.running()) continue;
      absl::Status started = container::StartContainer(container.id());
      if (!started.ok()) return started;
      started = ConnectAgain(project, service, container);
      if (!started.ok()) return started;
      print(absl::StrCat("Container ", container.name(), "  Started"));
    }
  }
  return absl::OkStatus();
}

absl::Status StopServices(const Project& project, const std::vector<std::string>& services,
                          const Printer& print) {
  // Also rejects an unknown service.
  absl::StatusOr<std::vector<std::string>> order = DependencyOrder(project, services);
  if (!order.ok()) return order.status();
  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      ProjectContainers(project, services.empty() ? *order : services, /*all=*/false);
  if (!containers.ok()) return containers.status();
  return StopInLevels(project, *containers, print);
}

absl::Status RestartServices(const Project& project, const std::vector<std::string>& services,
                             const Printer& print) {
  std::vector<std::string> restarting = services;
  if (!restarting.empty()) {
    std::vector<std::string> dependents = runner_internal::RestartingDependents(project, services);
    // Only dependents that have a container: the others were never up.
    for (const std::string& dependent : dependents) {
      absl::StatusOr<std::vector<container::ManagedContainer>> containers =
          ProjectContainers(project, {dependent}, /*all=*/true);
      if (containers.ok() && !containers->empty()) restarting.push_back(dependent);
    }
  }
  absl::Status stopped = StopServices(project, restarting, print);
  if (!stopped.ok()) return stopped;
  return StartServices(project, restarting, print);
}

absl::StatusOr<int> Exec(const Project& project, const ExecOptions& options) {
  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      ProjectContainers(project, {options.service}, /*all=*/false);
  if (!containers.ok()) return containers.status();
  const container::ManagedContainer* target = nullptr;
  for (const container::ManagedContainer& container : *containers) {
    if (LabelOf(container, kOneoffLabel) != "True" &&
        LabelOf(container, kContainerNumberLabel) == absl::StrCat(options.index)) {
      target = &container;
    }
  }
  if (target == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "service \"", options.service, "\" is not running (replica ", options.index, ")"));
  }
  spec::Process process;
  for (const std::string& word : options.command) process.add_args(word);
  for (const std::string& variable : options.env) process.add_env(variable);
  process.set_cwd(options.working_dir);
  if (!options.user.empty()) {
    std::vector<std::string> parts = absl::StrSplit(options.user, absl::MaxSplits(':', 1));
    process.mutable_user()->set_user(parts[0]);
    if (parts.size() > 1) process.mutable_user()->set_group(parts[1]);
  }
  absl::StatusOr<ns::ChildProcess> child = container::ExecInContainer(target->id(), process);
  if (!child.ok()) return child.status();
  absl::StatusOr<ns::ExitStatus> status = child->Wait();
  if (!status.ok()) return status.status();
  return status->exit_code.has_value() ? *status->exit_code : 128 + status->signal.value_or(0);
}

absl::StatusOr<int> Run(const Project& project, const RunOptions& options, const Printer& print,
                        const Printer& output) {
  absl::StatusOr<std::vector<std::string>> order = DependencyOrder(project, {options.service});
  if (!order.ok()) return order.status();
  order->erase(std::remove(order->begin(), order->end(), options.service), order->end());

  OneOffOptions one_off{.one_off = true, .command = options.command};
  absl::StatusOr<ServiceContainer> plan =
      PlanServiceContainer(project, options.service, 1, nullptr, one_off);
  if (!plan.ok()) return plan.status();
  // As docker compose run without --service-ports: the service's own
  // container may hold its ports.
  plan->create.spec.mutable_network()->clear_ports();
  absl::StatusOr<std::vector<runner_internal::ServicePlan>> plans =
      runner_internal::PlanServices(project, *order, print);
  if (!plans.ok()) return plans.status();
  std::vector<std::string> joined = *order;
  joined.push_back(options.service);
  absl::Status status = runner_internal::CreateNetworks(project, joined, print);
  if (status.ok()) status = runner_internal::CreateVolumes(project, print);
  if (status.ok()) status = runner_internal::StartInOrder(project, *plans, print);
  if (status.ok()) status = runner_internal::WaitForDependencies(project, options.service, print);
  if (!status.ok()) return status;

  // --rm removes the container here rather than through auto_remove, so
  // that its exit code can be read first.
  absl::StatusOr<container::CreateOptions> create =
      runner_internal::JoinNamespaceDonors(project, *plan);
  if (!create.ok()) return create.status();
  absl::StatusOr<container::ManagedContainer> made = container::CreateContainer(*create);
  if (!made.ok()) return made.status();
  absl::Status started = runner_internal::CreateInitMountpoint(*made);
  if (started.ok()) started = container::StartContainer(made->id());
  absl::StatusOr<container::ManagedContainer> running = container::ResolveContainer(made->id());
  if (started.ok() && running.ok()) {
    started = runner_internal::ConnectExtraNetworks(*running, plan->extra_networks);
  }
  if (started.ok() && running.ok()) {
    runner_internal::FollowOutput({*running}, /*follow=*/true, nullptr, nullptr,
                                  [&](absl::string_view line) {
                                    output(line.substr(line.find("  | ") + 4));
                                  });
  }
  absl::StatusOr<container::ManagedState> state = container::WaitContainer(made->id());
  if (options.remove) {
    absl::Status removed = container::RemoveContainer(made->id(), {.force = true, .volumes = true});
    if (!removed.ok() && started.ok()) return removed;
  }
  if (!started.ok()) return started;
  if (!state.ok()) return state.status();
  return state->exit_code();
}

}  // namespace pycontain::compose
