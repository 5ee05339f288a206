// Compiling a seccomp policy to a BPF program in the parent, and the child
// hook that installs it.
//
//   absl::StatusOr<SeccompProgram> program = CompileSeccompPolicy(policy, {});
//   plan.hooks.push_back(SeccompInstallHook(&*program, Point::kBeforeExec));
//
// libseccomp builds the filter (with its binary tree optimisation, level 2,
// where the library has it) and exports the BPF program through a memfd;
// the child installs it with the raw seccomp(SECCOMP_SET_MODE_FILTER)
// system call, so nothing is allocated between clone and exec.
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_SECURITY_SECCOMP_FILTER_H_
#define PYCONTAIN_LIB_SECURITY_SECCOMP_FILTER_H_

#include <linux/filter.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/ns/plan.h"
#include "lib/security/seccomp_listener.h"
#include "lib/security/seccomp_profile.h"

namespace pycontain::security {

struct CompileOptions {
  // Make an unknown system call name an error instead of a warning.
  bool strict = false;
  // Container id for log lines.
  std::string log_id;
};

// A compiled filter and what the child needs to install it. Move-only in
// practice: hooks point into it, so it must not move once they exist.
struct SeccompProgram {
  std::vector<sock_filter> instructions;
  // SECCOMP_FILTER_FLAG_* for seccomp(); NEW_LISTENER when a rule notifies.
  unsigned int flags = 0;
  // Rules added to the filter, and names skipped as unknown.
  int rule_count = 0;
  std::vector<std::string> skipped_names;

  // Filled in for the child by SeccompInstallHook.
  sock_fprog program = {};
  // With SECCOMP_FILTER_FLAG_NEW_LISTENER: where the child publishes the
  // listener for the parent (seccomp_listener.h). Borrowed; required then.
  ListenerSlot* listener = nullptr;
};

// Builds the filter for `policy`. Errors: InvalidArgument naming the rule's
// field for an unknown system call in strict mode or a rule libseccomp
// rejects; the libseccomp error otherwise.
absl::StatusOr<SeccompProgram> CompileSeccompPolicy(const SeccompPolicy& policy,
                                                    const CompileOptions& options);

// Returns a hook that installs `program` at `point`. `program` is borrowed
// and must outlive the launch. The hook needs no_new_privs set first, or
// CAP_SYS_ADMIN.
ns::ChildHook SeccompInstallHook(SeccompProgram* program, ns::ChildHook::Point point);

// Returns a hook that sets PR_SET_NO_NEW_PRIVS at `point`.
ns::ChildHook NoNewPrivilegesHook(ns::ChildHook::Point point);

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_SECCOMP_FILTER_H_
