#include "lib/container/volume_mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/path.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/container/copy_tree.h"
#include "lib/spec/validate.h"

namespace pycontain::container {
namespace {

absl::StatusOr<bool> IsEmptyDirectory(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return ErrnoError(errno, "open directory", path);
  bool empty = true;
  while (struct dirent* entry = readdir(dir)) {
    absl::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  closedir(dir);
  return empty;
}

// Copies what `root` has at `destination` into the volume's data
// directory. A destination that is missing or not a directory is nothing
// to copy.
absl::Status SeedVolume(const std::string& root, const std::string& destination,
                        const std::string& data, const std::string& id) {
  int root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return ErrnoError(errno, "open", root);
  UniqueFd root_dir(root_fd);
  absl::StatusOr<UniqueFd> from =
      OpenInRoot(root_dir.get(), destination, O_RDONLY | O_DIRECTORY);
  if (!from.ok()) {
    std::optional<int> err = ErrnoOf(from.status());
    if (err == ENOENT || err == ENOTDIR) return absl::OkStatus();
    return from.status();
  }
  int to_fd = open(data.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (to_fd < 0) return ErrnoError(errno, "open directory", data);
  UniqueFd to(to_fd);
  Logf(LogLevel::kDebug, id, "copy %s of the root into %s", destination, data);
  return CopyTree(from->get(), to.get());
}

// Turns volume mount `mount` into a bind of `data`; "nocopy" is dropped.
void MakeBind(spec::Mount& mount, const std::string& data) {
  spec::Mount bind;
  bind.set_destination(mount.destination());
  bind.set_type("bind");
  bind.set_source(data);
  for (const std::string& option : mount.options()) {
    if (option != "nocopy") bind.add_options(option);
  }
  mount = std::move(bind);
}

bool HasOption(const spec::Mount& mount, absl::string_view option) {
  for (const std::string& value : mount.options()) {
    if (value == option) return true;
  }
  return false;
}

}  // namespace

ContainerVolumes::~ContainerVolumes() { Release(); }

void ContainerVolumes::Keep(bool remove_anonymous) {
  kept_ = true;
  remove_anonymous_ = remove_anonymous;
}

std::vector<std::string> ContainerVolumes::names() const {
  std::vector<std::string> names;
  for (const Attached& volume : attached_) names.push_back(volume.name);
  return names;
}

void ContainerVolumes::Release() {
  if (!store_.has_value()) return;
  for (const Attached& volume : attached_) {
    bool remove = kept_ ? (volume.anonymous && volume.created && remove_anonymous_)
                        : volume.created;
    if (!remove) {
      if (!volume.recorded_before) store_->RemoveUser(volume.name, id_);
      continue;
    }
    absl::Status removed = store_->Remove(volume.name, /*force=*/true);
    if (!removed.ok() && removed.code() != absl::StatusCode::kNotFound) {
      Logf(LogLevel::kWarning, id_, "remove volume %s: %s", volume.name, removed.message());
    }
  }
  attached_.clear();
  store_.reset();
}

absl::StatusOr<ContainerVolumes> AttachVolumes(const std::string& id,
                                               const std::string& seed_root,
                                               std::vector<spec::Mount>& mounts,
                                               bool remove_anonymous) {
  ContainerVolumes volumes;
  volumes.id_ = id;
  for (size_t i = 0; i < mounts.size(); ++i) {
    spec::Mount& mount = mounts[i];
    if (mount.type() != "volume") continue;
    std::string field = absl::StrCat("mounts[", i, "]");
    if (!volumes.store_.has_value()) {
      absl::StatusOr<VolumeStore> store = VolumeStore::Open("");
      if (!store.ok()) return store.status();
      volumes.store_ = std::move(*store);
    }
    VolumeStore& store = *volumes.store_;

    ContainerVolumes::Attached attached;
    attached.anonymous = mount.source().empty();
    absl::StatusOr<VolumeRecord> record;
    if (!attached.anonymous) {
      absl::Status valid = spec::ValidateVolumeName(mount.source());
      if (!valid.ok()) return Annotate(valid, absl::StrCat(field, ".source"));
      record = store.Inspect(mount.source());
    }
    if (attached.anonymous || record.status().code() == absl::StatusCode::kNotFound) {
      VolumeOptions options;
      options.name = mount.source();
      options.container_id = id;
      options.remove_with_container = attached.anonymous && remove_anonymous;
      record = store.Create(options);
      attached.created = record.ok();
      // Another container created the same name meanwhile.
      if (record.status().code() == absl::StatusCode::kAlreadyExists) {
        record = store.Inspect(mount.source());
      }
    }
    if (!record.ok()) return Annotate(record.status(), field);
    attached.name = record->name();
    if (!attached.created) {
      attached.recorded_before = store.HasUserRecord(attached.name, id);
      absl::Status added = store.AddUser(attached.name, id);
      if (!added.ok()) return Annotate(added, field);
    }
    volumes.attached_.push_back(attached);
    Logf(LogLevel::kDebug, id, "volume %s%s at %s", attached.name,
         attached.created ? " (new)" : "", mount.destination());

    if (!seed_root.empty() && !HasOption(mount, "nocopy")) {
      absl::StatusOr<bool> empty = IsEmptyDirectory(record->mountpoint());
      if (!empty.ok()) return Annotate(empty.status(), field);
      if (*empty) {
        absl::Status seeded = SeedVolume(seed_root, mount.destination(), record->mountpoint(), id);
        if (!seeded.ok()) {
          return Annotate(seeded, absl::StrCat(field, ": seed volume ", attached.name, " from ",
                                               mount.destination()));
        }
      }
    }
    MakeBind(mount, record->mountpoint());
  }
  return volumes;
}

}  // namespace pycontain::container
