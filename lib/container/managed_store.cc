#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/managed_internal.h"
#include "lib/container/record.h"
#include "lib/container/volume.h"
#include "lib/image/store.h"
#include "lib/overlay/overlay.h"

namespace pycontain::container {

std::string ManagedContainersRoot() {
  return absl::StrCat(image::DefaultStoreRoot(), "/containers");
}

namespace managed_internal {
namespace {

// Reads `fd` from `offset` to its end; `path` names it in errors.
absl::StatusOr<std::string> ReadAll(int fd, off_t offset, const std::string& path) {
  std::string text;
  char buffer[8192];
  ssize_t n;
  while ((n = pread(fd, buffer, sizeof(buffer), offset)) > 0) {
    text.append(buffer, n);
    offset += n;
  }
  if (n < 0) return ErrnoError(errno, "read", path);
  return text;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  return ReadAll(fd.get(), 0, path);
}

template <typename Message>
absl::StatusOr<Message> ParseJson(const std::string& text, const std::string& path) {
  Message message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto parsed = google::protobuf::util::JsonStringToMessage(text, &message, options);
  if (!parsed.ok()) {
    return absl::DataLossError(absl::StrCat(path, " is damaged: ", parsed.ToString()));
  }
  return message;
}

// Replaces the contents of `path` without replacing the file itself.
absl::Status OverwriteFile(const std::string& path, const std::string& text) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  if (ftruncate(fd.get(), 0) != 0) return ErrnoError(errno, "truncate", path);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = pwrite(fd.get(), text.data() + written, text.size() - written, written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "write", path);
    written += n;
  }
  return absl::OkStatus();
}

// Writes `text` to a temporary file beside `path` and renames it over
// `path`, so that readers see the old or the new file. No fsync: the
// files describe state that a crash of the machine ends anyway.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string temporary = absl::StrCat(path, ".tmp.", getpid());
  UniqueFd fd(open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoError(errno, "create", temporary);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd.get(), text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      unlink(temporary.c_str());
      return ErrnoError(err, "write", temporary);
    }
    written += n;
  }
  fd.reset();
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(temporary.c_str());
    return ErrnoError(err, "rename", temporary);
  }
  return absl::OkStatus();
}

template <typename Message>
absl::StatusOr<Message> ReadJson(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseJson<Message>(*text, path);
}

template <typename Message>
absl::StatusOr<std::string> PrintJson(const Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  auto printed = google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!printed.ok()) return absl::InternalError(printed.ToString());
  return text;
}

template <typename Message>
absl::Status WriteJson(const std::string& path, const Message& message) {
  absl::StatusOr<std::string> text = PrintJson(message);
  if (!text.ok()) return text.status();
  return WriteFileAtomically(path, *text);
}

}  // namespace

std::string ContainerDirectory(absl::string_view id) {
  return absl::StrCat(ManagedContainersRoot(), "/", id);
}

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E9SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<ManagedConfig> ReadConfig(const std::string& directory) {
  return ReadJson<ManagedConfig>(absl::StrCat(directory, "/", kConfigFile));
}

absl::Status WriteConfig(const std::string& directory, const ManagedConfig& config) {
  return WriteJson(absl::StrCat(directory, "/", kConfigFile), config);
}

absl::StatusOr<ManagedState> ReadState(const std::string& directory) {
  return ReadJson<ManagedState>(absl::StrCat(directory, "/", kStateFile));
}

absl::Status WriteState(const std::string& directory, const ManagedState& state) {
  return WriteJson(absl::StrCat(directory, "/", kStateFile), state);
}

absl::Status ResetExitFile(const std::string& directory) {
  return OverwriteFile(absl::StrCat(directory, "/", kExitFile), "");
}

absl::Status WriteExitFile(const std::string& directory, const ManagedState& state) {
  absl::StatusOr<std::string> text = PrintJson(state);
  if (!text.ok()) return text.status();
  return OverwriteFile(absl::StrCat(directory, "/", kExitFile), *text);
}

absl::StatusOr<ManagedState> ReadExitFile(int fd) {
  absl::StatusOr<std::string> text = ReadAll(fd, 0, kExitFile);
  if (!text.ok()) return text.status();
  if (text->empty()) return absl::NotFoundError("no exit status was recorded");
  return ParseJson<ManagedState>(*text, kExitFile);
}

absl::StatusOr<UniqueFd> LockContainer(const std::string& directory) {
  std::string path = absl::StrCat(directory, "/", kLockFile);
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoError(errno, "open lock file", path);
  while (flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoError(errno, "lock", path);
  }
  // A removal that held the lock before us has unlinked the file.
  struct stat info;
  if (fstat(fd.get(), &info) != 0) return ErrnoError(errno, "stat", path);
  if (info.st_nlink == 0) {
    return absl::NotFoundError(absl::StrCat("container directory ", directory, " was removed"));
  }
  return fd;
}

std::string DeadMonitorReason(const ManagedState& state) {
  if (state.boot_id() != BootId()) return "its monitor ran before a reboot";
  if (state.monitor_pid() <= 0) return "it has no monitor";
  if (ProcessStartTime(state.monitor_pid()) != state.monitor_start_time() ||
      IsZombie(state.monitor_pid())) {
    return absl::StrCat("monitor pid ", state.monitor_pid(), " has exited");
  }
  return "";
}

absl::StatusOr<ManagedContainer> LoadContainer(const std::string& directory) {
  absl::StatusOr<ManagedConfig> config = ReadConfig(directory);
  if (!config.ok()) {
    if (ErrnoOf(config.status()) == ENOENT) {
      return absl::NotFoundError(absl::StrCat("no container in ", directory));
    }
    return config.status();
  }
  absl::StatusOr<ManagedState> state = ReadState(directory);
  if (!state.ok()) return state.status();

  ManagedContainer container;
  container.config = std::move(*config);
  container.state = std::move(*state);
  container.directory = directory;
  if (!container.config.spec().image().empty()) {
    container.upper_directory = absl::StrCat(directory, "/upper");
  }
  container.log_path = absl::StrCat(directory, "/", kLogFile);
  if (container.state.status() == kStatusRunning) {
    std::string reason = DeadMonitorReason(container.state);
    if (!reason.empty()) {
      container.state.set_status(kStatusExited);
      container.state.set_exit_code(kUnknownExitCode);
      container.state.set_error(absl::StrCat("the exit status is unknown: ", reason));
      container.state.set_pid(0);
    }
  }
  return container;
}

absl::StatusOr<UniqueFd> OpenProcess(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return absl::NotFoundError("no process");
  UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!fd.valid()) {
    if (errno == ESRCH) return absl::NotFoundError(absl::StrCat("pid ", pid, " has exited"));
    return ErrnoError(errno, "pidfd_open", absl::StrCat("pid ", pid));
  }
  // Checked after opening, so that the descriptor cannot refer to a process
  // that took over the pid later.
  if (ProcessStartTime(pid) != start_time) {
    return absl::NotFoundError(absl::StrCat("pid ", pid, " has exited"));
  }
  return fd;
}

bool WaitForExit(int pidfd, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::Duration left = deadline - absl::Now();
    if (left < absl::ZeroDuration()) return false;
    struct pollfd entry = {pidfd, POLLIN, 0};
    int64_t millis = timeout == absl::InfiniteDuration()
                         ? -1
                         : std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30);
    int ready = poll(&entry, 1, static_cast<int>(millis));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

absl::Status SettleDeadMonitor(const ManagedContainer& container, const std::string& reason,
                               GcReport& report) {
  absl::Status collected =
      CollectDeadContainer(container.state.state_root(), container.id(), report);
  if (!collected.ok()) return collected;
  if (container.config.auto_remove()) {
    ReleaseVolumes(container.config, /*remove_anonymous=*/true);
    return RemoveContainerFiles(container.config, container.directory);
  }
  RegisterVolumeUsers(container.config);
  ManagedState state = container.state;
  state.set_status(kStatusExited);
  state.set_exit_code(kUnknownExitCode);
  state.set_error(absl::StrCat("the exit status is unknown: ", reason));
  state.set_pid(0);
  state.set_pid_start_time(0);
  state.set_finished_at(FormatTimestamp(absl::Now()));
  return WriteState(container.directory, state);
}

absl::Status RemoveContainerFiles(const ManagedConfig& config, const std::string& directory) {
  std::string link = absl::StrCat(ManagedContainersRoot(), "/", kNamesDirectory, "/", config.name());
  char target[128];
  ssize_t length = readlink(link.c_str(), target, sizeof(target) - 1);
  if (length > 0 && std::string(target, length) == config.id()) {
    if (unlink(link.c_str()) != 0 && errno != ENOENT) return ErrnoError(errno, "unlink", link);
  }
  // The lock file goes first, so that a process waiting for the lock sees
  // that the container is gone.
  std::string lock = absl::StrCat(directory, "/", kLockFile);
  if (unlink(lock.c_str()) != 0 && errno != ENOENT) return ErrnoError(errno, "unlink", lock);
  absl::Status removed = overlay::RemoveTree(directory);
  if (!removed.ok()) return removed;
  Logf(LogLevel::kDebug, config.id(), "removed %s", directory);
  return absl::OkStatus();
}

absl::Status PinAnonymousVolumes(google::protobuf::RepeatedPtrField<spec::Mount>& mounts,
                                 ManagedConfig& config) {
  std::optional<VolumeStore> store;
  for (spec::Mount& mount : mounts) {
    if (mount.type() != "volume" || !mount.source().empty()) continue;
    if (!store.has_value()) {
      absl::StatusOr<VolumeStore> opened = VolumeStore::Open("");
      if (!opened.ok()) return opened.status();
      store.emplace(std::move(*opened));
    }
    VolumeOptions options;
    options.labels[kAnonymousVolumeLabel] = "";
    options.container_id = config.id();
    absl::StatusOr<VolumeRecord> made = store->Create(options);
    if (!made.ok()) {
      ReleaseVolumes(config, /*remove_anonymous=*/true);
      return Annotate(made.status(), absl::StrCat("volume for ", mount.destination()));
    }
    mount.set_source(made->name());
    config.add_anonymous_volumes(made->name());
    Logf(LogLevel::kDebug, config.id(), "made anonymous volume %s for %s", made->name(),
         mount.destination());
  }
  return absl::OkStatus();
}

void RegisterVolumeUsers(const ManagedConfig& config) {
  absl::StatusOr<VolumeStore> store = VolumeStore::Open("");
  if (!store.ok()) return;
  for (const spec::Mount& mount : config.spec().mounts()) {
    if (mount.type() != "volume" || mount.source().empty()) continue;
    absl::Status added = store->AddUser(mount.source(), config.id());
    if (!added.ok() && added.code() != absl::StatusCode::kNotFound) {
      Logf(LogLevel::kWarning, config.id(), "cannot record the use of volume %s: %s",
           mount.source(), added.message());
    }
  }
}

void ReleaseVolumes(const ManagedConfig& config, bool remove_anonymous) {
  absl::StatusOr<VolumeStore> store = VolumeStore::Open("");
  if (!store.ok()) {
    Logf(LogLevel::kWarning, config.id(), "cannot open the volume store: %s",
         store.status().message());
    return;
  }
  for (const spec::Mount& mount : config.spec().mounts()) {
    if (mount.type() == "volume" && !mount.source().empty()) {
      store->RemoveUser(mount.source(), config.id());
    }
  }
  if (!remove_anonymous) return;
  for (const std::string& name : config.anonymous_volumes()) {
    store->RemoveUser(name, config.id());
    absl::Status removed = store->Remove(name, /*force=*/false);
    if (!removed.ok() && removed.code() != absl::StatusCode::kNotFound) {
      Logf(LogLevel::kWarning, config.id(), "cannot remove anonymous volume %s: %s", name,
           removed.message());
    }
  }
}

}  // namespace managed_internal
}  // namespace pycontain::container
