#include "capi/waiter.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "capi/internal.h"
#include "lib/base/status.h"

namespace pycontain::capi {

absl::Status CheckFlags(uint64_t flags, uint64_t known, absl::string_view type_name) {
  if ((flags & ~known) == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      type_name, ".flags: unknown bits 0x", absl::Hex(flags & ~known),
      "; the caller was built for a newer pycontain"));
}

absl::StatusOr<WaitRequest> ReadWaitOptions(const pycontain_wait_options* options,
                                            std::optional<absl::Duration> default_timeout) {
  pycontain_wait_options read;
  absl::Status status = ReadOptions(options, "pycontain_wait_options", &read);
  if (!status.ok()) return status;
  status = CheckFlags(read.flags, PYCONTAIN_WAIT_TIMEOUT | PYCONTAIN_WAIT_KILL_ON_TIMEOUT,
                      "pycontain_wait_options");
  if (!status.ok()) return status;

  WaitRequest request;
  if ((read.flags & PYCONTAIN_WAIT_TIMEOUT) == 0) {
    request.timeout = default_timeout;
    request.kill_on_timeout = true;
    return request;
  }
  if (read.timeout_ns < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pycontain_wait_options.timeout_ns: must be at least 0, got ", read.timeout_ns));
  }
  request.timeout = absl::Nanoseconds(read.timeout_ns);
  request.kill_on_timeout = (read.flags & PYCONTAIN_WAIT_KILL_ON_TIMEOUT) != 0;
  return request;
}

absl::StatusOr<Waiter> Waiter::Watch(int pidfd) {
  Waiter waiter;
  waiter.pidfd_.reset(fcntl(pidfd, F_DUPFD_CLOEXEC, 0));
  if (!waiter.pidfd_.valid()) return ErrnoError(errno, "duplicate pidfd");
  return waiter;
}

absl::StatusOr<bool> Waiter::WaitForExit(std::optional<absl::Duration> timeout) const {
  absl::Time deadline =
      timeout.has_value() ? absl::Now() + *timeout : absl::InfiniteFuture();
  while (true) {
    struct pollfd entry = {pidfd_.get(), POLLIN, 0};
    struct timespec wait;
    struct timespec* wait_pointer = nullptr;
    if (timeout.has_value()) {
      absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
      wait = absl::ToTimespec(left);
      wait_pointer = &wait;
    }

    int ready = ppoll(&entry, 1, wait_pointer, nullptr);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return ErrnoError(errno, "poll pidfd");
    if (ready == 0 && absl::Now() >= deadline) return false;
  }
}

bool Waiter::Exited() const {
  struct pollfd entry = {pidfd_.get(), POLLIN, 0};
  return poll(&entry, 1, 0) > 0;
}

absl::Status Waiter::Signal(int signal, absl::string_view object) const {
  if (signal <= 0 || signal >= NSIG) {
    return absl::InvalidArgumentError(
        absl::StrCat("signal: ", signal, " is not a signal number (1 to ", NSIG - 1, ")"));
  }
  if (syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0) != 0) {
    return ErrnoError(errno, absl::StrCat("send signal ", signal, " to"), object);
  }
  return absl::OkStatus();
}

}  // namespace pycontain::capi
