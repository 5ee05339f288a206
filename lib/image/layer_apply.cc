#include "lib/image/layer_apply.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/path.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/image/fs_util.h"

namespace pycontain::image {

namespace {

constexpr absl::string_view kWhiteoutPrefix = ".wh.";
constexpr absl::string_view kOpaqueWhiteout = ".wh..wh..opq";

std::string JoinPath(absl::string_view parent, absl::string_view name) {
  return parent.empty() ? std::string(name) : absl::StrCat(parent, "/", name);
}

// The parent directory and last component of a cleaned, non-empty path.
std::pair<std::string, std::string> SplitParent(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return {"", std::string(path)};
  return {std::string(path.substr(0, slash)),
          std::string(path.substr(slash + 1))};
}

// A directory whose mode and times are set after the whole layer is
// applied: creating entries in it changes its mtime, and a read-only mode
// would stop an unprivileged caller from creating them.
struct DeferredDirectory {
  std::string path;
  mode_t mode;
  struct timespec times[2];
};

class Applier {
 public:
  Applier(struct archive* tar, int root_fd, const ApplyOptions& options)
      : tar_(tar), root_fd_(root_fd), options_(options) {}

  absl::StatusOr<ApplyStats> Run();

 private:
  absl::Status ApplyEntry(struct archive_entry* entry, const std::string& path);
  absl::Status ApplyWhiteout(const std::string& parent,
                             const std::string& name);
  absl::StatusOr<UniqueFd> OpenDirectory(const std::string& path, bool create);
  absl::Status ClearPath(int parent_fd, const std::string& name,
                         bool keep_directory, bool* is_directory);
  absl::Status WriteRegular(struct archive_entry* entry, int parent_fd,
                            const std::string& name);
  absl::Status MakeDirectory(struct archive_entry* entry, int parent_fd,
                             const std::string& name, const std::string& path);
  absl::Status MakeLink(struct archive_entry* entry, int parent_fd,
                        const std::string& name);
  absl::Status MakeSpecial(struct archive_entry* entry, int parent_fd,
                           const std::string& name);
  absl::Status SetOwner(int dir_fd, const std::string& name, int flags,
                        struct archive_entry* entry);
  absl::Status SetXattrs(int fd, struct archive_entry* entry);
  absl::Status FinishDirectories();

  struct archive* tar_;
  int root_fd_;
  ApplyOptions options_;
  ApplyStats stats_;
  std::vector<DeferredDirectory> directories_;
  // Paths this layer created, which an opaque whiteout keeps.
  absl::flat_hash_set<std::string> created_;
};

void EntryTimes(struct archive_entry* entry, struct timespec times[2]) {
  times[0].tv_sec = archive_entry_atime_is_set(entry)
                        ? archive_entry_atime(entry)
                        : archive_entry_mtime(entry);
  times[0].tv_nsec = archive_entry_atime_is_set(entry)
                         ? archive_entry_atime_nsec(entry)
                         : archive_entry_mtime_nsec(entry);
  times[1].tv_sec = archive_entry_mtime(entry);
  times[1].tv_nsec = archive_entry_mtime_nsec(entry);
}

}  // namespace

absl::StatusOr<std::string> CleanEntryPath(absl::string_view name) {
  if (name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("name contains a NUL byte");
  }
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(name, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(
          "name contains \"..\", which could leave the layer's root");
    }
    parts.push_back(part);
  }
  return absl::StrJoin(parts, "/");
}

absl::StatusOr<ApplyStats> Applier::Run() {
  while (true) {
    struct archive_entry* entry = nullptr;
    int result = archive_read_next_header(tar_, &entry);
    if (result == ARCHIVE_EOF) break;
    if (result < ARCHIVE_WARN) {
      const char* text = archive_error_string(tar_);
      return absl::DataLossError(absl::StrCat(
          "invalid tar header: ", text != nullptr ? text : "unknown error"));
    }

    const char* raw_name = archive_entry_pathname(entry);
    std::string name = raw_name != nullptr ? raw_name : "";
    absl::StatusOr<std::string> path = CleanEntryPath(name);
    absl::Status applied =
        path.ok() ? ApplyEntry(entry, *path) : path.status();
    if (!applied.ok()) {
      return Annotate(applied, absl::StrCat("layer entry \"", name, "\""));
    }
    ++stats_.entries;
  }
  absl::Status finished = FinishDirectories();
  if (!finished.ok()) return finished;
  return stats_;
}

absl::Status Applier::ApplyEntry(struct archive_entry* entry,
                                 const std::string& path) {
  if (path.empty()) {
    // The root itself ("./"): only its metadata applies.
    if (archive_entry_filetype(entry) != AE_IFDIR) {
      return absl::InvalidArgumentError("the root entry is not a directory");
    }
    return MakeDirectory(entry, root_fd_, ".", path);
  }
  auto [parent, name] = SplitParent(path);
  if (absl::StartsWith(name, kWhiteoutPrefix)) {
    return ApplyWhiteout(parent, name);
  }

  absl::StatusOr<UniqueFd> parent_fd = OpenDirectory(parent, /*create=*/true);
  if (!parent_fd.ok()) return parent_fd.status();
  created_.insert(path);

  if (archive_entry_hardlink(entry) != nullptr) {
    return MakeLink(entry, parent_fd->get(), name);
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG: return WriteRegular(entry, parent_fd->get(), name);
    case AE_IFDIR: return MakeDirectory(entry, parent_fd->get(), name, path);
    case AE_IFLNK: return MakeLink(entry, parent_fd->get(), name);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: return MakeSpecial(entry, parent_fd->get(), name);
    default:
      // Sockets and unknown types: a socket file is meaningless without the
      // process that bound it; Docker skips them too.
      Logf(LogLevel::kDebug, "", "layer: skipping %s of type %o", path,
           archive_entry_filetype(entry));
      return absl::OkStatus();
  }
}

// Opens the directory `path` (relative to the root), resolving every
// component inside the root; with `create`, missing components are made.
absl::StatusOr<UniqueFd> Applier::OpenDirectory(const std::string& path,
                                                bool create) {
  absl::StatusOr<UniqueFd> opened =
      OpenInRoot(root_fd_, path.empty() ? "." : path, O_PATH | O_DIRECTORY);
  if (opened.ok() || !create || ErrnoOf(opened.status()) != ENOENT) {
    return opened;
  }

  absl::StatusOr<UniqueFd> current = OpenInRoot(root_fd_, ".", O_PATH | O_DIRECTORY);
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (!current.ok()) return current.status();
    prefix = JoinPath(prefix, part);
    absl::StatusOr<UniqueFd> next =
        OpenInRoot(root_fd_, prefix, O_PATH | O_DIRECTORY);
    if (!next.ok() && ErrnoOf(next.status()) == ENOENT) {
      std::string name(part);
      // The name is one component and mkdirat does not follow a symlink
      // there: a dangling link fails with EEXIST instead of being created.
      if (mkdirat(current->get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoError(errno, "create parent directory", prefix);
      }
      next = OpenInRoot(root_fd_, prefix, O_PATH | O_DIRECTORY);
    }
    current = std::move(next);
  }
  return current;
}

// Makes room for a new entry `name`: removes what is there, unless it is a
// directory and `keep_directory` is set (directories merge).
absl::Status Applier::ClearPath(int parent_fd, const std::string& name,
                                bool keep_directory, bool* is_directory) {
  *is_directory = false;
  struct stat st;
  if (fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError(errno, "stat", name);
  }
  if (S_ISDIR(st.st_mode) && keep_directory) {
    *is_directory = true;
    return absl::OkStatus();
  }
  return RemoveTreeAt(parent_fd, name);
}

absl::Status Applier::WriteRegular(struct archive_entry* entry, int parent_fd,
                                   const std::string& name) {
  bool unused;
  absl::Status cleared = ClearPath(parent_fd, name, false, &unused);
  if (!cleared.ok()) return cleared;

  absl::StatusOr<UniqueFd> file =
      OpenInRoot(parent_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  if (!file.ok()) return file.status();

  // Data blocks come with their offsets, so holes in sparse files stay holes.
  while (true) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int result = archive_read_data_block(tar_, &block, &size, &offset);
    if (result == ARCHIVE_EOF) break;
    if (result < ARCHIVE_WARN) {
      const char* text = archive_error_string(tar_);
      return absl::DataLossError(absl::StrCat(
          "read file data: ", text != nullptr ? text : "unknown error"));
    }
    const char* data = static_cast<const char*>(block);
    while (size > 0) {
      ssize_t n = pwrite(file->get(), data, size, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError(errno, "write", name);
      data += n;
      size -= static_cast<size_t>(n);
      offset += n;
      stats_.file_bytes += static_cast<uint64_t>(n);
    }
  }
  if (ftruncate(file->get(), archive_entry_size(entry)) != 0) {
    return ErrnoError(errno, "truncate", name);
  }

  absl::Status owned = SetOwner(file->get(), "", AT_EMPTY_PATH, entry);
  if (!owned.ok()) return owned;
  // After chown, which clears the set-user-ID and set-group-ID bits.
  if (fchmod(file->get(), archive_entry_perm(entry)) != 0) {
    return ErrnoError(errno, "chmod", name);
  }
  absl::Status xattrs = SetXattrs(file->get(), entry);
  if (!xattrs.ok()) return xattrs;
  struct timespec times[2];
  EntryTimes(entry, times);
  if (futimens(file->get(), times) != 0) {
    return ErrnoError(errno, "set times of", name);
  }
  return absl::OkStatus();
}

absl::Status Applier::MakeDirectory(struct archive_entry* entry, int parent_fd,
                                    const std::string& name,
                                    const std::string& path) {
  bool exists = false;
  if (name != ".") {
    absl::Status cleared = ClearPath(parent_fd, name, true, &exists);
    if (!cleared.ok()) return cleared;
  }
  if (!exists && name != "." && mkdirat(parent_fd, name.c_str(), 0700) != 0) {
    return ErrnoError(errno, "mkdir", name);
  }

  absl::StatusOr<UniqueFd> directory =
      OpenInRoot(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!directory.ok()) return directory.status();
  absl::Status owned = SetOwner(directory->get(), "", AT_EMPTY_PATH, entry);
  if (!owned.ok()) return owned;
  absl::Status xattrs = SetXattrs(directory->get(), entry);
  if (!xattrs.ok()) return xattrs;

  DeferredDirectory deferred;
  deferred.path = path;
  deferred.mode = archive_entry_perm(entry);
  EntryTimes(entry, deferred.times);
  directories_.push_back(deferred);
  return absl::OkStatus();
}

absl::Status Applier::MakeLink(struct archive_entry* entry, int parent_fd,
                               const std::string& name) {
  const char* hardlink = archive_entry_hardlink(entry);
  bool unused;
  if (hardlink == nullptr) {
    const char* target = archive_entry_symlink(entry);
    absl::Status cleared = ClearPath(parent_fd, name, false, &unused);
    if (!cleared.ok()) return cleared;
    // A symlink's target is only text: it is resolved inside the root
    // whenever the path is opened, so any target is safe to store.
    if (symlinkat(target != nullptr ? target : "", parent_fd, name.c_str()) != 0) {
      return ErrnoError(errno, "symlink", name);
    }
    absl::Status owned = SetOwner(parent_fd, name, AT_SYMLINK_NOFOLLOW, entry);
    if (!owned.ok()) return owned;
    struct timespec times[2];
    EntryTimes(entry, times);
    if (utimensat(parent_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoError(errno, "set times of", name);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> target = CleanEntryPath(hardlink);
  if (!target.ok() || target->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("hardlink target \"", hardlink,
                     "\" is outside the layer's root"));
  }
  auto [target_parent, target_name] = SplitParent(*target);
  absl::StatusOr<UniqueFd> target_parent_fd =
      OpenDirectory(target_parent, /*create=*/false);
  if (!target_parent_fd.ok()) {
    return Annotate(target_parent_fd.status(),
                    absl::StrCat("hardlink target \"", hardlink, "\""));
  }

  struct stat target_stat, current_stat;
  if (fstatat(target_parent_fd->get(), target_name.c_str(), &target_stat,
              AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "hardlink target", hardlink);
  }
  if (fstatat(parent_fd, name.c_str(), &current_stat, AT_SYMLINK_NOFOLLOW) == 0 &&
      current_stat.st_ino == target_stat.st_ino &&
      current_stat.st_dev == target_stat.st_dev) {
    return absl::OkStatus();  // already this link
  }
  absl::Status cleared = ClearPath(parent_fd, name, false, &unused);
  if (!cleared.ok()) return cleared;
  // Flags 0: a link to a symlink links the symlink itself.
  if (linkat(target_parent_fd->get(), target_name.c_str(), parent_fd,
             name.c_str(), 0) != 0) {
    return ErrnoError(errno, "hardlink to", hardlink);
  }
  return absl::OkStatus();
}

absl::Status Applier::MakeSpecial(struct archive_entry* entry, int parent_fd,
                                  const std::string& name) {
  mode_t type = archive_entry_filetype(entry);
  bool unused;
  absl::Status cleared = ClearPath(parent_fd, name, false, &unused);
  if (!cleared.ok()) return cleared;

  dev_t device = makedev(archive_entry_rdevmajor(entry),
                         archive_entry_rdevminor(entry));
  if (mknodat(parent_fd, name.c_str(), type | 0600, device) != 0) {
    if (errno == EPERM && type != AE_IFIFO) {
      ++stats_.skipped_devices;
      Logf(LogLevel::kDebug, "", "layer: no permission to create device %s",
           name);
      return absl::OkStatus();
    }
    return ErrnoError(errno, "mknod", name);
  }
  absl::Status owned = SetOwner(parent_fd, name, AT_SYMLINK_NOFOLLOW, entry);
  if (!owned.ok()) return owned;
  // fchmodat follows symlinks, but `name` is the node just made, in a tree
  // that nothing else writes to while a layer is applied.
  if (fchmodat(parent_fd, name.c_str(), archive_entry_perm(entry), 0) != 0) {
    return ErrnoError(errno, "chmod", name);
  }
  // NOTE: extended attributes of device nodes and FIFOs are not applied:
  // setting them needs a path, and opening a FIFO blocks.
  struct timespec times[2];
  EntryTimes(entry, times);
  if (utimensat(parent_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "set times of", name);
  }
  return absl::OkStatus();
}

absl::Status Applier::ApplyWhiteout(const std::string& parent,
                                    const std::string& name) {
  bool opaque = name == kOpaqueWhiteout;
  std::string target = name.substr(kWhiteoutPrefix.size());
  if (!opaque && (target.empty() || target == "." || target == "..")) {
    return absl::InvalidArgumentError("invalid whiteout name");
  }
  bool overlay = options_.whiteouts == WhiteoutMode::kOverlay;
  absl::StatusOr<UniqueFd> parent_fd = OpenDirectory(parent, overlay);
  std::optional<int> err = parent_fd.ok() ? std::nullopt : ErrnoOf(parent_fd.status());
  // Nothing below to hide: the parent is missing, or is no longer a
  // directory (umoci writes whiteouts for the old children of a directory
  // that the same layer replaced with a file, which hides them already).
  if ((err == ENOENT && !overlay) || err == ENOTDIR) return absl::OkStatus();
  if (!parent_fd.ok()) return parent_fd.status();

  if (!overlay && opaque) {
    absl::StatusOr<UniqueFd> listing =
        OpenInRoot(root_fd_, parent.empty() ? "." : parent,
                   O_RDONLY | O_DIRECTORY);
    if (!listing.ok()) return listing.status();
    DIR* dir = fdopendir(listing->release());
    if (dir == nullptr) return ErrnoError(errno, "fdopendir", parent);
    std::vector<std::string> lower;
    while (struct dirent* child = readdir(dir)) {
      std::string child_name = child->d_name;
      if (child_name == "." || child_name == "..") continue;
      if (!created_.contains(JoinPath(parent, child_name))) {
        lower.push_back(child_name);
      }
    }
    closedir(dir);
    for (const std::string& child_name : lower) {
      absl::Status removed = RemoveTreeAt(parent_fd->get(), child_name);
      if (!removed.ok()) return removed;
    }
    return absl::OkStatus();
  }
  if (!overlay) return RemoveTreeAt(parent_fd->get(), target);

  if (opaque) {
    absl::StatusOr<UniqueFd> directory =
        OpenInRoot(root_fd_, parent.empty() ? "." : parent,
                   O_RDONLY | O_DIRECTORY);
    if (!directory.ok()) return directory.status();
    const char* key = geteuid() == 0 ? "trusted.overlay.opaque"
                                     : "user.overlay.opaque";
    if (fsetxattr(directory->get(), key, "y", 1, 0) != 0) {
      return ErrnoError(errno, absl::StrCat("set ", key, " on"), parent);
    }
    return absl::OkStatus();
  }
  bool unused;
  absl::Status cleared = ClearPath(parent_fd->get(), target, false, &unused);
  if (!cleared.ok()) return cleared;
  created_.insert(JoinPath(parent, target));
  if (mknodat(parent_fd->get(), target.c_str(), S_IFCHR, makedev(0, 0)) != 0) {
    return ErrnoError(errno, "create overlay whiteout", target);
  }
  return absl::OkStatus();
}

absl::Status Applier::SetOwner(int dir_fd, const std::string& name, int flags,
                               struct archive_entry* entry) {
  if (!options_.preserve_owners) return absl::OkStatus();
  uid_t uid = static_cast<uid_t>(archive_entry_uid(entry));
  gid_t gid = static_cast<gid_t>(archive_entry_gid(entry));
  if (fchownat(dir_fd, name.c_str(), uid, gid, flags) != 0) {
    return ErrnoError(errno, absl::StrCat("chown to ", uid, ":", gid), name);
  }
  return absl::OkStatus();
}

absl::Status Applier::SetXattrs(int fd, struct archive_entry* entry) {
  if (archive_entry_xattr_reset(entry) == 0) return absl::OkStatus();
  const char* key = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
    if (fsetxattr(fd, key, value, size, 0) == 0) continue;
    // Without root, trusted.* and security.* are not ours to set, and some
    // filesystems take no xattrs at all: skip those, as GNU tar does.
    if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP) {
      ++stats_.skipped_xattrs;
      Logf(LogLevel::kDebug, "", "layer: skipped xattr %s: %s", key,
           strerror(errno));
      continue;
    }
    return ErrnoError(errno, "set xattr", key);
  }
  return absl::OkStatus();
}

absl::Status Applier::FinishDirectories() {
  // Children first, so setting a parent's mtime comes after any change to
  // it, and a read-only parent is closed only after its children are done.
  for (auto it = directories_.rbegin(); it != directories_.rend(); ++it) {
    absl::StatusOr<UniqueFd> directory =
        OpenInRoot(root_fd_, it->path.empty() ? "." : it->path,
                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!directory.ok()) {
      // A later entry replaced the directory with another type, or a
      // whiteout removed it: that entry's metadata wins.
      std::optional<int> err = ErrnoOf(directory.status());
      if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;
      return Annotate(directory.status(), it->path);
    }
    if (fchmod(directory->get(), it->mode) != 0) {
      return ErrnoError(errno, "chmod", it->path);
    }
    if (futimens(directory->get(), it->times) != 0) {
      return ErrnoError(errno, "set times of", it->path);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ApplyStats> ApplyLayer(struct archive* tar, int root_fd,
                                      const ApplyOptions& options) {
  Applier applier(tar, root_fd, options);
  return applier.Run();
}

}  // namespace pycontain::image
