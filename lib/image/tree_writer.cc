#include "lib/image/tree_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"

namespace pycontain::image {

namespace {

class TreeWalker {
 public:
  TreeWalker(struct archive* writer, TreeMode mode) : writer_(writer), mode_(mode) {}

  absl::Status WalkDirectory(int dir_fd, const std::string& prefix);

 private:
  absl::Status WriteEntry(int dir_fd, const std::string& name,
                          const std::string& path);
  absl::Status AddXattrs(int fd, struct archive_entry* entry, bool* opaque);
  absl::Status WriteHeader(struct archive_entry* entry, const std::string& path);
  absl::Status WriteData(int fd, const std::string& path);
  absl::Status WriteWhiteout(const std::string& path);

  struct archive* writer_;
  TreeMode mode_;
  // (device, inode) of files with several links -> the first path written.
  absl::flat_hash_map<std::pair<dev_t, ino_t>, std::string> links_;
};

bool IsOverlayXattr(absl::string_view key) {
  return absl::StartsWith(key, "trusted.overlay.") ||
         absl::StartsWith(key, "user.overlay.");
}

absl::StatusOr<std::vector<std::string>> SortedNames(int dir_fd) {
  int listing = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listing < 0) return ErrnoError(errno, "open directory");
  DIR* dir = fdopendir(listing);
  if (dir == nullptr) {
    close(listing);
    return ErrnoError(errno, "fdopendir");
  }
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status TreeWalker::WalkDirectory(int dir_fd, const std::string& prefix) {
  absl::StatusOr<std::vector<std::string>> names = SortedNames(dir_fd);
  if (!names.ok()) return Annotate(names.status(), prefix.empty() ? "." : prefix);
  for (const std::string& name : *names) {
    absl::Status written = WriteEntry(dir_fd, name, prefix + name);
    if (!written.ok()) return written;
  }
  return absl::OkStatus();
}

absl::Status TreeWalker::WriteHeader(struct archive_entry* entry,
                                     const std::string& path) {
  int result = archive_write_header(writer_, entry);
  if (result < ARCHIVE_WARN) {
    return absl::InternalError(absl::StrCat("write tar header for ", path, ": ",
                                            archive_error_string(writer_)));
  }
  return absl::OkStatus();
}

absl::Status TreeWalker::WriteWhiteout(const std::string& path) {
  struct archive_entry* entry = archive_entry_new();
  archive_entry_copy_pathname(entry, path.c_str());
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0);
  archive_entry_set_size(entry, 0);
  absl::Status written = WriteHeader(entry, path);
  archive_entry_free(entry);
  return written;
}

absl::Status TreeWalker::AddXattrs(int fd, struct archive_entry* entry,
                                   bool* opaque) {
  *opaque = false;
  ssize_t size = flistxattr(fd, nullptr, 0);
  if (size < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) return absl::OkStatus();
  if (size < 0) return ErrnoError(errno, "list xattrs");
  std::string keys(static_cast<size_t>(size), '\0');
  size = flistxattr(fd, keys.data(), keys.size());
  if (size < 0) return ErrnoError(errno, "list xattrs");
  keys.resize(static_cast<size_t>(size));

  for (absl::string_view key : absl::StrSplit(keys, '\0', absl::SkipEmpty())) {
    std::string name(key);
    ssize_t length = fgetxattr(fd, name.c_str(), nullptr, 0);
    if (length < 0) return ErrnoError(errno, "get xattr", name);
    std::string value(static_cast<size_t>(length), '\0');
    length = fgetxattr(fd, name.c_str(), value.data(), value.size());
    if (length < 0) return ErrnoError(errno, "get xattr", name);
    value.resize(static_cast<size_t>(length));
    if (mode_ == TreeMode::kDiff && IsOverlayXattr(name)) {
      *opaque = *opaque || (absl::EndsWith(name, "overlay.opaque") && value == "y");
      continue;
    }
    archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
  }
  return absl::OkStatus();
}

absl::Status TreeWalker::WriteData(int fd, const std::string& path) {
  std::string buffer(1 << 20, '\0');
  while (true) {
    ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", path);
    if (n == 0) return absl::OkStatus();
    if (archive_write_data(writer_, buffer.data(), static_cast<size_t>(n)) < 0) {
      return absl::InternalError(absl::StrCat("write data of ", path, ": ",
                                              archive_error_string(writer_)));
    }
  }
}

absl::Status TreeWalker::WriteEntry(int dir_fd, const std::string& name,
                                    const std::string& path) {
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "stat", path);
  }
  if (S_ISSOCK(st.st_mode)) return absl::OkStatus();
  if (mode_ == TreeMode::kDiff && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
    size_t slash = path.rfind('/');
    std::string parent = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    return WriteWhiteout(absl::StrCat(parent, ".wh.", name));
  }

  struct archive_entry* entry = archive_entry_new();
  archive_entry_copy_pathname(entry, path.c_str());
  archive_entry_copy_stat(entry, &st);
  UniqueFd fd;
  bool opaque = false;
  absl::Status status;
  auto link = links_.find({st.st_dev, st.st_ino});
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && link != links_.end()) {
    archive_entry_copy_hardlink(entry, link->second.c_str());
    archive_entry_set_size(entry, 0);
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(PATH_MAX, '\0');
    ssize_t length = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
    if (length < 0) status = ErrnoError(errno, "readlink", path);
    target.resize(length < 0 ? 0 : static_cast<size_t>(length));
    archive_entry_copy_symlink(entry, target.c_str());
  } else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0);
    fd.reset(openat(dir_fd, name.c_str(), flags));
    if (!fd.valid()) status = ErrnoError(errno, "open", path);
    if (status.ok()) status = AddXattrs(fd.get(), entry, &opaque);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) links_[{st.st_dev, st.st_ino}] = path;
  }
  if (S_ISDIR(st.st_mode)) archive_entry_set_size(entry, 0);
  if (status.ok()) status = WriteHeader(entry, path);
  bool has_data = S_ISREG(st.st_mode) && archive_entry_hardlink(entry) == nullptr;
  archive_entry_free(entry);
  if (status.ok() && has_data) status = WriteData(fd.get(), path);
  if (!status.ok() || !S_ISDIR(st.st_mode)) return status;

  if (opaque) {
    status = WriteWhiteout(absl::StrCat(path, "/.wh..wh..opq"));
    if (!status.ok()) return status;
  }
  return WalkDirectory(fd.get(), path + "/");
}

}  // namespace

absl::Status WriteTree(absl::string_view directory, int out_fd, TreeMode mode) {
  std::string root(directory);
  UniqueFd root_fd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return ErrnoError(errno, "open", root);

  struct archive* writer = archive_write_new();
  archive_write_set_format_pax_restricted(writer);
  // Pad the end to a 512-byte block only, not to libarchive's default
  // 10240-byte record, so a layer's diff id does not depend on padding.
  archive_write_set_bytes_in_last_block(writer, 1);
  absl::Status status;
  if (archive_write_open_fd(writer, out_fd) != ARCHIVE_OK) {
    status = absl::InternalError(absl::StrCat("open tar writer: ",
                                              archive_error_string(writer)));
  }
  TreeWalker walker(writer, mode);
  if (status.ok()) status = walker.WalkDirectory(root_fd.get(), "");
  if (status.ok() && archive_write_close(writer) != ARCHIVE_OK) {
    status = absl::InternalError(absl::StrCat("finish tar: ", archive_error_string(writer)));
  }
  archive_write_free(writer);
  return Annotate(status, absl::StrCat("write tree ", root));
}

}  // namespace pycontain::image
