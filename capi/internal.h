// Shared pieces of the C API's implementation: the error object, the
// conversion from absl::Status, option struct negotiation and the guard that
// keeps C++ exceptions from crossing the boundary.
#ifndef PYCONTAIN_CAPI_INTERNAL_H_
#define PYCONTAIN_CAPI_INTERNAL_H_

#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "capi/pycontain.h"
#include "lib/spec/container.pb.h"

struct pycontain_error {
  int code = PYCONTAIN_ERROR_INTERNAL;
  int err = 0;
  std::string message;
  std::string step;
  std::string field;
};

struct pycontain_run_result {
  pycontain::spec::RunResult proto;
  std::string json;
};

namespace pycontain::capi {

// Maps an absl status code to the C API's code (never PYCONTAIN_OK).
int CodeOf(const absl::Status& status);

// Stores a new error for `status` in *error when error is non-NULL, and
// returns its code. `status` must not be OK.
int Fail(const absl::Status& status, pycontain_error** error);

// Returns the field that an InvalidArgument or Unimplemented message from
// spec loading or validation names at its start ("process.cwd: ..."), or
// "" when the message does not start with a field path.
std::string FieldOfMessage(absl::string_view message);

// Copies the caller's option struct into `out`, which is zeroed first.
// NULL `in` leaves the defaults. Returns InvalidArgument when the size is
// smaller than the size field itself, or larger than T with a non-zero
// byte beyond T (a field this library does not know).
template <typename T>
absl::Status ReadOptions(const T* in, const char* type_name, T* out) {
  std::memset(out, 0, sizeof(T));
  out->size = sizeof(T);
  if (in == nullptr) return absl::OkStatus();

  size_t size = in->size;
  if (size < sizeof(in->size)) {
    return absl::InvalidArgumentError(
        absl::StrCat(type_name, ".size: ", size,
                     " is smaller than the size field; set it to sizeof(",
                     type_name, ")"));
  }
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(in);
  for (size_t i = sizeof(T); i < size; ++i) {
    if (bytes[i] != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          type_name, ": byte ", i, " of ", size,
          " is set, but this library knows only ", sizeof(T),
          " bytes; the caller was built for a newer pycontain"));
    }
  }
  std::memcpy(out, in, size < sizeof(T) ? size : sizeof(T));
  out->size = sizeof(T);
  return absl::OkStatus();
}

// Returns InvalidArgument naming `what` when it is NULL.
absl::Status RequireNonNull(const void* pointer, absl::string_view what);

// Runs `body`, which returns a pycontain_code, and turns any exception it
// throws into an error: std::bad_alloc (which protobuf and the standard
// library may throw) into OUT_OF_MEMORY, anything else into INTERNAL.
template <typename Body>
int Guard(pycontain_error** error, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    // Building an error object would allocate too, so report the code only.
    if (error != nullptr) *error = nullptr;
    return PYCONTAIN_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    try {
      return Fail(absl::InternalError(absl::StrCat("unexpected exception: ", e.what())),
                  error);
    } catch (...) {
      return PYCONTAIN_ERROR_INTERNAL;
    }
  } catch (...) {
    try {
      return Fail(absl::InternalError("unexpected exception"), error);
    } catch (...) {
      return PYCONTAIN_ERROR_INTERNAL;
    }
  }
}

// Builds a result object from a RunResult, with its JSON.
pycontain_run_result* NewRunResult(spec::RunResult proto);

// Returns a malloc'd copy of `text` for a TRANSFERRED string, which
// pycontain_string_free frees. Throws std::bad_alloc when out of memory.
char* NewString(absl::string_view text);

// Returns `text`, or "" for NULL.
std::string StringOrEmpty(const char* text);

// Copies `count` borrowed strings. InvalidArgument naming `what` for a NULL
// array with count > 0 or a NULL element.
absl::StatusOr<std::vector<std::string>> ReadStrings(const char* const* strings,
                                                     size_t count, absl::string_view what);

// Returns a path that opens the file behind `fd` again (/proc/self/fd/N),
// for the layers below that take paths. Only regular files and pipes or
// FIFOs are accepted: InvalidArgument naming `what` otherwise.
absl::StatusOr<std::string> PathOfFd(int fd, absl::string_view what);

}  // namespace pycontain::capi

#endif  // PYCONTAIN_CAPI_INTERNAL_H_
