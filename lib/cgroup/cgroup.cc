#include "lib/cgroup/cgroup.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/cgroup/backend.h"
#include "lib/cgroup/files.h"
#include "lib/cgroup/machine.h"
#include "lib/cgroup/receipt.h"
#include "lib/cgroup/placement.h"
#include "lib/cgroup/validate.h"

namespace pycontain::cgroup {
namespace {

absl::StatusOr<CgroupLayout> CachedLayout() {
  static std::mutex mutex;
  static std::optional<CgroupLayout> layout;
  std::lock_guard<std::mutex> lock(mutex);
  if (!layout.has_value()) {
    absl::StatusOr<CgroupLayout> detected = DetectLayout();
    if (!detected.ok()) return detected.status();
    layout = std::move(*detected);
  }
  return *layout;
}

absl::StatusOr<std::vector<DeviceRate>> ResolveDevices(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<spec::DeviceThrottle>& throttles) {
  std::vector<DeviceRate> rates;
  for (int i = 0; i < throttles.size(); ++i) {
    struct stat info;
    std::string name = absl::StrCat("resources.", field, "[", i, "].path");
    if (stat(throttles[i].path().c_str(), &info) != 0) {
      return Annotate(ErrnoError(errno, "stat", throttles[i].path()), name);
    }
    if (!S_ISBLK(info.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": ", throttles[i].path(), " is not a block device"));
    }
    rates.push_back({absl::StrCat(major(info.st_rdev), ":", minor(info.st_rdev)),
                     throttles[i].rate()});
  }
  return rates;
}

absl::StatusOr<IoThrottles> ResolveThrottles(const spec::Resources& r) {
  IoThrottles throttles;
  for (auto [field, list, out] :
       {std::tuple{"device_read_bps", &r.device_read_bps(), &throttles.read_bps},
        std::tuple{"device_write_bps", &r.device_write_bps(), &throttles.write_bps},
        std::tuple{"device_read_iops", &r.device_read_iops(), &throttles.read_iops},
        std::tuple{"device_write_iops", &r.device_write_iops(), &throttles.write_iops}}) {
    absl::StatusOr<std::vector<DeviceRate>> rates = ResolveDevices(field, *list);
    if (!rates.ok()) return rates.status();
    *out = std::move(*rates);
  }
  return throttles;
}

// Writes each controller's limits. A rejected write fails in strict mode
// and is listed in not_in_force otherwise.
absl::Status ApplyAll(const Backend& backend, const spec::Resources& r,
                      const IoThrottles& throttles, bool strict,
                      spec::EnforcementReceipt* receipt) {
  ControllerDirs dirs = backend.dirs();
  for (const absl::Status& status :
       {ApplyMemory(dirs, r), ApplyCpu(dirs, r), ApplyCpuset(dirs, r), ApplyPids(dirs, r),
        ApplyIo(dirs, r, throttles), ApplyHugetlb(dirs, r)}) {
    if (status.ok()) continue;
    if (strict) return status;
    receipt->add_not_in_force(std::string(status.message()));
  }
  return absl::OkStatus();
}

void ReadReceipt(const Backend& backend, spec::EnforcementReceipt* receipt) {
  backend.Describe(receipt);
  ControllerDirs dirs = backend.dirs();
  ReadMemoryReceipt(dirs, receipt);
  ReadCpuReceipt(dirs, receipt);
  ReadCpusetReceipt(dirs, receipt);
  ReadPidsReceipt(dirs, receipt);
  ReadIoReceipt(dirs, receipt);
  ReadHugetlbReceipt(dirs, receipt);
}

// Writes the limits, reads back what is in force and checks it against
// the request, failing in strict mode (the default) as Create documents.
absl::Status ApplyAndCheck(const Backend& backend, const spec::Resources& r,
                           const IoThrottles& throttles, spec::EnforcementReceipt* receipt) {
  bool strict = !r.has_strict_limits() || r.strict_limits();
  absl::Status status = ApplyAll(backend, r, throttles, strict, receipt);
  if (!status.ok()) return Annotate(status, "apply cgroup limits (strict)");
  ReadReceipt(backend, receipt);
  ControllerDirs dirs = backend.dirs();
  KeepMemoryAccountingOpen(dirs);
  KeepCpuAccountingOpen(dirs);
  KeepPidsAccountingOpen(dirs);
  std::vector<std::string> problems = CheckReceipt(r, throttles, receipt);
  if (strict && !problems.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        absl::StrJoin(problems, "; "),
        " (the limit is not in force; set resources.strict_limits to false to run anyway)"));
  }
  for (std::string& problem : problems) receipt->add_not_in_force(std::move(problem));
  return absl::OkStatus();
}

}  // namespace

Cgroup::Cgroup() = default;
Cgroup::Cgroup(Cgroup&& other) noexcept = default;

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this != &other) {
    (void)Remove();
    id_ = std::move(other.id_);
    backend_ = std::move(other.backend_);
    receipt_ = std::move(other.receipt_);
    deferred_resources_ = std::move(other.deferred_resources_);
  }
  return *this;
}

Cgroup::~Cgroup() {
  absl::Status status = Remove();
  if (!status.ok()) {
    Logf(LogLevel::kWarning, id_, "cgroup left behind: %s", status.message());
  }
}

absl::StatusOr<Cgroup> Cgroup::Create(const CgroupOptions& options) {
  const spec::Resources& r = options.resources;
  if (options.id.empty()) return absl::InvalidArgumentError("cgroup: an id is required");
  absl::Status status = ValidateResourcesOnThisMachine(r);
  if (!status.ok()) return status;
  absl::StatusOr<IoThrottles> throttles = ResolveThrottles(r);
  if (!throttles.ok()) return throttles.status();
  absl::StatusOr<CgroupLayout> layout =
      options.layout.has_value() ? *options.layout : CachedLayout();
  if (!layout.ok()) return layout.status();

  Cgroup cgroup;
  cgroup.id_ = options.id;
  absl::StatusOr<std::unique_ptr<Backend>> backend =
      CreateBackend(*layout, options, &cgroup.receipt_);
  if (!backend.ok()) return backend.status();
  if (*backend == nullptr) return cgroup;  // rootless, allowed to run without
  cgroup.backend_ = std::move(*backend);
  if (cgroup.backend_->HasDeferred()) {
    cgroup.deferred_resources_ = r;
    return cgroup;
  }
  status = ApplyAndCheck(*cgroup.backend_, r, *throttles, &cgroup.receipt_);
  if (!status.ok()) return status;
  return cgroup;
}

absl::Status Cgroup::CompleteDeferred() {
  if (!backend_ || !deferred_resources_.has_value()) return absl::OkStatus();
  spec::Resources r = std::move(*deferred_resources_);
  deferred_resources_.reset();
  // Create resolved the same devices already, so an error here means one
  // vanished in between.
  absl::StatusOr<IoThrottles> throttles = ResolveThrottles(r);
  if (!throttles.ok()) return throttles.status();
  absl::Status status = backend_->CreateDeferred();
  if (!status.ok()) return status;
  return ApplyAndCheck(*backend_, r, *throttles, &receipt_);
}

absl::StatusOr<std::vector<std::string>> Cgroup::CandidateDirectories(
    const CgroupOptions& options) {
  absl::StatusOr<CgroupLayout> layout =
      options.layout.has_value() ? *options.layout : CachedLayout();
  if (!layout.ok()) return layout.status();
  std::vector<std::string> directories;
  if (geteuid() != 0) {
    absl::StatusOr<std::string> own = ReadWholeFile("/proc/self/cgroup");
    if (!own.ok()) return directories;
    absl::StatusOr<std::string> delegated = DelegatedParent(*layout, *own);
    if (!delegated.ok()) return directories;
    std::string base = absl::StrCat(layout->unified_mount, *delegated);
    if (*delegated == "/") base = layout->unified_mount;
    directories.push_back(absl::StrCat(base, "/", options.parent, "/", options.id));
    return directories;
  }
  for (const V1Hierarchy& hierarchy : layout->v1) {
    directories.push_back(
        absl::StrCat(hierarchy.mount_point, "/", options.parent, "/", options.id));
  }
  if (!layout->unified_mount.empty()) {
    directories.push_back(
        absl::StrCat(layout->unified_mount, "/", options.parent, "/", options.id));
  }
  return directories;
}

std::vector<std::string> Cgroup::directories() const {
  return backend_ ? backend_->Directories() : std::vector<std::string>{};
}

int Cgroup::clone_fd() const { return backend_ ? backend_->clone_fd() : -1; }

bool Cgroup::NeedsAttach() const { return backend_ && backend_->NeedsAttach(); }

absl::Status Cgroup::Attach(pid_t pid, bool everywhere) {
  if (!backend_) return absl::OkStatus();
  Logf(LogLevel::kDebug, id_, "move pid %d into its cgroup", pid);
  return backend_->Attach(pid, everywhere || backend_->clone_fd() < 0);
}

absl::StatusOr<const std::vector<int>*> Cgroup::SelfAttachFiles() {
  static const std::vector<int>* const kNone = new std::vector<int>();
  if (!backend_) return kNone;
  return backend_->SelfAttachFiles();
}

int Cgroup::JoinSelf(const int* files, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (write(files[i], "0", 1) != 1) return -1;
  }
  return 0;
}

absl::StatusOr<spec::Accounting> Cgroup::ReadAccounting() const {
  spec::Accounting accounting;
  if (!backend_) return accounting;
  ControllerDirs dirs = backend_->dirs();
  ReadMemoryAccounting(dirs, &accounting);
  ReadCpuAccounting(dirs, &accounting);
  ReadPidsAccounting(dirs, &accounting);
  return accounting;
}

absl::Status Cgroup::Freeze() {
  if (!backend_) return absl::FailedPreconditionError("the container has no cgroup to freeze");
  return backend_->Freeze();
}

absl::Status Cgroup::Thaw() {
  if (!backend_) return absl::FailedPreconditionError("the container has no cgroup to thaw");
  return backend_->Thaw();
}

absl::Status Cgroup::KillAll() {
  if (!backend_) return absl::OkStatus();
  return backend_->KillAll();
}

absl::Status Cgroup::Remove(absl::Duration timeout) {
  if (!backend_) return absl::OkStatus();
  // Usually the container has exited by now, and an empty cgroup needs no
  // kill: no process can enter it except through this owner.
  absl::StatusOr<bool> populated = backend_->Populated();
  absl::Status status = populated.status();
  if (!populated.ok() || *populated) {
    status = backend_->KillAll();
    if (status.ok()) status = WaitUntilEmpty(*backend_, timeout);
  }
  if (status.ok()) status = backend_->Remove();
  if (!status.ok()) return Annotate(status, absl::StrCat("remove cgroup of ", id_));
  backend_.reset();
  deferred_resources_.reset();
  return absl::OkStatus();
}

}  // namespace pycontain::cgroup
