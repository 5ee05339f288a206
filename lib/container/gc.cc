#include "lib/container/gc.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/cgroup/files.h"
#include "lib/cgroup/reclaim.h"
#include "lib/container/managed.h"
#include "lib/container/record.h"
#include "lib/container/state_dir.h"
#include "lib/container/volume.h"
#include "lib/image/store.h"
#include "lib/net/network.h"

namespace pycontain::container {
namespace {

bool Exists(const std::string& path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0;
}

// Returns the names of the subdirectories of `path`; none when it is
// missing.
absl::StatusOr<std::vector<std::string>> ListSubdirectories(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return names;
    return ErrnoError(errno, "open directory", path);
  }
  errno = 0;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (entry->d_type == DT_DIR && name != "." && name != "..") names.push_back(name);
  }
  int error = errno;
  closedir(dir);
  if (error != 0) return ErrnoError(error, "read directory", path);
  std::sort(names.begin(), names.end());
  return names;
}

// Replaces mountinfo's octal escapes ("\040" for a space).
std::string UnescapeMountPath(absl::string_view text) {
  std::string path;
  for (size_t i = 0; i < text.size(); ++i) {
    bool escape = text[i] == '\\' && i + 3 < text.size() && absl::ascii_isdigit(text[i + 1]) &&
                  absl::ascii_isdigit(text[i + 2]) && absl::ascii_isdigit(text[i + 3]);
    if (escape) {
      int value = (text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0');
      path.push_back(static_cast<char>(value));
      i += 3;
    } else {
      path.push_back(text[i]);
    }
  }
  return path;
}

// Detaches every mount at or below `directory`, the deepest first.
void DetachMounts(const std::string& directory, GcReport& report) {
  absl::StatusOr<std::string> mountinfo = cgroup::ReadWholeFile("/proc/self/mountinfo");
  if (!mountinfo.ok()) {
    report.errors.push_back(std::string(mountinfo.status().message()));
    return;
  }
  std::vector<std::string> below;
  for (absl::string_view line : absl::StrSplit(*mountinfo, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() < 5) continue;
    std::string point = UnescapeMountPath(fields[4]);
    if (point == directory || absl::StartsWith(point, absl::StrCat(directory, "/"))) {
      below.push_back(point);
    }
  }
  std::sort(below.begin(), below.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& point : below) {
    Logf(LogLevel::kDebug, "", "umount -l %s", point);
    if (umount2(point.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      report.errors.push_back(ErrnoError(errno, "unmount", point).ToString());
      continue;
    }
    report.mounts.push_back(point);
  }
}

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  int result = (type == FTW_DP) ? rmdir(path) : unlink(path);
  return result == 0 ? 0 : errno;
}

// Removes `directory` and its contents without crossing into other file
// systems (a mount left there makes the removal fail instead).
absl::Status RemoveTree(const std::string& directory) {
  int result = nftw(directory.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  if (result == 0) return absl::OkStatus();
  int error = result > 0 ? result : errno;
  return ErrnoError(error, "remove state directory", directory);
}

// The cgroup directories a record may name: <hierarchy>/<parent>/<id>.
bool IsOurCgroup(const std::string& directory, const std::string& parent,
                 const std::string& id) {
  return absl::EndsWith(directory, absl::StrCat("/", parent, "/", id)) &&
         !absl::StrContains(directory, "/../") && !absl::StrContains(directory, "/./");
}

// Kills the first process of a container without a cgroup (rootless
// without delegation), which then takes its PID namespace with it.
void KillFirstProcess(const ContainerRecord& record) {
  if (record.pid() <= 0 || record.pid_start_time() == 0) return;
  if (ProcessStartTime(record.pid()) != record.pid_start_time()) return;
  Logf(LogLevel::kDebug, record.id(), "kill -9 %d", record.pid());
  kill(record.pid(), SIGKILL);
}

// Removes one container of a dead owner. Returns false when something had
// to be left, so that the state directory stays for another try.
bool CollectContainer(const std::string& directory, const ContainerRecord& record,
                      const GcOptions& options, GcReport& report) {
  // Processes and cgroups do not survive a reboot. After one, the pid and
  // a cgroup of the recorded name belong to something of this boot (such
  // as a container with the same id in another state root), so they are
  // left alone and only the state directory goes.
  if (record.boot_id() != BootId()) {
    DetachMounts(directory, report);
    absl::Status status = RemoveTree(directory);
    if (status.ok()) return true;
    report.errors.push_back(absl::StrCat("container ", record.id(), ": ", status.message()));
    return false;
  }

  bool complete = true;
  KillFirstProcess(record);
  for (const std::string& cgroup : record.cgroup_directories()) {
    if (!IsOurCgroup(cgroup, options.cgroup_parent, record.id())) {
      report.errors.push_back(absl::StrCat("container ", record.id(), ": cgroup ", cgroup,
                                           " is not below the ", options.cgroup_parent,
                                           " parent; not removed"));
      complete = false;
      continue;
    }
    if (!Exists(cgroup)) continue;
    absl::Status status = cgroup::ReclaimCgroup(cgroup);
    if (!status.ok()) {
      report.errors.push_back(absl::StrCat("container ", record.id(), ": ", status.message()));
      complete = false;
      continue;
    }
    report.cgroups.push_back(cgroup);
  }
  if (!complete) return false;

  DetachMounts(directory, report);
  absl::Status status = RemoveTree(directory);
  if (!status.ok()) {
    report.errors.push_back(absl::StrCat("container ", record.id(), ": ", status.message()));
    return false;
  }
  return true;
}

// Whether the inode of `path` changed at least `age` ago. Kernfs sets a
// cgroup directory's times when its inode is first loaded, so a directory
// may look younger than it is, never older.
bool OlderThan(const std::string& path, absl::Duration age) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return false;
  absl::Time changed = absl::TimeFromTimespec(info.st_ctim);
  return absl::Now() - changed >= age;
}

absl::Status CollectContainers(const GcOptions& options, const std::string& root,
                               GcReport& report) {
  absl::StatusOr<std::vector<std::string>> names = ListSubdirectories(root);
  if (!names.ok()) return names.status();
  for (const std::string& id : *names) {
    // "_networks" and other names that are no container id.
    if (id[0] == '_' || id[0] == '.') continue;
    std::string directory = absl::StrCat(root, "/", id);
    absl::StatusOr<ContainerRecord> record = ReadRecord(directory);
    if (!record.ok()) {
      if (record.status().code() != absl::StatusCode::kNotFound) {
        report.errors.push_back(std::string(record.status().message()));
        continue;
      }
      // A container between claiming its id and saving its record has no
      // record yet, so a missing one is no proof of a dead owner. One still
      // without a record after orphan_min_age was left by an owner killed
      // in between: a start saves the record once its root is prepared.
      if (options.orphan_min_age < absl::ZeroDuration() ||
          !OlderThan(directory, options.orphan_min_age)) {
        continue;
      }
      Logf(LogLevel::kInfo, id, "gc: removing the state directory, which has no record");
      DetachMounts(directory, report);
      absl::Status removed = RemoveTree(directory);
      if (!removed.ok()) {
        report.errors.push_back(absl::StrCat("container ", id, ": ", removed.message()));
        continue;
      }
      report.containers.push_back(absl::StrCat(
          id, " (no record after ", absl::FormatDuration(options.orphan_min_age), ")"));
      continue;
    }
    std::string reason = DeadOwnerReason(*record);
    if (reason.empty() || record->id() != id) {
      report.kept.push_back(id);
      continue;
    }
    Logf(LogLevel::kInfo, id, "gc: removing the container, because %s", reason);
    if (CollectContainer(directory, *record, options, report)) {
      report.containers.push_back(absl::StrCat(id, " (", reason, ")"));
    }
  }
  return absl::OkStatus();
}

void CollectNetworks(const std::string& root, GcReport& report) {
  std::string networks = net::NetworkStateDir(root);
  // Opening the network store creates its directory; without one there is
  // nothing to collect.
  if (!Exists(networks)) return;
  net::HostOptions host_options;
  host_options.state_dir = networks;
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = net::NetworkHost::Open(host_options);
  absl::StatusOr<net::GarbageReport> collected =
      host.ok() ? (*host)->CollectGarbage() : absl::StatusOr<net::GarbageReport>(host.status());
  if (!collected.ok()) {
    report.errors.push_back(absl::StrCat("networks: ", collected.status().message()));
    return;
  }
  report.endpoints = std::move(collected->endpoints);
  report.links = std::move(collected->links);
}

// Returns the directories below `parents` that some process has open. A
// Cgroup object keeps each of its directories open while it lives, so an
// open directory is a live owner's, whichever state root that owner uses.
std::set<std::string> OpenCgroupDirectories(const std::vector<std::string>& parents) {
  std::set<std::string> open;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return open;
  while (struct dirent* process = readdir(proc)) {
    if (!absl::ascii_isdigit(process->d_name[0])) continue;
    std::string fds = absl::StrCat("/proc/", process->d_name, "/fd");
    DIR* dir = opendir(fds.c_str());
    // A process that exited, or one the caller may not inspect.
    if (dir == nullptr) continue;
    while (struct dirent* fd = readdir(dir)) {
      if (fd->d_name[0] == '.') continue;
      char target[4096];
      ssize_t n = readlink(absl::StrCat(fds, "/", fd->d_name).c_str(), target, sizeof(target));
      if (n <= 0 || n == static_cast<ssize_t>(sizeof(target))) continue;
      std::string path(target, static_cast<size_t>(n));
      for (const std::string& parent : parents) {
        if (absl::StartsWith(path, absl::StrCat(parent, "/"))) open.insert(path);
      }
    }
    closedir(dir);
  }
  closedir(proc);
  return open;
}

// Whether `path` or a directory below it is in `open`.
bool AnyOpen(const std::set<std::string>& open, const std::string& path) {
  auto it = open.lower_bound(path);
  return it != open.end() && (*it == path || absl::StartsWith(*it, absl::StrCat(path, "/")));
}

void CollectOrphanCgroups(const GcOptions& options, const std::string& root,
                          GcReport& report) {
  absl::StatusOr<std::vector<std::string>> parents =
      cgroup::ParentDirectories(options.cgroup_parent);
  if (!parents.ok()) {
    report.errors.push_back(absl::StrCat("cgroups: ", parents.status().message()));
    return;
  }
  std::set<std::string> open = OpenCgroupDirectories(*parents);
  for (const std::string& parent : *parents) {
    absl::StatusOr<std::vector<std::string>> ids = ListSubdirectories(parent);
    if (!ids.ok()) {
      report.errors.push_back(std::string(ids.status().message()));
      continue;
    }
    for (const std::string& id : *ids) {
      std::string path = absl::StrCat(parent, "/", id);
      if (Exists(absl::StrCat(root, "/", id)) || !OlderThan(path, options.orphan_min_age) ||
          AnyOpen(open, path)) {
        continue;
      }
      absl::StatusOr<bool> busy = cgroup::CgroupHasProcesses(path);
      if (!busy.ok() || *busy) continue;  // a container of another state root
      absl::Status status = cgroup::RemoveEmptyCgroup(path);
      if (!status.ok()) {
        report.errors.push_back(std::string(status.message()));
        continue;
      }
      Logf(LogLevel::kInfo, id, "gc: removed the orphan cgroup %s", path);
      report.cgroups.push_back(path);
    }
  }
}

// Removes the anonymous volumes that `run --rm` containers of dead owners
// left. It runs after CollectContainers, which removes their state
// directories, so that those containers no longer count as users.
void CollectVolumes(GcReport& report) {
  // No store yet means no volumes; Open would create one.
  struct stat info;
  if (stat(absl::StrCat(image::DefaultStoreRoot(), "/volumes").c_str(), &info) != 0) return;
  absl::StatusOr<VolumeStore> store = VolumeStore::Open("");
  if (!store.ok()) {
    report.errors.push_back(absl::StrCat("volumes: ", store.status().message()));
    return;
  }
  absl::StatusOr<std::vector<std::string>> removed = store->RemoveOrphans();
  if (!removed.ok()) {
    report.errors.push_back(absl::StrCat("volumes: ", removed.status().message()));
    return;
  }
  report.volumes.insert(report.volumes.end(), removed->begin(), removed->end());
}

}  // namespace

absl::StatusOr<GcReport> CollectGarbage(const GcOptions& options) {
  std::string root = options.state_root.empty() ? StateRoot() : options.state_root;
  GcReport report;
  absl::Status status = CollectContainers(options, root, report);
  if (!status.ok()) return status;
  CollectManagedContainers(report);
  CollectVolumes(report);
  CollectNetworks(root, report);
  if (options.orphan_min_age >= absl::ZeroDuration()) {
    CollectOrphanCgroups(options, root, report);
  }
  return report;
}

absl::StatusOr<GcReport> CollectGarbage() { return CollectGarbage(GcOptions()); }

absl::Status CollectDeadContainer(const std::string& state_root, const std::string& id,
                                  GcReport& report) {
  GcOptions options;
  options.state_root = state_root.empty() ? StateRoot() : state_root;
  std::string directory = absl::StrCat(options.state_root, "/", id);
  absl::StatusOr<ContainerRecord> record = ReadRecord(directory);
  if (!record.ok()) {
    if (record.status().code() == absl::StatusCode::kNotFound && !Exists(directory)) {
      return absl::OkStatus();
    }
    return record.status();
  }
  std::string reason = DeadOwnerReason(*record);
  if (reason.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", id, ": its owner pid ", record->owner_pid(), " still runs"));
  }
  size_t errors = report.errors.size();
  if (CollectContainer(directory, *record, options, report)) {
    report.containers.push_back(absl::StrCat(id, " (", reason, ")"));
    return absl::OkStatus();
  }
  return absl::InternalError(absl::StrCat(
      "container ", id, ": ",
      report.errors.size() > errors ? report.errors.back() : "state left behind"));
}

}  // namespace pycontain::container
