// Writes a directory tree as one tar stream: `docker container export` of a
// merged root filesystem, and the diff layer of `docker commit` from an
// overlayfs upper directory.
//
//   absl::Status done = WriteTree("/var/lib/c1/merged", out_fd, TreeMode::kExport);
//
// Entries are written in sorted order with their owners, modes, mtimes,
// extended attributes of files and directories, symlink targets, device
// numbers, and hardlinks as links to the first path seen. The format is
// POSIX pax, which keeps long names, large sizes and binary xattrs.
#ifndef PYCONTAIN_LIB_IMAGE_TREE_WRITER_H_
#define PYCONTAIN_LIB_IMAGE_TREE_WRITER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pycontain::image {

enum class TreeMode {
  // Every entry as it is.
  kExport,
  // An overlayfs upper directory: a 0/0 character device (a whiteout)
  // becomes an empty ".wh.NAME" file, a directory with the overlay.opaque
  // xattr gets a ".wh..wh..opq" entry, and overlay.* xattrs are dropped.
  kDiff,
};

// Writes the tree below `directory` (not followed through symlinks) to
// `out_fd`, which is borrowed and written from its current offset. Socket
// files are skipped. Errors: the errno of the first failed call, with the
// path; Internal for a libarchive failure.
absl::Status WriteTree(absl::string_view directory, int out_fd, TreeMode mode);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_TREE_WRITER_H_
