// The working directory of a container's first process, created inside
// the container when it is missing, as `docker run -w` does.
//
//   absl::StatusOr<std::unique_ptr<WorkingDirectory>> directory =
//       WorkingDirectory::Create(plan.cwd, plan.uid, plan.gid);
//   plan.hooks.push_back((*directory)->Hook());  // *directory outlives the launch
//
// Thread safety: a WorkingDirectory is immutable after Create.
#ifndef PYCONTAIN_LIB_CONTAINER_WORKING_DIRECTORY_H_
#define PYCONTAIN_LIB_CONTAINER_WORKING_DIRECTORY_H_

#include <limits.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/ns/plan.h"

namespace pycontain::container {

class WorkingDirectory {
 public:
  // Prepares the creation of `path` (absolute, inside the container) with
  // owner `uid`:`gid`. Errors: InvalidArgument for a relative path or one
  // of PATH_MAX bytes or more.
  static absl::StatusOr<std::unique_ptr<WorkingDirectory>> Create(const std::string& path,
                                                                  uid_t uid, gid_t gid);

  // A hook that runs in the child after pivot_root, as the root of the
  // container's user namespace and before the switch to its user. It
  // creates each missing directory of the path with mode 0755 (less the
  // umask) and gives it to uid:gid, so that a non-root user can write in
  // it. Existing directories are left as they are. Docker's daemon
  // (moby's daemon/workdir.go) gives them to root instead. The hook
  // borrows this object. It fails the start with the mkdir or chown
  // errno, for example EROFS on a read-only root.
  ns::ChildHook Hook() const;

 private:
  WorkingDirectory() = default;
  static int Make(const void* data);

  // NUL-terminated, so that the child needs no allocation.
  char path_[PATH_MAX] = {};
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_WORKING_DIRECTORY_H_
