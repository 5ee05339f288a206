// Planning the container's root filesystem: which mounts, devices and links
// the child makes before pivot_root, as a list of RootfsSteps.
//
// The plan follows what runc and Docker set up: the root bound onto itself
// (pivot_root needs a mount point), a fresh /proc, a minimal /dev on tmpfs
// (null, zero, full, random, urandom, tty, /dev/pts, /dev/shm and the
// standard symlinks), a read-only /sys, then the caller's mounts in order.
// Every destination is resolved inside the root (lib/base/path.h), so a
// symlink in an image cannot send a mount to the host.
//
// Thread safety: thread-safe. Reads the root filesystem, changes nothing.
#ifndef PYCONTAIN_LIB_NS_ROOTFS_PLAN_H_
#define PYCONTAIN_LIB_NS_ROOTFS_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/ns/plan.h"
#include "lib/spec/container.pb.h"

namespace pycontain::ns {

struct RootfsOptions {
  // Host path of the container's root directory. With host_root, the
  // empty directory that the host's root is bound onto.
  std::string root;
  // When set, paths are resolved inside this directory instead of `root`,
  // then placed under `root`: for a root that exists in the parent only as
  // a detached mount ("/proc/self/fd/N") and is attached on `root` by the
  // first steps of the plan (before_root_steps).
  std::string lookup_root;
  std::vector<RootfsStep> before_root_steps;
  // The embedded default: the host's root, read-only, with its /proc, /dev
  // and /sys replaced and an empty tmpfs at /tmp.
  bool host_root = false;
  bool readonly = false;
  // In a user namespace devices cannot be created, so the host's are bound.
  bool user_namespace = false;
  // sysfs can be mounted only by the owner of the network namespace; with
  // the host's network inside a user namespace the host's /sys is bound.
  bool new_network_namespace = true;
  std::vector<spec::Mount> mounts;
};

struct RootfsPlan {
  std::vector<RootfsStep> steps;
  // The directory to pivot_root into.
  std::string new_root;
  // Remount the new root read-only after pivot_root.
  bool readonly_root = false;
  // Set when a mount asks for slave or shared propagation: the child then
  // makes the copied mounts slaves, not private (ChildPlan::root_slave).
  // The root and each bind mount without a propagation option are made
  // private again, as they would be otherwise.
  bool root_slave = false;
};

// Plans the steps for `options`. Errors: InvalidArgument for a mount with an
// unknown option or propagation; the errno of a failed path resolution
// (for example ELOOP for a symlink loop in the root).
absl::StatusOr<RootfsPlan> PlanRootfs(const RootfsOptions& options);

// Whether the planner takes `option` (an entry of spec::Mount.options) as a
// mount flag or a propagation, such as "ro" or "rslave", rather than as
// data for the filesystem, such as "size=16m".
bool IsMountFlagOption(absl::string_view option);

}  // namespace pycontain::ns

#endif  // PYCONTAIN_LIB_NS_ROOTFS_PLAN_H_
