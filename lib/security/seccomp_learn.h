// Syscall learning: record every system call a container makes and write
// the smallest allow-list profile that lets the same run succeed.
//
//   absl::StatusOr<std::unique_ptr<SyscallLearner>> learner =
//       SyscallLearner::Create("c1");
//   plan.hooks.push_back(SeccompInstallHook((*learner)->program(), point));
//   options.before_setup = [&](pid_t pid) { return (*learner)->Start(pid); };
//   ... run the container to its end ...
//   absl::StatusOr<std::vector<std::string>> names = (*learner)->Finish();
//   std::string json = LearnedProfileJson(*names, (*learner)->architectures());
//
// The recording filter sends every system call of every architecture the
// default profile covers to a seccomp user notification listener (Linux
// 5.5 for SECCOMP_USER_NOTIF_FLAG_CONTINUE), which a thread of the parent
// drains: it notes the architecture and number and lets the call continue
// unchanged. Nothing is guessed, and nothing is blocked. Each call costs a
// round trip to the parent, so a learning run is much slower than a normal
// one.
//
// Thread safety: Create, Start and Finish are called by one thread; the
// recording thread is internal.
#ifndef PYCONTAIN_LIB_SECURITY_SECCOMP_LEARN_H_
#define PYCONTAIN_LIB_SECURITY_SECCOMP_LEARN_H_

#include <sys/types.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "lib/base/unique_fd.h"
#include "lib/security/seccomp_filter.h"
#include "lib/security/seccomp_listener.h"

namespace pycontain::security {

class SyscallLearner {
 public:
  // Builds the recording filter. Errors: libseccomp's, or Unimplemented
  // when the kernel lacks user notification.
  static absl::StatusOr<std::unique_ptr<SyscallLearner>> Create(const std::string& log_id);
  ~SyscallLearner();

  // The program to install in the child; owned by this object.
  SeccompProgram* program() { return &program_; }
  const std::vector<uint32_t>& architectures() const { return architectures_; }

  // Starts the recording thread for child `pid`, which is about to run its
  // setup. Call from LaunchOptions::before_setup.
  absl::Status Start(pid_t pid);

  // Waits (up to a few seconds) for the recording to end, which it does
  // when no process with the filter is left, and returns the system call
  // names seen, sorted. Errors: the recording thread's, such as a child
  // that never installed the filter.
  absl::StatusOr<std::vector<std::string>> Finish();

 private:
  SyscallLearner() = default;
  void Record(pid_t pid);
  void Stop();
  absl::Status Drain(int listener);

  std::string log_id_;
  std::vector<uint32_t> architectures_;
  SeccompProgram program_;
  std::unique_ptr<SharedListenerSlot> slot_;
  UniqueFd stop_;
  std::thread thread_;
  absl::Notification done_;
  // Written by the recording thread until done_.
  absl::Status status_;
  std::set<std::pair<uint32_t, int>> seen_;
  int64_t notifications_ = 0;
};

// Returns an OCI seccomp profile that allows exactly `names` on
// `architectures` and fails everything else with EPERM.
std::string LearnedProfileJson(const std::vector<std::string>& names,
                               const std::vector<uint32_t>& architectures);

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_SECCOMP_LEARN_H_
