// Checks of the spec's mounts that need the kernel but create nothing, run
// before the container's first side effect, so that a bad option fails
// with the field's name instead of as a failed step in the child.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_CONTAINER_MOUNT_CHECK_H_
#define PYCONTAIN_LIB_CONTAINER_MOUNT_CHECK_H_

#include <vector>

#include "absl/status/status.h"
#include "lib/spec/container.pb.h"

namespace pycontain::container {

// Checks the filesystem options (those that are not mount flags) of each
// tmpfs mount by handing them to fsopen(2) and fsconfig(2), without
// creating a filesystem. Errors: InvalidArgument naming "mounts[i].options",
// the option and the kernel's message, such as "tmpfs: Unknown parameter
// 'colour'". Where fsopen is unavailable (ENOSYS before Linux 5.2, EPERM
// without CAP_SYS_ADMIN) nothing is checked and the mount fails later.
absl::Status CheckFilesystemOptions(const std::vector<spec::Mount>& mounts);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_MOUNT_CHECK_H_
