#include "lib/overlay/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/overlay/userns_mount.h"

namespace pycontain::overlay {
namespace {

std::string FdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

// The maximum length of a string value that fsconfig(2) accepts (256
// bytes with its NUL).
constexpr size_t kMaxFsconfigValue = 255;

// The directories of one mount, opened: overlayfs resolves the short
// /proc/self/fd/N names to them, whatever the length of their paths.
struct OpenedLayers {
  std::vector<UniqueFd> lowers;
  UniqueFd upper;
  UniqueFd work;
};

absl::StatusOr<UniqueFd> OpenDirectory(const std::string& path, absl::string_view role) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, absl::StrCat("open overlay ", role), path);
  return fd;
}

absl::StatusOr<OpenedLayers> OpenLayers(const OverlayOptions& options) {
  OpenedLayers opened;
  for (const std::string& lower : options.lowers) {
    absl::StatusOr<UniqueFd> fd = OpenDirectory(lower, "lower directory");
    if (!fd.ok()) return fd.status();
    opened.lowers.push_back(std::move(*fd));
  }
  if (options.upper.empty()) return opened;
  absl::StatusOr<UniqueFd> upper = OpenDirectory(options.upper, "upper directory");
  if (!upper.ok()) return upper.status();
  opened.upper = std::move(*upper);
  absl::StatusOr<UniqueFd> work = OpenDirectory(options.work, "work directory");
  if (!work.ok()) return work.status();
  opened.work = std::move(*work);
  return opened;
}

// Returns the messages the kernel queued on a file system context
// ("overlayfs: failed to resolve ..."), joined, or "".
std::string KernelMessages(int context_fd) {
  std::vector<std::string> messages;
  char buffer[1024];
  for (;;) {
    ssize_t n = read(context_fd, buffer, sizeof(buffer) - 1);
    if (n <= 0) break;
    // Each message starts with "e ", "w " or "i " for its level.
    messages.emplace_back(n > 2 ? buffer + 2 : buffer, n > 2 ? n - 2 : n);
  }
  return absl::StrJoin(messages, "; ");
}

absl::Status ContextError(int err, int context_fd, absl::string_view operation,
                          absl::string_view object) {
  absl::Status status = ErrnoError(err, operation, object);
  std::string messages = KernelMessages(context_fd);
  if (messages.empty()) return status;
  absl::Status with_messages(status.code(),
                             absl::StrCat(status.message(), " (", messages, ")"));
  // The errno payload stays, so that callers can still tell EINVAL apart.
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    with_messages.SetPayload(url, payload);
  });
  return with_messages;
}

// Sets one string parameter; `shown` names the directory in errors.
absl::Status SetParameter(int context_fd, const char* key, int directory_fd,
                          const std::string& shown) {
  std::string value = FdPath(directory_fd);
  if (fsconfig(context_fd, FSCONFIG_SET_STRING, key, value.c_str(), 0) == 0) {
    return absl::OkStatus();
  }
  return ContextError(errno, context_fd, absl::StrCat("fsconfig overlay ", key), shown);
}

// Mounts with fsopen, one "lowerdir+" per layer and fsmount. Returns
// Unimplemented when the kernel predates "lowerdir+" (Linux 6.8).
absl::StatusOr<UniqueFd> MountWithContext(const OverlayOptions& options,
                                          const OpenedLayers& opened) {
  UniqueFd context(fsopen("overlay", FSOPEN_CLOEXEC));
  if (!context.valid()) {
    if (errno == ENOSYS) return absl::UnimplementedError("fsopen(2) is missing");
    return ErrnoError(errno, "fsopen", "overlay");
  }
  // The source names the mount in /proc/mounts, "none" when unset.
  if (fsconfig(context.get(), FSCONFIG_SET_STRING, "source", "overlay", 0) != 0) {
    return ContextError(errno, context.get(), "fsconfig overlay source", "overlay");
  }
  for (size_t i = 0; i < opened.lowers.size(); ++i) {
    std::string value = FdPath(opened.lowers[i].get());
    if (fsconfig(context.get(), FSCONFIG_SET_STRING, "lowerdir+", value.c_str(), 0) != 0) {
      // Before Linux 6.8 the parameter is unknown, which the first one shows.
      if (i == 0 && errno == EINVAL) {
        return absl::UnimplementedError(absl::StrCat(
            "overlayfs rejects \"lowerdir+\" (before Linux 6.8?): ",
            KernelMessages(context.get())));
      }
      return ContextError(errno, context.get(), "fsconfig overlay lowerdir+",
                          options.lowers[i]);
    }
  }
  if (opened.upper.valid()) {
    absl::Status status =
        SetParameter(context.get(), "upperdir", opened.upper.get(), options.upper);
    if (!status.ok()) return status;
    status = SetParameter(context.get(), "workdir", opened.work.get(), options.work);
    if (!status.ok()) return status;
  }
  if (fsconfig(context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return ContextError(errno, context.get(), "create overlay over",
                        absl::StrCat(options.lowers.size(), " lower directories"));
  }
  UniqueFd mount(fsmount(context.get(), FSMOUNT_CLOEXEC, 0));
  if (!mount.valid()) return ContextError(errno, context.get(), "fsmount", "overlay");
  return mount;
}

// The mount(2) options with every directory named relative to
// /proc/self/fd, the current directory of the mounting thread.
std::string LegacyData(const OpenedLayers& opened) {
  std::vector<std::string> lowers;
  for (const UniqueFd& fd : opened.lowers) lowers.push_back(absl::StrCat(fd.get()));
  std::string data = absl::StrCat("lowerdir=", absl::StrJoin(lowers, ":"));
  if (opened.upper.valid()) {
    absl::StrAppend(&data, ",upperdir=", opened.upper.get(), ",workdir=", opened.work.get());
  }
  return data;
}

// mount(2) onto the staging mount point from a thread whose current
// directory is /proc/self/fd (unshare(CLONE_FS) keeps the process's own
// directory unchanged), then a detached copy and the staging mount
// detached.
absl::StatusOr<UniqueFd> MountLegacy(const OverlayOptions& options,
                                     const OpenedLayers& opened) {
  std::string data = LegacyData(opened);
  long page = sysconf(_SC_PAGESIZE);
  if (static_cast<long>(data.size()) >= page) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "overlay options for ", opened.lowers.size(), " lower directories take ",
        data.size(), " bytes, more than mount(2) accepts (", page,
        "); Linux 6.8 or later mounts any number of layers"));
  }
  if (options.staging_mountpoint.empty()) {
    return absl::InvalidArgumentError("overlay: mount(2) needs a staging mount point");
  }

  absl::Status status;
  UniqueFd mount;
  std::thread worker([&] {
    if (unshare(CLONE_FS) != 0 || chdir("/proc/self/fd") != 0) {
      status = ErrnoError(errno, "enter /proc/self/fd in a thread of its own", "");
      return;
    }
    if (::mount("overlay", options.staging_mountpoint.c_str(), "overlay", 0, data.c_str()) != 0) {
      status = ErrnoError(errno, "mount overlay on", options.staging_mountpoint);
      return;
    }
    mount.reset(open_tree(AT_FDCWD, options.staging_mountpoint.c_str(),
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (!mount.valid()) status = ErrnoError(errno, "open_tree", options.staging_mountpoint);
    if (umount2(options.staging_mountpoint.c_str(), MNT_DETACH) != 0 && status.ok()) {
      status = ErrnoError(errno, "unmount", options.staging_mountpoint);
    }
  });
  worker.join();
  if (!status.ok()) return status;
  return mount;
}

std::string AbsolutePath(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return absl::StrCat(cwd, "/", path);
}

// Returns the deepest directory that contains every one of `paths`
// (absolute paths), "/" at worst.
std::string CommonDirectory(const std::vector<std::string>& paths) {
  std::string common = paths[0].substr(0, paths[0].rfind('/'));
  for (const std::string& path : paths) {
    while (!common.empty() &&
           !(absl::StartsWith(path, common) && path.size() > common.size() &&
             path[common.size()] == '/')) {
      common.resize(common.rfind('/'));
    }
  }
  return common.empty() ? "/" : common;
}

// The parameters of a rootless overlay. The helper's mount namespace is a
// copy of this process's, and overlayfs accepts directories only on mounts
// of the mounting process's own namespace. So the helper reaches each
// directory by path, not through this process's descriptors, and
// fsconfig(2) takes at most 255 bytes per value.
//
// kAuto names each lower with "lowerdir+" (Linux 6.8), relative to the
// directories' common parent, where the helper works. kLegacy joins them in
// one "lowerdir" of descriptor numbers ("7:8:9"), relative to the helper's
// /proc/self/fd: the helper opens each directory onto a number reserved in
// `placeholders`, which must stay open until the mount is made.
absl::StatusOr<UserNamespaceMount> RootlessRequest(const OverlayOptions& options, MountApi api,
                                                   std::vector<UniqueFd>& placeholders) {
  std::vector<std::string> paths;
  for (const std::string& lower : options.lowers) paths.push_back(AbsolutePath(lower));
  if (!options.upper.empty()) {
    paths.push_back(AbsolutePath(options.upper));
    paths.push_back(AbsolutePath(options.work));
  }
  UserNamespaceMount request;
  request.fstype = "overlay";
  request.description = absl::StrCat("overlay over ", options.lowers.size(), " lower directories");
  request.parameters.emplace_back("source", "overlay");

  // The names as the helper passes them, lowers first.
  std::vector<std::string> names;
  switch (api) {
    case MountApi::kAuto: {
      request.directory = CommonDirectory(paths);
      size_t skip = request.directory == "/" ? 1 : request.directory.size() + 1;
      for (const std::string& path : paths) {
        names.push_back(path.size() > skip ? path.substr(skip) : ".");
        if (names.back().size() > kMaxFsconfigValue) {
          return absl::ResourceExhaustedError(absl::StrCat(
              "a rootless overlay cannot name ", path, ": fsconfig(2) takes ",
              kMaxFsconfigValue, " bytes per directory; use an image store with shorter paths"));
        }
      }
      for (size_t i = 0; i < options.lowers.size(); ++i) {
        request.parameters.emplace_back("lowerdir+", names[i]);
      }
      break;
    }
    case MountApi::kLegacy: {
      request.directory = "/proc/self/fd";
      for (const std::string& path : paths) {
        UniqueFd placeholder(open("/", O_PATH | O_CLOEXEC));
        if (!placeholder.valid()) return ErrnoError(errno, "reserve a descriptor for", path);
        request.reopen.emplace_back(placeholder.get(), path);
        names.push_back(absl::StrCat(placeholder.get()));
        placeholders.push_back(std::move(placeholder));
      }
      std::string lowerdir = absl::StrJoin(names.begin(), names.begin() + options.lowers.size(), ":");
      if (lowerdir.size() > kMaxFsconfigValue) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "a rootless overlay over ", options.lowers.size(), " lower directories needs ",
            lowerdir.size(), " bytes of \"lowerdir\", more than fsconfig(2) takes (",
            kMaxFsconfigValue, "); Linux 6.8 or later mounts any number of layers"));
      }
      request.parameters.emplace_back("lowerdir", lowerdir);
      break;
    }
  }
  if (!options.upper.empty()) {
    request.parameters.emplace_back("upperdir", names[options.lowers.size()]);
    request.parameters.emplace_back("workdir", names[options.lowers.size() + 1]);
  }
  // Inside a user namespace the trusted.* xattrs are out of reach, so
  // overlayfs keeps its opaque marks in user.overlay.* (Linux 5.11).
  request.parameters.emplace_back("userxattr", "");
  return request;
}

// Mounts the overlay in a helper's user namespace, for a caller other than
// root. Falls back to the kLegacy parameters when the kernel rejects the
// first "lowerdir+".
absl::StatusOr<UniqueFd> MountRootless(const OverlayOptions& options) {
  std::vector<UniqueFd> placeholders;
  absl::StatusOr<UserNamespaceMount> request =
      RootlessRequest(options, options.api, placeholders);
  if (!request.ok()) return request.status();
  absl::StatusOr<UniqueFd> mount = MountInUserNamespace(*request);
  if (options.api == MountApi::kAuto && !mount.ok() && ErrnoOf(mount.status()) == EINVAL &&
      StepOf(mount.status()) ==
          absl::StrCat("fsconfig overlay lowerdir+ ", request->parameters[1].second)) {
    Logf(LogLevel::kWarning, options.log_id,
         "overlay: %s (before Linux 6.8?); using \"lowerdir\"", mount.status().message());
    request = RootlessRequest(options, MountApi::kLegacy, placeholders);
    if (!request.ok()) return request.status();
    mount = MountInUserNamespace(*request);
  }
  return mount;
}

absl::Status ValidateOptions(const OverlayOptions& options) {
  if (options.lowers.empty()) {
    return absl::InvalidArgumentError("overlay: at least one lower directory is required");
  }
  if (options.lowers.size() > static_cast<size_t>(kMaxLowers)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "overlay: ", options.lowers.size(), " lower directories, more than overlayfs's ",
        kMaxLowers));
  }
  if (options.upper.empty() != options.work.empty()) {
    return absl::InvalidArgumentError(
        "overlay: the upper and work directories must be given together");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<OverlayMount> OverlayMount::Create(const OverlayOptions& options) {
  absl::Status status = ValidateOptions(options);
  if (!status.ok()) return status;
  absl::StatusOr<OpenedLayers> opened = OpenLayers(options);
  if (!opened.ok()) return opened.status();

  if (geteuid() != 0) {
    absl::StatusOr<UniqueFd> mount = MountRootless(options);
    if (!mount.ok()) return mount.status();
    Logf(LogLevel::kDebug, options.log_id,
         "fsmount overlay in a user namespace: %d lowers, upperdir %s, userxattr (detached, fd %d)",
         options.lowers.size(), options.upper, mount->get());
    return OverlayMount(std::move(*mount));
  }

  absl::StatusOr<UniqueFd> mount = absl::UnimplementedError("");
  if (options.api == MountApi::kAuto) {
    mount = MountWithContext(options, *opened);
    if (mount.ok()) {
      Logf(LogLevel::kDebug, options.log_id,
           "fsmount overlay: %d lowerdir+, upperdir %s (detached, fd %d)",
           options.lowers.size(), options.upper, mount->get());
    } else if (mount.status().code() == absl::StatusCode::kUnimplemented) {
      Logf(LogLevel::kWarning, options.log_id, "overlay: %s; using mount(2)",
           mount.status().message());
    }
  }
  if (!mount.ok() && mount.status().code() == absl::StatusCode::kUnimplemented) {
    mount = MountLegacy(options, *opened);
    if (mount.ok()) {
      Logf(LogLevel::kDebug, options.log_id,
           "mount overlay (%d lowers) on %s, cloned detached as fd %d, unmounted",
           options.lowers.size(), options.staging_mountpoint, mount->get());
    }
  }
  if (!mount.ok()) return mount.status();
  return OverlayMount(std::move(*mount));
}

std::string OverlayMount::path() const { return FdPath(mount_.get()); }

WritableLayer::WritableLayer(WritableLayer&& other) noexcept
    : dir_(std::exchange(other.dir_, {})) {}

WritableLayer& WritableLayer::operator=(WritableLayer&& other) noexcept {
  if (this != &other) {
    Remove();
    dir_ = std::exchange(other.dir_, {});
  }
  return *this;
}

WritableLayer::~WritableLayer() { Remove(); }

absl::StatusOr<WritableLayer> WritableLayer::Create(absl::string_view dir) {
  std::string path(dir);
  if (mkdir(path.c_str(), 0700) != 0) return ErrnoError(errno, "create directory", path);
  WritableLayer layer;
  layer.dir_ = path;
  for (const std::string& sub : {layer.upper(), layer.work()}) {
    // The upper directory becomes the container's root: 0755 like "/".
    if (mkdir(sub.c_str(), 0755) != 0) return ErrnoError(errno, "create directory", sub);
  }
  return layer;
}

void WritableLayer::Remove() {
  if (dir_.empty()) return;
  absl::Status status = RemoveTree(dir_);
  // A destructor cannot fail, so the error is only logged.
  // TODO: gc does not know upper directories yet, so nothing removes
  // what is left after such an error or a killed owner.
  if (!status.ok()) Logf(LogLevel::kWarning, "", "remove %s: %s", dir_, status.message());
  dir_.clear();
}

namespace {

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  int result = type == FTW_DP || type == FTW_DNR ? rmdir(path) : unlink(path);
  return result == 0 || errno == ENOENT ? 0 : -1;
}

// Directories that OpenUpEntry could not descend into in this pass.
thread_local int unreadable_directories = 0;

int OpenUpEntry(const char* path, const struct stat* info, int type, struct FTW*) {
  if (type != FTW_D && type != FTW_DNR) return 0;
  if (info->st_uid != geteuid() || (info->st_mode & S_IRWXU) == S_IRWXU) return 0;
  if (chmod(path, (info->st_mode & 07777) | S_IRWXU) != 0) return 0;
  // nftw lists a directory before it calls back, so it skipped the
  // entries of one it could not read; the next pass reaches them.
  if (type == FTW_DNR) ++unreadable_directories;
  return 0;
}

// Gives the caller full access to each directory under `path` that it
// owns, so that a caller without CAP_DAC_OVERRIDE can remove the tree.
// overlayfs leaves work/work with mode 0, and a container may have made
// directories read-only. Each pass reaches one more level of unreadable
// directories.
void OpenUpDirectories(const std::string& path) {
  for (int pass = 0; pass < 64; ++pass) {
    unreadable_directories = 0;
    nftw(path.c_str(), OpenUpEntry, 32, FTW_PHYS | FTW_MOUNT);
    if (unreadable_directories == 0) return;
  }
}

}  // namespace

absl::Status RemoveTree(const std::string& path) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoError(errno, "stat", path);
  }
  // FTW_DEPTH visits every directory after its entries.
  if (nftw(path.c_str(), RemoveEntry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == 0) {
    return absl::OkStatus();
  }
  // Root removes directories of any mode; other callers retry once after
  // opening up their own directories.
  if (geteuid() == 0) return ErrnoError(errno, "remove tree", path);
  OpenUpDirectories(path);
  if (nftw(path.c_str(), RemoveEntry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
    return ErrnoError(errno, "remove tree", path);
  }
  return absl::OkStatus();
}

}  // namespace pycontain::overlay
