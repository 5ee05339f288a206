// Applies a layer (a tar stream read through libarchive) to a directory:
// regular files (sparse ones stay sparse), directories, symlinks, hardlinks
// (also to symlinks), device nodes and FIFOs, ownership, modes, mtimes and
// extended attributes byte for byte, with OCI whiteouts.
//
//   UniqueFd root = ...;  // O_PATH | O_DIRECTORY of the layer's directory
//   absl::StatusOr<ApplyStats> stats =
//       ApplyLayer(stream->tar(), root.get(), ApplyOptions{});
//
// Safety: every entry is created inside `root_fd`. Names are cleaned first:
// a leading "/" and "." components are dropped (so "/etc/x" lands at
// root/etc/x), and a ".." component is rejected. Parent directories are
// opened with OpenInRoot (openat2 RESOLVE_IN_ROOT), so a symlinked parent
// such as `a -> /etc` or `a -> ../..` resolves inside the root, never on
// the host. Each entry is then created by name in that parent descriptor
// with the *at calls, which do not follow a symlink in the last component.
// Hardlink targets are resolved the same way and must already exist in the
// root. A rejected entry fails the whole apply with an InvalidArgument
// status that names it; the caller removes the partial tree.
//
// A later entry replaces an earlier one of another type at the same path,
// directories are merged, and missing parent directories are created with
// mode 0755.
//
// Thread safety: ApplyLayer may run concurrently on different roots.
#ifndef PYCONTAIN_LIB_IMAGE_LAYER_APPLY_H_
#define PYCONTAIN_LIB_IMAGE_LAYER_APPLY_H_

#include <stdint.h>
#include <unistd.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct archive;

namespace pycontain::image {

enum class WhiteoutMode {
  // ".wh.NAME" removes NAME and ".wh..wh..opq" empties its directory of
  // everything earlier layers put there: flattens layers into one tree.
  kApply,
  // Whiteouts become overlayfs whiteouts: a 0/0 character device for
  // ".wh.NAME" and the overlay.opaque xattr ("trusted." as root, "user."
  // otherwise) for ".wh..wh..opq". For a layer kept as an overlay lower.
  // The unprivileged 0/0 device needs Linux 5.8.
  kOverlay,
};

struct ApplyOptions {
  WhiteoutMode whiteouts = WhiteoutMode::kApply;
  // Give entries their owners from the archive. Needs CAP_CHOWN; without it
  // everything belongs to the caller.
  bool preserve_owners = geteuid() == 0;
};

struct ApplyStats {
  uint64_t entries = 0;
  uint64_t file_bytes = 0;
  // Device nodes not created because the caller lacks CAP_MKNOD.
  uint64_t skipped_devices = 0;
  // Extended attributes the filesystem or the caller's privileges rejected
  // (EPERM, ENOTSUP), for example trusted.* without root.
  uint64_t skipped_xattrs = 0;
};

// Applies every entry of `tar` (positioned before its first header) under
// `root_fd`, which is borrowed. Errors: InvalidArgument naming the entry for
// an unsafe name or hardlink target; DataLoss for a corrupt archive; the
// errno of a failed system call, with the entry's name.
absl::StatusOr<ApplyStats> ApplyLayer(struct archive* tar, int root_fd,
                                      const ApplyOptions& options);

// Cleans an entry name as ApplyLayer does: returns the relative path without
// "/" at either end and without "." components, "" for the root itself.
// Errors: InvalidArgument for a ".." component or an embedded NUL.
absl::StatusOr<std::string> CleanEntryPath(absl::string_view name);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_LAYER_APPLY_H_
