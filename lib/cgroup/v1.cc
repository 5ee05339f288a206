// The cgroup v1 backend: a directory per hierarchy, placement by writing the
// pid to each cgroup.procs, the freezer for freeze and kill. On hybrid
// hosts a V2Cgroup without controllers tracks the processes: it takes the
// child at clone3 and gives cgroup.kill and cgroup.freeze. Nothing
// v1-specific is written to it.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/cgroup/v2.h"

namespace pycontain::cgroup {
namespace {

struct Hierarchy {
  std::vector<std::string> controllers;
  CgroupDir dir;
};

bool Contains(const V1Hierarchy& hierarchy, const std::set<std::string>& requested) {
  for (const std::string& name : hierarchy.controllers) {
    if (requested.count(name) > 0) return true;
  }
  return false;
}

// A new v1 cpuset cgroup starts with no CPUs and no memory nodes, and no
// process may join it so. Our parent copies the root's lists once, and
// cgroup.clone_children makes each container cgroup copy the parent's.
absl::Status PrepareCpusetParent(const std::string& mount, const std::string& parent) {
  absl::StatusOr<CgroupDir> root = CgroupDir::Open(mount, "");
  if (!root.ok()) return root.status();
  absl::StatusOr<CgroupDir> dir = CgroupDir::Open(absl::StrCat(mount, "/", parent), "");
  if (!dir.ok()) return dir.status();
  for (const char* name : {"cpuset.cpus", "cpuset.mems"}) {
    absl::StatusOr<std::string> own = dir->Read(name);
    if (!own.ok()) return own.status();
    if (!absl::StripAsciiWhitespace(*own).empty()) continue;
    absl::StatusOr<std::string> inherited = root->Read(name);
    if (!inherited.ok()) return inherited.status();
    absl::Status status = dir->Write(name, absl::StripAsciiWhitespace(*inherited));
    if (!status.ok()) return status;
  }
  return dir->Write("cgroup.clone_children", "1");
}

class V1Backend : public Backend {
 public:
  static absl::StatusOr<std::unique_ptr<Backend>> Create(
      const CgroupLayout& layout, const std::string& parent, const std::string& id,
      const std::set<std::string>& controllers, bool defer);
  ~V1Backend() override = default;

  ControllerDirs dirs() const override;
  int clone_fd() const override { return tracker_ ? tracker_->clone_fd() : -1; }
  bool NeedsAttach() const override {
    return !hierarchies_.empty() || !deferred_.empty() || !tracker_;
  }
  absl::Status Attach(pid_t pid, bool with_clone_cgroup) override;
  absl::StatusOr<const std::vector<int>*> SelfAttachFiles() override;
  absl::Status Freeze() override { return SetFrozen(true); }
  absl::Status Thaw() override { return SetFrozen(false); }
  absl::Status KillAll() override;
  absl::StatusOr<bool> Populated() const override;
  absl::Status Remove() override;
  void Describe(spec::EnforcementReceipt* receipt) const override;
  std::vector<std::string> Directories() const override;
  bool HasDeferred() const override { return !deferred_.empty(); }
  absl::Status CreateDeferred() override;

 private:
  absl::Status AddHierarchy(const V1Hierarchy& hierarchy, const std::string& parent);
  const CgroupDir* Find(absl::string_view controller) const;
  absl::Status SetFrozen(bool frozen);

  std::string id_;
  std::string parent_;
  std::string relative_;
  std::vector<Hierarchy> hierarchies_;
  // The hierarchies whose directories CreateDeferred makes.
  std::vector<V1Hierarchy> deferred_;
  std::vector<std::string> paths_;  // for removal, also of unopened ones
  std::unique_ptr<V2Cgroup> tracker_;
  // SelfAttachFiles: the "tasks" files, and their descriptors as a plain
  // list that a child can read without allocating.
  std::vector<UniqueFd> tasks_files_;
  std::vector<int> tasks_fds_;
};

absl::StatusOr<std::unique_ptr<Backend>> V1Backend::Create(
    const CgroupLayout& layout, const std::string& parent, const std::string& id,
    const std::set<std::string>& controllers, bool defer) {
  auto backend = std::make_unique<V1Backend>();
  backend->id_ = id;
  backend->parent_ = parent;
  backend->relative_ = absl::StrCat("/", parent, "/", id);
  for (const V1Hierarchy& hierarchy : layout.v1) {
    if (Contains(hierarchy, controllers)) backend->deferred_.push_back(hierarchy);
  }
  absl::Status status;
  if (!defer) status = backend->CreateDeferred();
  if (status.ok() && layout.kind == LayoutKind::kHybrid) {
    absl::StatusOr<std::unique_ptr<V2Cgroup>> tracker =
        V2Cgroup::Create(layout.unified_mount, parent, id, {});
    if (tracker.ok()) backend->tracker_ = std::move(*tracker);
    status = tracker.status();
  }
  if (!status.ok()) {
    // Best effort: the directories are empty, so removal fails only when
    // another process raced into them. The create error matters more.
    (void)backend->Remove();
    return status;
  }
  return std::unique_ptr<Backend>(std::move(backend));
}

absl::Status V1Backend::CreateDeferred() {
  std::vector<V1Hierarchy> deferred = std::move(deferred_);
  deferred_.clear();
  for (const V1Hierarchy& hierarchy : deferred) {
    absl::Status status = AddHierarchy(hierarchy, parent_);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status V1Backend::AddHierarchy(const V1Hierarchy& hierarchy, const std::string& parent) {
  // cpuset is joined only when requested, so this costs nothing otherwise.
  if (std::find(hierarchy.controllers.begin(), hierarchy.controllers.end(), "cpuset") !=
      hierarchy.controllers.end()) {
    absl::Status status = MakeCgroupDirectories(hierarchy.mount_point, parent);
    if (!status.ok()) return status;
    status = PrepareCpusetParent(hierarchy.mount_point, parent);
    if (!status.ok()) return status;
  }
  std::string path = absl::StrCat(hierarchy.mount_point, "/", parent, "/", id_);
  absl::Status status = MakeCgroup(hierarchy.mount_point, parent, path, id_);
  if (!status.ok()) return status;
  paths_.push_back(path);
  absl::StatusOr<CgroupDir> dir = CgroupDir::Open(path, id_);
  if (!dir.ok()) return dir.status();
  hierarchies_.push_back({hierarchy.controllers, std::move(*dir)});
  return absl::OkStatus();
}

const CgroupDir* V1Backend::Find(absl::string_view controller) const {
  for (const Hierarchy& hierarchy : hierarchies_) {
    for (const std::string& name : hierarchy.controllers) {
      if (name == controller) return &hierarchy.dir;
    }
  }
  return nullptr;
}

ControllerDirs V1Backend::dirs() const {
  ControllerDirs dirs;
  dirs.version = Version::kV1;
  dirs.memory = Find("memory");
  dirs.cpu = Find("cpu");
  dirs.cpuacct = Find("cpuacct");
  dirs.cpuset = Find("cpuset");
  dirs.pids = Find("pids");
  dirs.io = Find("blkio");
  dirs.hugetlb = Find("hugetlb");
  if (tracker_) dirs.tracker = &tracker_->dir();
  return dirs;
}

absl::Status V1Backend::Attach(pid_t pid, bool with_clone_cgroup) {
  for (const Hierarchy& hierarchy : hierarchies_) {
    absl::Status status = hierarchy.dir.Write("cgroup.procs", absl::StrCat(pid));
    if (!status.ok()) return status;
  }
  if (tracker_) return tracker_->Attach(pid, with_clone_cgroup);
  return absl::OkStatus();
}

absl::StatusOr<const std::vector<int>*> V1Backend::SelfAttachFiles() {
  if (tasks_files_.size() == hierarchies_.size()) return &tasks_fds_;
  for (size_t i = tasks_files_.size(); i < hierarchies_.size(); ++i) {
    const CgroupDir& dir = hierarchies_[i].dir;
    UniqueFd file(openat(dir.fd(), "tasks", O_WRONLY | O_CLOEXEC));
    if (!file.valid()) return ErrnoError(errno, "open", absl::StrCat(dir.path(), "/tasks"));
    tasks_fds_.push_back(file.get());
    tasks_files_.push_back(std::move(file));
  }
  return &tasks_fds_;
}

absl::Status V1Backend::SetFrozen(bool frozen) {
  if (tracker_) return frozen ? tracker_->Freeze() : tracker_->Thaw();
  const CgroupDir* freezer = Find("freezer");
  if (freezer == nullptr) {
    return absl::FailedPreconditionError(
        "freezing needs the v1 freezer hierarchy or a cgroup v2 mount; neither is mounted");
  }
  const char* state = frozen ? "FROZEN" : "THAWED";
  absl::Status status = freezer->Write("freezer.state", state);
  if (!status.ok()) return status;
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (true) {
    absl::StatusOr<std::string> now = freezer->Read("freezer.state");
    if (!now.ok()) return now.status();
    if (absl::StripAsciiWhitespace(*now) == state) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("set ", freezer->path(), " to ", state, ": timed out after 5s"));
    }
    absl::SleepFor(absl::Microseconds(200));
  }
}

absl::Status V1Backend::KillAll() {
  if (tracker_) return tracker_->KillAll();
  // Frozen processes cannot fork, so the list read below stays complete.
  const CgroupDir* freezer = Find("freezer");
  if (freezer != nullptr) {
    absl::Status status = SetFrozen(true);
    if (!status.ok()) return status;
    status = KillListed(*freezer);
    absl::Status thawed = SetFrozen(false);
    return status.ok() ? thawed : status;
  }
  for (const Hierarchy& hierarchy : hierarchies_) {
    absl::Status status = KillListed(hierarchy.dir);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> V1Backend::Populated() const {
  if (tracker_) return tracker_->Populated();
  for (const Hierarchy& hierarchy : hierarchies_) {
    absl::StatusOr<std::string> procs = hierarchy.dir.Read("cgroup.procs");
    if (!procs.ok()) return procs.status();
    if (!absl::StripAsciiWhitespace(*procs).empty()) return true;
  }
  return false;
}

absl::Status V1Backend::Remove() {
  absl::Status first;
  deferred_.clear();
  tasks_fds_.clear();
  tasks_files_.clear();
  hierarchies_.clear();
  for (const std::string& path : paths_) {
    absl::Status status = RemoveCgroupDirectory(path, id_);
    if (!status.ok() && first.ok()) first = status;
  }
  paths_.clear();
  if (tracker_) {
    absl::Status status = tracker_->Remove();
    if (!status.ok() && first.ok()) first = status;
  }
  return first;
}

void V1Backend::Describe(spec::EnforcementReceipt* receipt) const {
  receipt->set_cgroup_layout(tracker_ ? spec::EnforcementReceipt::HYBRID
                                      : spec::EnforcementReceipt::LEGACY);
  receipt->set_cgroup_path(relative_);
  for (const Hierarchy& hierarchy : hierarchies_) {
    receipt->add_cgroup_paths(
        absl::StrCat(absl::StrJoin(hierarchy.controllers, ","), ":", relative_));
  }
  if (tracker_) receipt->add_cgroup_paths(absl::StrCat(":", relative_));
}

std::vector<std::string> V1Backend::Directories() const {
  std::vector<std::string> directories = paths_;
  if (tracker_) {
    std::vector<std::string> tracked = tracker_->Directories();
    directories.insert(directories.end(), tracked.begin(), tracked.end());
  }
  return directories;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateV1Backend(
    const CgroupLayout& layout, const std::string& parent, const std::string& id,
    const std::set<std::string>& controllers, bool defer) {
  return V1Backend::Create(layout, parent, id, controllers, defer);
}

std::set<std::string> LimitedControllers(const spec::Resources& r) {
  std::set<std::string> controllers = ControllersFor(r);
  if (r.memory_bytes() == 0 && r.memory_swap_bytes() == 0 && r.memory_reservation_bytes() == 0) {
    controllers.erase("memory");
  }
  if (r.cpus() == 0 && r.cpu_quota_us() == 0 && r.cpu_period_us() == 0 && r.cpu_shares() == 0) {
    controllers.erase("cpu");
    controllers.erase("cpuacct");
  }
  if (r.pids_limit() == 0) controllers.erase("pids");
  return controllers;
}

std::set<std::string> ControllersFor(const spec::Resources& r) {
  std::set<std::string> controllers = {"memory", "cpu", "cpuacct", "pids"};
  if (!r.cpuset_cpus().empty() || !r.cpuset_mems().empty()) controllers.insert("cpuset");
  if (r.blkio_weight() != 0 || r.device_read_bps_size() > 0 || r.device_write_bps_size() > 0 ||
      r.device_read_iops_size() > 0 || r.device_write_iops_size() > 0) {
    controllers.insert("blkio");
    controllers.insert("io");
  }
  if (r.hugepage_limits_size() > 0) controllers.insert("hugetlb");
  return controllers;
}

}  // namespace pycontain::cgroup
