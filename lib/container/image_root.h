// Containers from images: the image's config as defaults for the spec, and
// its layers as the lowers of an overlay root with a writable upper
// directory per container (lib/overlay).
//
//   absl::StatusOr<ImageSpec> image = ResolveImage(spec);  // spec.image set
//   ... claim the id (StateDir) ...
//   absl::StatusOr<ImageRoot> root = MountImageRoot(*image, id, mountpoint);
//   // root->lookup_path() to plan; root->AttachStep() first in the child
//
// Thread safety: thread-safe; an ImageRoot is used by one thread.
#ifndef PYCONTAIN_LIB_CONTAINER_IMAGE_ROOT_H_
#define PYCONTAIN_LIB_CONTAINER_IMAGE_ROOT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/ns/plan.h"
#include "lib/overlay/overlay.h"
#include "lib/spec/container.pb.h"

namespace pycontain::container {

// A spec with its image applied.
struct ImageSpec {
  // The caller's spec with process args, env, cwd and user filled from the
  // image config by `docker run`'s rules: process.args replace Cmd and
  // follow Entrypoint. A read-only root also gets tmpfs mounts at /tmp and
  // /run unless the spec mounts something there. Each VOLUME path of the
  // image config gets a mount of type "volume" without a source (an
  // anonymous volume) unless the spec mounts something there.
  spec::ContainerSpec spec;
  // The image's unpacked layers, top first.
  std::vector<std::string> lowers;
  // The parent of each container's upper and work directories:
  // <store root>/containers.
  std::string containers_dir;
  // When set, the writable layer kept between runs: <layer_directory>/upper
  // and /work, made when missing and left in place when the ImageRoot is
  // dropped. Empty: a fresh <containers_dir>/<id>, removed with it.
  std::string layer_directory;
};

// Finds spec.image in the store (image::DefaultStoreRoot, so
// $PYCONTAIN_ROOT when set) and applies it. Reads only. The image read from
// a store is kept in a per-process cache while the store's image records
// are unchanged (inode, modification and change time). Errors:
// InvalidArgument when root.path is also set; NotFound for an unknown
// image ("image \"x:latest\" not found in the store at /var/lib/pycontain");
// FailedPrecondition for an image with no command when the spec gives none.
// A caller other than root reads its own store ($XDG_DATA_HOME/pycontain),
// whose layers are directories owned by the caller: inside the container
// every file of the image belongs to root (the caller's mapped uid).
absl::StatusOr<ImageSpec> ResolveImage(const spec::ContainerSpec& spec);

// The owner of a container's overlay root: the detached overlay mount and
// the upper and work directories, removed when dropped.
class ImageRoot {
 public:
  // The merged tree as this process reaches it, for planning.
  std::string lookup_path() const { return mount_.path(); }
  // The step that attaches the overlay on `mountpoint` in the child's
  // mount namespace; it borrows this object's descriptor.
  ns::RootfsStep AttachStep() const;
  // The upper directory; "" for a copied root, which has none.
  const std::string& upper() const;
  const std::vector<std::string>& lowers() const { return lowers_; }

 private:
  friend absl::StatusOr<ImageRoot> MountImageRoot(const ImageSpec& image,
                                                  const std::string& id,
                                                  const std::string& mountpoint);
  std::vector<std::string> lowers_;
  std::string mountpoint_;
  std::string upper_;
  // Declared first, so that the directories go after the mount's last
  // reference in this process is closed.
  overlay::WritableLayer layer_;
  overlay::OverlayMount mount_;
};

// Creates <containers_dir>/<id>/{upper,work} and the detached overlay of
// the image's layers, or its fallback (overlay::MountRoot: fuse-overlayfs,
// else a copy in <containers_dir>/<id>/rootfs). `mountpoint` is the empty
// host directory where the child attaches it (and where kernels before
// Linux 6.8 stage the mount). Errors: those of overlay::MountRoot and
// WritableLayer::Create.
absl::StatusOr<ImageRoot> MountImageRoot(const ImageSpec& image, const std::string& id,
                                         const std::string& mountpoint);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_IMAGE_ROOT_H_
