// Helpers shared by the files of the Compose runner (runner.h).
#ifndef PYCONTAIN_LIB_COMPOSE_RUNNER_INTERNAL_H_
#define PYCONTAIN_LIB_COMPOSE_RUNNER_INTERNAL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/compose/project.h"
#include "lib/compose/runner.h"
#include "lib/compose/service_spec.h"
#include "lib/container/managed.h"

namespace pycontain::compose::runner_internal {

// Creates the networks that `services` join and every declared volume,
// unless they exist; checks that external ones exist.
absl::Status CreateNetworks(const Project& project, const std::vector<std::string>& services,
                            const Printer& print);
absl::Status CreateVolumes(const Project& project, const Printer& print);

// Removes the project's networks and, with `volumes`, its declared
// volumes. Missing ones are skipped.
absl::Status RemoveNetworks(const Project& project, const Printer& print);
absl::Status RemoveVolumes(const Project& project, const Printer& print);

// Joins the running container to the networks after its first one. Only
// a container whose ManagedConfig does not list them (one created by an
// older pycontain) needs it, because the monitor joins the listed ones.
absl::Status ConnectExtraNetworks(const container::ManagedContainer& container,
                                  const std::vector<ExtraNetwork>& networks);

// Waits until the depends_on conditions of `service` hold. Errors:
// FailedPrecondition naming the dependency that failed a required
// condition.
absl::Status WaitForDependencies(const Project& project, const std::string& service,
                                 const Printer& print);

// The planned replicas of one service.
struct ServicePlan {
  std::string service;
  std::vector<ServiceContainer> replicas;
};

// Plans every replica of each service in `order` and prints the warnings.
// `scale` overrides the number of replicas of the services it names.
// Errors: those of PlanServiceContainer; InvalidArgument for more than one
// replica of a service with container_name.
absl::StatusOr<std::vector<ServicePlan>> PlanServices(const Project& project,
                                                      const std::vector<std::string>& order,
                                                      const Printer& print,
                                                      const std::map<std::string, int>& scale = {});

// Returns plan.create with spec.namespaces.join_ipc and join_pid set to
// the containers that the plan's namespace donors name now. Errors:
// FailedPrecondition "service S: ipc: ..." when a donor is not running;
// NotFound for an unknown container.
absl::StatusOr<container::CreateOptions> JoinNamespaceDonors(const Project& project,
                                                             const ServiceContainer& plan);

// Creates (or keeps, when its config hash is unchanged) and starts every
// planned replica, each service after its dependencies' conditions hold.
absl::Status StartInOrder(const Project& project, const std::vector<ServicePlan>& plans,
                          const Printer& print);

// Fails with AlreadyExists when the container `name` (found as `existing`)
// belongs to another project or to none.
absl::Status CheckNameOwner(const Project& project, const std::string& name,
                            const absl::StatusOr<container::ManagedContainer>& existing);

// Creates the container of `plan` unless one with its name and config
// hash exists, and starts it.
absl::StatusOr<container::ManagedContainer> EnsureStarted(const Project& project,
                                                          const ServiceContainer& plan,
                                                          const Printer& print);

// Prints the output of `containers` with a "<service>-<n>  | " prefix,
// with `follow` until all have exited. When `interrupted` returns true,
// calls `on_interrupt`, which must end the containers, and returns once
// their output is read. Without `on_interrupt`, it stops reading at once
// and leaves the containers running. Returns whether it was interrupted.
bool FollowOutput(const std::vector<container::ManagedContainer>& containers, bool follow,
                  const std::function<bool()>& interrupted,
                  const std::function<void()>& on_interrupt, const Printer& output);

// Creates the empty file that pycontain-init is bind-mounted over in the
// container's writable layer, when the container runs with `init: true`:
// the command is looked up in the root before the mounts exist.
absl::Status CreateInitMountpoint(const container::ManagedContainer& container);

// The service's stop signal and grace period, defaults when the project
// no longer has the service.
void StopSettings(const Project& project, const std::string& service, int* signal,
                  absl::Duration* grace);

// Returns the value of kDependsOnLabel for the normalized `service`: its
// depends_on entries and the services its ipc, pid, network_mode and
// volumes_from name (as service_started), "" when there are none.
std::string DependsOnLabel(const yaml::Node& service);

// Returns the services that depend with `restart: true` on one of
// `services`, directly or through each other, leaving out `services`:
// docker compose restarts them after their dependency.
std::vector<std::string> RestartingDependents(const Project& project,
                                              const std::vector<std::string>& services);

// The value of label `key`, or "".
std::string LabelOf(const container::ManagedContainer& container, absl::string_view key);

}  // namespace pycontain::compose::runner_internal

#endif  // PYCONTAIN_LIB_COMPOSE_RUNNER_INTERNAL_H_
