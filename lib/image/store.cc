#include "lib/image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/image/digest.h"
#include "lib/image/fs_util.h"
#include "lib/image/json.h"
#include "lib/image/layer_mount.h"

namespace pycontain::image {

namespace {

// Lists the names in directory `path`, without "." and "..".
absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return ErrnoError(errno, "open directory", path);
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

constexpr absl::string_view kSquashfsSuffix = ".squashfs";
constexpr absl::string_view kMountSuffix = ".mnt";

bool IsHexPrefix(absl::string_view text) {
  if (absl::StartsWith(text, kSha256Prefix)) text.remove_prefix(7);
  if (text.size() < 4 || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

std::string DefaultStoreRoot() {
  const char* override_root = getenv("PYCONTAIN_ROOT");
  if (override_root != nullptr && override_root[0] != '\0') return override_root;
  if (geteuid() == 0) return "/var/lib/pycontain";
  const char* data_home = getenv("XDG_DATA_HOME");
  if (data_home != nullptr && data_home[0] == '/') {
    return absl::StrCat(data_home, "/pycontain");
  }
  const char* home = getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "", "/.local/share/pycontain");
}

std::pair<std::string, std::string> SplitReference(absl::string_view reference) {
  size_t slash = reference.rfind('/');
  size_t colon = reference.rfind(':');
  if (colon == absl::string_view::npos ||
      (slash != absl::string_view::npos && colon < slash)) {
    return {std::string(reference), "latest"};
  }
  return {std::string(reference.substr(0, colon)),
          std::string(reference.substr(colon + 1))};
}

std::string NormalizeReference(absl::string_view reference) {
  auto [name, tag] = SplitReference(reference);
  return absl::StrCat(name, ":", tag);
}

absl::StatusOr<Store> Store::Open(const StoreOptions& options) {
  std::string root = options.root.empty() ? DefaultStoreRoot() : options.root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty()) {
    return absl::InvalidArgumentError("empty image store root");
  }
  for (const char* sub : {"/blobs/sha256", "/layers", "/images", "/tmp"}) {
    absl::Status made = MakeDirectories(absl::StrCat(root, sub), 0700);
    if (!made.ok()) return Annotate(made, "create image store");
  }
  return Store(root, options);
}

std::string Store::BlobPath(absl::string_view digest) const {
  return absl::StrCat(root_, "/blobs/sha256/", DigestHex(digest));
}

std::string Store::LayerPath(absl::string_view diff_id) const {
  return absl::StrCat(root_, "/layers/", DigestHex(diff_id));
}

std::string Store::LayerImagePath(absl::string_view diff_id) const {
  return absl::StrCat(LayerPath(diff_id), kSquashfsSuffix);
}

std::string Store::LayerMountPath(absl::string_view diff_id) const {
  return absl::StrCat(LayerPath(diff_id), kMountSuffix);
}

bool Store::HasLayer(absl::string_view diff_id) const {
  struct stat st;
  return lstat(LayerPath(diff_id).c_str(), &st) == 0 ||
         lstat(LayerImagePath(diff_id).c_str(), &st) == 0;
}

LayerFormat Store::NewLayerFormat() const {
  if (options_.layer_format != LayerFormat::kAuto) return options_.layer_format;
  const char* forced = getenv("PYCONTAIN_LAYER_FORMAT");
  if (forced != nullptr && absl::string_view(forced) == "directory") {
    return LayerFormat::kDirectory;
  }
  if (forced != nullptr && absl::string_view(forced) == "squashfs") {
    return LayerFormat::kSquashfs;
  }
  return LoopMountsAvailable() ? LayerFormat::kSquashfs : LayerFormat::kDirectory;
}

absl::StatusOr<SquashfsOptions> Store::NewSquashfsOptions() const {
  SquashfsOptions options;
  options.compressor = options_.squashfs_compressor;
  const char* forced = getenv("PYCONTAIN_SQUASHFS_COMPRESSOR");
  if (forced != nullptr && forced[0] != '\0') {
    absl::StatusOr<SquashfsCompressor> compressor = ParseSquashfsCompressor(forced);
    if (!compressor.ok()) return Annotate(compressor.status(), "PYCONTAIN_SQUASHFS_COMPRESSOR");
    options.compressor = *compressor;
  }
  return options;
}

absl::StatusOr<std::string> Store::LayerLower(absl::string_view diff_id) const {
  absl::Status valid = ValidateDigest(diff_id);
  if (!valid.ok()) return valid;
  std::string directory = LayerPath(diff_id);
  struct stat st;
  if (lstat(directory.c_str(), &st) == 0) return directory;
  std::string image = LayerImagePath(diff_id);
  std::string mountpoint = LayerMountPath(diff_id);
  if (IsMountPoint(mountpoint)) return mountpoint;

  absl::StatusOr<UniqueFd> lock = Lock(LOCK_SH);
  if (!lock.ok()) return lock.status();
  // An exclusive lock on the image itself, so that two processes starting
  // containers of one image mount it once.
  absl::StatusOr<UniqueFd> image_fd = OpenAt(AT_FDCWD, image, O_RDONLY);
  if (!image_fd.ok()) {
    if (image_fd.status().code() != absl::StatusCode::kNotFound &&
        ErrnoOf(image_fd.status()) != ENOENT) {
      return image_fd.status();
    }
    return absl::NotFoundError(absl::StrCat("layer ", diff_id, " is not in the store at ", root_));
  }
  while (flock(image_fd->get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoError(errno, "lock", image);
  }
  if (IsMountPoint(mountpoint)) return mountpoint;
  if (mkdir(mountpoint.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError(errno, "create directory", mountpoint);
  }
  absl::Status mounted = MountSquashfsImage(image, mountpoint);
  if (!mounted.ok()) return Annotate(mounted, absl::StrCat("layer ", diff_id));
  return mountpoint;
}

absl::Status Store::UnmountLayers() const {
  std::string directory = absl::StrCat(root_, "/layers");
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(directory);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (!absl::EndsWith(name, kMountSuffix)) continue;
    absl::Status detached = DetachMount(absl::StrCat(directory, "/", name));
    if (!detached.ok()) return detached;
  }
  return absl::OkStatus();
}

absl::Status Store::DetachUnusedLayerMounts(const std::vector<std::string>& diff_ids) const {
  absl::StatusOr<std::vector<format::ImageRecord>> records = ReadRecords();
  if (!records.ok()) return records.status();
  absl::flat_hash_set<std::string> used;
  for (const format::ImageRecord& record : *records) {
    absl::StatusOr<Image> image = LoadImage(record);
    if (!image.ok()) return Annotate(image.status(), record.id());
    used.insert(image->config.rootfs().diff_ids().begin(),
                image->config.rootfs().diff_ids().end());
  }
  for (const std::string& diff_id : diff_ids) {
    if (used.contains(diff_id)) continue;
    absl::Status detached = DetachMount(LayerMountPath(diff_id));
    if (!detached.ok()) return detached;
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> Store::Lock(int operation) const {
  std::string path = absl::StrCat(root_, "/lock");
  absl::StatusOr<UniqueFd> fd = OpenAt(AT_FDCWD, path, O_RDWR | O_CREAT, 0600);
  if (!fd.ok()) return fd.status();
  while (flock(fd->get(), operation) != 0) {
    if (errno != EINTR) return ErrnoError(errno, "lock", path);
  }
  return fd;
}

absl::StatusOr<UniqueFd> Store::LockShared() const { return Lock(LOCK_SH); }

absl::StatusOr<std::string> Store::ReadBlob(absl::string_view digest) const {
  absl::Status valid = ValidateDigest(digest);
  if (!valid.ok()) return valid;
  return ReadFileAt(AT_FDCWD, BlobPath(digest));
}

absl::StatusOr<std::vector<format::ImageRecord>> Store::ReadRecords() const {
  std::string directory = absl::StrCat(root_, "/images");
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(directory);
  if (!names.ok()) return names.status();
  std::vector<format::ImageRecord> records;
  for (const std::string& name : *names) {
    if (!absl::EndsWith(name, ".json")) continue;  // e.g. a temporary file
    absl::StatusOr<std::string> text =
        ReadFileAt(AT_FDCWD, absl::StrCat(directory, "/", name));
    if (!text.ok()) return text.status();
    format::ImageRecord record;
    absl::Status parsed = ParseJson(*text, absl::StrCat("image record ", name), &record);
    if (!parsed.ok()) return parsed;
    records.push_back(std::move(record));
  }
  return records;
}

absl::Status Store::WriteRecord(const format::ImageRecord& record) const {
  std::string path =
      absl::StrCat(root_, "/images/", DigestHex(record.id()), ".json");
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(record, &json);
  if (!status.ok()) {
    return absl::InternalError(std::string(status.message()));
  }
  return WriteFileAtomic(AT_FDCWD, path, json);
}

absl::StatusOr<std::vector<format::ImageRecord>> Store::ListImages() const {
  absl::StatusOr<UniqueFd> lock = Lock(LOCK_SH);
  if (!lock.ok()) return lock.status();
  return ReadRecords();
}

absl::StatusOr<Image> Store::LoadImage(const format::ImageRecord& record) const {
  Image image;
  image.record = record;
  absl::StatusOr<std::string> manifest = ReadBlob(record.manifest());
  if (!manifest.ok()) return manifest.status();
  absl::Status parsed = ParseJson(
      *manifest, absl::StrCat("manifest ", record.manifest()), &image.manifest);
  if (!parsed.ok()) return parsed;
  absl::StatusOr<std::string> config = ReadBlob(image.manifest.config().digest());
  if (!config.ok()) return config.status();
  image.config_json = *std::move(config);
  parsed = ParseJson(image.config_json, absl::StrCat("config ", record.id()),
                     &image.config);
  if (!parsed.ok()) return parsed;
  return image;
}

absl::StatusOr<std::string> Store::RecordedDiffId(absl::string_view blob_digest) const {
  absl::StatusOr<std::vector<format::ImageRecord>> records = ReadRecords();
  if (!records.ok()) return records.status();
  for (const format::ImageRecord& record : *records) {
    absl::StatusOr<Image> image = LoadImage(record);
    if (!image.ok()) return Annotate(image.status(), record.id());
    const auto& layers = image->manifest.layers();
    const auto& diff_ids = image->config.rootfs().diff_ids();
    for (int i = 0; i < layers.size() && i < diff_ids.size(); ++i) {
      if (layers[i].digest() == blob_digest) return diff_ids[i];
    }
  }
  return std::string();
}

absl::StatusOr<Image> Store::GetImage(absl::string_view reference) const {
  absl::StatusOr<UniqueFd> lock = Lock(LOCK_SH);
  if (!lock.ok()) return lock.status();
  absl::StatusOr<std::vector<format::ImageRecord>> records = ReadRecords();
  if (!records.ok()) return records.status();

  std::string name = NormalizeReference(reference);
  for (const format::ImageRecord& record : *records) {
    for (const std::string& candidate : record.names()) {
      if (candidate == name) return LoadImage(record);
    }
  }
  if (IsHexPrefix(reference)) {
    std::string prefix = absl::StartsWith(reference, kSha256Prefix)
                             ? std::string(reference)
                             : absl::StrCat(kSha256Prefix, reference);
    const format::ImageRecord* found = nullptr;
    for (const format::ImageRecord& record : *records) {
      if (!absl::StartsWith(record.id(), prefix)) continue;
      if (found != nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "image id prefix ", reference, " matches more than one image"));
      }
      found = &record;
    }
    if (found != nullptr) return LoadImage(*found);
  }
  return absl::NotFoundError(absl::StrCat("image ", reference, " not found"));
}

absl::Status Store::RemoveImage(absl::string_view reference) const {
  absl::StatusOr<Image> image = GetImage(reference);
  if (!image.ok()) return image.status();
  absl::StatusOr<UniqueFd> lock = Lock(LOCK_EX);
  if (!lock.ok()) return lock.status();

  format::ImageRecord record = image->record;
  std::string name = NormalizeReference(reference);
  auto* names = record.mutable_names();
  auto named = std::find(names->begin(), names->end(), name);
  if (named != names->end()) {
    names->erase(named);
    if (!names->empty()) return WriteRecord(record);
  }
  std::string path =
      absl::StrCat(root_, "/images/", DigestHex(record.id()), ".json");
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError(errno, "remove image record", path);
  }
  Logf(LogLevel::kDebug, "", "image: removed %s", record.id());
  std::vector<std::string> diff_ids(image->config.rootfs().diff_ids().begin(),
                                    image->config.rootfs().diff_ids().end());
  return DetachUnusedLayerMounts(diff_ids);
}

absl::StatusOr<PruneStats> Store::Prune() const {
  absl::StatusOr<UniqueFd> lock = Lock(LOCK_EX);
  if (!lock.ok()) return lock.status();
  absl::StatusOr<std::vector<format::ImageRecord>> records = ReadRecords();
  if (!records.ok()) return records.status();

  absl::flat_hash_set<std::string> blobs, layers;
  for (const format::ImageRecord& record : *records) {
    absl::StatusOr<Image> image = LoadImage(record);
    if (!image.ok()) return Annotate(image.status(), record.id());
    blobs.insert(DigestHex(record.manifest()));
    blobs.insert(DigestHex(image->manifest.config().digest()));
    for (const format::Descriptor& layer : image->manifest.layers()) {
      blobs.insert(DigestHex(layer.digest()));
    }
    for (const std::string& diff_id : image->config.rootfs().diff_ids()) {
      layers.insert(DigestHex(diff_id));
    }
  }

  PruneStats stats;
  struct Sweep {
    std::string directory;
    const absl::flat_hash_set<std::string>* keep;
    int* count;
  };
  for (const Sweep& sweep :
       {Sweep{absl::StrCat(root_, "/blobs/sha256"), &blobs, &stats.blobs},
        Sweep{absl::StrCat(root_, "/layers"), &layers, &stats.layers},
        Sweep{absl::StrCat(root_, "/tmp"), nullptr, nullptr}}) {
    absl::StatusOr<std::vector<std::string>> names = ListDirectory(sweep.directory);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      // A squashfs layer is "<hex>.squashfs" with its mount point
      // "<hex>.mnt"; only the image counts as a layer removed.
      absl::string_view hex = name;
      bool is_mount = absl::ConsumeSuffix(&hex, kMountSuffix);
      if (!is_mount) absl::ConsumeSuffix(&hex, kSquashfsSuffix);
      if (sweep.keep != nullptr && sweep.keep->contains(std::string(hex))) continue;
      std::string path = absl::StrCat(sweep.directory, "/", name);
      if (is_mount) {
        absl::Status detached = DetachMount(path);
        if (!detached.ok()) return detached;
      }
      absl::Status removed = RemoveTreeAt(AT_FDCWD, path);
      if (!removed.ok()) return removed;
      if (sweep.count != nullptr && !is_mount) ++*sweep.count;
    }
  }
  return stats;
}

absl::StatusOr<std::unique_ptr<Transaction>> Store::Begin() const {
  absl::StatusOr<UniqueFd> lock = Lock(LOCK_EX);
  if (!lock.ok()) return lock.status();

  // With the exclusive lock held, no other transaction is running, so
  // anything in tmp/ was left by one that was interrupted.
  std::string tmp = absl::StrCat(root_, "/tmp");
  absl::StatusOr<UniqueFd> tmp_fd = OpenAt(AT_FDCWD, tmp, O_RDONLY | O_DIRECTORY);
  if (!tmp_fd.ok()) return tmp_fd.status();
  absl::Status cleaned = RemoveChildren(tmp_fd->get());
  if (!cleaned.ok()) return Annotate(cleaned, "remove stale staging");

  absl::StatusOr<std::string> name = MakeTempDirAt(tmp_fd->get(), "load-");
  if (!name.ok()) return name.status();
  std::string staging_path = absl::StrCat(tmp, "/", *name);
  absl::StatusOr<UniqueFd> staging =
      OpenAt(AT_FDCWD, staging_path, O_RDONLY | O_DIRECTORY);
  if (!staging.ok()) return staging.status();
  return std::unique_ptr<Transaction>(new Transaction(
      this, *std::move(lock), *std::move(staging), staging_path));
}

}  // namespace pycontain::image
