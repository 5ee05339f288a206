// The C API's error objects, result codes, version query and log callback.
#include <cerrno>
#include <cstdlib>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "capi/internal.h"
#include "lib/base/log.h"
#include "lib/base/status.h"

namespace pycontain::capi {
namespace {

// Codes for errnos that name a condition better than the status code
// ErrnoToStatusCode chose.
std::optional<int> CodeOfErrno(int err) {
  switch (err) {
    case ENOMEM:
      return PYCONTAIN_ERROR_OUT_OF_MEMORY;
    case EAGAIN:
    case ENOSPC:
    case EMFILE:
    case ENFILE:
    case EUSERS:
      return PYCONTAIN_ERROR_RESOURCE_EXHAUSTED;
    case ETIMEDOUT:
      return PYCONTAIN_ERROR_TIMED_OUT;
    default:
      return std::nullopt;
  }
}

bool IsFieldPath(absl::string_view text) {
  if (text.empty() || !absl::ascii_isalpha(text.front())) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '[' && c != ']') {
      return false;
    }
  }
  return true;
}

}  // namespace

int CodeOf(const absl::Status& status) {
  std::optional<int> err = ErrnoOf(status);
  if (err.has_value()) {
    std::optional<int> code = CodeOfErrno(*err);
    if (code.has_value()) return *code;
  }
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return PYCONTAIN_ERROR_INTERNAL;  // a caller bug: Fail needs an error
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return PYCONTAIN_ERROR_INVALID_ARGUMENT;
    case absl::StatusCode::kNotFound:
      return PYCONTAIN_ERROR_NOT_FOUND;
    case absl::StatusCode::kAlreadyExists:
      return PYCONTAIN_ERROR_ALREADY_EXISTS;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return PYCONTAIN_ERROR_PERMISSION_DENIED;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return PYCONTAIN_ERROR_FAILED_PRECONDITION;
    case absl::StatusCode::kUnimplemented:
      return PYCONTAIN_ERROR_UNIMPLEMENTED;
    case absl::StatusCode::kDeadlineExceeded:
      return PYCONTAIN_ERROR_TIMED_OUT;
    case absl::StatusCode::kResourceExhausted:
      return PYCONTAIN_ERROR_RESOURCE_EXHAUSTED;
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
      return err.has_value() ? PYCONTAIN_ERROR_SYSTEM : PYCONTAIN_ERROR_INTERNAL;
    default:
      // absl::StatusCode is open to new values, so a default is required.
      return PYCONTAIN_ERROR_INTERNAL;
  }
}

std::string FieldOfMessage(absl::string_view message) {
  // JSON errors from spec loading: "invalid container spec JSON: <protobuf's
  // message>", which names the field first, sometimes in parentheses.
  for (absl::string_view prefix :
       {"invalid container spec JSON: ", "invalid process JSON: "}) {
    if (absl::ConsumePrefix(&message, prefix)) {
      if (absl::ConsumePrefix(&message, "(")) {
        size_t close = message.find(')');
        if (close == absl::string_view::npos) return "";
        absl::string_view field = message.substr(0, close);
        if (!IsFieldPath(field)) return "";
        // An unknown field inside a message: "(process) bogus: Cannot ...".
        absl::string_view rest = message.substr(close + 1);
        size_t colon = rest.find(": Cannot find field");
        absl::string_view name = absl::StripAsciiWhitespace(rest.substr(0, colon));
        if (colon != absl::string_view::npos && IsFieldPath(name)) {
          return absl::StrCat(field, ".", name);
        }
        return std::string(field);
      }
      break;
    }
  }

  // Validation errors: "<field>: <problem>".
  size_t colon = message.find(": ");
  if (colon == absl::string_view::npos) return "";
  absl::string_view field = message.substr(0, colon);
  return IsFieldPath(field) ? std::string(field) : "";
}

int Fail(const absl::Status& status, pycontain_error** error) {
  int code = CodeOf(status);
  if (error == nullptr) return code;

  auto* object = new pycontain_error;
  object->code = code;
  object->message = std::string(status.message());
  object->err = ErrnoOf(status).value_or(0);
  object->step = StepOf(status).value_or("");
  if (code == PYCONTAIN_ERROR_INVALID_ARGUMENT || code == PYCONTAIN_ERROR_UNIMPLEMENTED) {
    object->field = FieldOfMessage(status.message());
  }
  *error = object;
  return code;
}

absl::Status RequireNonNull(const void* pointer, absl::string_view what) {
  if (pointer != nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, ": must not be NULL"));
}

}  // namespace pycontain::capi

using pycontain::capi::Fail;
using pycontain::capi::Guard;

extern "C" {

PYCONTAIN_API int pycontain_version(void) { return PYCONTAIN_VERSION; }

PYCONTAIN_API const char* pycontain_version_string(void) {
#define PYCONTAIN_STRINGIFY2(x) #x
#define PYCONTAIN_STRINGIFY(x) PYCONTAIN_STRINGIFY2(x)
  return PYCONTAIN_STRINGIFY(PYCONTAIN_VERSION_MAJOR) "." PYCONTAIN_STRINGIFY(
      PYCONTAIN_VERSION_MINOR) "." PYCONTAIN_STRINGIFY(PYCONTAIN_VERSION_PATCH);
}

PYCONTAIN_API const char* pycontain_code_name(int code) {
  switch (code) {
    case PYCONTAIN_OK: return "OK";
    case PYCONTAIN_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case PYCONTAIN_ERROR_NOT_FOUND: return "NOT_FOUND";
    case PYCONTAIN_ERROR_ALREADY_EXISTS: return "ALREADY_EXISTS";
    case PYCONTAIN_ERROR_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case PYCONTAIN_ERROR_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case PYCONTAIN_ERROR_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case PYCONTAIN_ERROR_TIMED_OUT: return "TIMED_OUT";
    case PYCONTAIN_ERROR_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case PYCONTAIN_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case PYCONTAIN_ERROR_SYSTEM: return "SYSTEM";
    case PYCONTAIN_ERROR_INTERNAL: return "INTERNAL";
  }
  return "UNKNOWN";
}

PYCONTAIN_API void pycontain_error_destroy(pycontain_error* error) { delete error; }

PYCONTAIN_API int pycontain_error_code(const pycontain_error* error) {
  return error == nullptr ? PYCONTAIN_ERROR_INTERNAL : error->code;
}

PYCONTAIN_API const char* pycontain_error_message(const pycontain_error* error) {
  return error == nullptr ? "" : error->message.c_str();
}

PYCONTAIN_API int pycontain_error_errno(const pycontain_error* error) {
  return error == nullptr ? 0 : error->err;
}

PYCONTAIN_API const char* pycontain_error_step(const pycontain_error* error) {
  return error == nullptr ? "" : error->step.c_str();
}

PYCONTAIN_API const char* pycontain_error_field(const pycontain_error* error) {
  return error == nullptr ? "" : error->field.c_str();
}

PYCONTAIN_API int pycontain_set_log_callback(pycontain_log_callback callback,
                                             void* user_data, int min_level,
                                             pycontain_error** error) {
  return Guard(error, [&]() -> int {
    if (min_level < PYCONTAIN_LOG_DEBUG || min_level > PYCONTAIN_LOG_ERROR) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
                      "min_level: ", min_level, " is not a pycontain_log_level (0 to 3)")),
                  error);
    }
    if (callback == nullptr) {
      pycontain::SetLogSink(nullptr);
      const char* variable = getenv("PYCONTAIN_LOG");
      std::optional<pycontain::LogLevel> level =
          pycontain::ParseLogLevel(variable == nullptr ? "" : variable);
      pycontain::SetLogThreshold(level.value_or(pycontain::LogLevel::kWarning));
      return PYCONTAIN_OK;
    }
    pycontain::SetLogSink([callback, user_data](pycontain::LogLevel level,
                                                absl::string_view id,
                                                absl::string_view message) {
      std::string id_text(id);
      std::string message_text(message);
      callback(user_data, static_cast<int>(level), id_text.c_str(),
               message_text.c_str());
    });
    pycontain::SetLogThreshold(static_cast<pycontain::LogLevel>(min_level));
    return PYCONTAIN_OK;
  });
}

}  // extern "C"
