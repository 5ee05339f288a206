// Reading back the security settings the kernel has in force for a
// process, into the security fields of spec::EnforcementReceipt.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_SECURITY_RECEIPT_H_
#define PYCONTAIN_LIB_SECURITY_RECEIPT_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/spec/container.pb.h"

namespace pycontain::security {

// Parses the contents of /proc/<pid>/status into the seccomp,
// no_new_privs and capability fields of `receipt`.
void ParseProcStatus(absl::string_view status, spec::EnforcementReceipt& receipt);

// Returns the mount points with the "ro" option from /proc/<pid>/mountinfo
// contents, with the "\040" escapes of spaces undone.
std::vector<std::string> ReadonlyMountPoints(absl::string_view mountinfo);

// Reads /proc/<pid>/status, uid_map, gid_map and mountinfo. A process that
// has already exited has no mountinfo; its mount list stays empty. Errors:
// the errno of reading status.
absl::Status ReadSecurityReceipt(pid_t pid, spec::EnforcementReceipt& receipt);

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_RECEIPT_H_
