#include "lib/overlay/root_mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/overlay/flatten.h"
#include "lib/overlay/userns_mount.h"

extern char** environ;

namespace pycontain::overlay {
namespace {

constexpr char kDriverVariable[] = "PYCONTAIN_ROOTFS_DRIVER";

// Whether another driver may work where overlayfs failed with `status`.
// That is so when the kernel rejected the mount itself: EINVAL for an
// upper directory on a filesystem overlayfs does not support, ENODEV
// without overlayfs, EPERM without the privilege. It is also so when the
// layers did not fit overlayfs's limits. A missing or unreadable layer
// fails every driver alike.
bool FallbackMayHelp(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kResourceExhausted ||
      status.code() == absl::StatusCode::kUnimplemented) {
    return true;
  }
  std::optional<int> err = ErrnoOf(status);
  return err == EINVAL || err == EOPNOTSUPP || err == ENODEV || err == EPERM;
}

// Returns the path of `program` in $PATH, or "".
std::string FindProgram(absl::string_view program) {
  const char* path = getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/", program);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Clones the mount at `path` into a detached mount. A caller other than
// root clones it inside a user namespace of its own, the only place where
// it may.
absl::StatusOr<UniqueFd> CloneMount(const std::string& path) {
  if (geteuid() != 0) {
    UserNamespaceMount request;
    request.clone_path = path;
    request.description = path;
    return MountInUserNamespace(request);
  }
  int fd = static_cast<int>(open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (fd < 0) return ErrnoError(errno, "open_tree", path);
  return UniqueFd(fd);
}

// Runs `argv` and waits for it. Returns its stderr on failure.
absl::Status RunProgram(const std::vector<std::string>& argv) {
  int err_fd = memfd_create("fuse-overlayfs-stderr", MFD_CLOEXEC);
  if (err_fd < 0) return ErrnoError(errno, "memfd_create", argv[0]);
  UniqueFd err(err_fd);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err.get(), 2);
  std::vector<std::string> copies = argv;
  std::vector<char*> pointers;
  for (std::string& arg : copies) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  pid_t pid;
  int spawned = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return ErrnoError(spawned, "run", argv[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoError(errno, "wait for", argv[0]);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();

  std::string output(4096, '\0');
  ssize_t n = pread(err.get(), output.data(), output.size(), 0);
  output.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return absl::FailedPreconditionError(
      absl::StrCat(argv[0], " failed",
                   WIFEXITED(status) ? absl::StrCat(" with status ", WEXITSTATUS(status))
                                     : absl::StrCat(" by signal ", WTERMSIG(status)),
                   output.empty() ? "" : ": ",
                   absl::StripTrailingAsciiWhitespace(output)));
}

// Mounts the layers with fuse-overlayfs on the staging mountpoint, then
// detaches a clone of that mount. The FUSE daemon serves the clone and
// exits when it is released.
absl::StatusOr<OverlayMount> MountFuse(const OverlayOptions& options) {
  std::string program = FindProgram("fuse-overlayfs");
  if (program.empty()) {
    return absl::NotFoundError("fuse-overlayfs is not installed (Debian package fuse-overlayfs)");
  }
  if (options.staging_mountpoint.empty() || options.upper.empty()) {
    return absl::InvalidArgumentError("fuse-overlayfs needs an upper directory and a mountpoint");
  }
  std::vector<std::string> paths = options.lowers;
  paths.push_back(options.upper);
  paths.push_back(options.work);
  for (const std::string& path : paths) {
    // fuse-overlayfs splits its options at these characters.
    if (path.find_first_of(":,=\\") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("fuse-overlayfs cannot take the path ", path, " (it has ':', ',', '=' or '\\')"));
    }
  }
  std::string mount_options =
      absl::StrCat("lowerdir=", absl::StrJoin(options.lowers, ":"), ",upperdir=", options.upper,
                   ",workdir=", options.work);
  Logf(LogLevel::kDebug, options.log_id, "fuse-overlayfs -o %s %s", mount_options,
       options.staging_mountpoint);
  absl::Status ran =
      RunProgram({program, "-o", mount_options, options.staging_mountpoint});
  if (!ran.ok()) return ran;

  absl::StatusOr<UniqueFd> clone = CloneMount(options.staging_mountpoint);
  // The staging mount goes in every case; the clone keeps the filesystem.
  // A caller other than root may not umount2 it, but fusermount3 may.
  // NOTE: no test runs this rootless path: the test machine's /dev/fuse
  // is closed to unprivileged users, so fuse-overlayfs fails before it.
  if (geteuid() != 0) {
    absl::Status unmounted =
        RunProgram({FindProgram("fusermount3"), "-u", "-z", options.staging_mountpoint});
    if (!unmounted.ok()) {
      Logf(LogLevel::kWarning, options.log_id, "unmount %s: %s", options.staging_mountpoint,
           unmounted.message());
    }
  } else if (umount2(options.staging_mountpoint.c_str(), MNT_DETACH) != 0) {
    Logf(LogLevel::kWarning, options.log_id, "unmount %s: %s", options.staging_mountpoint,
         strerror(errno));
  }
  if (!clone.ok()) return clone.status();
  return OverlayMount::Adopt(std::move(*clone));
}

bool IsEmptyDirectory(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return false;
  bool empty = true;
  while (struct dirent* entry = readdir(dir)) {
    absl::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      empty = false;
      break;
    }
  }
  closedir(dir);
  return empty;
}

// Flattens the layers into `copy_dir`, unless an earlier run left a copy
// there, and detaches a bind mount of it.
absl::StatusOr<OverlayMount> MountCopy(const OverlayOptions& options, const std::string& copy_dir) {
  if (mkdir(copy_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError(errno, "create directory", copy_dir);
  }
  if (IsEmptyDirectory(copy_dir)) {
    Logf(LogLevel::kDebug, options.log_id, "copy %d layers into %s", options.lowers.size(),
         copy_dir);
    absl::Status flattened = FlattenLayers(options.lowers, copy_dir);
    if (!flattened.ok()) return Annotate(flattened, "copy the image's layers");
  }
  absl::StatusOr<UniqueFd> clone = CloneMount(copy_dir);
  if (!clone.ok()) return clone.status();
  return OverlayMount::Adopt(std::move(*clone));
}

absl::StatusOr<RootMount> Forced(absl::string_view driver, const OverlayOptions& options,
                                 const std::string& copy_dir) {
  RootMount root;
  root.reason = absl::StrCat("$", kDriverVariable, " is \"", driver, "\"");
  absl::StatusOr<OverlayMount> mount;
  if (driver == "overlay") {
    root.driver = RootDriver::kOverlay;
    root.reason.clear();
    mount = OverlayMount::Create(options);
  } else if (driver == "fuse-overlayfs") {
    root.driver = RootDriver::kFuseOverlayfs;
    mount = MountFuse(options);
  } else if (driver == "copy") {
    root.driver = RootDriver::kCopy;
    mount = MountCopy(options, copy_dir);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "$", kDriverVariable, " is \"", driver, "\": use overlay, fuse-overlayfs or copy"));
  }
  if (!mount.ok()) return mount.status();
  root.mount = std::move(*mount);
  return root;
}

}  // namespace

absl::string_view RootDriverName(RootDriver driver) {
  switch (driver) {
    case RootDriver::kOverlay:
      return "overlay";
    case RootDriver::kFuseOverlayfs:
      return "fuse-overlayfs";
    case RootDriver::kCopy:
      return "copy";
  }
  return "unknown";
}

absl::StatusOr<RootMount> MountRoot(const OverlayOptions& options, const std::string& copy_dir) {
  const char* forced = getenv(kDriverVariable);
  if (forced != nullptr && *forced != '\0') return Forced(forced, options, copy_dir);

  absl::StatusOr<OverlayMount> overlay = OverlayMount::Create(options);
  if (overlay.ok()) return RootMount{std::move(*overlay), RootDriver::kOverlay, ""};
  if (!FallbackMayHelp(overlay.status())) return overlay.status();

  RootMount root;
  root.reason = absl::StrCat("overlayfs failed: ", overlay.status().message());
  absl::StatusOr<OverlayMount> fuse = MountFuse(options);
  if (fuse.ok()) {
    Logf(LogLevel::kWarning, options.log_id, "%s; using fuse-overlayfs instead", root.reason);
    root.mount = std::move(*fuse);
    root.driver = RootDriver::kFuseOverlayfs;
    return root;
  }
  absl::StrAppend(&root.reason, "; ", fuse.status().message());

  absl::StatusOr<OverlayMount> copy = MountCopy(options, copy_dir);
  if (!copy.ok()) return Annotate(copy.status(), root.reason);
  Logf(LogLevel::kWarning, options.log_id,
       "%s; using a copy of the image's layers at %s instead (slower to start, no diff)",
       root.reason, copy_dir);
  root.mount = std::move(*copy);
  root.driver = RootDriver::kCopy;
  return root;
}

}  // namespace pycontain::overlay
