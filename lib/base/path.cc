#include "lib/base/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/log.h"
#include "lib/base/status.h"

namespace pycontain {
namespace {

// How often openat2 is tried while it fails with EAGAIN, which
// RESOLVE_IN_ROOT returns when a rename or mount elsewhere raced with the
// lookup of "..".
constexpr int kOpenat2Attempts = 16;

// Set once openat2 has failed with ENOSYS, so later calls go straight to the
// walk.
std::atomic<bool> openat2_unavailable{false};

absl::Status CheckNoNul(absl::string_view label, absl::string_view value) {
  if (value.find('\0') == absl::string_view::npos) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(label, " \"", absl::CHexEscape(value),
                   "\" contains a NUL byte (remove it)"));
}

absl::Status ValidatePath(absl::string_view path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "empty path (use \"/\" for the root directory itself)");
  }
  return CheckNoNul("path", path);
}

absl::Status ValidateRoot(absl::string_view root) {
  if (root.empty()) {
    return absl::InvalidArgumentError(
        "empty root directory (pass the host path of the root)");
  }
  return CheckNoNul("root directory", root);
}

// The components of a path that remain to be resolved, and the number of
// symlinks followed so far.
class PendingComponents {
 public:
  explicit PendingComponents(absl::string_view path) { Prepend(path); }

  bool empty() const { return reversed_.empty(); }

  // Removes and returns the next component ("." and ".." included).
  std::string Pop() {
    std::string component = std::move(reversed_.back());
    reversed_.pop_back();
    return component;
  }

  // Puts the components of a symlink's target in front of the rest. Returns
  // 0, or ELOOP after kMaxSymlinks links, or ENOENT for an empty target (as
  // the kernel does). The caller goes back to the root when the target is
  // absolute.
  int FollowSymlink(absl::string_view target) {
    if (++symlinks_ > kMaxSymlinks) return ELOOP;
    if (target.empty()) return ENOENT;
    Prepend(target);
    return 0;
  }

 private:
  void Prepend(absl::string_view path) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(path, '/', absl::SkipEmpty());

    // "dir/" must be a directory, exactly like "dir/.".
    if (!parts.empty() && path.back() == '/') reversed_.push_back(".");
    for (auto part = parts.rbegin(); part != parts.rend(); ++part) {
      reversed_.emplace_back(*part);
    }
  }

  std::vector<std::string> reversed_;  // The next component is at the back.
  int symlinks_ = 0;
};

// The directories opened on the way from the root to the current one. ".."
// pops one, so it goes back along the path taken and stops at the root.
//
// NOTE: keeps one descriptor open per directory level, so a path deeper than
// the descriptor limit (RLIMIT_NOFILE) fails with EMFILE.
class DirectoryStack {
 public:
  // `root_fd` is borrowed.
  explicit DirectoryStack(int root_fd) : root_fd_(root_fd) {}

  int current() const { return dirs_.empty() ? root_fd_ : dirs_.back().get(); }

  void Enter(UniqueFd dir, std::string name) {
    dirs_.push_back(std::move(dir));
    names_.push_back(std::move(name));
  }

  void Up() {
    if (dirs_.empty()) return;
    dirs_.pop_back();
    names_.pop_back();
  }

  void GoToRoot() {
    dirs_.clear();
    names_.clear();
  }

  // Returns the path of `name` in the current directory, as seen inside the
  // root, for error messages.
  std::string PathOf(absl::string_view name) const {
    return absl::StrCat("/", absl::StrJoin(names_, "/"),
                        names_.empty() ? "" : "/", name);
  }

 private:
  int root_fd_;
  std::vector<UniqueFd> dirs_;
  std::vector<std::string> names_;
};

// Reads the symlink `name` in `dir_fd` into `*target`. Returns 0 for a
// symlink, EINVAL when `name` is something else, or another errno (ENOENT
// when it does not exist).
int ReadSymlinkAt(int dir_fd, const std::string& name, std::string* target) {
  char buffer[PATH_MAX];
  ssize_t length = readlinkat(dir_fd, name.c_str(), buffer, sizeof(buffer));
  if (length < 0) return errno;
  if (static_cast<size_t>(length) == sizeof(buffer)) return ENAMETOOLONG;
  target->assign(buffer, length);
  return 0;
}

absl::Status OpenError(int err, absl::string_view path) {
  return ErrnoError(err, "open inside root", path);
}

// Calls openat2 with RESOLVE_IN_ROOT, retrying on EAGAIN. Returns the new
// descriptor, or an invalid one with the errno in `*err`.
UniqueFd Openat2InRoot(int root_fd, const std::string& path, int flags,
                       mode_t mode, int* err) {
  struct open_how how = {};
  how.flags = static_cast<unsigned>(flags | O_CLOEXEC);
  // openat2 rejects a non-zero mode unless a file may be created.
  bool creates = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
  how.mode = creates ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

  for (int attempt = 1;; ++attempt) {
    long fd = syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof(how));
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    *err = errno;
    if (*err != EAGAIN || attempt == kOpenat2Attempts) return UniqueFd();
  }
}

// Opens `name` in `dir_fd` as the last step of a walk. O_NOFOLLOW is added
// because the walk has already resolved any symlink there. A symlink that
// appears since then fails (ELOOP) or, with O_PATH, is opened itself.
absl::StatusOr<UniqueFd> OpenLast(int dir_fd, const std::string& name,
                                  int flags, mode_t mode,
                                  absl::string_view path) {
  UniqueFd fd(
      openat(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return OpenError(errno, path);
  return fd;
}

// Opens the directory `name` in `parent_fd` without following a symlink,
// creating it first when it does not exist. Returns 0 or an errno.
int OpenOrMakeDirectory(int parent_fd, const std::string& name, mode_t mode,
                        UniqueFd* dir) {
  constexpr int kDirectoryFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  dir->reset(openat(parent_fd, name.c_str(), kDirectoryFlags));
  if (dir->valid()) return 0;
  if (errno != ENOENT) return errno;

  // EEXIST means that someone else created it meanwhile. The second open
  // checks that it is a directory and not a symlink.
  if (mkdirat(parent_fd, name.c_str(), mode) != 0 && errno != EEXIST)
    return errno;
  dir->reset(openat(parent_fd, name.c_str(), kDirectoryFlags));
  return dir->valid() ? 0 : errno;
}

// Returns `root` without trailing slashes, so "/" becomes "".
std::string RootPrefix(absl::string_view root) {
  while (!root.empty() && root.back() == '/') root.remove_suffix(1);
  return std::string(root);
}

// Returns the host path of `components` under `root_prefix`.
std::string HostPath(const std::string& root_prefix,
                     const std::vector<std::string>& components) {
  if (components.empty()) return root_prefix.empty() ? "/" : root_prefix;
  return absl::StrCat(root_prefix, "/", absl::StrJoin(components, "/"));
}

}  // namespace

absl::StatusOr<UniqueFd> OpenInRoot(int root_fd, absl::string_view path,
                                    int flags, mode_t mode) {
  absl::Status valid = ValidatePath(path);
  if (!valid.ok()) return valid;

  if (!openat2_unavailable.load(std::memory_order_relaxed)) {
    int err = 0;
    UniqueFd fd = Openat2InRoot(root_fd, std::string(path), flags, mode, &err);
    if (fd.valid()) return fd;
    if (err != ENOSYS) return OpenError(err, path);

    if (!openat2_unavailable.exchange(true)) {
      Log(LogLevel::kWarning, "",
          "openat2 is not available (it needs Linux 5.6 and a seccomp filter "
          "that allows it); resolving paths inside root directories one "
          "component at a time instead");
    }
  }
  return OpenInRootWalk(root_fd, path, flags, mode);
}

absl::StatusOr<UniqueFd> OpenInRootWalk(int root_fd, absl::string_view path,
                                        int flags, mode_t mode) {
  absl::Status valid = ValidatePath(path);
  if (!valid.ok()) return valid;

  // A symlink in the last component is left to openat when the caller asks
  // not to follow it, as open(2) does for O_NOFOLLOW and O_CREAT | O_EXCL.
  bool follow_last = (flags & O_NOFOLLOW) == 0 &&
                     (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL);

  PendingComponents pending(path);
  DirectoryStack dirs(root_fd);
  while (!pending.empty()) {
    std::string name = pending.Pop();
    if (name == ".") continue;
    if (name == "..") {
      dirs.Up();
      continue;
    }

    bool last = pending.empty();
    if (!last || follow_last) {
      std::string target;
      int err = ReadSymlinkAt(dirs.current(), name, &target);
      if (err == 0) {
        err = pending.FollowSymlink(target);
        if (err != 0) return OpenError(err, path);
        if (target[0] == '/') dirs.GoToRoot();
        continue;
      }
      // ENOENT is left to openat below, which reports it or, with O_CREAT,
      // creates the last component.
      if (err != EINVAL && err != ENOENT) return OpenError(err, path);
    }
    if (last) return OpenLast(dirs.current(), name, flags, mode, path);

    UniqueFd dir(openat(dirs.current(), name.c_str(),
                        O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) return OpenError(errno, path);
    dirs.Enter(std::move(dir), std::move(name));
  }

  // The path ends at a directory: "/", "a/.." or "a/.".
  return OpenLast(dirs.current(), ".", flags, mode, path);
}

absl::StatusOr<std::string> ResolveInRoot(absl::string_view root,
                                          absl::string_view path) {
  absl::Status valid = ValidateRoot(root);
  if (valid.ok()) valid = ValidatePath(path);
  if (!valid.ok()) return valid;
  auto resolve_error = [&](int err) {
    return ErrnoError(err, "resolve", absl::StrCat(path, " inside ", root));
  };

  std::string root_prefix = RootPrefix(root);
  PendingComponents pending(path);
  std::vector<std::string> resolved;
  while (!pending.empty()) {
    std::string name = pending.Pop();
    if (name == ".") continue;
    if (name == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }

    resolved.push_back(std::move(name));
    std::string host_path = HostPath(root_prefix, resolved);
    struct stat info;
    if (lstat(host_path.c_str(), &info) != 0) {
      // A missing component is kept as a plain name: the caller creates it.
      if (errno == ENOENT) continue;
      return resolve_error(errno);
    }
    if (S_ISLNK(info.st_mode)) {
      resolved.pop_back();
      std::string target;
      int err = ReadSymlinkAt(AT_FDCWD, host_path, &target);
      if (err == 0) err = pending.FollowSymlink(target);
      if (err != 0) return resolve_error(err);
      if (target[0] == '/') resolved.clear();
      continue;
    }
    if (!pending.empty() && !S_ISDIR(info.st_mode))
      return resolve_error(ENOTDIR);
  }
  return HostPath(root_prefix, resolved);
}

absl::Status MakeDirectoriesInRoot(absl::string_view root,
                                   absl::string_view path, mode_t mode) {
  absl::Status valid = ValidateRoot(root);
  if (valid.ok()) valid = ValidatePath(path);
  if (!valid.ok()) return valid;

  std::string root_text(root);
  UniqueFd root_fd(open(root_text.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return ErrnoError(errno, "open root directory", root);

  PendingComponents pending(path);
  DirectoryStack dirs(root_fd.get());
  while (!pending.empty()) {
    std::string name = pending.Pop();
    if (name == ".") continue;
    if (name == "..") {
      dirs.Up();
      continue;
    }
    auto make_error = [&](int err) {
      return ErrnoError(err, "create directory",
                        absl::StrCat(dirs.PathOf(name), " inside ", root));
    };

    std::string target;
    int err = ReadSymlinkAt(dirs.current(), name, &target);
    if (err == 0) {
      err = pending.FollowSymlink(target);
      if (err != 0) return make_error(err);
      if (target[0] == '/') dirs.GoToRoot();
      continue;
    }
    if (err != EINVAL && err != ENOENT) return make_error(err);

    UniqueFd dir;
    err = OpenOrMakeDirectory(dirs.current(), name, mode, &dir);
    if (err != 0) return make_error(err);
    dirs.Enter(std::move(dir), std::move(name));
  }
  return absl::OkStatus();
}

}  // namespace pycontain
