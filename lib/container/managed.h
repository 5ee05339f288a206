// Managed containers: containers with a name and a lifetime of their own,
// like Docker's. They outlive the process that created them and are
// started, stopped, listed, inspected and removed by name or id.
//
//   CreateOptions options;
//   options.spec.set_image("debian:bookworm");
//   options.spec.mutable_process()->add_args("sleep");
//   options.spec.mutable_process()->add_args("1000");
//   options.name = "web";
//   options.labels["com.docker.compose.project"] = "shop";
//   absl::StatusOr<ManagedContainer> created = CreateContainer(options);
//   absl::Status started = StartContainer("web");
//   absl::StatusOr<std::vector<ManagedContainer>> all = ListContainers({});
//   absl::Status stopped = StopContainer("web", absl::Seconds(10));
//   absl::Status removed = RemoveContainer("web", {});
//
// Storage. Each container has a directory <store root>/containers/<id>/
// (the store root of lib/image: $PYCONTAIN_ROOT, else /var/lib/pycontain
// for root), mode 0700, holding:
//   config.json   ManagedConfig (managed_container.proto): id, name,
//                 labels, the spec; written once by CreateContainer
//   state.json    ManagedState: status, pids, exit code, times
//   upper/ work/  the overlay's writable layer of a container from an
//                 image, kept from one start to the next, so writes
//                 survive stop and start (as in Docker); `diff`, `commit`
//                 and `export` read it
//   container.log the output in Docker's json-file format (one JSON
//                 object per line with log, stream and time); with
//                 CreateOptions::log_options also the rotated
//                 container.log.1, .2, ...
//   rootfs/       on the "copy" driver (lib/overlay/root_mount.h) only:
//                 the copied root, kept from one start to the next
//   exit.json     the ManagedState of the last exit, rewritten in place,
//                 so that WaitContainer reads it after an auto_remove
//                 container removed its directory
//   lock          flock(2) that orders start, exit and removal
// Names are claimed by symlinks <store root>/containers/.names/<name> ->
// <id>, so two creations of one name cannot both succeed.
//
// Running. StartContainer forks a monitor process (double fork and setsid,
// so it belongs to no terminal and is no child of the caller). The
// monitor owns the running container (a Container, container.h): it
// starts the command with stdin on /dev/null and stdout and stderr on
// pipes, reports success or the start error to StartContainer, copies the
// output into container.log, waits, records the exit status in
// state.json, removes the container's runtime state (cgroups, the
// detached overlay mount, <state root>/<id>), and exits. The container's
// first process has PR_SET_PDEATHSIG set to SIGKILL, so killing the
// monitor kills the container. Its runtime state is then collected by
// CollectGarbage (gc.h), which also marks the container exited with code
// 137 (or removes an auto_remove one). ListContainers and
// InspectContainer report a container with a dead monitor as exited with
// code 137 and an error naming the reason before gc runs.
//
// Ids are 64 lowercase hex digits; the first 12 form the short id, which
// is also the default hostname. A container is found by its name, its id
// or a unique prefix of its id (ResolveContainer).
//
// Thread safety: all functions may be called from several processes at
// once; the lock file orders their changes. StartContainer forks: see its
// comment about threads.
//
// Requires what Container::Start requires; images (spec.image) need root.
#ifndef PYCONTAIN_LIB_CONTAINER_MANAGED_H_
#define PYCONTAIN_LIB_CONTAINER_MANAGED_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/container/gc.h"
#include "lib/container/managed_container.pb.h"
#include "lib/ns/process.h"
#include "lib/overlay/diff.h"
#include "lib/spec/container.pb.h"

namespace pycontain::container {

// The label that marks a container of a compose project; filter on it
// with ListOptions::labels.
inline constexpr char kComposeProjectLabel[] = "com.docker.compose.project";

// Returns <image::DefaultStoreRoot()>/containers, the parent of every
// managed container's directory.
std::string ManagedContainersRoot();

struct CreateOptions {
  // The container. spec.id must be empty (CreateContainer assigns the id)
  // and spec.process.stdio unset (the monitor sets it). The hostname
  // defaults to the short id.
  spec::ContainerSpec spec;
  // [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 bytes. Empty: a random name
  // such as "quiet_lynx_3f2a".
  std::string name;
  std::map<std::string, std::string> labels;
  // Remove the container and its writable layer once it exits, also when
  // it exits after its monitor was killed (then at the next gc).
  bool auto_remove = false;
  // The check run in the container while it runs; state.health records
  // the result (health.h). Default: no health check.
  HealthcheckConfig healthcheck;
  // Whether the monitor starts the container again after it exits
  // (restart.h). Default: never.
  RestartPolicy restart_policy;
  // Networks joined after spec.network, each time the container starts,
  // and left when it exits (extra_networks.h). Default: none.
  std::vector<NetworkConnection> extra_networks;
  // The signal that StopContainer sends before SIGKILL, by name or number
  // ("SIGINT", "INT", "2"), as `docker run --stop-signal`. Empty: the
  // image's StopSignal, else SIGTERM.
  std::string stop_signal;
  // Options of the json-file log, as `docker run --log-opt`: "max-size"
  // (such as "1m") makes the monitor rotate container.log once it reaches
  // that size, keeping "max-file" files (default 1) in all: container.log,
  // container.log.1 (the newest rotated one), and so on. Default: one
  // file that grows without limit.
  std::map<std::string, std::string> log_options;
};

// A snapshot of one managed container.
struct ManagedContainer {
  ManagedConfig config;
  // With the status of a container whose monitor died already corrected
  // to "exited", as described above.
  ManagedState state;
  // The container's directory, and the host paths of its writable layer
  // ("" for a container without an image) and log file.
  std::string directory;
  std::string upper_directory;
  std::string log_path;

  const std::string& id() const { return config.id(); }
  std::string short_id() const { return config.id().substr(0, 12); }
  const std::string& name() const { return config.name(); }
  bool running() const { return state.status() == "running"; }
};

// Validates `options` (spec::Validate, the name, and the image when set)
// and saves the container, status "created". Starts nothing, but makes
// the anonymous volumes (mounts of type "volume" without a source, and
// the image's VOLUME paths) now, so that every start mounts the same
// ones; ManagedConfig::anonymous_volumes lists them. While the container
// exists, running or not, `volume rm` and `prune` keep its volumes.
// Errors: InvalidArgument for an invalid spec or name; AlreadyExists
// naming the container that has the name; NotFound for an unknown image;
// those of the file system.
absl::StatusOr<ManagedContainer> CreateContainer(const CreateOptions& options);

// Finds a container by name, full id or unique id prefix (in that order,
// as Docker does). Errors: NotFound naming `name_or_id`;
// FailedPrecondition when an id prefix matches several containers.
absl::StatusOr<ManagedContainer> ResolveContainer(absl::string_view name_or_id);

// Starts a created or exited container through a new monitor (see above)
// and returns once its command has been exec'd, or with the error that
// stopped it (also recorded in state.json as State.Error). Starting a
// running container does nothing, as `docker start` does.
//
// NOTE: the monitor is a fork of the caller that goes on running library
// code, so the caller's other threads must not hold locks that this code
// takes (glibc's malloc is safe, by its fork handlers). A single-threaded
// caller, such as the pycontain CLI, meets this.
// Errors: those of ResolveContainer and of Container::Start.
absl::Status StartContainer(absl::string_view name_or_id);

// Sends `signal` to the running container's first process. Its PID
// namespace's init ignores signals it has no handler for, except SIGKILL.
// Errors: FailedPrecondition when the container is not running.
absl::Status KillContainer(absl::string_view name_or_id, int signal);

// Stops a running container as `docker stop` does: its stop signal
// (ManagedConfig.stop_signal, SIGTERM by default) or `signal` when it is
// not 0, then SIGKILL after `grace` (Docker's default: 10 s), and returns
// once its monitor recorded the exit. A stopped container is no error.
absl::Status StopContainer(absl::string_view name_or_id, absl::Duration grace, int signal = 0);

// Parses a signal as `docker run --stop-signal` and `docker kill -s` take
// it: a name with or without "SIG" in any case ("SIGINT", "int") or a
// number. Errors: InvalidArgument naming `text`.
absl::StatusOr<int> ParseSignal(absl::string_view text);

// Freezes every process of the running container (its cgroup's freezer),
// like `docker pause`, through its monitor, and returns once they are
// frozen. The state says State.Paused; the status stays "running".
// StopContainer and RemoveContainer with force thaw a paused container
// first. Errors: FailedPrecondition when the container is not running or
// already paused, or has no cgroup (rootless without delegation);
// DeadlineExceeded when the monitor did not answer within 10 s.
absl::Status PauseContainer(absl::string_view name_or_id);
// Thaws a paused container (`docker unpause`). Errors: FailedPrecondition
// when it is not paused; as PauseContainer otherwise.
absl::Status UnpauseContainer(absl::string_view name_or_id);

// Blocks until the container is not running (at once when it is not) and
// returns its state, with the exit code as Docker reports it. A waiter
// that started before the exit gets the exit code also when the container
// removed itself (auto_remove) or was removed by `rm -f`. Errors:
// NotFound for a container that is gone before the wait starts, or whose
// monitor was killed before it recorded the exit.
absl::StatusOr<ManagedState> WaitContainer(absl::string_view name_or_id);

struct ListOptions {
  // Also containers that are not running (`ps -a`).
  bool all = false;
  // Only containers with all these labels; an empty value matches any
  // value of that key, as `docker ps --filter label=KEY` does.
  std::map<std::string, std::string> labels;
};

// Lists the managed containers, the most recently created first.
// A damaged directory is skipped with a warning log line.
absl::StatusOr<std::vector<ManagedContainer>> ListContainers(const ListOptions& options);

// Returns the container as JSON in the layout of `docker inspect`: Id,
// Name ("/name"), Created, State, Config (Image, Labels, Cmd, Env), Spec,
// LogPath and GraphDriver.Data.UpperDir. Errors: those of
// ResolveContainer.
absl::StatusOr<std::string> InspectContainer(absl::string_view name_or_id);

struct RemoveOptions {
  // Kill a running container first (SIGKILL) instead of failing.
  bool force = false;
  // Also remove the container's anonymous volumes (`rm -v`).
  bool volumes = false;
};

// Removes the container: its directory with the writable layer and log,
// its name, its use of volumes (and its anonymous volumes with
// `volumes`), and whatever a dead monitor left of its runtime state
// (cgroups, mounts, <state root>/<id>). Errors: FailedPrecondition for a
// running container without `force`; those of the file system.
absl::Status RemoveContainer(absl::string_view name_or_id, const RemoveOptions& options);

struct LogOptions {
  // Keep reading new output until the container stops (`logs -f`).
  bool follow = false;
  // Only the last `tail` lines; negative: all.
  int tail = -1;
  // With follow: asked between reads; returning true ends the reading
  // while the container still runs. Optional.
  std::function<bool()> stop;
};

// Calls `write` with each log line in order, until the end of the log
// (with follow: until the container exits and its output is read) or
// until `write` returns false.
absl::Status ReadContainerLogs(absl::string_view name_or_id, const LogOptions& options,
                               const std::function<bool(const LogRecord&)>& write);

// Starts `process` in the running container, in all of its namespaces and
// cgroups (`docker exec`). User, PATH lookup and environment defaults are
// those of the first process; the image's environment is the default.
// Returns once the command has been exec'd; the owner kills it when
// dropped. Errors: FailedPrecondition when the container is not running;
// those of Container::Exec.
absl::StatusOr<ns::ChildProcess> ExecInContainer(absl::string_view name_or_id,
                                                 const spec::Process& process);

// Lists what the container changed in its root filesystem (`docker diff`),
// running or not. On a copied root (the "copy" driver of
// lib/overlay/root_mount.h), which has no upper directory, the root is
// compared with a fresh copy of the image, which costs a full copy.
// Errors: FailedPrecondition for a container without an image.
absl::StatusOr<std::vector<overlay::Change>> ContainerChanges(absl::string_view name_or_id);

struct ContainerCommitOptions {
  // Names for the new image ("name:tag"); none makes a dangling image.
  std::vector<std::string> names;
  std::string comment;
  // Pause a running container while its layer is read (`docker commit`'s
  // default), so that the layer is consistent.
  bool pause = true;
  // Dockerfile instructions for the new image's config (`--change`).
  std::vector<std::string> changes;
};

// Adds the container's writable layer as a new layer on top of its image
// (`docker commit`; the container keeps running) and returns the new
// image's id. On a copied root the layer is made from ContainerChanges.
// Errors: FailedPrecondition without an image; those of PauseContainer
// for a running container unless options.pause is false.
absl::StatusOr<std::string> CommitContainer(absl::string_view name_or_id,
                                            const ContainerCommitOptions& options);

// Writes the container's merged root filesystem (image layers and writes)
// as a tar stream to `out_fd` (borrowed), like `docker export`. Errors:
// FailedPrecondition without an image.
absl::Status ExportContainer(absl::string_view name_or_id, int out_fd);

// For each container whose state says running but whose monitor is dead:
// collects its runtime state (CollectDeadContainer, gc.h), then records
// it as exited (code 137, the reason in State.Error, listed in
// report.exited), or removes it when it was created with auto_remove
// (listed in report.containers). Called by CollectGarbage.
void CollectManagedContainers(GcReport& report);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_MANAGED_H_
