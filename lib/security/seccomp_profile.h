// Seccomp profiles: loading the JSON forms and resolving them into a
// policy for one container.
//
//   absl::StatusOr<SeccompProfileJson> json = ParseSeccompProfile(text);
//   absl::StatusOr<SeccompPolicy> policy =
//       ResolveSeccompProfile(*json, {.capabilities = caps});
//
// ParseSeccompProfile reads both the OCI runtime spec's `linux.seccomp`
// object and Docker's profile files. ResolveSeccompProfile checks every
// string (actions, operators, architectures, flags), applies Docker's
// includes/excludes for the container's capabilities and the native
// architecture, and returns libseccomp values. Errors are InvalidArgument
// and name the field, as "syscalls[4].args[0].op: unknown operator ...".
//
// Several conditions in one rule combine as in runc (libcontainer/seccomp):
// when each condition is on a different argument, the rule matches when
// all of them hold (AND). When two or more conditions are on the same
// argument, libseccomp cannot AND them, so each condition becomes a rule of
// its own and the rule matches when any of them holds (OR).
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_SECURITY_SECCOMP_PROFILE_H_
#define PYCONTAIN_LIB_SECURITY_SECCOMP_PROFILE_H_

#include <seccomp.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/security/seccomp_profile.pb.h"

namespace pycontain::security {

// errno of SCMP_ACT_ERRNO when a profile gives none, as in runc.
inline constexpr uint32_t kDefaultErrno = 1;  // EPERM

struct SeccompCondition {
  unsigned int index = 0;
  scmp_compare op = SCMP_CMP_EQ;
  uint64_t value = 0;
  uint64_t value_two = 0;
};

struct SeccompRule {
  std::vector<std::string> names;
  // A libseccomp action, with its errno or trace message folded in.
  uint32_t action = SCMP_ACT_ALLOW;
  std::vector<SeccompCondition> conditions;
  // Where the rule came from, for messages: "syscalls[3]".
  std::string field;
};

struct SeccompPolicy {
  uint32_t default_action = SCMP_ACT_ERRNO(kDefaultErrno);
  // SCMP_ARCH_* tokens the filter covers; the first is the native one.
  // System calls of any other architecture are killed.
  std::vector<uint32_t> architectures;
  // SECCOMP_FILTER_FLAG_* bits for seccomp(SECCOMP_SET_MODE_FILTER).
  unsigned int flags = 0;
  std::vector<SeccompRule> rules;
  // True when the default or a rule uses SCMP_ACT_NOTIFY.
  bool uses_notify = false;
  // OCI listenerPath and listenerMetadata.
  std::string listener_path;
  std::string listener_metadata;
};

struct ResolveOptions {
  // The container's capabilities (bit N is capability N), which Docker's
  // includes.caps and excludes.caps test: an entry needs all its included
  // capabilities in the set and none of its excluded ones.
  uint64_t capabilities = 0;
  // The host's architecture (SCMP_ARCH_*); 0 is libseccomp's native one.
  uint32_t native_arch = 0;
  // Kernel version for minKernel, as major * 1000 + minor; 0 reads uname.
  int kernel_version = 0;
};

// Parses profile JSON. Unknown fields and values of the wrong type are
// errors naming the field.
absl::StatusOr<SeccompProfileJson> ParseSeccompProfile(absl::string_view json);

// Checks `profile` and resolves it for one container. Without
// architectures or archMap the filter covers the native architecture only.
absl::StatusOr<SeccompPolicy> ResolveSeccompProfile(const SeccompProfileJson& profile,
                                                    const ResolveOptions& options);

// Returns the libseccomp architecture token for "SCMP_ARCH_X86_64",
// "x86_64" or Go's "amd64" (and the same for the other architectures), or
// 0 when the name is unknown.
uint32_t ArchitectureFromName(absl::string_view name);

// Returns the OCI name of an architecture token ("SCMP_ARCH_X86").
std::string ArchitectureName(uint32_t token);

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_SECCOMP_PROFILE_H_
