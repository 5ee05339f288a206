// Running a loaded Compose project (project.h) with managed containers
// (lib/container/managed.h): the work behind `compose up`, `down`, `ps`,
// `logs`, `exec`, `run`, `start`, `stop` and `restart`.
//
//   absl::StatusOr<Project> project = LoadProject(options);
//   Printer print = [](absl::string_view line) { fprintf(stderr, ...); };
//   absl::Status up = Up(*project, {.detach = true}, print);
//   ...
//   absl::Status down = Down(*project, {.volumes = true}, print);
//
// State lives in the containers' labels (com.docker.compose.project and
// .service, service_spec.h) and in the names of networks
// (<project>_<network>) and volumes (<project>_<volume>), so that `down`
// in another process finds what `up -d` made.
//
// Up plans every container before it creates anything, so an invalid
// service starts nothing. It then creates the project's networks and
// volumes (except external ones, which must exist), and starts the
// services in dependency order. Before a service starts, each of its
// depends_on conditions must hold: service_started (the dependency was
// started), service_healthy (its health check reported healthy) or
// service_completed_successfully (it exited with code 0). A condition
// that fails (unhealthy, or exited) stops Up with an error naming the
// dependency, and the dependants are not started; for a dependency with
// `required: false` a warning is printed instead.
//
// Thread safety: thread-compatible. Up and Logs with follow start threads.
#ifndef PYCONTAIN_LIB_COMPOSE_RUNNER_H_
#define PYCONTAIN_LIB_COMPOSE_RUNNER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/compose/project.h"
#include "lib/container/managed.h"

namespace pycontain::compose {

// Receives progress lines and warnings ("Container shop-web-1  Started").
using Printer = std::function<void(absl::string_view line)>;

struct UpOptions {
  // Return once the services started. false: print the services' output,
  // prefixed by container name, until they all exit or `interrupted`
  // returns true, then stop them (`docker compose up` without -d).
  bool detach = false;
  // Only these services and their dependencies; empty: all.
  std::vector<std::string> services;
  // Polled while attached; true stops the services (Ctrl-C).
  std::function<bool()> interrupted;
  // Receiver of the attached output, one prefixed line per call.
  Printer output;
  // Replicas per service (`up --scale SERVICE=N`), over deploy.replicas
  // and scale. 0 removes the service's containers.
  std::map<std::string, int> scale;
};

absl::Status Up(const Project& project, const UpOptions& options, const Printer& print);

struct DownOptions {
  // Also remove the named volumes the project declares and the
  // containers' anonymous volumes.
  bool volumes = false;
  // Also remove containers of services the project no longer has.
  bool remove_orphans = false;
};

absl::Status Down(const Project& project, const DownOptions& options, const Printer& print);

// Rebuilds project `name` from the labels of its containers and volumes,
// for commands given -p and no Compose file, as docker compose allows for
// `down`. The model has the services with their depends_on, stop_signal
// and stop_grace_period, the networks they joined that are not external,
// and the networks and volumes `up` created (found by their labels, also
// when no container is left). A project without containers has no
// services.
// Containers made before these labels existed stop with the defaults,
// and their networks are not found.
absl::StatusOr<Project> ProjectFromContainers(const std::string& name);

// The project's containers (`compose ps`): those of `services` (empty:
// all), sorted by service and number; `all` includes stopped ones.
absl::StatusOr<std::vector<container::ManagedContainer>> ProjectContainers(
    const Project& project, const std::vector<std::string>& services, bool all);

// The text of the STATUS column of `compose ps`: "running (healthy)",
// "exited (1)".
std::string DescribeStatus(const container::ManagedContainer& container);

struct LogsOptions {
  bool follow = false;
  std::vector<std::string> services;
  // Stop following when it returns true.
  std::function<bool()> interrupted;
};

// Writes each log line of the project's containers to `output` as
// "<service>-<n>  | <line>".
absl::Status Logs(const Project& project, const LogsOptions& options, const Printer& output);

// Starts, stops or restarts the services' existing containers (start in
// dependency order, stop in reverse). Errors: NotFound when a service has
// no container (run `up` first).
absl::Status StartServices(const Project& project, const std::vector<std::string>& services,
                           const Printer& print);
absl::Status StopServices(const Project& project, const std::vector<std::string>& services,
                          const Printer& print);
absl::Status RestartServices(const Project& project, const std::vector<std::string>& services,
                             const Printer& print);

struct ExecOptions {
  std::string service;
  // The replica (--index); 1 by default.
  int index = 1;
  std::vector<std::string> command;
  std::vector<std::string> env;
  std::string user;
  std::string working_dir;
};

// Runs the command in the service's running container with the caller's
// stdin, stdout and stderr and returns its exit code (128 + signal).
absl::StatusOr<int> Exec(const Project& project, const ExecOptions& options);

struct RunOptions {
  std::string service;
  // Empty: the service's command.
  std::vector<std::string> command;
  // Remove the container when it exits (--rm).
  bool remove = false;
};

// Starts the service's dependencies as Up does, then a one-off container
// of the service, writes its output to `output` until it exits, and
// returns its exit code.
absl::StatusOr<int> Run(const Project& project, const RunOptions& options, const Printer& print,
                        const Printer& output);

// Stops a container with the service's stop signal and grace period, and
// keeps its restart policy from starting it again.
absl::Status StopServiceContainer(const container::ManagedContainer& container, int signal,
                                  absl::Duration grace);

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_RUNNER_H_
