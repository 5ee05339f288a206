// From a normalized Compose service (project.h) to the managed container
// that runs one replica of it (lib/container/managed.h).
//
//   std::vector<std::string> warnings;
//   absl::StatusOr<ServiceContainer> plan =
//       PlanServiceContainer(project, "web", /*number=*/1, &warnings);
//   if (!plan.ok()) return plan.status();   // "service web: ipc: ..."
//   absl::StatusOr<container::ManagedContainer> made =
//       container::CreateContainer(plan->create);
//
// Every field of the service is either applied, or reported: fields that
// pycontain cannot apply at all are errors, fields whose effect is only
// approximated or missing are warnings naming the service and the field.
// Resource limits are applied from both the service's own fields and
// deploy.resources; when both give a value, the smaller limit wins.
//
// The container carries docker compose's labels (com.docker.compose.project,
// .service, .container-number, .oneoff, .config-hash), so that later
// commands find it without the Compose file.
//
// Thread safety: thread-compatible; reads the image store.
#ifndef PYCONTAIN_LIB_COMPOSE_SERVICE_SPEC_H_
#define PYCONTAIN_LIB_COMPOSE_SERVICE_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/compose/project.h"
#include "lib/container/managed.h"

namespace pycontain::compose {

inline constexpr char kServiceLabel[] = "com.docker.compose.service";
inline constexpr char kContainerNumberLabel[] = "com.docker.compose.container-number";
inline constexpr char kOneoffLabel[] = "com.docker.compose.oneoff";
inline constexpr char kConfigHashLabel[] = "com.docker.compose.config-hash";
inline constexpr char kProjectDirectoryLabel[] = "com.docker.compose.project.working_dir";
// The service's dependencies as docker compose writes them:
// "SERVICE:CONDITION:RESTART" joined by commas.
inline constexpr char kDependsOnLabel[] = "com.docker.compose.depends_on";
// On a network that `up` created: its key in the file, as docker compose
// labels it (with kComposeProjectLabel for the project).
inline constexpr char kNetworkLabel[] = "com.docker.compose.network";
// pycontain's own: the service's stop_signal and stop_grace_period as
// written, and the host names of the project networks (not external ones)
// that the container joins, joined by commas. With the labels above they
// let `down`, `ps` and `stop` work without the Compose file.
inline constexpr char kStopSignalLabel[] = "dev.pycontain.compose.stop_signal";
inline constexpr char kStopGracePeriodLabel[] = "dev.pycontain.compose.stop_grace_period";
inline constexpr char kNetworksLabel[] = "dev.pycontain.compose.networks";

// A network that the container joins after it started, beyond the first
// one (spec.network). create.extra_networks lists the same networks, which
// the container's monitor joins on every start, restarts by the restart
// policy included.
struct ExtraNetwork {
  std::string network;  // the network's name on the host
  std::vector<std::string> aliases;
  std::string ipv4_address;
};

// The container whose IPC or PID namespace a service joins (`ipc` or
// `pid` set to `service:NAME` or `container:NAME`); both empty: none.
struct NamespaceDonor {
  // The service whose first running container is joined.
  std::string service;
  // A managed container's name or id.
  std::string container;

  bool empty() const { return service.empty() && container.empty(); }
};

struct ServiceContainer {
  // With a namespace donor, create.spec joins nothing yet: the runner sets
  // spec.namespaces.join_ipc or join_pid to the donor's id when it creates
  // the container.
  container::CreateOptions create;
  NamespaceDonor ipc_donor;
  NamespaceDonor pid_donor;
  std::vector<ExtraNetwork> extra_networks;
  // stop_signal (a signal number) and stop_grace_period, Docker's
  // defaults: SIGTERM and 10 s.
  int stop_signal = 15;
  absl::Duration stop_grace_period = absl::Seconds(10);
};

// What differs for `compose run`.
struct OneOffOptions {
  bool one_off = false;
  // Non-empty: replaces the service's command.
  std::vector<std::string> command;
};

// Plans replica `number` (1, 2, ...) of `service`: the spec, the container
// name (container_name, else <project>-<service>-<number>; one-off:
// <project>-<service>-run-<random>), labels, health check and restart
// policy. Appends a warning to `warnings` (when not null) for each field
// not applied.
// Errors: InvalidArgument "service NAME: FIELD: what" for a value pycontain
// cannot apply; Unimplemented for `build` without an image; NotFound for an
// image missing from the store.
absl::StatusOr<ServiceContainer> PlanServiceContainer(const Project& project,
                                                      absl::string_view service, int number,
                                                      std::vector<std::string>* warnings,
                                                      const OneOffOptions& one_off = {});

// Where containers with `init: true` find pycontain-init, as Docker
// mounts its own init.
inline constexpr char kInitPath[] = "/sbin/docker-init";

// Returns the pycontain-init binary (//lib/container/init) that `init:
// true` mounts at kInitPath: $PYCONTAIN_INIT, else pycontain-init beside
// the running program, else in /usr/local/libexec/pycontain or
// /usr/libexec/pycontain. "" when none is executable; `init` is then a
// warning.
std::string InitBinaryPath();

// The number of replicas `service` runs: deploy.replicas, else scale,
// else 1.
int ServiceReplicas(const yaml::Node& service);

// The value of the config-hash label: the SHA-256 of the normalized
// service as `compose config` prints it.
std::string ServiceConfigHash(const yaml::Node& service);

// Parses a signal as Compose and Docker write it: "SIGTERM", "TERM" or
// "15". Errors: InvalidArgument naming the text.
absl::StatusOr<int> ParseSignal(absl::string_view text);

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_SERVICE_SPEC_H_
