#include "lib/overlay/flatten.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/overlay/overlay.h"

namespace pycontain::overlay {
namespace {

// Overlayfs's own attributes describe the layer, not the file; the
// "user." forms are those of unprivileged overlay mounts (userxattr).
bool IsOverlayXattr(absl::string_view name) {
  return absl::StartsWith(name, "trusted.overlay.") || absl::StartsWith(name, "user.overlay.");
}

bool IsOpaque(int dir_fd) {
  for (const char* name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    char value[2] = {};
    if (fgetxattr(dir_fd, name, value, sizeof(value)) == 1 && value[0] == 'y') return true;
  }
  return false;
}

absl::Status CopyData(int from, int to, const std::string& path) {
  while (true) {
    ssize_t n = copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
    if (n == 0) return absl::OkStatus();
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
      return ErrnoError(errno, "copy", path);
    }
    break;
  }
  // copy_file_range does not work across these filesystems; copy by hand.
  char buffer[1 << 16];
  while (true) {
    ssize_t n = read(from, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", path);
    if (n == 0) return absl::OkStatus();
    for (ssize_t done = 0; done < n;) {
      ssize_t written = write(to, buffer + done, static_cast<size_t>(n - done));
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) return ErrnoError(errno, "write", path);
      done += written;
    }
  }
}

absl::Status CopyXattrs(int from, int to, const std::string& path) {
  ssize_t size = flistxattr(from, nullptr, 0);
  if (size <= 0) return absl::OkStatus();
  std::string names(static_cast<size_t>(size), '\0');
  size = flistxattr(from, names.data(), names.size());
  if (size < 0) return ErrnoError(errno, "list extended attributes of", path);
  names.resize(static_cast<size_t>(size));
  for (size_t start = 0; start < names.size();) {
    std::string name(names.c_str() + start);
    start += name.size() + 1;
    if (IsOverlayXattr(name)) continue;
    ssize_t length = fgetxattr(from, name.c_str(), nullptr, 0);
    if (length < 0) return ErrnoError(errno, absl::StrCat("read attribute ", name, " of"), path);
    std::string value(static_cast<size_t>(length), '\0');
    length = fgetxattr(from, name.c_str(), value.data(), value.size());
    if (length < 0) return ErrnoError(errno, absl::StrCat("read attribute ", name, " of"), path);
    value.resize(static_cast<size_t>(length));
    // A target without support for the namespace loses only that attribute.
    if (fsetxattr(to, name.c_str(), value.data(), value.size(), 0) != 0 && errno != ENOTSUP &&
        errno != EPERM) {
      return ErrnoError(errno, absl::StrCat("set attribute ", name, " on"), path);
    }
  }
  return absl::OkStatus();
}

// The mode goes after the owner because chown clears set-user-id bits.
absl::Status CopyMetadata(int from, int to, const struct stat& info, const std::string& path) {
  if (fchown(to, info.st_uid, info.st_gid) != 0) return ErrnoError(errno, "chown", path);
  if (fchmod(to, info.st_mode & 07777) != 0) return ErrnoError(errno, "chmod", path);
  absl::Status xattrs = CopyXattrs(from, to, path);
  if (!xattrs.ok()) return xattrs;
  struct timespec times[2] = {info.st_atim, info.st_mtim};
  if (futimens(to, times) != 0) return ErrnoError(errno, "set times of", path);
  return absl::OkStatus();
}

class Merger {
 public:
  explicit Merger(std::string target) : target_(std::move(target)) {}

  absl::Status MergeLayer(const std::string& layer);

 private:
  absl::Status MergeDirectory(int from, int to, const std::string& path);
  absl::Status MergeEntry(int from_dir, int to_dir, const std::string& name,
                          const std::string& path);
  absl::Status CopyFile(int from_dir, int to_dir, const std::string& name,
                        const struct stat& info, const std::string& path);
  absl::Status CopyOther(int from_dir, int to_dir, const std::string& name,
                         const struct stat& info, const std::string& path);
  // Removes what the target has at `path` (relative), if anything.
  absl::Status RemoveTarget(const std::string& path) {
    return RemoveTree(absl::StrCat(target_, "/", path));
  }

  std::string target_;
  std::string layer_;
  // Regular files with more than one link in the current layer: (device,
  // inode) to the path of their first copy, relative to target_.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

absl::Status Merger::MergeLayer(const std::string& layer) {
  layer_ = layer;
  links_.clear();
  int from_fd = open(layer.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (from_fd < 0) return ErrnoError(errno, "open layer", layer);
  UniqueFd from(from_fd);
  int to_fd = open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (to_fd < 0) return ErrnoError(errno, "open directory", target_);
  UniqueFd to(to_fd);
  return MergeDirectory(from.get(), to.get(), "");
}

absl::Status Merger::MergeDirectory(int from, int to, const std::string& path) {
  int listed = dup(from);
  if (listed < 0) return ErrnoError(errno, "dup", path);
  DIR* dir = fdopendir(listed);
  if (dir == nullptr) {
    close(listed);
    return ErrnoError(errno, "open directory", absl::StrCat(layer_, "/", path));
  }
  // The duplicate shares the caller's file offset, which an earlier read
  // may have left at the end.
  rewinddir(dir);
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(dir);

  for (const std::string& name : names) {
    absl::Status status =
        MergeEntry(from, to, name, path.empty() ? name : absl::StrCat(path, "/", name));
    if (!status.ok()) return status;
  }
  struct stat info;
  if (fstat(from, &info) != 0) return ErrnoError(errno, "stat", absl::StrCat(layer_, "/", path));
  return CopyMetadata(from, to, info, absl::StrCat(layer_, "/", path));
}

absl::Status Merger::MergeEntry(int from_dir, int to_dir, const std::string& name,
                                const std::string& path) {
  std::string source = absl::StrCat(layer_, "/", path);
  struct stat info;
  if (fstatat(from_dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "stat", source);
  }
  struct stat existing;
  bool exists = fstatat(to_dir, name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0;

  // A whiteout hides what the layers below have here.
  if (S_ISCHR(info.st_mode) && info.st_rdev == makedev(0, 0)) return RemoveTarget(path);

  if (!S_ISDIR(info.st_mode)) {
    if (exists) {
      absl::Status removed = RemoveTarget(path);
      if (!removed.ok()) return removed;
    }
    if (S_ISREG(info.st_mode)) return CopyFile(from_dir, to_dir, name, info, path);
    return CopyOther(from_dir, to_dir, name, info, path);
  }

  int from_fd = openat(from_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (from_fd < 0) return ErrnoError(errno, "open directory", source);
  UniqueFd from(from_fd);
  // An opaque directory, or one replacing a file, starts empty.
  if (exists && (!S_ISDIR(existing.st_mode) || IsOpaque(from.get()))) {
    absl::Status removed = RemoveTarget(path);
    if (!removed.ok()) return removed;
    exists = false;
  }
  if (!exists && mkdirat(to_dir, name.c_str(), 0700) != 0) {
    return ErrnoError(errno, "create directory", absl::StrCat(target_, "/", path));
  }
  int to_fd = openat(to_dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (to_fd < 0) return ErrnoError(errno, "open directory", absl::StrCat(target_, "/", path));
  UniqueFd to(to_fd);
  return MergeDirectory(from.get(), to.get(), path);
}

absl::Status Merger::CopyFile(int from_dir, int to_dir, const std::string& name,
                              const struct stat& info, const std::string& path) {
  std::string source = absl::StrCat(layer_, "/", path);
  if (info.st_nlink > 1) {
    auto [it, first] = links_.emplace(std::make_pair(info.st_dev, info.st_ino), path);
    if (!first) {
      std::string existing = absl::StrCat(target_, "/", it->second);
      if (linkat(AT_FDCWD, existing.c_str(), to_dir, name.c_str(), 0) != 0) {
        return ErrnoError(errno, absl::StrCat("link to ", existing, " for"), source);
      }
      return absl::OkStatus();
    }
  }
  int from_fd = openat(from_dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (from_fd < 0) return ErrnoError(errno, "open", source);
  UniqueFd from(from_fd);
  int to_fd = openat(to_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     0600);
  if (to_fd < 0) return ErrnoError(errno, "create", absl::StrCat(target_, "/", path));
  UniqueFd to(to_fd);
  absl::Status copied = CopyData(from.get(), to.get(), source);
  if (!copied.ok()) return copied;
  return CopyMetadata(from.get(), to.get(), info, source);
}

absl::Status Merger::CopyOther(int from_dir, int to_dir, const std::string& name,
                               const struct stat& info, const std::string& path) {
  std::string source = absl::StrCat(layer_, "/", path);
  if (S_ISLNK(info.st_mode)) {
    std::string link(static_cast<size_t>(info.st_size) + 1, '\0');
    ssize_t length = readlinkat(from_dir, name.c_str(), link.data(), link.size());
    if (length < 0) return ErrnoError(errno, "readlink", source);
    link.resize(static_cast<size_t>(length));
    if (symlinkat(link.c_str(), to_dir, name.c_str()) != 0) {
      return ErrnoError(errno, "symlink", source);
    }
  } else {
    if (mknodat(to_dir, name.c_str(), info.st_mode, info.st_rdev) != 0) {
      return ErrnoError(errno, "mknod", source);
    }
  }
  if (fchownat(to_dir, name.c_str(), info.st_uid, info.st_gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "chown", source);
  }
  // After the owner, and again for devices because mknod applied the umask.
  if (!S_ISLNK(info.st_mode) &&
      fchmodat(to_dir, name.c_str(), info.st_mode & 07777, 0) != 0) {
    return ErrnoError(errno, "chmod", source);
  }
  struct timespec times[2] = {info.st_atim, info.st_mtim};
  if (utimensat(to_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "set times of", source);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FlattenLayers(const std::vector<std::string>& lowers, const std::string& target) {
  Merger merger(target);
  for (auto it = lowers.rbegin(); it != lowers.rend(); ++it) {
    absl::Status merged = merger.MergeLayer(*it);
    if (!merged.ok()) return merged;
  }
  return absl::OkStatus();
}

}  // namespace pycontain::overlay
