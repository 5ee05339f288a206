// Volumes as in Docker: directories in the store that outlive containers
// and are bound into them (spec::Mount of type "volume").
//
//   <store root>/volumes/<name>/_data         the data, bound into containers
//   <store root>/volumes/<name>/volume.json   VolumeRecord (volume.proto)
//   <store root>/volumes/<name>/containers/<id>
//                                             one empty file per container
//                                             that mounts the volume
//
//   absl::StatusOr<VolumeStore> store = VolumeStore::Open("");
//   absl::StatusOr<VolumeRecord> made = store->Create({.name = "data"});
//   ... run containers with {type: "volume", source: "data", destination: ...}
//   absl::Status removed = store->Remove("data", /*force=*/false);
//
// The store root is image::DefaultStoreRoot() unless given. Volumes live
// here, in lib/container, rather than in lib/overlay, because deciding
// whether a volume is in use needs the containers' state directories.
//
// In use: a volume is in use by container `id` while its
// containers/<id> file exists and the container does. A managed container
// (managed.h) exists until it is removed, also while stopped. Any other
// exists while its state directory <StateRoot()>/<id> does, unless the
// record there names an owner that has died (gc then removes the
// directory). A starting container, whose state directory has no record
// yet, counts as a user.
//
// Anonymous volumes get a random 64-hex-digit name and the label
// kAnonymousVolumeLabel. A volume is created in a staging directory and
// renamed into place, so readers never see half of one.
//
// Thread safety: a VolumeStore may be shared between threads. Processes
// coordinate through the file system: creating one name twice fails with
// AlreadyExists for the second caller.
#ifndef PYCONTAIN_LIB_CONTAINER_VOLUME_H_
#define PYCONTAIN_LIB_CONTAINER_VOLUME_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/container/volume.pb.h"

namespace pycontain::container {

// The label of anonymous volumes, with an empty value, as Docker's
// "com.docker.volume.anonymous".
inline constexpr char kAnonymousVolumeLabel[] = "pycontain.volume.anonymous";

struct VolumeOptions {
  // Empty: an anonymous volume with a random name.
  std::string name;
  std::map<std::string, std::string> labels;
  // "local" or empty; no other driver exists.
  std::string driver;
  // Options of the driver; the local driver takes none, so any entry is an
  // InvalidArgument error.
  std::map<std::string, std::string> driver_options;
  // When set, containers/<id> is created before the volume becomes
  // visible, so that Prune cannot remove the new volume before it is
  // mounted.
  std::string container_id;
  // With container_id: the volume belongs to that container (an anonymous
  // volume of `run --rm`), and RemoveOrphans removes it once the container
  // is gone without having removed it, as when its owner was killed.
  bool remove_with_container = false;
};

class VolumeStore {
 public:
  // Opens <store_root>/volumes, creating it (mode 0700) when missing.
  // `store_root` empty: image::DefaultStoreRoot(). Errors: the errno of a
  // failed mkdir or open, naming the directory.
  static absl::StatusOr<VolumeStore> Open(absl::string_view store_root);

  // The directory that holds the volumes.
  const std::string& path() const { return path_; }

  // Creates a volume. Errors: InvalidArgument for an invalid name, driver
  // or driver option; AlreadyExists when the name is taken; errno-based
  // errors of the file system.
  absl::StatusOr<VolumeRecord> Create(const VolumeOptions& options);

  // Returns the volume's record. Errors: InvalidArgument for an invalid
  // name; NotFound; DataLoss for a damaged volume.json.
  absl::StatusOr<VolumeRecord> Inspect(absl::string_view name) const;

  // Returns every volume, sorted by name. A damaged volume is skipped with
  // a warning.
  absl::StatusOr<std::vector<VolumeRecord>> List() const;

  // Returns the ids of the containers that use volume `name` (see the file
  // comment), sorted.
  std::vector<std::string> Users(absl::string_view name) const;

  // Records that container `id` uses volume `name`. Errors: NotFound when
  // the volume does not exist.
  absl::Status AddUser(absl::string_view name, absl::string_view id);
  // Drops that record; a missing one is fine.
  void RemoveUser(absl::string_view name, absl::string_view id);
  // Whether that record exists, whether or not the container still does.
  bool HasUserRecord(absl::string_view name, absl::string_view id) const;

  // Removes the volume and its data. Unless `force`, a volume in use fails
  // with FailedPrecondition naming the containers. Errors: NotFound.
  absl::Status Remove(absl::string_view name, bool force);

  // Removes the volumes that no container uses: only anonymous ones
  // (Docker 23 and later do the same) unless `all`. Returns the removed
  // names. A volume that fails to be removed is skipped with a warning.
  absl::StatusOr<std::vector<std::string>> Prune(bool all);

  // Removes the volumes created with remove_with_container whose container
  // no longer exists (see "In use" above), for gc (gc.h). Returns the
  // removed names. A volume that fails to be removed is skipped with a
  // warning.
  absl::StatusOr<std::vector<std::string>> RemoveOrphans();

 private:
  std::string VolumeDir(absl::string_view name) const;
  absl::StatusOr<VolumeRecord> ReadVolume(absl::string_view name) const;

  std::string path_;
  // <store root>/volumes, open O_PATH.
  UniqueFd fd_;
};

// Returns 64 random hex digits, the name of a new anonymous volume.
std::string RandomVolumeName();

// Whether `record` carries kAnonymousVolumeLabel.
bool IsAnonymous(const VolumeRecord& record);

// Returns the record as `docker volume inspect` prints one element.
std::string VolumeToJson(const VolumeRecord& record);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_VOLUME_H_
