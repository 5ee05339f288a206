// Launch: start a container's first process from a ChildPlan.
//
// Launch clones the caller with clone3 into the plan's namespaces (Linux
// 5.3 or later), writes the user namespace's id maps when there is one, and
// waits until the child has exec'd the command or reported a failed step.
//
//   absl::StatusOr<ChildProcess> child = Launch(plan, {});
//   if (!child.ok()) ...  // "pivot_root into /srv/rootfs: Invalid argument"
//
// On failure nothing is left: the child is killed and reaped, and its mounts
// vanish with its mount namespace.
//
// Thread safety: thread-safe; the clone copies only the calling thread.
#ifndef PYCONTAIN_LIB_NS_LAUNCH_H_
#define PYCONTAIN_LIB_NS_LAUNCH_H_

#include <functional>

#include "absl/status/statusor.h"
#include "lib/ns/plan.h"
#include "lib/ns/process.h"

namespace pycontain::ns {

struct LaunchOptions {
  // A cgroup directory to start the child in (CLONE_INTO_CGROUP, Linux 5.7
  // or later), or -1 for the caller's cgroup. Borrowed.
  int cgroup_fd = -1;
  // Called with the child's pid after clone3 and the id maps, while the
  // child waits before its first mount: for work the parent must do on
  // the child, such as joining cgroup v1 hierarchies. An error kills the
  // child and fails the launch.
  std::function<absl::Status(pid_t pid)> before_setup;
  // Called on the calling thread once the child goes on to set up its root
  // (after before_setup): for parent work that can overlap the child's,
  // such as making cgroups that a child hook waits for. Launch reads the
  // child's report only after it returns, so it must not wait for the
  // child's exec. It returns no error: work that fails must make the child
  // fail (the hook it feeds) and keep its own error for the caller.
  std::function<void(pid_t pid)> while_child_sets_up;
};

absl::StatusOr<ChildProcess> Launch(const ChildPlan& plan,
                                    const LaunchOptions& options);

}  // namespace pycontain::ns

#endif  // PYCONTAIN_LIB_NS_LAUNCH_H_
