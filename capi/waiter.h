// Waiting on a process through the C API: a private pidfd that lets one
// thread wait, poll or send signals without touching the owner object that
// another thread may be using.
#ifndef PYCONTAIN_CAPI_WAITER_H_
#define PYCONTAIN_CAPI_WAITER_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "capi/pycontain.h"
#include "lib/base/unique_fd.h"

namespace pycontain::capi {

// The wait the caller asked for, decoded from pycontain_wait_options.
struct WaitRequest {
  std::optional<absl::Duration> timeout;  // nullopt: forever
  bool kill_on_timeout = false;
};

// Decodes and checks `options` (NULL: the defaults). `default_timeout`
// applies without PYCONTAIN_WAIT_TIMEOUT and always kills on expiry.
absl::StatusOr<WaitRequest> ReadWaitOptions(const pycontain_wait_options* options,
                                            std::optional<absl::Duration> default_timeout);

// Returns InvalidArgument when `flags` has bits outside `known`.
absl::Status CheckFlags(uint64_t flags, uint64_t known, absl::string_view type_name);

class Waiter {
 public:
  Waiter() = default;
  // Duplicates `pidfd` (borrowed) for this object.
  static absl::StatusOr<Waiter> Watch(int pidfd);

  // Waits until the process exits (true) or `timeout` passes (false).
  absl::StatusOr<bool> WaitForExit(std::optional<absl::Duration> timeout) const;

  // Returns whether the process has exited, without blocking.
  bool Exited() const;

  // Sends `signal` to the process; `object` names it in errors. ESRCH once
  // the process was reaped, because a pidfd never refers to another process.
  absl::Status Signal(int signal, absl::string_view object) const;

 private:
  UniqueFd pidfd_;
};

}  // namespace pycontain::capi

#endif  // PYCONTAIN_CAPI_WAITER_H_
