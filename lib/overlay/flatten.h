// Flattening overlay layers into one plain directory: the copied root that
// stands in for an overlay mount where overlayfs cannot be used, as
// Docker's "vfs" storage driver does.
//
//   absl::Status done = FlattenLayers({top, ..., bottom}, "/x/rootfs");
//
// Thread safety: thread-safe; the layers must not change meanwhile.
#ifndef PYCONTAIN_LIB_OVERLAY_FLATTEN_H_
#define PYCONTAIN_LIB_OVERLAY_FLATTEN_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace pycontain::overlay {

// Copies `lowers` (top first, as OverlayOptions::lowers) into the existing
// empty directory `target`, bottom layer first, so that the result is what
// an overlay mount of them shows. Overlay whiteouts (character devices
// 0:0) remove what the layers below have at their path, and a directory
// with the xattr trusted.overlay.opaque="y" hides everything below it.
// Owners, modes, timestamps, symlinks, devices, FIFOs and the extended
// attributes of files and directories (other than trusted.overlay.*) are
// kept, and hard links within one layer stay hard links.
//
// Needs CAP_CHOWN and CAP_MKNOD for images with other owners or devices.
// Errors: ErrnoError naming the operation and the layer path. What was
// copied before a failure stays in `target`.
absl::Status FlattenLayers(const std::vector<std::string>& lowers, const std::string& target);

}  // namespace pycontain::overlay

#endif  // PYCONTAIN_LIB_OVERLAY_FLATTEN_H_
