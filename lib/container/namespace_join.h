// Joining another container's IPC and PID namespaces
// (spec.namespaces.join_ipc and join_pid), as `docker run --ipc
// container:NAME` and `--pid container:NAME` do.
//
//   absl::StatusOr<JoinedNamespaces> joined = OpenJoinedNamespaces(spec, id);
//   plan.join_ipc_namespace_fd = joined->ipc.get();
//   plan.join_pid_namespace_fd = joined->pid.get();
//   if (joined->shm.valid()) plan.rootfs_steps.push_back(SharedShmStep(...));
//
// The parent opens every namespace file before the launch, so the child
// only calls setns (IPC) and Launch only switches the calling thread's
// pid_for_children around clone3 (PID; lib/ns/plan.h).
//
// /dev/shm is a tmpfs of the container's mount namespace, not part of its
// IPC namespace, so POSIX shared memory would stay apart. When the IPC
// namespace comes from a container, its /dev/shm mount is cloned too and
// attached over the joiner's /dev/shm, as Docker binds the donor's shm
// directory. A container in the caller's IPC namespace (namespaces.ipc
// false, `--ipc host`) gets the caller's /dev/shm the same way.
//
// Thread safety: thread-safe. Forks a short-lived helper (see
// OpenJoinedNamespaces).
#ifndef PYCONTAIN_LIB_CONTAINER_NAMESPACE_JOIN_H_
#define PYCONTAIN_LIB_CONTAINER_NAMESPACE_JOIN_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/base/unique_fd.h"
#include "lib/ns/plan.h"
#include "lib/spec/container.pb.h"

namespace pycontain::container {

// Open namespace files and the cloned /dev/shm; -1 where the spec joins
// nothing. They must stay open until the launch has finished.
struct JoinedNamespaces {
  UniqueFd ipc;
  UniqueFd pid;
  // A detached clone of the IPC donor container's /dev/shm mount, or of
  // the caller's with namespaces.ipc false (from open_tree); -1 when the
  // IPC namespace came from a path or that /dev/shm is not a tmpfs.
  UniqueFd shm;
};

// Opens the namespaces that spec.namespaces.join_ipc and join_pid name:
// the namespace file at `path`, or that of the running container
// `container`'s first process, found by its record. `user_namespace` is
// whether the new container gets a user namespace (which rules a join out,
// since its root would have no capability over the joined namespace).
// Errors: InvalidArgument naming the field for a file that is not a
// namespace of that kind, or with a user namespace; NotFound naming the
// container when it is not running; those of open(2).
absl::StatusOr<JoinedNamespaces> OpenJoinedNamespaces(const spec::ContainerSpec& spec,
                                                      const std::string& id,
                                                      bool user_namespace);

// Returns the step that attaches `shm` (JoinedNamespaces::shm, borrowed)
// over <new_root>/dev/shm.
ns::RootfsStep SharedShmStep(int shm, const std::string& new_root);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_NAMESPACE_JOIN_H_
