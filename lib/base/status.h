// Status helpers: every failed system call becomes an absl::Status that names
// the operation, the object it acted on and the errno.
//
// The errno travels as a payload, so the C API and Python's OSError.errno get
// the number back without parsing the message:
//
//   if (mkdir(path.c_str(), 0700) != 0) {
//     return pycontain::ErrnoError(errno, "create directory", path);
//   }
//   ...
//   std::optional<int> err = pycontain::ErrnoOf(status);  // e.g. EEXIST
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_BASE_STATUS_H_
#define PYCONTAIN_LIB_BASE_STATUS_H_

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace pycontain {

// The payload URL under which ErrnoError stores the errno as decimal text.
inline constexpr absl::string_view kErrnoPayloadUrl = "pycontain.dev/errno";

// The payload URL under which ErrnoError stores the failed step: the
// operation and its object, as in the message ("pivot_root into /x/rootfs").
inline constexpr absl::string_view kStepPayloadUrl = "pycontain.dev/step";

// Maps an errno to the closest absl status code (ENOENT to kNotFound, EPERM
// and EACCES to kPermissionDenied, and so on; anything unknown to kInternal).
absl::StatusCode ErrnoToStatusCode(int err);

// Returns a status for a failed system call: the message reads
// "<operation> <object>: <strerror>" ("mount proc on /x/proc: Device or
// resource busy"), the code follows ErrnoToStatusCode, and the errno is kept
// as a payload. An empty `object` leaves it out of the message.
absl::Status ErrnoError(int err, absl::string_view operation,
                        absl::string_view object = {});

// Returns the errno stored by ErrnoError, or nullopt when there is none.
std::optional<int> ErrnoOf(const absl::Status& status);

// Returns the step stored by ErrnoError, or nullopt when there is none.
std::optional<std::string> StepOf(const absl::Status& status);

// Returns `status` with "<context>: " in front of its message, keeping the
// code and payloads. OK stays OK. Use once per layer boundary.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace pycontain

#endif  // PYCONTAIN_LIB_BASE_STATUS_H_
