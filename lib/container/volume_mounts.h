// A container's volumes: the spec's mounts of type "volume" turned into
// bind mounts of volume directories (volume.h), before the root filesystem
// is planned.
//
//   std::vector<spec::Mount> mounts = ...;  // from the spec
//   absl::StatusOr<ContainerVolumes> volumes =
//       AttachVolumes("c1", "/proc/self/fd/7", mounts);
//   ... plan with `mounts`, start the container ...
//   volumes->Keep(spec.remove_anonymous_volumes());
//
// Thread safety: thread-safe; a ContainerVolumes is used by one thread.
#ifndef PYCONTAIN_LIB_CONTAINER_VOLUME_MOUNTS_H_
#define PYCONTAIN_LIB_CONTAINER_VOLUME_MOUNTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/container/volume.h"
#include "lib/spec/container.pb.h"

namespace pycontain::container {

// The volumes one container mounts. While it exists the container is
// recorded as their user, so `volume rm` and `prune` leave them alone.
// Dropping it before Keep (a start that failed) removes every volume it
// created, named ones too. After Keep it removes the anonymous volumes it
// created only when asked to, and otherwise just the user records that it
// added (not those that existed before, such as a managed container's).
class ContainerVolumes {
 public:
  ContainerVolumes() = default;
  ContainerVolumes(ContainerVolumes&&) = default;
  ContainerVolumes& operator=(ContainerVolumes&&) = default;
  ~ContainerVolumes();

  // Marks the container as started. `remove_anonymous`: remove the
  // anonymous volumes it created when this object is dropped.
  void Keep(bool remove_anonymous);

  // Names of the volumes, in mount order.
  std::vector<std::string> names() const;

 private:
  friend absl::StatusOr<ContainerVolumes> AttachVolumes(const std::string& id,
                                                        const std::string& seed_root,
                                                        std::vector<spec::Mount>& mounts,
                                                        bool remove_anonymous);
  void Release();

  struct Attached {
    std::string name;
    bool created = false;
    bool anonymous = false;
    // The container was recorded as a user before (a managed container
    // does so while it exists), so the record is not this object's to drop.
    bool recorded_before = false;
  };
  std::string id_;
  std::optional<VolumeStore> store_;
  std::vector<Attached> attached_;
  bool kept_ = false;
  bool remove_anonymous_ = false;
};

// Replaces each mount of type "volume" in `mounts` by a bind mount of the
// volume's data directory, keeping "ro" and propagation options. A named
// volume that does not exist is created; an empty source gets a new
// anonymous volume. Container `id` is recorded as the user of each.
//
// Seeding: unless the mount has "nocopy", a volume whose data directory is
// empty gets a copy (CopyTree) of what `seed_root` has at the destination,
// resolved inside `seed_root`, when that is a directory. Docker does the
// same for an empty volume. `seed_root` is the host path of the container's
// root as this process sees it; empty: no seeding (the embedded host root).
//
// `remove_anonymous`: the anonymous volumes go with the container (`run
// --rm`); they are marked so that gc removes them if the owner dies first
// (VolumeOptions::remove_with_container).
//
// Errors: InvalidArgument naming "mounts[i]" for an invalid volume name;
// those of VolumeStore; those of CopyTree, naming the volume. Volumes
// created before a failure are removed again.
absl::StatusOr<ContainerVolumes> AttachVolumes(const std::string& id,
                                               const std::string& seed_root,
                                               std::vector<spec::Mount>& mounts,
                                               bool remove_anonymous = false);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_VOLUME_MOUNTS_H_
