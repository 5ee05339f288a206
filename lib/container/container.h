// Container: one container's lifecycle, and Run, the one-shot call.
//
//   spec::ContainerSpec spec;
//   spec.mutable_process()->add_args("/bin/echo");
//   spec.mutable_process()->add_args("hello");
//   absl::StatusOr<spec::RunResult> result = pycontain::container::Run(spec);
//
// With no root path the command runs on the embedded default: the host's
// root read-only, with a fresh /proc, /dev and /tmp, in new namespaces.
//
// Everything a container creates belongs to its Container object: dropping
// the object kills the container's processes (SIGKILL to its PID namespace's
// init), reaps them, removes its cgroup (lib/cgroup) and its state
// directory. Its mounts exist only in its own mount namespace and vanish
// with it.
//
// Requires Linux 5.3 (clone3, pidfd); 5.12 for read-only mounts by
// mount_setattr. Thread safety: Run and Start are thread-safe; one
// Container object must be used by one thread at a time.
#ifndef PYCONTAIN_LIB_CONTAINER_CONTAINER_H_
#define PYCONTAIN_LIB_CONTAINER_CONTAINER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/cgroup/cgroup.h"
#include "lib/container/image_root.h"
#include "lib/container/network.h"
#include "lib/container/state_dir.h"
#include "lib/container/volume_mounts.h"
#include "lib/ns/process.h"
#include "lib/overlay/diff.h"
#include "lib/security/security.h"
#include "lib/spec/container.pb.h"

namespace pycontain::container {

// How Container::Start sets up what the spec does not describe.
struct StartOptions {
  // For a container from an image: the directory of a writable layer kept
  // between runs (a managed container's, managed.h). Its upper and work
  // subdirectories are made when missing and stay after the container.
  // Empty: a fresh layer, removed with the container.
  std::string layer_directory;
};

class Container {
 public:
  Container(Container&&) = default;
  Container& operator=(Container&&) = default;
  // Kills and reaps the container if it still runs, and removes its state.
  // A paused container is thawed first, so that its processes can die.
  ~Container();

  // Validates `spec`, sets the container up and starts its command. Returns
  // once the command has been exec'd. The command starts in its own cgroup
  // with spec.resources applied (lib/cgroup/cgroup.h). Errors: those of
  // PrepareContainer (prepare.h) and cgroup::Cgroup::Create (a requested
  // limit not in force fails with FailedPrecondition naming it), and the
  // failed setup step with its errno, such as "pivot_root into /srv/rootfs:
  // Invalid argument". Nothing is left behind on error.
  static absl::StatusOr<Container> Start(const spec::ContainerSpec& spec);
  // As above, with the choices that are no part of the spec.
  static absl::StatusOr<Container> Start(const spec::ContainerSpec& spec,
                                         const StartOptions& options);

  const std::string& id() const { return id_; }
  // The first process's pid in the caller's PID namespace.
  pid_t pid() const { return process_.pid(); }
  // A pidfd of the first process; owned by this object.
  int pidfd() const { return process_.pidfd(); }

  // Waits for the first process to exit. With a timeout (default: the
  // spec's), kills the container when it expires and reports timed_out.
  // The result carries the cgroup's accounting and the receipt of the
  // limits in force.
  absl::StatusOr<spec::RunResult> Wait(std::optional<absl::Duration> timeout);
  absl::StatusOr<spec::RunResult> Wait() { return Wait(timeout_); }

  // Sends `signal` to the first process. SIGKILL to a paused container
  // also thaws it, because the v1 freezer delays even fatal signals until
  // the processes run again.
  absl::Status Kill(int signal);

  // Freezes every process of the container (its cgroup's freezer), like
  // `docker pause`: they stay in memory but get no CPU time until Resume.
  // Returns once the kernel reports the cgroup frozen. Errors:
  // FailedPrecondition when the container has ended, is already paused or
  // has no cgroup (rootless without a delegated subtree); those of
  // cgroup::Cgroup::Freeze.
  absl::Status Pause();
  // Thaws a paused container. Errors: FailedPrecondition when it is not
  // paused; those of cgroup::Cgroup::Thaw.
  absl::Status Resume();
  bool paused() const { return paused_; }

  // Starts `process` inside the running container, in all of its
  // namespaces (like `docker exec`). The user, PATH lookup and environment
  // defaults follow the same rules as the first process. Returns once the
  // command has been exec'd and moved into the container's cgroups; the
  // returned owner kills it when dropped.
  // Errors: FailedPrecondition when the container has ended or is paused;
  // those of ns::Join and cgroup::Cgroup::Attach.
  absl::StatusOr<ns::ChildProcess> Exec(const spec::Process& process);

  // Lists what the container changed in its root filesystem (like `docker
  // diff`), read from its overlay upper directory. Errors:
  // FailedPrecondition for a container not run from an image; those of
  // overlay::ListChanges.
  absl::StatusOr<std::vector<overlay::Change>> Changes() const;
  // The overlay upper directory (host path), removed with the container;
  // "" for a container not run from an image or run on a copied root
  // (overlay/root_mount.h).
  std::string upper_directory() const;

 private:
  Container() = default;
  // Adds the cgroup's receipt and accounting to `result`.
  void FillCgroupResult(const ns::ExitStatus& status, spec::RunResult& result);

  std::string id_;
  // Declared before state_, so that the container's record in the state
  // directory is gone before its volumes are released.
  ContainerVolumes volumes_;
  StateDir state_;
  // The overlay root; removed after the process is reaped, before state_.
  std::optional<ImageRoot> image_root_;
  // Declared before process_, so that the process is killed and reaped
  // before its cgroup is removed.
  cgroup::Cgroup cgroup_;
  ns::ChildProcess process_;
  // The seccomp learner and listener threads; stopped before process_ is
  // killed, because members are destroyed in reverse order.
  std::unique_ptr<security::PreparedSecurity> security_;
  absl::Time started_;
  std::optional<absl::Duration> timeout_;
  std::string hostname_;
  bool set_groups_ = true;
  // Declared last, so that the container leaves its network (links, rules,
  // hosts entries) first when the object is destroyed.
  std::optional<ContainerNetwork> network_;
  // Set when Kill sent SIGKILL, which then is no OOM kill.
  bool sent_sigkill_ = false;
  // Set between Pause and Resume (or a SIGKILL from Kill).
  bool paused_ = false;
};

// Starts a container for `spec`, waits for it to exit and removes it.
absl::StatusOr<spec::RunResult> Run(const spec::ContainerSpec& spec);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_CONTAINER_H_
