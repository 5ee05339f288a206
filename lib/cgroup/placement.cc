#include "lib/cgroup/placement.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/log.h"
#include "lib/cgroup/files.h"

namespace pycontain::cgroup {
namespace {

bool Writable(const std::string& path) { return access(path.c_str(), W_OK) == 0; }

absl::StatusOr<std::unique_ptr<Backend>> CreateRootless(const CgroupLayout& layout,
                                                        const CgroupOptions& options,
                                                        spec::EnforcementReceipt* receipt) {
  absl::StatusOr<std::string> own = ReadWholeFile("/proc/self/cgroup");
  absl::StatusOr<std::string> parent =
      own.ok() ? DelegatedParent(layout, *own) : own.status();
  if (parent.ok()) {
    std::string relative = absl::StrCat(absl::StripPrefix(*parent, "/"), "/", options.parent);
    return CreateV2Backend(layout.unified_mount, std::string(absl::StripPrefix(relative, "/")),
                           options.id, ControllersFor(options.resources),
                           layout.unified_controllers);
  }
  std::string limit = FirstRequestedLimit(options.resources);
  if (limit.empty() || options.resources.allow_without_limits()) {
    Logf(LogLevel::kWarning, options.id,
         "running without a cgroup, so without limits or accounting: %s", parent.status().message());
    receipt->set_without_cgroup(true);
    return std::unique_ptr<Backend>();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "resources.", limit, " cannot be applied: ", parent.status().message(),
      ". Delegate a cgroup v2 subtree to uid ", geteuid(),
      " (with systemd: Delegate=yes on the user's service, see systemd.resource-control(5)) "
      "and start pycontain in a child cgroup of it, or set "
      "resources.allow_without_limits to run without limits"));
}

}  // namespace

absl::StatusOr<std::string> DelegatedParent(const CgroupLayout& layout,
                                            absl::string_view proc_self_cgroup) {
  if (layout.kind != LayoutKind::kUnified) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rootless limits need a cgroup v2 host, and this host's cgroups are ",
        LayoutKindName(layout.kind)));
  }
  std::string own;
  for (absl::string_view line : absl::StrSplit(proc_self_cgroup, '\n', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&line, "0::")) own = std::string(line);
  }
  if (own.empty()) {
    return absl::FailedPreconditionError("no cgroup v2 entry in /proc/self/cgroup");
  }
  std::string parent = own.substr(0, own.rfind('/'));
  std::string path = absl::StrCat(layout.unified_mount, parent);
  for (const std::string& file : {path, absl::StrCat(path, "/cgroup.procs"),
                                  absl::StrCat(path, "/cgroup.subtree_control")}) {
    if (!Writable(file)) {
      return absl::FailedPreconditionError(
          absl::StrCat(file, " is not writable by uid ", geteuid()));
    }
  }
  return parent.empty() ? "/" : parent;
}

std::string FirstRequestedLimit(const spec::Resources& r) {
  if (r.memory_bytes() > 0) return "memory_bytes";
  if (r.memory_swap_bytes() != 0) return "memory_swap_bytes";
  if (r.memory_reservation_bytes() > 0) return "memory_reservation_bytes";
  if (r.cpus() > 0) return "cpus";
  if (r.cpu_quota_us() > 0 || r.cpu_period_us() != 0) return "cpu_quota_us";
  if (r.cpu_shares() != 0) return "cpu_shares";
  if (!r.cpuset_cpus().empty()) return "cpuset_cpus";
  if (!r.cpuset_mems().empty()) return "cpuset_mems";
  if (r.pids_limit() > 0) return "pids_limit";
  if (r.blkio_weight() != 0) return "blkio_weight";
  if (r.device_read_bps_size() > 0) return "device_read_bps";
  if (r.device_write_bps_size() > 0) return "device_write_bps";
  if (r.device_read_iops_size() > 0) return "device_read_iops";
  if (r.device_write_iops_size() > 0) return "device_write_iops";
  if (r.hugepage_limits_size() > 0) return "hugepage_limits";
  return "";
}

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(const CgroupLayout& layout,
                                                       const CgroupOptions& options,
                                                       spec::EnforcementReceipt* receipt) {
  if (geteuid() != 0) return CreateRootless(layout, options, receipt);
  std::set<std::string> controllers = ControllersFor(options.resources);
  switch (layout.kind) {
    case LayoutKind::kUnified:
      return CreateV2Backend(layout.unified_mount, options.parent, options.id, controllers,
                             layout.unified_controllers);
    case LayoutKind::kLegacy:
      // Without a v2 mount, only the v1 freezer can stop and kill all.
      controllers.insert("freezer");
      return CreateV1Backend(layout, options.parent, options.id, controllers,
                             options.defer_v1);
    case LayoutKind::kHybrid: {
      // The v2 tracking cgroup's cpu.stat gives the CPU time, which saves
      // creating, joining and removing a v1 cpuacct cgroup. A cpuacct
      // hierarchy mounted together with cpu is still joined with it.
      std::set<std::string> limited = LimitedControllers(options.resources);
      limited.erase("cpuacct");
      return CreateV1Backend(layout, options.parent, options.id, limited, options.defer_v1);
    }
  }
  return absl::InternalError("unknown cgroup layout");
}

}  // namespace pycontain::cgroup
