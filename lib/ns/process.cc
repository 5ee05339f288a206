#include "lib/ns/process.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/status.h"

namespace pycontain::ns {
namespace {

// waitid with the rusage argument that glibc's wrapper leaves out.
int WaitIdWithUsage(int pidfd, siginfo_t* info, struct rusage* usage) {
  int result;
  do {
    result = static_cast<int>(
        syscall(SYS_waitid, P_PIDFD, pidfd, info, WEXITED, usage));
  } while (result < 0 && errno == EINTR);
  return result;
}

absl::Duration FromTimeval(const struct timeval& value) {
  return absl::Seconds(value.tv_sec) + absl::Microseconds(value.tv_usec);
}

// Polls the pidfd until the process ends or `timeout` passes. Returns true
// when it ended.
absl::StatusOr<bool> PollExit(int pidfd, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    struct pollfd entry = {pidfd, POLLIN, 0};
    struct timespec wait = absl::ToTimespec(left);
    int ready = ppoll(&entry, 1, &wait, nullptr);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return ErrnoError(errno, "poll pidfd");
  }
}

}  // namespace

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      reaped_(std::exchange(other.reaped_, false)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    reaped_ = std::exchange(other.reaped_, false);
  }
  return *this;
}

ChildProcess::~ChildProcess() { KillAndReap(); }

void ChildProcess::KillAndReap() {
  if (!running()) return;
  // Errors are ignored: the process may have ended already, and waitid
  // below reaps it either way.
  syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  siginfo_t info = {};
  struct rusage usage = {};
  WaitIdWithUsage(pidfd_.get(), &info, &usage);
  reaped_ = true;
  pidfd_.reset();
}

absl::Status ChildProcess::Signal(int signal) {
  if (!running()) {
    return absl::FailedPreconditionError(absl::StrCat("process ", pid_, " has ended"));
  }
  if (syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0) != 0) {
    return ErrnoError(errno, absl::StrCat("send signal ", signal, " to process"),
                      absl::StrCat(pid_));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExitStatus> ChildProcess::Wait(std::optional<absl::Duration> timeout) {
  if (!running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("process ", pid_, " was already waited for"));
  }
  ExitStatus status;
  if (timeout.has_value()) {
    absl::StatusOr<bool> ended = PollExit(pidfd_.get(), *timeout);
    if (!ended.ok()) return ended.status();
    if (!*ended) {
      status.timed_out = true;
      absl::Status killed = Signal(SIGKILL);
      if (!killed.ok()) return killed;
    }
  }

  siginfo_t info = {};
  struct rusage usage = {};
  if (WaitIdWithUsage(pidfd_.get(), &info, &usage) != 0) {
    return ErrnoError(errno, "wait for process", absl::StrCat(pid_));
  }
  reaped_ = true;
  pidfd_.reset();

  if (info.si_code == CLD_EXITED) {
    status.exit_code = info.si_status;
  } else {
    status.signal = info.si_status;
  }
  status.user_cpu_time = FromTimeval(usage.ru_utime);
  status.system_cpu_time = FromTimeval(usage.ru_stime);
  status.max_rss_bytes = int64_t{usage.ru_maxrss} * 1024;
  return status;
}

}  // namespace pycontain::ns
