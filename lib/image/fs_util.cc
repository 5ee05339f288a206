#include "lib/image/fs_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/status.h"

namespace pycontain::image {

absl::StatusOr<UniqueFd> OpenAt(int dir_fd, absl::string_view path, int flags,
                                mode_t mode) {
  std::string name(path);
  int fd = openat(dir_fd, name.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError(errno, "open", name);
  return UniqueFd(fd);
}

absl::StatusOr<std::string> ReadFileAt(int dir_fd, absl::string_view path,
                                       size_t max_bytes) {
  absl::StatusOr<UniqueFd> fd = OpenAt(dir_fd, path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<std::string> data = ReadFd(fd->get(), max_bytes);
  if (!data.ok()) return Annotate(data.status(), path);
  return data;
}

absl::StatusOr<std::string> ReadFd(int fd, size_t max_bytes) {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError(errno, "stat");
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError("not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "file of %d bytes is larger than the limit of %d", st.st_size,
        max_bytes));
  }

  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read");
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "write");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status CopyFd(int from, int to) {
  std::string buffer(1 << 20, '\0');
  while (true) {
    ssize_t n = read(from, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read");
    if (n == 0) return absl::OkStatus();
    absl::Status written =
        WriteAll(to, absl::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!written.ok()) return written;
  }
}

absl::Status WriteFileAtomic(int dir_fd, absl::string_view path,
                             absl::string_view data, mode_t mode) {
  std::string temporary = absl::StrCat(path, ".tmp.", getpid());
  absl::StatusOr<UniqueFd> fd =
      OpenAt(dir_fd, temporary, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (!fd.ok()) return fd.status();

  absl::Status written = WriteAll(fd->get(), data);
  if (written.ok() && fsync(fd->get()) != 0) {
    written = ErrnoError(errno, "fsync", temporary);
  }
  if (written.ok() && renameat(dir_fd, temporary.c_str(), dir_fd,
                               std::string(path).c_str()) != 0) {
    written = ErrnoError(errno, "rename", temporary);
  }
  if (!written.ok()) unlinkat(dir_fd, temporary.c_str(), 0);
  return written;
}

absl::Status RemoveChildren(int dir_fd) {
  int listing_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (listing_fd < 0) return ErrnoError(errno, "open directory to empty it");
  DIR* dir = fdopendir(listing_fd);
  if (dir == nullptr) {
    close(listing_fd);
    return ErrnoError(errno, "fdopendir");
  }
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);

  for (const std::string& name : names) {
    absl::Status removed = RemoveTreeAt(dir_fd, name);
    if (!removed.ok()) return removed;
  }
  return absl::OkStatus();
}

absl::Status RemoveTreeAt(int dir_fd, absl::string_view name) {
  std::string path(name);
  struct stat st;
  if (fstatat(dir_fd, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError(errno, "stat", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dir_fd, path.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoError(errno, "unlink", path);
    }
    return absl::OkStatus();
  }

  // A directory without owner write or search permission cannot be emptied
  // by its (non-root) owner. fchmodat follows symlinks, but this entry is a
  // directory. A failure shows up as EACCES below, with the path.
  if ((st.st_mode & 0700) != 0700 &&
      fchmodat(dir_fd, path.c_str(), 0700, 0) != 0) {
    Logf(LogLevel::kDebug, "", "chmod %s before removal: %s", path,
         strerror(errno));
  }
  int child_fd = openat(dir_fd, path.c_str(),
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (child_fd < 0) return ErrnoError(errno, "open directory", path);
  UniqueFd child(child_fd);
  absl::Status emptied = RemoveChildren(child.get());
  if (!emptied.ok()) return Annotate(emptied, path);

  if (unlinkat(dir_fd, path.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoError(errno, "remove directory", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeTempDirAt(int dir_fd, absl::string_view prefix) {
  static thread_local std::mt19937_64 random(std::random_device{}());
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = absl::StrFormat("%s%016x", prefix, random());
    if (mkdirat(dir_fd, name.c_str(), 0700) == 0) return name;
    if (errno != EEXIST) return ErrnoError(errno, "mkdir", name);
  }
  return absl::AlreadyExistsError(
      absl::StrCat("no free temporary name for ", prefix));
}

absl::Status MakeDirectories(absl::string_view path, mode_t mode) {
  std::string prefix = absl::StartsWith(path, "/") ? "" : ".";
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    absl::StrAppend(&prefix, "/", part);
    if (mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "mkdir", prefix);
    }
  }
  return absl::OkStatus();
}

}  // namespace pycontain::image
