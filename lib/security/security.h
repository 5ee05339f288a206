// lib/security: the hardening of a container's first process, planned in
// the parent and carried out by child hooks between clone and exec.
//
//   absl::Status status = ValidateSecurity(spec.security());
//   absl::StatusOr<std::unique_ptr<PreparedSecurity>> security =
//       PrepareSecurity(spec.security(), {id, root, new_root});
//   plan.hooks.insert(plan.hooks.end(), (*security)->hooks().begin(), ...);
//   plan.rootfs_steps.insert(..., (*security)->rootfs_steps() ...);
//   options.before_setup = [&](pid_t pid) { return (*security)->ParentSetup(pid); };
//   ... Launch ..., then (*security)->AfterStart(pid), and after the exit
//   (*security)->AfterExit().
//
// What the child does, in order:
//   before the user switch: setrlimit; drop the bounding set,
//     PR_SET_KEEPCAPS
//   after the user switch: when no_new_privileges is false, make the
//     permitted capabilities effective and install the seccomp filter
//     (which then needs CAP_SYS_ADMIN); capset and the ambient set
//   just before exec: PR_SET_NO_NEW_PRIVS, then the seccomp filter
// Masked and read-only paths are rootfs steps after every mount.
//
// Thread safety: PrepareSecurity is thread-safe; one PreparedSecurity is
// used by one thread at a time.
#ifndef PYCONTAIN_LIB_SECURITY_SECURITY_H_
#define PYCONTAIN_LIB_SECURITY_SECURITY_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/ns/plan.h"
#include "lib/security/capabilities.h"
#include "lib/security/rlimits.h"
#include "lib/security/seccomp_filter.h"
#include "lib/security/seccomp_learn.h"
#include "lib/spec/container.pb.h"

namespace pycontain::security {

struct SecurityContext {
  std::string container_id;
  // The directory the container's paths are looked up in: its root
  // directory, or "/" for the embedded default root.
  std::string lookup_root;
  // The host path of the container's root before pivot_root.
  std::string new_root;
  // The directory that keeps compiled seccomp filters between processes,
  // created 0700 if missing. Empty keeps them in memory only. Any user who
  // can write to it can weaken later containers' filters, so it must belong
  // to the caller alone.
  std::string filter_cache_directory;
};

// Everything the child hooks read, and the parent's part: the learning
// recorder, the listener hand-off, the receipt. Hooks point into it, so it
// must outlive the launch and stays at one address (held by unique_ptr).
class PreparedSecurity {
 public:
  ~PreparedSecurity();

  const std::vector<ns::ChildHook>& hooks() const { return hooks_; }
  // To append to the plan's rootfs steps, after every other mount.
  const std::vector<ns::RootfsStep>& rootfs_steps() const { return rootfs_steps_; }

  // True when ParentSetup must run as LaunchOptions::before_setup.
  bool needs_parent_setup() const { return learner_ != nullptr || listener_slot_ != nullptr; }
  // Starts the parent's side for child `pid`: the learning recorder, or the
  // thread that hands the notification listener to listenerPath.
  absl::Status ParentSetup(pid_t pid);

  // Reads what the kernel has in force for the started process. Failures
  // are logged, and the receipt then has security_read = false.
  void AfterStart(pid_t pid);
  const spec::EnforcementReceipt& receipt() const { return receipt_; }

  // After the container's first process exited: ends learning and writes
  // the learned profile. Errors: learning's, or the file write's.
  absl::Status AfterExit();

 private:
  friend absl::StatusOr<std::unique_ptr<PreparedSecurity>> PrepareSecurity(
      const spec::Security& spec, const SecurityContext& context);
  PreparedSecurity() = default;
  void ForwardListener(pid_t pid);

  std::string id_;
  bool no_new_privileges_ = true;
  CapabilityChildData capabilities_;
  RlimitChildData rlimits_;
  std::unique_ptr<SeccompProgram> seccomp_;
  std::unique_ptr<SyscallLearner> learner_;
  std::string learn_output_path_;
  std::unique_ptr<SharedListenerSlot> listener_slot_;
  SeccompPolicy policy_;
  std::thread listener_thread_;
  std::vector<ns::ChildHook> hooks_;
  std::vector<ns::RootfsStep> rootfs_steps_;
  spec::EnforcementReceipt receipt_;
};

// Checks `security` without looking at the host: modes and their fields,
// capability names, rlimits (soft not above hard), paths. A profile's JSON
// is parsed and checked too. Errors: InvalidArgument naming the field.
absl::Status ValidateSecurity(const spec::Security& security);

// Validates and plans `security` for one container. Errors: those of
// ValidateSecurity; FailedPrecondition for an rlimit above the host's
// ceiling; errors of compiling the seccomp filter.
absl::StatusOr<std::unique_ptr<PreparedSecurity>> PrepareSecurity(
    const spec::Security& security, const SecurityContext& context);

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_SECURITY_H_
