// Mounting squashfs layer images: a read-only loop device per image,
// created with autoclear so that it goes away with the last reference to
// its mount, and helpers to tell whether a directory is a mount point and
// to detach one.
//
//   if (LoopMountsAvailable()) {
//     absl::Status mounted = MountSquashfsImage(image_path, mountpoint);
//   }
//
// Needs CAP_SYS_ADMIN in the initial user namespace, /dev/loop-control and
// a kernel with squashfs and the image's compressor (LOOP_CONFIGURE needs
// Linux 5.8; older kernels take the LOOP_SET_FD path).
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_IMAGE_LAYER_MOUNT_H_
#define PYCONTAIN_LIB_IMAGE_LAYER_MOUNT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pycontain::image {

// Whether this process can mount squashfs images through loop devices:
// effective uid 0 in the initial user namespace, /dev/loop-control
// readable and writable, and squashfs listed in /proc/filesystems.
// Probed once per process; no device is allocated to find out.
bool LoopMountsAvailable();

// Attaches `image` read-only to a free loop device with autoclear and
// mounts it on the existing directory `mountpoint` as squashfs, read-only.
// The mount lives in the caller's mount namespace. Errors: the errno of the
// failing open, ioctl or mount, naming the image and device; on error no
// loop device stays attached.
absl::Status MountSquashfsImage(const std::string& image, const std::string& mountpoint);

// Whether `path` is a directory on another device than its parent, which
// for a store's layer mount point means the layer is mounted. A missing
// path is not a mount point.
bool IsMountPoint(const std::string& path);

// Detaches the mount at `path` (MNT_DETACH: containers that still use the
// layer keep it until they end; its loop device goes with the last one).
// Not mounted is not an error. Errors: the errno of umount2.
absl::Status DetachMount(const std::string& path);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_LAYER_MOUNT_H_
