// Namespaced kernel parameters (ContainerSpec.sysctls): which names a
// container may set, and writing them inside its namespaces from the
// parent while its first process waits before setup.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_CONTAINER_SYSCTL_H_
#define PYCONTAIN_LIB_CONTAINER_SYSCTL_H_

#include <sys/types.h>

#include "absl/status/status.h"
#include "lib/spec/container.pb.h"

namespace pycontain::container {

// Checks spec.sysctls: each name is namespaced (the IPC ones listed in the
// proto, fs.mqueue.* or net.*), its value is not empty and has no newline,
// and the container gets the namespace the name belongs to. Errors:
// InvalidArgument naming the field and the sysctl.
absl::Status ValidateSysctls(const spec::ContainerSpec& spec);

// Writes each of spec.sysctls in the network and IPC namespaces of `pid`
// (a short-lived thread joins them, so the caller's stay as they are) and
// reads each back. Errors: one naming the sysctl and the errno of a
// refused write; Internal when the value read back differs.
absl::Status ApplySysctls(const spec::ContainerSpec& spec, pid_t pid);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_SYSCTL_H_
