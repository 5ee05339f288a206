// The cgroup v2 backend: one directory for every controller, placement by
// CLONE_INTO_CGROUP, cgroup.freeze and cgroup.kill. Also the tracking
// cgroup of hybrid hosts, with no controllers.
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/cgroup/v2.h"

namespace pycontain::cgroup {
namespace {

// Adds the `wanted` controllers missing from dir's cgroup.subtree_control.
absl::Status EnableControllers(const CgroupDir& dir, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> enabled = dir.Read("cgroup.subtree_control");
  if (!enabled.ok()) return enabled.status();
  std::vector<std::string> have = absl::StrSplit(*enabled, absl::ByAnyChar(" \n"),
                                                 absl::SkipEmpty());
  std::vector<std::string> missing;
  for (const std::string& name : wanted) {
    if (std::find(have.begin(), have.end(), name) == have.end()) {
      missing.push_back(absl::StrCat("+", name));
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return dir.Write("cgroup.subtree_control", absl::StrJoin(missing, " "));
}

}  // namespace

absl::StatusOr<std::unique_ptr<V2Cgroup>> V2Cgroup::Create(
    const std::string& mount, const std::string& parent, const std::string& id,
    const std::vector<std::string>& controllers) {
  // Each level from the root down must pass the controllers on.
  std::string level = mount;
  std::vector<std::string> parts = absl::StrSplit(parent, '/', absl::SkipEmpty());
  for (size_t i = 0; i <= parts.size() && !controllers.empty(); ++i) {
    absl::Status status = MakeCgroupDirectories(level, "");
    if (!status.ok()) return status;
    absl::StatusOr<CgroupDir> dir = CgroupDir::Open(level, id);
    if (!dir.ok()) return dir.status();
    status = EnableControllers(*dir, controllers);
    if (!status.ok()) return status;
    if (i < parts.size()) level = absl::StrCat(level, "/", parts[i]);
  }

  std::string path = absl::StrCat(mount, "/", parent, "/", id);
  absl::Status status = MakeCgroup(mount, parent, path, id);
  if (!status.ok()) return status;
  auto cgroup = std::unique_ptr<V2Cgroup>(new V2Cgroup());
  cgroup->id_ = id;
  cgroup->path_ = path;
  cgroup->relative_ = absl::StrCat("/", parent, "/", id);
  cgroup->controllers_ = controllers;
  absl::StatusOr<CgroupDir> dir = CgroupDir::Open(path, id);
  if (!dir.ok()) {
    rmdir(path.c_str());
    return dir.status();
  }
  cgroup->dir_ = std::move(*dir);
  return cgroup;
}

V2Cgroup::~V2Cgroup() = default;

bool V2Cgroup::Has(absl::string_view controller) const {
  return std::find(controllers_.begin(), controllers_.end(), controller) != controllers_.end();
}

ControllerDirs V2Cgroup::dirs() const {
  ControllerDirs dirs;
  dirs.version = Version::kV2;
  if (Has("memory")) dirs.memory = &dir_;
  if (Has("cpu")) dirs.cpu = &dir_;
  if (Has("cpuset")) dirs.cpuset = &dir_;
  if (Has("pids")) dirs.pids = &dir_;
  if (Has("io")) dirs.io = &dir_;
  if (Has("hugetlb")) dirs.hugetlb = &dir_;
  return dirs;
}

absl::Status V2Cgroup::Attach(pid_t pid, bool with_clone_cgroup) {
  if (!with_clone_cgroup) return absl::OkStatus();
  return dir_.Write("cgroup.procs", absl::StrCat(pid));
}

absl::Status V2Cgroup::SetFrozen(bool frozen) {
  absl::Status status = dir_.Write("cgroup.freeze", frozen ? "1" : "0");
  if (!status.ok()) return status;
  // The kernel freezes tasks one by one, and cgroup.events reports when
  // all are frozen.
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (true) {
    absl::StatusOr<KeyedValues> events = dir_.ReadKeyed("cgroup.events");
    if (!events.ok()) return events.status();
    if ((*events)["frozen"] == (frozen ? 1 : 0)) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(frozen ? "freeze " : "thaw ", dir_.path(), ": timed out after 5s"));
    }
    absl::SleepFor(absl::Microseconds(200));
  }
}

absl::Status V2Cgroup::KillAll() {
  // cgroup.kill (Linux 5.14) kills atomically, new forks included.
  if (dir_.Has("cgroup.kill")) return dir_.Write("cgroup.kill", "1");
  absl::Status status = SetFrozen(true);
  if (!status.ok()) return status;
  status = KillListed(dir_);
  absl::Status thawed = SetFrozen(false);
  return status.ok() ? thawed : status;
}

absl::StatusOr<bool> V2Cgroup::Populated() const {
  absl::StatusOr<KeyedValues> events = dir_.ReadKeyed("cgroup.events");
  if (!events.ok()) return events.status();
  return (*events)["populated"] != 0;
}

absl::Status V2Cgroup::Remove() {
  if (removed_) return absl::OkStatus();
  dir_ = CgroupDir();
  absl::Status status = RemoveCgroupDirectory(path(), id_);
  if (status.ok()) removed_ = true;
  return status;
}

void V2Cgroup::Describe(spec::EnforcementReceipt* receipt) const {
  receipt->set_cgroup_layout(spec::EnforcementReceipt::UNIFIED);
  receipt->set_cgroup_path(relative_);
  receipt->add_cgroup_paths(absl::StrCat(":", relative_));
}

absl::Status KillListed(const CgroupDir& dir) {
  absl::StatusOr<std::string> procs = dir.Read("cgroup.procs");
  if (!procs.ok()) return procs.status();
  for (absl::string_view word : absl::StrSplit(*procs, '\n', absl::SkipEmpty())) {
    pid_t pid;
    if (!absl::SimpleAtoi(word, &pid)) continue;
    Logf(LogLevel::kDebug, "", "kill -9 %d (in %s)", pid, dir.path());
    // A process that exited since the read is no error.
    if (kill(pid, SIGKILL) != 0 && errno != ESRCH) {
      return ErrnoError(errno, absl::StrCat("kill process ", pid, " in"), dir.path());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Backend>> CreateV2Backend(
    const std::string& mount, const std::string& parent, const std::string& id,
    const std::set<std::string>& controllers, const std::vector<std::string>& offered) {
  std::vector<std::string> enable;
  for (const std::string& name : controllers) {
    // v1's cpuacct is part of v2's cpu.
    if (std::find(offered.begin(), offered.end(), name) != offered.end()) {
      enable.push_back(name);
    }
  }
  absl::StatusOr<std::unique_ptr<V2Cgroup>> cgroup = V2Cgroup::Create(mount, parent, id, enable);
  if (!cgroup.ok()) return cgroup.status();
  return std::unique_ptr<Backend>(std::move(*cgroup));
}

absl::Status MakeCgroupDirectories(const std::string& base, const std::string& relative) {
  if (relative.empty()) {
    if (mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "create cgroup", base);
    }
    return absl::OkStatus();
  }
  std::string path = base;
  for (absl::string_view part : absl::StrSplit(relative, '/', absl::SkipEmpty())) {
    absl::StrAppend(&path, "/", part);
    if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "create cgroup", path);
    }
  }
  return absl::OkStatus();
}

absl::Status MakeCgroup(const std::string& mount, const std::string& parent,
                        const std::string& path, absl::string_view log_id) {
  Logf(LogLevel::kDebug, log_id, "mkdir %s", path);
  if (mkdir(path.c_str(), 0755) == 0) return absl::OkStatus();
  // The parent exists after the first container, so it is made only when
  // missing, which saves a system call per hierarchy on each start.
  if (errno != ENOENT) return ErrnoError(errno, "create cgroup", path);
  absl::Status status = MakeCgroupDirectories(mount, parent);
  if (!status.ok()) return status;
  if (mkdir(path.c_str(), 0755) != 0) return ErrnoError(errno, "create cgroup", path);
  return absl::OkStatus();
}

absl::Status RemoveCgroupDirectory(const std::string& path, absl::string_view log_id) {
  Logf(LogLevel::kDebug, log_id, "rmdir %s", path);
  absl::Time deadline = absl::Now() + absl::Seconds(2);
  while (rmdir(path.c_str()) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    if (errno != EBUSY || absl::Now() > deadline) {
      return ErrnoError(errno, "remove cgroup", path);
    }
    absl::SleepFor(absl::Microseconds(500));
  }
  return absl::OkStatus();
}

absl::Status WaitUntilEmpty(const Backend& backend, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Microseconds(50);
  while (true) {
    absl::StatusOr<bool> populated = backend.Populated();
    if (!populated.ok()) return populated.status();
    if (!*populated) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "processes still run in the cgroup after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(10));
  }
}

}  // namespace pycontain::cgroup
