// A container's root from image layers, with fallbacks where overlayfs
// cannot be used (a store on a filesystem that rejects an overlay upper
// directory, a kernel without overlayfs):
//
//   1. overlayfs (OverlayMount::Create);
//   2. fuse-overlayfs, when the program is installed: the same upper and
//      work directories, so diffs and commits still work;
//   3. a copied root: the layers flattened into one directory (FlattenLayers),
//      as Docker's "vfs" storage driver does. It costs a full copy and
//      records no changes.
//
// Each fallback logs a WARNING naming the reason. $PYCONTAIN_ROOTFS_DRIVER
// set to "overlay", "fuse-overlayfs" or "copy" picks one without trying
// the others.
//
//   absl::StatusOr<RootMount> root = MountRoot(options, layer_dir + "/rootfs");
//   root->mount.fd();  // a detached mount for RootfsStep::Kind::kAttachMount
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_OVERLAY_ROOT_MOUNT_H_
#define PYCONTAIN_LIB_OVERLAY_ROOT_MOUNT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/overlay/overlay.h"

namespace pycontain::overlay {

enum class RootDriver {
  kOverlay,
  kFuseOverlayfs,
  kCopy,
};

// Returns "overlay", "fuse-overlayfs" or "copy".
absl::string_view RootDriverName(RootDriver driver);

struct RootMount {
  // A detached mount of the root; for kFuseOverlayfs its FUSE daemon
  // exits once the mount's last reference is gone.
  OverlayMount mount;
  RootDriver driver = RootDriver::kOverlay;
  // The reason for a driver other than overlayfs; empty for kOverlay.
  std::string reason;
};

// Mounts `options` (lowers, upper, work, staging_mountpoint, log_id) with
// the first driver that works, as described above. `copy_dir` is the
// directory for a copied root: created when missing, and reused as it is
// when it already contains files (a kept root of an earlier run). Its owner
// removes it. NOTE: a copy left by a run that failed midway is reused
// as it is. `staging_mountpoint` must be set: fuse-overlayfs mounts there
// for a moment before the mount is detached.
//
// Errors: the overlay error itself when it is not one a fallback can
// help with (a missing layer, say); InvalidArgument for an unknown
// $PYCONTAIN_ROOTFS_DRIVER; those of the chosen fallback otherwise.
absl::StatusOr<RootMount> MountRoot(const OverlayOptions& options, const std::string& copy_dir);

}  // namespace pycontain::overlay

#endif  // PYCONTAIN_LIB_OVERLAY_ROOT_MOUNT_H_
