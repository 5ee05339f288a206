// Changes of managed containers on a copied root (the "copy" driver of
// lib/overlay/root_mount.h). Such a root has no upper directory to list,
// so it is compared with a fresh copy of the image. Commit writes its layer
// from those changes.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/container/managed_internal.h"
#include "lib/overlay/flatten.h"
#include "lib/overlay/overlay.h"

namespace pycontain::container::managed_internal {
namespace {

absl::StatusOr<std::set<std::string>> DirectoryNames(const std::string& path) {
  std::set<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return ErrnoError(errno, "open directory", path);
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  closedir(dir);
  return names;
}

std::string LinkTarget(const std::string& path) {
  char target[4096];
  ssize_t length = readlink(path.c_str(), target, sizeof(target));
  return length < 0 ? "" : std::string(target, length);
}

// Whether an entry of the image and the container's entry at the same path
// differ. A directory's timestamps are left out: it counts as changed
// through the entries below it, as in an overlay's diff.
bool EntryDiffers(const std::string& image_path, const struct stat& image,
                  const std::string& container_path, const struct stat& container) {
  if ((image.st_mode & S_IFMT) != (container.st_mode & S_IFMT)) return true;
  if (image.st_mode != container.st_mode || image.st_uid != container.st_uid ||
      image.st_gid != container.st_gid) {
    return true;
  }
  if (S_ISDIR(image.st_mode)) return false;
  if (S_ISLNK(image.st_mode)) return LinkTarget(image_path) != LinkTarget(container_path);
  return image.st_size != container.st_size || image.st_rdev != container.st_rdev ||
         image.st_mtim.tv_sec != container.st_mtim.tv_sec ||
         image.st_mtim.tv_nsec != container.st_mtim.tv_nsec;
}

class TreeComparer {
 public:
  TreeComparer(std::string image_root, std::string container_root)
      : image_root_(std::move(image_root)), container_root_(std::move(container_root)) {}

  // Compares the directories at `path` ("" for the root) and returns
  // whether anything below it changed.
  absl::StatusOr<bool> Compare(const std::string& path) {
    absl::StatusOr<std::set<std::string>> in_image = DirectoryNames(image_root_ + path);
    if (!in_image.ok()) return in_image.status();
    absl::StatusOr<std::set<std::string>> in_container = DirectoryNames(container_root_ + path);
    if (!in_container.ok()) return in_container.status();
    std::set<std::string> names = *in_image;
    names.insert(in_container->begin(), in_container->end());

    bool changed = false;
    for (const std::string& name : names) {
      std::string child = absl::StrCat(path, "/", name);
      if (in_container->count(name) == 0) {
        Add(overlay::Change::Kind::kDeleted, child);
        changed = true;
        continue;
      }
      struct stat container;
      std::string container_path = container_root_ + child;
      if (lstat(container_path.c_str(), &container) != 0) {
        return ErrnoError(errno, "stat", container_path);
      }
      if (in_image->count(name) == 0) {
        absl::Status added = AddTree(child, container);
        if (!added.ok()) return added;
        changed = true;
        continue;
      }
      struct stat image;
      std::string image_path = image_root_ + child;
      if (lstat(image_path.c_str(), &image) != 0) return ErrnoError(errno, "stat", image_path);
      bool differs = EntryDiffers(image_path, image, container_path, container);
      bool both_directories = S_ISDIR(image.st_mode) && S_ISDIR(container.st_mode);
      // The entry goes before what changed inside it, as in sorted order.
      size_t position = changes_.size();
      if (both_directories) {
        absl::StatusOr<bool> inside = Compare(child);
        if (!inside.ok()) return inside.status();
        differs = differs || *inside;
      } else if (differs && S_ISDIR(container.st_mode)) {
        absl::Status added = AddChildren(child);
        if (!added.ok()) return added;
      }
      if (differs) {
        changes_.insert(changes_.begin() + position, {overlay::Change::Kind::kModified, child});
        changed = true;
      }
    }
    return changed;
  }

  std::vector<overlay::Change> TakeChanges() { return std::move(changes_); }

 private:
  void Add(overlay::Change::Kind kind, const std::string& path) {
    changes_.push_back({kind, path});
  }

  // Lists `path` and, for a directory, everything below it as added.
  absl::Status AddTree(const std::string& path, const struct stat& info) {
    Add(overlay::Change::Kind::kAdded, path);
    if (!S_ISDIR(info.st_mode)) return absl::OkStatus();
    return AddChildren(path);
  }

  absl::Status AddChildren(const std::string& path) {
    absl::StatusOr<std::set<std::string>> names = DirectoryNames(container_root_ + path);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      std::string child = absl::StrCat(path, "/", name);
      struct stat info;
      std::string host = container_root_ + child;
      if (lstat(host.c_str(), &info) != 0) return ErrnoError(errno, "stat", host);
      absl::Status added = AddTree(child, info);
      if (!added.ok()) return added;
    }
    return absl::OkStatus();
  }

  std::string image_root_;
  std::string container_root_;
  std::vector<overlay::Change> changes_;
};

// Copies the entry `from` (lstat as `info`) to the new path `to`, with
// its owner, mode and, except for directories, its timestamps.
absl::Status CopyEntry(const std::string& from, const struct stat& info, const std::string& to) {
  mode_t mode = info.st_mode & 07777;
  if (S_ISDIR(info.st_mode)) {
    if (mkdir(to.c_str(), 0700) != 0) return ErrnoError(errno, "create directory", to);
  } else if (S_ISLNK(info.st_mode)) {
    if (symlink(LinkTarget(from).c_str(), to.c_str()) != 0) {
      return ErrnoError(errno, "create symlink", to);
    }
  } else if (S_ISREG(info.st_mode)) {
    UniqueFd in(open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!in.valid()) return ErrnoError(errno, "open", from);
    UniqueFd out(open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!out.valid()) return ErrnoError(errno, "create", to);
    char buffer[65536];
    ssize_t n;
    while ((n = read(in.get(), buffer, sizeof(buffer))) > 0) {
      if (write(out.get(), buffer, n) != n) return ErrnoError(errno, "write", to);
    }
    if (n < 0) return ErrnoError(errno, "read", from);
  } else if (mknod(to.c_str(), info.st_mode, info.st_rdev) != 0) {
    return ErrnoError(errno, "create node", to);
  }
  if (lchown(to.c_str(), info.st_uid, info.st_gid) != 0) return ErrnoError(errno, "chown", to);
  if (!S_ISLNK(info.st_mode) && chmod(to.c_str(), mode) != 0) {
    return ErrnoError(errno, "chmod", to);
  }
  if (!S_ISDIR(info.st_mode)) {
    struct timespec times[2] = {info.st_atim, info.st_mtim};
    if (utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError(errno, "set times of", to);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteChangesAsLayer(const std::string& root,
                                 const std::vector<overlay::Change>& changes,
                                 const std::string& layer) {
  // Sorted by path, so that a directory comes before what is in it.
  for (const overlay::Change& change : changes) {
    std::string to = layer + change.path;
    if (change.kind == overlay::Change::Kind::kDeleted) {
      // An overlay whiteout: a character device 0:0.
      if (mknod(to.c_str(), S_IFCHR | 0600, makedev(0, 0)) != 0) {
        return ErrnoError(errno, "create whiteout", to);
      }
      continue;
    }
    std::string from = root + change.path;
    struct stat info;
    if (lstat(from.c_str(), &info) != 0) return ErrnoError(errno, "stat", from);
    absl::Status copied = CopyEntry(from, info, to);
    if (!copied.ok()) return copied;
  }
  return absl::OkStatus();
}

std::string CopiedRoot(const ManagedContainer& container) {
  if (container.upper_directory.empty()) return "";
  std::string root = absl::StrCat(container.directory, "/rootfs");
  struct stat info;
  if (lstat(root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) return "";
  return root;
}

absl::StatusOr<std::vector<overlay::Change>> CopiedRootChanges(
    const ManagedContainer& container, const std::vector<std::string>& lowers) {
  // The image is copied beside the root, so that both are on the
  // filesystem that the copy driver was chosen for.
  std::string base = absl::StrCat(container.directory, "/diff-base.XXXXXX");
  if (mkdtemp(base.data()) == nullptr) return ErrnoError(errno, "create directory", base);
  Logf(LogLevel::kDebug, container.id(), "copying the image into %s to compare", base);
  absl::Status flattened = overlay::FlattenLayers(lowers, base);
  absl::StatusOr<std::vector<overlay::Change>> changes;
  if (flattened.ok()) {
    TreeComparer comparer(base, CopiedRoot(container));
    absl::StatusOr<bool> compared = comparer.Compare("");
    changes = compared.ok() ? absl::StatusOr<std::vector<overlay::Change>>(comparer.TakeChanges())
                            : compared.status();
  } else {
    changes = flattened;
  }
  absl::Status removed = overlay::RemoveTree(base);
  if (!removed.ok()) {
    Logf(LogLevel::kWarning, container.id(), "cannot remove %s: %s", base, removed.message());
  }
  return changes;
}

}  // namespace pycontain::container::managed_internal
