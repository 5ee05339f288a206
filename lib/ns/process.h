// ChildProcess: the owner of a started container process.
//
//   absl::StatusOr<ChildProcess> child = Launch(plan);
//   absl::StatusOr<ExitStatus> status = child->Wait(absl::Seconds(10));
//
// The owner keeps a pidfd, so signals never reach a recycled pid. Dropping
// an owner whose process was not reaped kills it with SIGKILL and reaps it:
// no process outlives its owner.
//
// Thread safety: not thread-safe; one thread owns and waits.
#ifndef PYCONTAIN_LIB_NS_PROCESS_H_
#define PYCONTAIN_LIB_NS_PROCESS_H_

#include <sys/types.h>

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/unique_fd.h"

namespace pycontain::ns {

struct ExitStatus {
  // Set when the process exited; its status.
  std::optional<int> exit_code;
  // Set when a signal ended the process.
  std::optional<int> signal;
  // True when the wait's timeout expired and the process was killed.
  bool timed_out = false;
  absl::Duration user_cpu_time;
  absl::Duration system_cpu_time;
  int64_t max_rss_bytes = 0;
};

class ChildProcess {
 public:
  ChildProcess() = default;
  // Takes ownership of the pidfd of child `pid` of this process.
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  bool running() const { return pidfd_.valid() && !reaped_; }

  // Sends `signal` to the process. In a new PID namespace, SIGKILL to this
  // process (the namespace's init) ends every process in the namespace.
  absl::Status Signal(int signal);

  // Waits for the process to end and reaps it. With a timeout, kills it
  // with SIGKILL when the timeout expires, reaps it and sets timed_out.
  // Returns FailedPrecondition when the process was already reaped.
  absl::StatusOr<ExitStatus> Wait(std::optional<absl::Duration> timeout = {});

 private:
  void KillAndReap();

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  bool reaped_ = false;
};

}  // namespace pycontain::ns

#endif  // PYCONTAIN_LIB_NS_PROCESS_H_
