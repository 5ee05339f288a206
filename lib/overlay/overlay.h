// Overlay root filesystems: an image's layers as read-only lower
// directories, and one writable upper directory per container.
//
//   absl::StatusOr<WritableLayer> layer = WritableLayer::Create(dir);
//   OverlayOptions options;
//   options.lowers = {top_layer, ..., bottom_layer};
//   options.upper = layer->upper();
//   options.work = layer->work();
//   absl::StatusOr<OverlayMount> root = OverlayMount::Create(options);
//   root->path();  // "/proc/self/fd/7": the merged tree, for planning
//   root->fd();    // for move_mount(2) in the container's mount namespace
//
// The mount is created detached (fsmount(2)), so it appears in no mount
// table until the container's first process attaches it in its own mount
// namespace (ns::RootfsStep::Kind::kAttachMount). The kernel unmounts it
// once the OverlayMount is dropped and that namespace is gone. A killed
// owner therefore leaves no mount on the host.
//
// Any number of lowers up to the kernel's limit of 500 work, with paths of
// any length: each layer is passed as a short /proc/self/fd/N name of an
// open directory, through fsconfig(2) "lowerdir+" (Linux 6.8), so the
// one-page limit of mount(2) options never applies. Older kernels get
// mount(2) with the names relative to /proc/self/fd (the descriptor
// number and a colon per layer), and a clear error if that still exceeds
// a page.
//
// Root (CAP_SYS_ADMIN in the initial user namespace) mounts directly, with
// Linux 5.2 (fsopen, open_tree). Other callers get the overlay from a helper
// process in a user namespace of their own (userns_mount.h) with the
// "userxattr" option, which needs Linux 5.11. Their layers keep opaque
// directories in the user.overlay.opaque xattr, and files created through
// the mount belong to the caller. Thread safety: Create is thread-safe; the
// owner objects are not.
#ifndef PYCONTAIN_LIB_OVERLAY_OVERLAY_H_
#define PYCONTAIN_LIB_OVERLAY_OVERLAY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"

namespace pycontain::overlay {

// Overlayfs accepts at most this many lower layers (OVL_MAX_STACK in
// fs/overlayfs/params.h).
inline constexpr int kMaxLowers = 500;

// The kernel interface for the mount. Tests force the older one.
enum class MountApi {
  kAuto,    // fsconfig "lowerdir+", else mount(2)
  kLegacy,  // mount(2) with lowerdir relative to /proc/self/fd
};

struct OverlayOptions {
  // Lower directories, top first (the first one wins). At least one.
  std::vector<std::string> lowers;
  // The writable upper directory and overlayfs's work directory, empty
  // and on one file system. Both empty: a read-only overlay of the lowers.
  std::string upper;
  std::string work;
  // For MountApi::kLegacy: an empty directory where the mount is made
  // for a moment before it is detached.
  std::string staging_mountpoint;
  MountApi api = MountApi::kAuto;
  // The container id, for log lines.
  std::string log_id;
};

// Owner of a detached overlay mount.
class OverlayMount {
 public:
  OverlayMount() = default;
  OverlayMount(OverlayMount&&) = default;
  OverlayMount& operator=(OverlayMount&&) = default;

  // Creates the overlay for `options`. Errors: InvalidArgument for no
  // lowers, more than kMaxLowers or only one of upper and work.
  // ResourceExhausted when the mount(2) options do not fit in a page.
  // Otherwise the errno of the failed call, with the kernel's own message
  // when it gave one ("fsconfig overlay lowerdir+ /x: No such file or
  // directory").
  static absl::StatusOr<OverlayMount> Create(const OverlayOptions& options);
  // Takes ownership of `mount`, a detached mount (from open_tree(2) or
  // fsmount(2)) that stands in for an overlay, such as a copied root.
  static OverlayMount Adopt(UniqueFd mount) { return OverlayMount(std::move(mount)); }

  bool valid() const { return mount_.valid(); }
  // The mount's root, a descriptor owned by this object.
  int fd() const { return mount_.get(); }
  // "/proc/self/fd/<fd>": the merged tree, readable by this process only.
  std::string path() const;

 private:
  explicit OverlayMount(UniqueFd mount) : mount_(std::move(mount)) {}
  UniqueFd mount_;
};

// Owner of a container's upper and work directories: <dir>/upper and
// <dir>/work, removed with everything in them when dropped.
class WritableLayer {
 public:
  WritableLayer() = default;
  WritableLayer(WritableLayer&& other) noexcept;
  WritableLayer& operator=(WritableLayer&& other) noexcept;
  ~WritableLayer();

  // Creates `dir` (mode 0700, it must not exist; its parent must) and the
  // two directories in it. Errors: the errno of a failed mkdir, such as
  // AlreadyExists.
  static absl::StatusOr<WritableLayer> Create(absl::string_view dir);

  const std::string& dir() const { return dir_; }
  std::string upper() const { return dir_ + "/upper"; }
  std::string work() const { return dir_ + "/work"; }

 private:
  void Remove();
  std::string dir_;
};

// Removes `path` and everything under it without following symlinks or
// crossing into other mounts. A missing path is fine. A caller other than
// root first gets full access to the directories it owns when some entry
// could not be removed (overlayfs leaves work/work with mode 0). Errors:
// the first failed unlink or rmdir.
absl::Status RemoveTree(const std::string& path);

}  // namespace pycontain::overlay

#endif  // PYCONTAIN_LIB_OVERLAY_OVERLAY_H_
