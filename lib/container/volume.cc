#include "lib/container/volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/record.h"
#include "lib/container/managed.h"
#include "lib/container/state_dir.h"
#include "lib/image/fs_util.h"
#include "lib/image/store.h"
#include "lib/spec/validate.h"

namespace pycontain::container {
namespace {

constexpr char kDataDir[] = "_data";
constexpr char kRecordName[] = "volume.json";
constexpr char kUsersDir[] = "containers";
// Names the container whose removal takes the volume along.
constexpr char kRemoveWithFile[] = "remove-with";
// Staging names start with '.', which no volume name does.
constexpr char kCreatingPrefix[] = ".creating-";
constexpr char kRemovingPrefix[] = ".removing-";

// Lists the entry names of the directory `path`, skipping "." and "..".
std::vector<std::string> ListDirectory(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return names;
  while (struct dirent* entry = readdir(dir)) {
    absl::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// Whether container `id` still exists, by the rule in the header.
bool ContainerExists(const std::string& id) {
  if (!spec::ValidateId(id).ok()) return false;
  struct stat info;
  // A managed container (managed.h) uses its volumes until it is removed,
  // also while it is stopped.
  std::string managed = absl::StrCat(ManagedContainersRoot(), "/", id, "/config.json");
  if (stat(managed.c_str(), &info) == 0) return true;
  std::string state = absl::StrCat(StateRoot(), "/", id);
  if (stat(state.c_str(), &info) != 0) return false;
  absl::StatusOr<ContainerRecord> record = ReadRecord(state);
  // No record yet: the container is starting.
  if (!record.ok()) return record.status().code() == absl::StatusCode::kNotFound;
  return DeadOwnerReason(*record).empty();
}

std::string EncodeVolume(const VolumeRecord& record) {
  VolumeRecord stored = record;
  // The mountpoint follows from where the store is; it is not saved.
  stored.clear_mountpoint();
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string json;
  // Printing a message without Any fields cannot fail.
  (void)google::protobuf::util::MessageToJsonString(stored, &json, options);
  return json;
}

}  // namespace

std::string RandomVolumeName() {
  unsigned char bytes[32];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    // getrandom does not fail on a booted kernel for a valid buffer; the
    // clock keeps names distinct if it ever does.
    if (n <= 0) {
      uint64_t now = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
      for (size_t i = filled; i < sizeof(bytes); ++i) bytes[i] = (now >> (8 * (i % 8))) & 0xff;
      break;
    }
    filled += static_cast<size_t>(n);
  }
  std::string name;
  for (unsigned char byte : bytes) absl::StrAppendFormat(&name, "%02x", byte);
  return name;
}

bool IsAnonymous(const VolumeRecord& record) {
  return record.labels().contains(kAnonymousVolumeLabel);
}

std::string VolumeToJson(const VolumeRecord& record) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(record, &json, options);
  return json;
}

absl::StatusOr<VolumeStore> VolumeStore::Open(absl::string_view store_root) {
  std::string root = store_root.empty() ? image::DefaultStoreRoot() : std::string(store_root);
  VolumeStore store;
  store.path_ = absl::StrCat(root, "/volumes");
  absl::Status made = image::MakeDirectories(root, 0700);
  if (!made.ok()) return made;
  if (mkdir(store.path_.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError(errno, "create directory", store.path_);
  }
  int fd = open(store.path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", store.path_);
  store.fd_ = UniqueFd(fd);
  return store;
}

std::string VolumeStore::VolumeDir(absl::string_view name) const {
  return absl::StrCat(path_, "/", name);
}

absl::StatusOr<VolumeRecord> VolumeStore::Create(const VolumeOptions& options) {
  std::string name = options.name.empty() ? RandomVolumeName() : options.name;
  absl::Status valid = spec::ValidateVolumeName(name);
  if (!valid.ok()) return valid;
  if (!options.driver.empty() && options.driver != "local") {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume driver \"", options.driver, "\" is not available: only \"local\" exists"));
  }
  if (!options.driver_options.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume driver option \"", options.driver_options.begin()->first,
        "\": the local driver takes no options"));
  }
  if (!options.container_id.empty() && !spec::ValidateId(options.container_id).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid container id \"", options.container_id, "\""));
  }
  struct stat existing;
  if (fstatat(fd_.get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("volume \"", name, "\" already exists"));
  }

  VolumeRecord record;
  record.set_name(name);
  record.set_driver("local");
  record.set_scope("local");
  record.set_created_at(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()));
  for (const auto& [key, value] : options.labels) (*record.mutable_labels())[key] = value;
  if (options.name.empty()) (*record.mutable_labels())[kAnonymousVolumeLabel] = "";

  // Everything is made under a staging name, then renamed into place.
  absl::StatusOr<std::string> staging = image::MakeTempDirAt(fd_.get(), kCreatingPrefix);
  if (!staging.ok()) return staging.status();
  std::string staged = absl::StrCat(path_, "/", *staging);
  auto discard = [&](absl::Status status) {
    absl::Status removed = image::RemoveTreeAt(fd_.get(), *staging);
    if (!removed.ok()) Logf(LogLevel::kWarning, "", "remove %s: %s", staged, removed.message());
    return status;
  };
  // Like Docker's local driver: the volume's directory is private to root,
  // its data directory is open to every user the container has.
  if (chmod(staged.c_str(), 0701) != 0) return discard(ErrnoError(errno, "chmod", staged));
  std::string data = absl::StrCat(staged, "/", kDataDir);
  if (mkdir(data.c_str(), 0755) != 0) return discard(ErrnoError(errno, "create directory", data));
  std::string users = absl::StrCat(staged, "/", kUsersDir);
  if (mkdir(users.c_str(), 0700) != 0) {
    return discard(ErrnoError(errno, "create directory", users));
  }
  if (!options.container_id.empty()) {
    std::string user = absl::StrCat(users, "/", options.container_id);
    int fd = open(user.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return discard(ErrnoError(errno, "create", user));
    close(fd);
  }
  if (options.remove_with_container && !options.container_id.empty()) {
    // No fsync: only gc reads the file, and a partly written one just
    // leaves the volume to `volume prune`.
    std::string marker = absl::StrCat(staged, "/", kRemoveWithFile);
    int fd = open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return discard(ErrnoError(errno, "create", marker));
    absl::Status marked = image::WriteAll(fd, options.container_id);
    close(fd);
    if (!marked.ok()) return discard(Annotate(marked, marker));
  }
  absl::Status written = image::WriteFileAtomic(fd_.get(), absl::StrCat(*staging, "/", kRecordName),
                                                EncodeVolume(record), 0600);
  if (!written.ok()) return discard(written);
  if (renameat2(fd_.get(), staging->c_str(), fd_.get(), name.c_str(), RENAME_NOREPLACE) != 0) {
    int err = errno;
    if (err == EEXIST) {
      return discard(
          absl::AlreadyExistsError(absl::StrCat("volume \"", name, "\" already exists")));
    }
    return discard(ErrnoError(err, "rename", absl::StrCat(staged, " to ", VolumeDir(name))));
  }
  Logf(LogLevel::kDebug, "", "created volume %s at %s", name, VolumeDir(name));
  record.set_mountpoint(absl::StrCat(VolumeDir(name), "/", kDataDir));
  return record;
}

absl::StatusOr<VolumeRecord> VolumeStore::ReadVolume(absl::string_view name) const {
  std::string file = absl::StrCat(name, "/", kRecordName);
  absl::StatusOr<std::string> text = image::ReadFileAt(fd_.get(), file, 1 << 20);
  if (!text.ok()) {
    if (ErrnoOf(text.status()) == ENOENT) {
      return absl::NotFoundError(absl::StrCat("volume \"", name, "\" not found in ", path_));
    }
    return Annotate(text.status(), absl::StrCat("volume ", name));
  }
  VolumeRecord record;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &record, options);
  if (!parsed.ok() || record.name() != name) {
    return absl::DataLossError(absl::StrCat("volume \"", name, "\": ", VolumeDir(name), "/",
                                            kRecordName, " is damaged"));
  }
  record.set_mountpoint(absl::StrCat(VolumeDir(name), "/", kDataDir));
  return record;
}

absl::StatusOr<VolumeRecord> VolumeStore::Inspect(absl::string_view name) const {
  absl::Status valid = spec::ValidateVolumeName(name);
  if (!valid.ok()) return valid;
  return ReadVolume(name);
}

absl::StatusOr<std::vector<VolumeRecord>> VolumeStore::List() const {
  std::vector<VolumeRecord> volumes;
  for (const std::string& name : ListDirectory(path_)) {
    if (!spec::ValidateVolumeName(name).ok()) continue;  // staging directories
    absl::StatusOr<VolumeRecord> record = ReadVolume(name);
    if (!record.ok()) {
      Logf(LogLevel::kWarning, "", "skipping volume %s: %s", name, record.status().message());
      continue;
    }
    volumes.push_back(std::move(*record));
  }
  return volumes;
}

std::vector<std::string> VolumeStore::Users(absl::string_view name) const {
  std::vector<std::string> users;
  for (std::string& id : ListDirectory(absl::StrCat(VolumeDir(name), "/", kUsersDir))) {
    if (ContainerExists(id)) users.push_back(std::move(id));
  }
  return users;
}

absl::Status VolumeStore::AddUser(absl::string_view name, absl::string_view id) {
  absl::Status valid = spec::ValidateId(id);
  if (!valid.ok()) return valid;
  std::string user = absl::StrCat(VolumeDir(name), "/", kUsersDir, "/", id);
  int fd = open(user.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("volume \"", name, "\" not found in ", path_));
    }
    return ErrnoError(errno, "create", user);
  }
  close(fd);
  return absl::OkStatus();
}

bool VolumeStore::HasUserRecord(absl::string_view name, absl::string_view id) const {
  std::string user = absl::StrCat(VolumeDir(name), "/", kUsersDir, "/", id);
  struct stat info;
  return lstat(user.c_str(), &info) == 0;
}

void VolumeStore::RemoveUser(absl::string_view name, absl::string_view id) {
  std::string user = absl::StrCat(VolumeDir(name), "/", kUsersDir, "/", id);
  // A missing file means the volume went first (removed by force).
  if (unlink(user.c_str()) != 0 && errno != ENOENT) {
    Logf(LogLevel::kWarning, id, "unlink %s: %s", user, strerror(errno));
  }
}

absl::Status VolumeStore::Remove(absl::string_view name, bool force) {
  absl::StatusOr<VolumeRecord> record = Inspect(name);
  if (!record.ok()) return record.status();
  if (!force) {
    std::vector<std::string> users = Users(name);
    if (!users.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume \"", name, "\" is in use by container ",
                       absl::StrJoin(users, ", "), " (remove it first, or force)"));
    }
  }
  // Renamed first, so that the name is free at once and a failure midway
  // leaves a staging directory, not a damaged volume.
  std::string removing =
      absl::StrCat(kRemovingPrefix, name, "-", RandomVolumeName().substr(0, 16));
  std::string from(name);
  if (renameat(fd_.get(), from.c_str(), fd_.get(), removing.c_str()) != 0) {
    return ErrnoError(errno, "rename", VolumeDir(name));
  }
  absl::Status removed = image::RemoveTreeAt(fd_.get(), removing);
  if (!removed.ok()) return Annotate(removed, absl::StrCat("remove volume ", name));
  Logf(LogLevel::kDebug, "", "removed volume %s", name);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> VolumeStore::Prune(bool all) {
  absl::StatusOr<std::vector<VolumeRecord>> volumes = List();
  if (!volumes.ok()) return volumes.status();
  std::vector<std::string> removed;
  for (const VolumeRecord& volume : *volumes) {
    if (!all && !IsAnonymous(volume)) continue;
    if (!Users(volume.name()).empty()) continue;
    absl::Status status = Remove(volume.name(), /*force=*/false);
    if (!status.ok()) {
      Logf(LogLevel::kWarning, "", "prune volume %s: %s", volume.name(), status.message());
      continue;
    }
    removed.push_back(volume.name());
  }
  return removed;
}

absl::StatusOr<std::vector<std::string>> VolumeStore::RemoveOrphans() {
  std::vector<std::string> removed;
  for (const std::string& name : ListDirectory(path_)) {
    if (!spec::ValidateVolumeName(name).ok()) continue;
    absl::StatusOr<std::string> owner =
        image::ReadFileAt(fd_.get(), absl::StrCat(name, "/", kRemoveWithFile), 4096);
    if (!owner.ok() || ContainerExists(*owner)) continue;
    absl::Status status = Remove(name, /*force=*/true);
    if (!status.ok()) {
      Logf(LogLevel::kWarning, "", "remove volume %s of container %s: %s", name, *owner,
           status.message());
      continue;
    }
    Logf(LogLevel::kDebug, *owner, "removed volume %s of the removed container", name);
    removed.push_back(name);
  }
  return removed;
}

}  // namespace pycontain::container
