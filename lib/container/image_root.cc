#include "lib/container/image_root.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "lib/base/status.h"
#include "lib/image/config.h"
#include "lib/image/digest.h"
#include "lib/image/store.h"
#include "lib/overlay/root_mount.h"

namespace pycontain::container {
namespace {

bool HasMountAt(const spec::ContainerSpec& spec, absl::string_view destination) {
  for (const spec::Mount& mount : spec.mounts()) {
    std::string path = mount.destination();
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path == destination) return true;
  }
  return false;
}

// A read-only root still needs somewhere to write: Docker's images expect
// /tmp and /run, so each gets a tmpfs unless the spec mounts one there.
void AddWritableTmpfs(spec::ContainerSpec& spec) {
  google::protobuf::RepeatedPtrField<spec::Mount> mounts;
  for (const auto& [destination, mode] :
       {std::pair<const char*, const char*>{"/tmp", "mode=1777"}, {"/run", "mode=755"}}) {
    if (HasMountAt(spec, destination)) continue;
    spec::Mount* mount = mounts.Add();
    mount->set_destination(destination);
    mount->set_type("tmpfs");
    mount->set_source("tmpfs");
    mount->add_options("nosuid");
    mount->add_options("nodev");
    mount->add_options(mode);
  }
  // First, so that the spec's mounts below /tmp or /run land on them.
  for (const spec::Mount& mount : spec.mounts()) *mounts.Add() = mount;
  spec.mutable_mounts()->Swap(&mounts);
}

// The image's VOLUME paths get an anonymous volume each, as in `docker
// run`, unless the spec mounts something there. Each goes after the spec's
// mounts, so that "mounts[i]" in errors still counts the caller's, unless
// a spec mount lies below it: then it goes just before that one, which
// must land on the volume.
void AddImageVolumes(const std::vector<std::string>& paths, spec::ContainerSpec& spec) {
  for (const std::string& path : paths) {
    std::string destination = path;
    while (destination.size() > 1 && destination.back() == '/') destination.pop_back();
    if (HasMountAt(spec, destination)) continue;
    spec::Mount volume;
    volume.set_destination(destination);
    volume.set_type("volume");
    auto* mounts = spec.mutable_mounts();
    int position = mounts->size();
    for (int i = 0; i < mounts->size(); ++i) {
      if (absl::StartsWith(mounts->Get(i).destination(), destination + "/")) {
        position = i;
        break;
      }
    }
    *mounts->Add() = std::move(volume);
    for (int i = mounts->size() - 1; i > position; --i) mounts->SwapElements(i, i - 1);
  }
}

image::RunOverrides OverridesFrom(const spec::Process& process) {
  image::RunOverrides overrides;
  overrides.command.assign(process.args().begin(), process.args().end());
  overrides.env.assign(process.env().begin(), process.env().end());
  overrides.working_dir = process.cwd();
  if (!process.user().user().empty()) {
    overrides.user = process.user().user();
    if (!process.user().group().empty()) {
      absl::StrAppend(&overrides.user, ":", process.user().group());
    }
  }
  return overrides;
}

// Makes the upper and work directories of a kept layer when missing.
absl::Status MakeKeptLayer(const std::string& dir) {
  // The upper directory becomes the container's root, so it gets the
  // mode of "/": with 0700 only root could reach anything inside.
  for (const auto& [path, mode] : {std::pair<std::string, mode_t>{dir, 0700},
                                   {absl::StrCat(dir, "/upper"), 0755},
                                   {absl::StrCat(dir, "/work"), 0755}}) {
    if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "create directory", path);
    }
  }
  return absl::OkStatus();
}

// A file's identity and times, to tell whether it changed.
struct FileStamp {
  dev_t device = 0;
  ino_t inode = 0;
  int64_t modified_ns = 0;
  int64_t changed_ns = 0;

  bool operator==(const FileStamp& other) const {
    return device == other.device && inode == other.inode &&
           modified_ns == other.modified_ns && changed_ns == other.changed_ns;
  }
};

std::optional<FileStamp> StampOf(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return std::nullopt;
  return FileStamp{info.st_dev, info.st_ino,
                   info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec,
                   info.st_ctim.tv_sec * 1000000000LL + info.st_ctim.tv_nsec};
}

// An image as the store had it, kept so that the next start from it does
// not list, read and parse the store's records, manifest and config again.
struct CachedImage {
  image::Store store;
  image::Image image;
  // <store>/images, which every added, removed or renamed record changes,
  // and the image's own record.
  FileStamp images_directory;
  FileStamp record;
};

// The kernel stamps files with a clock that may lag the real time by a
// scheduler tick (4 ms at HZ=250). An entry read within this margin after
// the store last changed is not kept: a change in the same tick could
// leave the same times.
constexpr int64_t kRacyMarginNs = 50 * 1000 * 1000;
// More entries than this empty the cache (one per store and reference).
constexpr size_t kMaxCachedImages = 64;

absl::Mutex cache_mutex;
absl::flat_hash_map<std::string, std::shared_ptr<const CachedImage>>& ImageCache()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(cache_mutex) {
  static auto* cache = new absl::flat_hash_map<std::string, std::shared_ptr<const CachedImage>>;
  return *cache;
}

std::string RecordPath(const std::string& root, const image::Image& image) {
  return absl::StrCat(root, "/images/", image::DigestHex(image.record.id()), ".json");
}

// Finds `reference` in the store at `root`, from the cache while the store
// has not changed since the entry was read.
absl::StatusOr<std::shared_ptr<const CachedImage>> FindImage(const std::string& root,
                                                            const std::string& reference) {
  std::string key = absl::StrCat(root, "\n", reference);
  std::string images_directory = absl::StrCat(root, "/images");
  int64_t started_ns = absl::GetCurrentTimeNanos();
  std::optional<FileStamp> directory_stamp = StampOf(images_directory);
  {
    absl::MutexLock lock(&cache_mutex);
    auto found = ImageCache().find(key);
    if (found != ImageCache().end()) {
      const CachedImage& cached = *found->second;
      if (directory_stamp == cached.images_directory &&
          StampOf(RecordPath(root, cached.image)) == cached.record) {
        return found->second;
      }
      ImageCache().erase(found);
    }
  }

  image::StoreOptions options;
  options.root = root;
  absl::StatusOr<image::Store> store = image::Store::Open(options);
  if (!store.ok()) return store.status();
  absl::StatusOr<image::Image> image = store->GetImage(reference);
  if (!image.ok()) return image.status();
  std::optional<FileStamp> record_stamp = StampOf(RecordPath(root, *image));
  auto entry = std::make_shared<CachedImage>(
      CachedImage{*std::move(store), *std::move(image), {}, {}});

  // Kept only when both stamps were taken before the read and predate it
  // by the margin, so that any later change shows in them.
  if (!directory_stamp.has_value() || !record_stamp.has_value()) return entry;
  int64_t newest = std::max({directory_stamp->modified_ns, directory_stamp->changed_ns,
                             record_stamp->modified_ns, record_stamp->changed_ns});
  if (newest > started_ns - kRacyMarginNs) return entry;
  entry->images_directory = *directory_stamp;
  entry->record = *record_stamp;
  absl::MutexLock lock(&cache_mutex);
  if (ImageCache().size() >= kMaxCachedImages) ImageCache().clear();
  ImageCache()[key] = entry;
  return entry;
}

}  // namespace

absl::StatusOr<ImageSpec> ResolveImage(const spec::ContainerSpec& spec) {
  if (!spec.root().path().empty()) {
    return absl::InvalidArgumentError(
        "image and root.path are both set: give one of them");
  }
  std::string root = image::DefaultStoreRoot();
  absl::StatusOr<std::shared_ptr<const CachedImage>> cached = FindImage(root, spec.image());
  if (!cached.ok()) {
    if (cached.status().code() != absl::StatusCode::kNotFound) return cached.status();
    return absl::NotFoundError(absl::StrCat("image \"", image::NormalizeReference(spec.image()),
                                            "\" not found in the store at ", root,
                                            " (see `pycontain image ls`)"));
  }
  const image::Store* store = &(*cached)->store;
  const image::Image* found = &(*cached)->image;

  ImageSpec result;
  result.spec = spec;
  absl::StatusOr<image::ContainerDefaults> defaults =
      image::ContainerDefaultsFor(found->config, OverridesFrom(spec.process()));
  if (!defaults.ok()) {
    return Annotate(defaults.status(), absl::StrCat("image ", spec.image()));
  }
  spec::Process* process = result.spec.mutable_process();
  const spec::Process& from_image = defaults->spec.process();
  *process->mutable_args() = from_image.args();
  *process->mutable_env() = from_image.env();
  process->set_cwd(from_image.cwd());
  process->mutable_user()->set_user(from_image.user().user());
  process->mutable_user()->set_group(from_image.user().group());
  if (spec.root().readonly()) AddWritableTmpfs(result.spec);
  AddImageVolumes(defaults->volumes, result.spec);

  // TODO: the layers stay in use while the container runs, but nothing
  // stops `image prune` from removing them meanwhile.
  const auto& diff_ids = found->config.rootfs().diff_ids();
  for (auto it = diff_ids.rbegin(); it != diff_ids.rend(); ++it) {
    // A squashfs layer is mounted here at its first use; the store owns
    // that mount (store.h).
    absl::StatusOr<std::string> lower = store->LayerLower(*it);
    if (!lower.ok()) return Annotate(lower.status(), absl::StrCat("image ", spec.image()));
    result.lowers.push_back(*std::move(lower));
  }
  result.containers_dir = absl::StrCat(store->root(), "/containers");
  return result;
}

absl::StatusOr<ImageRoot> MountImageRoot(const ImageSpec& image, const std::string& id,
                                         const std::string& mountpoint) {
  if (mkdir(image.containers_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError(errno, "create directory", image.containers_dir);
  }
  ImageRoot root;
  std::string layer_dir = image.layer_directory;
  if (layer_dir.empty()) {
    absl::StatusOr<overlay::WritableLayer> layer =
        overlay::WritableLayer::Create(absl::StrCat(image.containers_dir, "/", id));
    if (!layer.ok()) return layer.status();
    root.layer_ = std::move(*layer);
    layer_dir = root.layer_.dir();
  } else {
    absl::Status made = MakeKeptLayer(layer_dir);
    if (!made.ok()) return made;
  }
  root.lowers_ = image.lowers;
  // overlayfs needs a lower; an image without layers gets an empty one.
  if (root.lowers_.empty()) {
    std::string empty = absl::StrCat(layer_dir, "/empty");
    if (mkdir(empty.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "create directory", empty);
    }
    root.lowers_.push_back(empty);
  }

  overlay::OverlayOptions options;
  options.lowers = root.lowers_;
  options.upper = absl::StrCat(layer_dir, "/upper");
  options.work = absl::StrCat(layer_dir, "/work");
  options.staging_mountpoint = mountpoint;
  options.log_id = id;
  // Falls back to fuse-overlayfs or a copied root where overlayfs fails.
  absl::StatusOr<overlay::RootMount> mount =
      overlay::MountRoot(options, absl::StrCat(layer_dir, "/rootfs"));
  if (!mount.ok()) return mount.status();
  root.mount_ = std::move(mount->mount);
  root.mountpoint_ = mountpoint;
  // A copied root has no upper directory: its changes are not recorded.
  root.upper_ = mount->driver == overlay::RootDriver::kCopy ? "" : options.upper;
  return root;
}

ns::RootfsStep ImageRoot::AttachStep() const {
  ns::RootfsStep step;
  step.kind = ns::RootfsStep::Kind::kAttachMount;
  step.fd = mount_.fd();
  step.source = "the overlay root";
  step.target = mountpoint_;
  return step;
}

const std::string& ImageRoot::upper() const { return upper_; }

}  // namespace pycontain::container
