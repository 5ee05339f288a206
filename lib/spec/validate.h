// Validation of a ContainerSpec's meaning, before anything is created.
//
// Loading (load.h) checks the shape, and ValidateSpec checks the
// meaning: a command is present, paths are absolute, names are well-formed,
// settings do not contradict each other. Every error is InvalidArgument and
// names the field, such as "process.cwd: must be an absolute path, got \"tmp\"".
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_SPEC_VALIDATE_H_
#define PYCONTAIN_LIB_SPEC_VALIDATE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/spec/container.pb.h"

namespace pycontain::spec {

// Largest id and hostname, in bytes (the kernel's HOST_NAME_MAX is 64).
inline constexpr size_t kMaxIdLength = 64;
inline constexpr size_t kMaxHostnameLength = 64;

// Returns OK when `spec` can be run, else the first problem found.
absl::Status ValidateSpec(const ContainerSpec& spec);

// Returns OK when `id` is a valid container id ([A-Za-z0-9][A-Za-z0-9_.-]*,
// at most kMaxIdLength bytes).
absl::Status ValidateId(absl::string_view id);

// Largest volume name: a volume is a directory named after it, and Linux
// file names are at most NAME_MAX (255) bytes.
inline constexpr int kMaxVolumeNameLength = 255;

// Returns OK when `name` is a valid volume name, as Docker's:
// [a-zA-Z0-9][a-zA-Z0-9_.-]+, so at least 2 bytes, at most
// kMaxVolumeNameLength. The error (InvalidArgument) names the value.
absl::Status ValidateVolumeName(absl::string_view name);

}  // namespace pycontain::spec

#endif  // PYCONTAIN_LIB_SPEC_VALIDATE_H_
