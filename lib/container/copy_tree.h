// Copying a directory tree with its metadata, to seed a new volume with
// what the container's root has at the volume's destination (as Docker
// does for a new, empty volume).
//
// Thread safety: thread-safe; the trees must not change during the copy.
#ifndef PYCONTAIN_LIB_CONTAINER_COPY_TREE_H_
#define PYCONTAIN_LIB_CONTAINER_COPY_TREE_H_

#include "absl/status/status.h"

namespace pycontain::container {

// Copies everything below the directory `from_fd` into the directory
// `to_fd`, then gives `to_fd` the owner, mode and timestamps of `from_fd`.
// Both descriptors are borrowed and must be open O_RDONLY | O_DIRECTORY.
//
// Regular files, directories, symlinks (never followed), devices, FIFOs
// and sockets are copied with their owner, mode and timestamps. Regular
// files and directories also keep their extended attributes; the others
// are not opened, so theirs are not copied. Hard links within the tree stay hard links. Extended
// attributes that the target filesystem rejects (ENOTSUP, EPERM) are
// skipped with a debug log line. Changing owners needs CAP_CHOWN: a caller
// other than root without it keeps its own ids on the copies.
//
// Errors: ErrnoError naming the operation and the path below `from_fd`
// (for example EEXIST when `to_fd` already has an entry of that name).
// What was copied before a failure stays.
absl::Status CopyTree(int from_fd, int to_fd);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_COPY_TREE_H_
