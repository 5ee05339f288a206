// Logs, exec, diff, commit and export of managed containers (managed.h).
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/image_root.h"
#include "lib/container/managed.h"
#include "lib/container/managed_internal.h"
#include "lib/container/prepare.h"
#include "lib/container/record.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"
#include "lib/image/tree_writer.h"
#include "lib/ns/join.h"
#include "lib/overlay/overlay.h"
#include "lib/security/rlimits.h"

namespace pycontain::container {
namespace {

using namespace managed_internal;

// How often a followed log is checked for new lines.
constexpr absl::Duration kFollowInterval = absl::Milliseconds(100);

// Reads what was appended to `fd` and returns the complete lines;
// `partial` keeps an unfinished last line for the next call.
absl::StatusOr<std::vector<std::string>> ReadLines(int fd, std::string& partial,
                                                   const std::string& path) {
  char buffer[65536];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", path);
    if (n == 0) break;
    partial.append(buffer, n);
  }
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    size_t newline = partial.find('\n', start);
    if (newline == std::string::npos) break;
    lines.push_back(partial.substr(start, newline - start));
    start = newline + 1;
  }
  partial.erase(0, start);
  return lines;
}

// Parses log lines and passes them to `write`. Returns false when `write`
// asked to stop.
bool Deliver(const std::vector<std::string>& lines, const std::string& path,
             const std::function<bool(const LogRecord&)>& write) {
  for (const std::string& line : lines) {
    LogRecord record;
    if (!google::protobuf::util::JsonStringToMessage(line, &record).ok()) {
      Logf(LogLevel::kWarning, "", "skipping a damaged line of %s", path);
      continue;
    }
    if (!write(record)) return false;
  }
  return true;
}

// Returns whether the log file open as `fd` no longer is the one at
// `path` because the writer rotated it, so that a follower reads `fd` to
// its end once more and then opens `path`. The writer writes nothing to a
// renamed file. A file emptied in place (max-file 1) is read again from
// its start.
// NOTE: lines are lost when the log rotates twice between two reads.
bool LogRotated(int fd, const std::string& path, std::string& partial) {
  struct stat open_file;
  struct stat named_file;
  if (fstat(fd, &open_file) != 0) return false;
  if (stat(path.c_str(), &named_file) != 0 || named_file.st_ino != open_file.st_ino ||
      named_file.st_dev != open_file.st_dev) {
    return true;
  }
  if (lseek(fd, 0, SEEK_CUR) > open_file.st_size) {
    lseek(fd, 0, SEEK_SET);
    partial.clear();
  }
  return false;
}

// The container's spec with its image pinned to the image id of the
// creation, resolved: the image's layers and defaults.
absl::StatusOr<ImageSpec> ResolvePinnedImage(const ManagedContainer& container) {
  if (container.config.spec().image().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", container.name(),
        " has no image: only a container from an image has a writable layer"));
  }
  spec::ContainerSpec spec = container.config.spec();
  spec.set_image(container.config.image_id());
  return ResolveImage(spec);
}

// "NAME=value" entries of `base` with those of `overrides` replacing the
// same names, and the new names appended.
google::protobuf::RepeatedPtrField<std::string> MergeEnv(
    const google::protobuf::RepeatedPtrField<std::string>& base,
    const google::protobuf::RepeatedPtrField<std::string>& overrides) {
  google::protobuf::RepeatedPtrField<std::string> merged = base;
  for (const std::string& entry : overrides) {
    std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (std::string& existing : merged) {
      if (existing.substr(0, existing.find('=')) == name) {
        existing = entry;
        replaced = true;
      }
    }
    if (!replaced) *merged.Add() = entry;
  }
  return merged;
}

// Moves `pid` into every cgroup directory of the container's record.
absl::Status AttachToCgroups(const ManagedContainer& container, pid_t pid) {
  absl::StatusOr<ContainerRecord> record =
      ReadRecord(absl::StrCat(container.state.state_root(), "/", container.id()));
  if (!record.ok()) return record.status();
  for (const std::string& directory : record->cgroup_directories()) {
    std::string path = absl::StrCat(directory, "/cgroup.procs");
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return ErrnoError(errno, "open", path);
    std::string text = absl::StrCat(pid);
    if (write(fd.get(), text.data(), text.size()) < 0 && errno != ESRCH) {
      return ErrnoError(errno, "write", path);
    }
    Logf(LogLevel::kDebug, container.id(), "wrote %d to %s", pid, path);
  }
  return absl::OkStatus();
}

// Commits the container's writable layer: the overlay upper directory, or
// on a copied root a layer made from its changes for the purpose.
absl::StatusOr<std::string> CommitLayer(const ManagedContainer& container,
                                        const std::vector<std::string>& lowers,
                                        const image::Store& store, const std::string& image_id,
                                        const image::CommitOptions& commit) {
  std::string copied = CopiedRoot(container);
  if (copied.empty()) {
    return image::CommitDirectory(store, image_id, container.upper_directory, commit);
  }
  absl::StatusOr<std::vector<overlay::Change>> changes = CopiedRootChanges(container, lowers);
  if (!changes.ok()) return changes.status();
  std::string layer = absl::StrCat(container.directory, "/commit-layer.XXXXXX");
  if (mkdtemp(layer.data()) == nullptr) return ErrnoError(errno, "create directory", layer);
  absl::Status written = WriteChangesAsLayer(copied, *changes, layer);
  absl::StatusOr<std::string> id =
      written.ok() ? image::CommitDirectory(store, image_id, layer, commit)
                   : absl::StatusOr<std::string>(written);
  absl::Status removed = overlay::RemoveTree(layer);
  if (!removed.ok()) {
    Logf(LogLevel::kWarning, container.id(), "cannot remove %s: %s", layer, removed.message());
  }
  return id;
}

}  // namespace

absl::Status ReadContainerLogs(absl::string_view name_or_id, const LogOptions& options,
                               const std::function<bool(const LogRecord&)>& write) {
  absl::StatusOr<ManagedContainer> container = ResolveContainer(name_or_id);
  if (!container.ok()) return container.status();
  const std::string& path = container->log_path;

  // The rotated files first, then the current one, which a follower goes
  // on reading.
  std::vector<std::string> lines;
  std::string partial;
  UniqueFd fd;
  for (auto& [name, file] : OpenLogFiles(path)) {
    std::string file_partial;
    bool current = name == path;
    absl::StatusOr<std::vector<std::string>> read =
        ReadLines(file.get(), current ? partial : file_partial, name);
    if (!read.ok()) return read.status();
    lines.insert(lines.end(), read->begin(), read->end());
    if (current) fd = std::move(file);
  }
  if (options.tail >= 0 && lines.size() > static_cast<size_t>(options.tail)) {
    lines.erase(lines.begin(), lines.end() - options.tail);
  }
  if (!Deliver(lines, path, write)) return absl::OkStatus();
  if (!options.follow) return absl::OkStatus();

  // The log is read once more after the container stopped, so that lines
  // written just before the exit are not lost.
  bool running = true;
  while (running) {
    absl::SleepFor(kFollowInterval);
    if (options.stop && options.stop()) return absl::OkStatus();
    absl::StatusOr<ManagedContainer> now = LoadContainer(container->directory);
    running = now.ok() && now->running();
    if (!fd.valid()) {
      fd = UniqueFd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd.valid()) continue;
    }
    bool rotated = LogRotated(fd.get(), path, partial);
    absl::StatusOr<std::vector<std::string>> read = ReadLines(fd.get(), partial, path);
    if (!read.ok()) return read.status();
    if (!Deliver(*read, path, write)) return absl::OkStatus();
    if (rotated) {
      fd.reset();
      partial.clear();
      running = true;
    }
  }
  return absl::OkStatus();
}

namespace {

// Sets `limits` on the waiting exec'd command `pid` with prlimit(2).
absl::Status SetRlimitsOf(pid_t pid, const security::RlimitChildData& limits) {
  for (int i = 0; i < limits.count; ++i) {
    if (prlimit(pid, static_cast<__rlimit_resource>(limits.resources[i]), &limits.limits[i],
                nullptr) != 0) {
      return ErrnoError(errno, absl::StrCat("set ", security::RlimitName(limits.resources[i]),
                                            " of exec'd process"),
                        absl::StrCat(pid));
    }
    Logf(LogLevel::kDebug, "", "prlimit %s of pid %d to %llu:%llu",
         security::RlimitName(limits.resources[i]), pid,
         static_cast<unsigned long long>(limits.limits[i].rlim_cur),
         static_cast<unsigned long long>(limits.limits[i].rlim_max));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ns::ChildProcess> ExecInContainer(absl::string_view name_or_id,
                                                 const spec::Process& process) {
  absl::StatusOr<ManagedContainer> container = ResolveContainer(name_or_id);
  if (!container.ok()) return container.status();
  if (!container->running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container->name(), " is not running"));
  }
  if (container->state.paused()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container->name(), " is paused: unpause it first"));
  }
  if (process.args().empty()) {
    return absl::InvalidArgumentError("exec: a command is required");
  }
  absl::StatusOr<UniqueFd> pidfd =
      OpenProcess(container->state.pid(), container->state.pid_start_time());
  if (!pidfd.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container->name(), " is not running"));
  }

  // As `docker exec`: the container's environment, user and working
  // directory unless the command gives its own.
  spec::ContainerSpec base = container->config.spec();
  if (!base.image().empty()) {
    absl::StatusOr<ImageSpec> image = ResolvePinnedImage(*container);
    if (!image.ok()) return image.status();
    base = image->spec;
  }
  spec::Process merged = process;
  *merged.mutable_env() = MergeEnv(base.process().env(), process.env());
  if (!process.has_user() || process.user().user().empty()) {
    *merged.mutable_user() = base.process().user();
  }
  if (process.cwd().empty()) merged.set_cwd(base.process().cwd());

  pid_t pid = container->state.pid();
  ns::ChildPlan plan;
  plan.set_groups = geteuid() == 0;
  absl::Status status =
      PlanProcess(merged, absl::StrCat("/proc/", pid, "/root"), base.hostname(), plan);
  if (!status.ok()) return Annotate(status, absl::StrCat("container ", container->name()));

  ns::JoinPlan join;
  join.target = pid;
  join.executable = plan.executable;
  join.args = plan.args;
  join.env = plan.env;
  join.cwd = plan.cwd;
  join.uid = plan.uid;
  join.gid = plan.gid;
  join.additional_gids = plan.additional_gids;
  join.set_groups = plan.set_groups;
  join.stdin_fd = plan.stdin_fd;
  join.stdout_fd = plan.stdout_fd;
  join.stderr_fd = plan.stderr_fd;
  // As `docker exec`, the command gets the container's rlimits (compose
  // ulimits), checked here against the caller's hard limits.
  absl::StatusOr<security::RlimitChildData> rlimits =
      security::PlanRlimits(base.security().rlimits());
  if (!rlimits.ok()) return Annotate(rlimits.status(), absl::StrCat("container ", container->name()));
  // The command joins the container's cgroups before it execs, so that
  // its limits, the freezer and gc cover it and everything it starts.
  join.before_exec = [&](pid_t command) {
    absl::Status attached = AttachToCgroups(*container, command);
    if (!attached.ok()) return attached;
    return SetRlimitsOf(command, *rlimits);
  };
  absl::StatusOr<ns::ChildProcess> child = ns::Join(join);
  if (!child.ok()) return Annotate(child.status(), absl::StrCat("container ", container->name()));
  Logf(LogLevel::kDebug, container->id(), "exec %s as pid %d", join.executable, child->pid());
  return child;
}

absl::StatusOr<std::vector<overlay::Change>> ContainerChanges(absl::string_view name_or_id) {
  absl::StatusOr<ManagedContainer> container = ResolveContainer(name_or_id);
  if (!container.ok()) return container.status();
  absl::StatusOr<ImageSpec> image = ResolvePinnedImage(*container);
  if (!image.ok()) return image.status();
  if (!CopiedRoot(*container).empty()) return CopiedRootChanges(*container, image->lowers);
  return overlay::ListChanges(container->upper_directory, image->lowers);
}

absl::StatusOr<std::string> CommitContainer(absl::string_view name_or_id,
                                            const ContainerCommitOptions& options) {
  absl::StatusOr<ManagedContainer> container = ResolveContainer(name_or_id);
  if (!container.ok()) return container.status();
  absl::StatusOr<ImageSpec> image = ResolvePinnedImage(*container);
  if (!image.ok()) return image.status();
  absl::StatusOr<image::Store> store = image::Store::Open({});
  if (!store.ok()) return store.status();
  image::CommitOptions commit;
  commit.names = options.names;
  commit.comment = options.comment;
  commit.changes = options.changes;
  commit.created_by = absl::StrCat("pycontain commit ", container->name());

  // As `docker commit` does by default, a running container is paused, so
  // that its files do not change while they are read.
  bool pause = options.pause && container->running() && !container->state.paused();
  if (pause) {
    absl::Status paused = PauseContainer(container->id());
    if (!paused.ok()) return Annotate(paused, "commit");
  }
  absl::StatusOr<std::string> id =
      CommitLayer(*container, image->lowers, *store, container->config.image_id(), commit);
  if (pause) {
    absl::Status resumed = UnpauseContainer(container->id());
    if (!resumed.ok()) {
      Logf(LogLevel::kWarning, container->id(), "cannot unpause after the commit: %s",
           resumed.message());
    }
  }
  return id;
}

absl::Status ExportContainer(absl::string_view name_or_id, int out_fd) {
  absl::StatusOr<ManagedContainer> container = ResolveContainer(name_or_id);
  if (!container.ok()) return container.status();
  absl::StatusOr<ImageSpec> image = ResolvePinnedImage(*container);
  if (!image.ok()) return image.status();
  std::string copied = CopiedRoot(*container);
  if (!copied.empty()) return image::WriteTree(copied, out_fd, image::TreeMode::kExport);

  // A read-only overlay with the writable layer as the top lower shows
  // the container's root as it sees it, whiteouts applied.
  overlay::OverlayOptions options;
  options.lowers.push_back(container->upper_directory);
  for (const std::string& lower : image->lowers) options.lowers.push_back(lower);
  options.log_id = container->id();
  absl::StatusOr<overlay::OverlayMount> mount = overlay::OverlayMount::Create(options);
  if (!mount.ok()) return Annotate(mount.status(), absl::StrCat("export ", container->name()));
  return image::WriteTree(mount->path(), out_fd, image::TreeMode::kExport);
}

}  // namespace pycontain::container
