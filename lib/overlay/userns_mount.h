// Detached mounts for callers without CAP_SYS_ADMIN in the initial user
// namespace (rootless containers).
//
// An unprivileged process may mount overlayfs (Linux 5.11) or bind a tree
// (open_tree(2) with OPEN_TREE_CLONE) only inside a mount namespace that a
// user namespace of its own owns. MountInUserNamespace starts a short-lived
// helper process in a new user and mount namespace, with the caller's uid
// and gid mapped to 0 there (as `unshare --map-root-user` does). The helper
// builds the mount, and the caller gets it back as a detached mount:
//
//   UserNamespaceMount request;
//   request.fstype = "overlay";
//   request.parameters = {{"lowerdir+", "/srv/layers/a"}, {"userxattr", ""}};
//   absl::StatusOr<UniqueFd> mount = MountInUserNamespace(request);
//   // read the tree through /proc/self/fd/<fd>; move_mount(2) it in a
//   // container's mount namespace, also one of another user namespace
//
// A container's parent needs the merged tree before the container's first
// process exists: it reads /etc/passwd, finds the executable and resolves
// mount destinations there. So the mount is made by a helper and not by
// that process. The superblock belongs to the helper's user namespace,
// which lives as long as the mount. Files created through an overlay made this way are
// owned by the caller's uid and gid on the host.
//
// The helper shares the caller's memory and descriptor table, and the
// caller's thread waits for it to exit (CLONE_VM | CLONE_VFORK): it costs
// no copy of the address space, so the cost does not grow with the
// caller's memory. Every string is prepared beforehand and the helper
// allocates nothing.
//
// Paths in the parameters resolve in the helper's mount namespace, a copy
// of the caller's. A /proc/self/fd name of a descriptor that the caller
// opened refers to a mount of the caller's namespace, and overlayfs
// rejects it (EINVAL, "failed to clone upperpath"). So `reopen` opens such
// directories in the helper.
//
// The caller must be dumpable (prctl PR_SET_DUMPABLE): otherwise its
// /proc/self/uid_map belongs to root and the helper cannot write it.
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_OVERLAY_USERNS_MOUNT_H_
#define PYCONTAIN_LIB_OVERLAY_USERNS_MOUNT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"

namespace pycontain::overlay {

struct UserNamespaceMount {
  // With `clone_path` set: a detached copy of the mount at that path
  // (open_tree(2) OPEN_TREE_CLONE), and the fields below are unused.
  std::string clone_path;
  // Otherwise fsopen(fstype), then fsconfig(2) for each parameter in order:
  // FSCONFIG_SET_STRING with the value, or FSCONFIG_SET_FLAG when the value
  // is empty. fsconfig(2) takes at most 255 bytes per value.
  std::string fstype;
  std::vector<std::pair<std::string, std::string>> parameters;
  // The helper's current directory while it mounts, where relative paths
  // in `parameters` resolve. Empty: the caller's.
  std::string directory;
  // Directories that the helper opens (O_PATH) in its own mount namespace
  // before it mounts, each onto the given descriptor number of the shared
  // descriptor table. The caller reserves each number with a descriptor
  // of its own, which the helper replaces. Then "lowerdir=7:8:9",
  // relative to the directory "/proc/self/fd", names them in few bytes.
  std::vector<std::pair<int, std::string>> reopen;
  // The object named in errors ("overlay over 3 lower directories").
  std::string description;
};

// Creates the mount described by `request` in a helper process (see the
// file comment) and returns the detached mount, owned by the caller.
// Errors: the errno of the failed step, with the kernel's own message
// where it gave one ("fsconfig overlay lowerdir+ /x: No such file or
// directory (overlayfs: failed to resolve ...)"). EPERM from "clone" means
// that unprivileged user namespaces are disabled on this host.
absl::StatusOr<UniqueFd> MountInUserNamespace(const UserNamespaceMount& request);

}  // namespace pycontain::overlay

#endif  // PYCONTAIN_LIB_OVERLAY_USERNS_MOUNT_H_
