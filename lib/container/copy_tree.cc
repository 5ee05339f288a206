#include "lib/container/copy_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/image/fs_util.h"

namespace pycontain::container {
namespace {

// Copies the extended attributes of `from` to `to` (both open files).
absl::Status CopyXattrs(int from, int to, const std::string& path) {
  ssize_t size = flistxattr(from, nullptr, 0);
  if (size < 0) {
    if (errno == ENOTSUP) return absl::OkStatus();
    return ErrnoError(errno, "list extended attributes of", path);
  }
  if (size == 0) return absl::OkStatus();
  std::string names(static_cast<size_t>(size), '\0');
  size = flistxattr(from, names.data(), names.size());
  if (size < 0) return ErrnoError(errno, "list extended attributes of", path);
  names.resize(static_cast<size_t>(size));

  for (size_t start = 0; start < names.size();) {
    std::string name(names.c_str() + start);
    start += name.size() + 1;
    ssize_t length = fgetxattr(from, name.c_str(), nullptr, 0);
    if (length < 0) return ErrnoError(errno, absl::StrCat("read attribute ", name, " of"), path);
    std::string value(static_cast<size_t>(length), '\0');
    length = fgetxattr(from, name.c_str(), value.data(), value.size());
    if (length < 0) return ErrnoError(errno, absl::StrCat("read attribute ", name, " of"), path);
    value.resize(static_cast<size_t>(length));
    if (fsetxattr(to, name.c_str(), value.data(), value.size(), 0) != 0) {
      // A filesystem without trusted.* or security.* support loses only
      // that attribute.
      if (errno != ENOTSUP && errno != EPERM) {
        return ErrnoError(errno, absl::StrCat("set attribute ", name, " on"), path);
      }
      Logf(LogLevel::kDebug, "", "skipped attribute %s of %s: %s", name, path, strerror(errno));
    }
  }
  return absl::OkStatus();
}

// Gives `name` in `dir` (or the open file `dir` itself when `name` is
// empty) the owner in `info`. Without CAP_CHOWN (a rootless caller) only
// the caller's own ids can be set, so the copy keeps the caller as its
// owner, as `cp -a` does.
absl::Status Chown(int dir, const std::string& name, const struct stat& info,
                   const std::string& path) {
  int result = name.empty() ? fchown(dir, info.st_uid, info.st_gid)
                            : fchownat(dir, name.c_str(), info.st_uid, info.st_gid,
                                       AT_SYMLINK_NOFOLLOW);
  if (result == 0) return absl::OkStatus();
  if (errno == EPERM && geteuid() != 0) {
    Logf(LogLevel::kDebug, "", "kept the caller as owner of %s: %s", path, strerror(errno));
    return absl::OkStatus();
  }
  return ErrnoError(errno, "chown", path);
}

// Gives the open file `to` the owner, mode, attributes and times of `info`
// and `from`. The mode is set after the owner because chown clears the
// set-user-id bit.
absl::Status CopyMetadata(int from, int to, const struct stat& info, const std::string& path) {
  absl::Status owned = Chown(to, "", info, path);
  if (!owned.ok()) return owned;
  if (fchmod(to, info.st_mode & 07777) != 0) return ErrnoError(errno, "chmod", path);
  absl::Status xattrs = CopyXattrs(from, to, path);
  if (!xattrs.ok()) return xattrs;
  struct timespec times[2] = {info.st_atim, info.st_mtim};
  if (futimens(to, times) != 0) return ErrnoError(errno, "set times of", path);
  return absl::OkStatus();
}

class TreeCopier {
 public:
  explicit TreeCopier(int to_root) : to_root_(to_root) {}

  absl::Status CopyDirectory(int from, int to, const std::string& path);

 private:
  absl::Status CopyEntry(int from_dir, int to_dir, const std::string& name,
                         const std::string& path);
  absl::Status CopyFile(int from_dir, int to_dir, const std::string& name,
                        const struct stat& info, const std::string& path);
  absl::Status CopySpecial(int to_dir, const std::string& name, const struct stat& info,
                           const std::string& path);

  int to_root_;
  // Regular files with more than one link: (device, inode) to the path of
  // the first copy below to_root_.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

absl::Status TreeCopier::CopyDirectory(int from, int to, const std::string& path) {
  int listed = dup(from);
  if (listed < 0) return ErrnoError(errno, "dup", path);
  DIR* dir = fdopendir(listed);
  if (dir == nullptr) {
    close(listed);
    return ErrnoError(errno, "open directory", path);
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
        CopyEntry(from, to, name, path.empty() ? name : absl::StrCat(path, "/", name));
    if (!status.ok()) return status;
  }
  struct stat info;
  if (fstat(from, &info) != 0) return ErrnoError(errno, "stat", path);
  return CopyMetadata(from, to, info, path.empty() ? "." : path);
}

absl::Status TreeCopier::CopyEntry(int from_dir, int to_dir, const std::string& name,
                                   const std::string& path) {
  struct stat info;
  if (fstatat(from_dir, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "stat", path);
  }
  switch (info.st_mode & S_IFMT) {
    case S_IFDIR: {
      if (mkdirat(to_dir, name.c_str(), 0700) != 0) {
        return ErrnoError(errno, "create directory", path);
      }
      absl::StatusOr<UniqueFd> from =
          image::OpenAt(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (!from.ok()) return Annotate(from.status(), path);
      absl::StatusOr<UniqueFd> to =
          image::OpenAt(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (!to.ok()) return Annotate(to.status(), path);
      return CopyDirectory(from->get(), to->get(), path);
    }
    case S_IFREG:
      return CopyFile(from_dir, to_dir, name, info, path);
    case S_IFLNK: {
      std::string target(static_cast<size_t>(info.st_size) + 1, '\0');
      ssize_t length = readlinkat(from_dir, name.c_str(), target.data(), target.size());
      if (length < 0) return ErrnoError(errno, "readlink", path);
      target.resize(static_cast<size_t>(length));
      if (symlinkat(target.c_str(), to_dir, name.c_str()) != 0) {
        return ErrnoError(errno, "symlink", path);
      }
      absl::Status owned = Chown(to_dir, name, info, path);
      if (!owned.ok()) return owned;
      struct timespec times[2] = {info.st_atim, info.st_mtim};
      if (utimensat(to_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
        return ErrnoError(errno, "set times of", path);
      }
      return absl::OkStatus();
    }
    default:
      return CopySpecial(to_dir, name, info, path);
  }
}

absl::Status TreeCopier::CopyFile(int from_dir, int to_dir, const std::string& name,
                                  const struct stat& info, const std::string& path) {
  if (info.st_nlink > 1) {
    auto [it, first] = links_.emplace(std::make_pair(info.st_dev, info.st_ino), path);
    if (!first) {
      if (linkat(to_root_, it->second.c_str(), to_dir, name.c_str(), 0) != 0) {
        return ErrnoError(errno, absl::StrCat("link to ", it->second, " at"), path);
      }
      return absl::OkStatus();
    }
  }
  absl::StatusOr<UniqueFd> from = image::OpenAt(from_dir, name, O_RDONLY | O_NOFOLLOW);
  if (!from.ok()) return Annotate(from.status(), path);
  absl::StatusOr<UniqueFd> to =
      image::OpenAt(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  if (!to.ok()) return Annotate(to.status(), path);
  absl::Status copied = image::CopyFd(from->get(), to->get());
  if (!copied.ok()) return Annotate(copied, path);
  return CopyMetadata(from->get(), to->get(), info, path);
}

absl::Status TreeCopier::CopySpecial(int to_dir, const std::string& name,
                                     const struct stat& info, const std::string& path) {
  if (mknodat(to_dir, name.c_str(), info.st_mode, info.st_rdev) != 0) {
    return ErrnoError(errno, "mknod", path);
  }
  absl::Status owned = Chown(to_dir, name, info, path);
  if (!owned.ok()) return owned;
  // mknod applied the umask, so the mode is set again.
  if (fchmodat(to_dir, name.c_str(), info.st_mode & 07777, 0) != 0) {
    return ErrnoError(errno, "chmod", path);
  }
  // Opening a device or FIFO to read its extended attributes could block
  // or act, so they get their times only.
  struct timespec times[2] = {info.st_atim, info.st_mtim};
  if (utimensat(to_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "set times of", path);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CopyTree(int from_fd, int to_fd) {
  TreeCopier copier(to_fd);
  return copier.CopyDirectory(from_fd, to_fd, "");
}

}  // namespace pycontain::container
