// File helpers for the image store: whole-file reads and atomic writes,
// recursive removal without following symlinks, temporary directories.
// Every function works relative to a directory descriptor (the *at calls).
//
// Errors: each failure is an ErrnoError naming the operation and the path.
#ifndef PYCONTAIN_LIB_IMAGE_FS_UTIL_H_
#define PYCONTAIN_LIB_IMAGE_FS_UTIL_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"

namespace pycontain::image {

// Opens `path` (relative to `dir_fd`, or absolute) with `flags` | O_CLOEXEC.
absl::StatusOr<UniqueFd> OpenAt(int dir_fd, absl::string_view path, int flags,
                                mode_t mode = 0);

// Reads the whole regular file at `path`. Fails with FailedPrecondition when
// the file is larger than `max_bytes`, so a hostile manifest cannot exhaust
// memory.
absl::StatusOr<std::string> ReadFileAt(int dir_fd, absl::string_view path,
                                       size_t max_bytes = 64 << 20);

// Reads the rest of the regular file open at `fd`, with ReadFileAt's limit.
absl::StatusOr<std::string> ReadFd(int fd, size_t max_bytes = 64 << 20);

// Writes all of `data` to `fd`.
absl::Status WriteAll(int fd, absl::string_view data);

// Copies the rest of `from` into `to`.
absl::Status CopyFd(int from, int to);

// Writes `data` to `path` through a temporary file in the same directory,
// fsync and rename(2), so readers see the old or the new file, never a part.
absl::Status WriteFileAtomic(int dir_fd, absl::string_view path,
                             absl::string_view data, mode_t mode = 0644);

// Removes `name` in `dir_fd` and, when it is a directory, everything below
// it. Symlinks are removed, never followed. A missing `name` is not an error.
// Directories without write or search permission are made accessible first,
// so a layer with mode 0555 directories can be removed without root.
absl::Status RemoveTreeAt(int dir_fd, absl::string_view name);

// Removes every entry of the directory `dir_fd`, leaving it empty.
absl::Status RemoveChildren(int dir_fd);

// Creates a new directory with a unique name starting with `prefix` in
// `dir_fd` and returns its name.
absl::StatusOr<std::string> MakeTempDirAt(int dir_fd, absl::string_view prefix);

// Creates `path` and its missing parents (plain host paths, like mkdir -p).
absl::Status MakeDirectories(absl::string_view path, mode_t mode = 0755);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_FS_UTIL_H_
