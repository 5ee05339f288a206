// Masked and read-only paths, planned as rootfs steps that run after the
// container's /proc and /sys are mounted.
//
// Masking binds the host's /dev/null over a file (checked to be the real
// character device 1:3, never the container's own /dev/null) and mounts an
// empty read-only tmpfs over a directory. Read-only paths are bound onto
// themselves and made read-only with mount_setattr. Paths that do not exist
// are skipped: those under /proc and /sys are looked up on the host (the
// same kernel provides them), others inside the container's root.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_SECURITY_PATHS_H_
#define PYCONTAIN_LIB_SECURITY_PATHS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/ns/plan.h"
#include "lib/spec/container.pb.h"

namespace pycontain::security {

// Docker's defaults.
const std::vector<std::string>& DefaultMaskedPaths();
const std::vector<std::string>& DefaultReadonlyPaths();

struct PathOptions {
  // Where paths are looked up: the container's root directory, or "/"
  // for the embedded default root (the host's).
  std::string lookup_root;
  // The host path the container's root is mounted at before pivot_root.
  std::string new_root;
  std::vector<std::string> masked;
  std::vector<std::string> readonly;
};

// Returns the steps for `options`. Errors: FailedPrecondition when the
// host's /dev/null is not the character device 1:3; the errno of a failed
// lookup other than a missing path.
absl::StatusOr<std::vector<ns::RootfsStep>> PlanPaths(const PathOptions& options);

// Checks the path lists of `security`: absolute, no NUL byte.
absl::Status ValidatePaths(const spec::Security& security);

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_PATHS_H_
