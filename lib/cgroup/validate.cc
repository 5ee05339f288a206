#include "lib/cgroup/validate.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/units.h"

namespace pycontain::cgroup {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("resources.", field, ": ", problem));
}

// Sizes are -1 (no limit), 0 (unset) or positive.
absl::Status CheckSize(absl::string_view field, int64_t value) {
  if (value >= -1) return absl::OkStatus();
  return FieldError(field, absl::StrCat("must be -1 (no limit) or a size in bytes, got ",
                                        value));
}

absl::Status ValidateMemory(const spec::Resources& r) {
  for (auto [field, value] : {std::pair<const char*, int64_t>{"memory_bytes", r.memory_bytes()},
                              {"memory_swap_bytes", r.memory_swap_bytes()},
                              {"memory_reservation_bytes", r.memory_reservation_bytes()}}) {
    absl::Status status = CheckSize(field, value);
    if (!status.ok()) return status;
  }
  bool memory_limited = r.memory_bytes() > 0;
  // The container's setup runs in its cgroup before the command starts, in
  // a process that shares the caller's memory (CLONE_VM). An OOM kill
  // there would kill every process sharing that memory, the caller too, so
  // limits too small for the setup are rejected, as Docker rejects them.
  if (memory_limited && r.memory_bytes() < kMinimumMemoryBytes) {
    return FieldError("memory_bytes",
                      absl::StrCat(FormatByteSize(r.memory_bytes()), " is below the minimum of ",
                                   FormatByteSize(kMinimumMemoryBytes)));
  }
  if (r.memory_swap_bytes() != 0 && !memory_limited) {
    return FieldError("memory_swap_bytes",
                      "needs a memory limit: set memory_bytes too");
  }
  if (r.memory_swap_bytes() > 0 && r.memory_swap_bytes() < r.memory_bytes()) {
    return FieldError(
        "memory_swap_bytes",
        absl::StrCat(FormatByteSize(r.memory_swap_bytes()), " is below memory_bytes ",
                     FormatByteSize(r.memory_bytes()),
                     "; memory+swap must be at least the memory limit (equal means "
                     "no swap, -1 unlimited swap)"));
  }
  if (memory_limited && r.memory_reservation_bytes() > r.memory_bytes()) {
    return FieldError("memory_reservation_bytes",
                      absl::StrCat(FormatByteSize(r.memory_reservation_bytes()),
                                   " is above memory_bytes ",
                                   FormatByteSize(r.memory_bytes()),
                                   "; the reservation must not exceed the limit"));
  }
  return absl::OkStatus();
}

absl::Status ValidateCpu(const spec::Resources& r, const Machine& machine) {
  int cpus = machine.usable_cpus;
  if (std::isnan(r.cpus()) || r.cpus() < 0 ||
      (r.cpus() > 0 && (r.cpus() < 0.01 || r.cpus() > static_cast<double>(cpus)))) {
    return FieldError("cpus", absl::StrCat("must be from 0.01 to ", cpus,
                                           " (the CPUs this process may run on), got ",
                                           r.cpus()));
  }
  if (r.cpus() > 0 && (r.cpu_period_us() != 0 || r.cpu_quota_us() != 0)) {
    return FieldError("cpus", "excludes cpu_period_us and cpu_quota_us; set one or "
                              "the other");
  }
  if (r.cpu_period_us() != 0 && (r.cpu_period_us() < 1000 || r.cpu_period_us() > 1000000)) {
    return FieldError("cpu_period_us",
                      absl::StrCat("must be from 1000 to 1000000, got ", r.cpu_period_us()));
  }
  if (r.cpu_quota_us() < -1 || (r.cpu_quota_us() > 0 && r.cpu_quota_us() < 1000)) {
    return FieldError("cpu_quota_us", absl::StrCat("must be -1 (no limit) or at least "
                                                   "1000, got ", r.cpu_quota_us()));
  }
  if (r.cpu_shares() != 0 && (r.cpu_shares() < 2 || r.cpu_shares() > 262144)) {
    return FieldError("cpu_shares",
                      absl::StrCat("must be from 2 to 262144, got ", r.cpu_shares()));
  }
  return absl::OkStatus();
}

absl::Status CheckSubset(absl::string_view field, absl::string_view list,
                         const std::set<int>& offered, absl::string_view what,
                         absl::string_view offered_name) {
  absl::StatusOr<std::set<int>> requested = ParseCpuList(list);
  if (!requested.ok()) return FieldError(field, requested.status().message());
  if (!list.empty() && requested->empty()) return FieldError(field, "must not be empty");
  for (int number : *requested) {
    if (offered.count(number) == 0) {
      return FieldError(field, absl::StrCat(number, " is not ", what, " of this machine (",
                                            offered_name, ": ", FormatCpuList(offered), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateThrottles(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<spec::DeviceThrottle>& throttles) {
  for (int i = 0; i < throttles.size(); ++i) {
    std::string name = absl::StrCat(field, "[", i, "]");
    if (!absl::StartsWith(throttles[i].path(), "/")) {
      return FieldError(absl::StrCat(name, ".path"),
                        absl::StrCat("must be an absolute device path, got \"",
                                     throttles[i].path(), "\""));
    }
    if (throttles[i].rate() == 0) return FieldError(absl::StrCat(name, ".rate"), "must be at least 1");
  }
  return absl::OkStatus();
}

absl::Status ValidateIo(const spec::Resources& r) {
  if (r.blkio_weight() != 0 && (r.blkio_weight() < 10 || r.blkio_weight() > 1000)) {
    return FieldError("blkio_weight",
                      absl::StrCat("must be from 10 to 1000, got ", r.blkio_weight()));
  }
  for (auto [field, list] : {std::pair{"device_read_bps", &r.device_read_bps()},
                             std::pair{"device_write_bps", &r.device_write_bps()},
                             std::pair{"device_read_iops", &r.device_read_iops()},
                             std::pair{"device_write_iops", &r.device_write_iops()}}) {
    absl::Status status = ValidateThrottles(field, *list);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status ValidateHugepages(const spec::Resources& r, const Machine& machine) {
  for (int i = 0; i < r.hugepage_limits_size(); ++i) {
    const spec::HugepageLimit& limit = r.hugepage_limits(i);
    std::string field = absl::StrCat("hugepage_limits[", i, "]");
    if (machine.hugepage_sizes.count(limit.page_size()) == 0) {
      std::string offered = machine.hugepage_sizes.empty()
                                ? "none"
                                : absl::StrJoin(machine.hugepage_sizes, ", ");
      return FieldError(absl::StrCat(field, ".page_size"),
                        absl::StrCat("\"", limit.page_size(),
                                     "\" is not a huge page size of this machine (offered: ",
                                     offered, ")"));
    }
    absl::Status status = CheckSize(absl::StrCat(field, ".limit_bytes"), limit.limit_bytes());
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

bool RequestsLimits(const spec::Resources& r) {
  return r.memory_bytes() > 0 || r.memory_swap_bytes() != 0 ||
         r.memory_reservation_bytes() > 0 || r.cpus() > 0 || r.cpu_period_us() != 0 ||
         r.cpu_quota_us() > 0 || r.cpu_shares() != 0 || !r.cpuset_cpus().empty() ||
         !r.cpuset_mems().empty() || r.pids_limit() > 0 || r.blkio_weight() != 0 ||
         r.device_read_bps_size() > 0 || r.device_write_bps_size() > 0 ||
         r.device_read_iops_size() > 0 || r.device_write_iops_size() > 0 ||
         r.hugepage_limits_size() > 0;
}

absl::Status ValidateResourcesOnThisMachine(const spec::Resources& r) {
  // Only --cpus, cpusets and huge pages depend on the machine; skipping its
  // files keeps a start without them cheaper.
  unsigned parts = 0;
  if (r.cpus() != 0) parts |= kUsableCpus;
  if (!r.cpuset_cpus().empty()) parts |= kOnlineCpus;
  if (!r.cpuset_mems().empty()) parts |= kMemoryNodes;
  if (r.hugepage_limits_size() > 0) parts |= kHugepageSizes;
  if (parts == 0) return ValidateResources(r, Machine());
  absl::StatusOr<Machine> machine = ReadMachine(parts);
  if (!machine.ok()) return machine.status();
  return ValidateResources(r, *machine);
}

absl::Status ValidateResources(const spec::Resources& resources, const Machine& machine) {
  absl::Status status = ValidateMemory(resources);
  if (!status.ok()) return status;
  status = ValidateCpu(resources, machine);
  if (!status.ok()) return status;
  status = CheckSubset("cpuset_cpus", resources.cpuset_cpus(), machine.online_cpus,
                       "an online CPU", "online CPUs");
  if (!status.ok()) return status;
  status = CheckSubset("cpuset_mems", resources.cpuset_mems(), machine.memory_nodes,
                       "a memory node", "memory nodes");
  if (!status.ok()) return status;
  if (resources.pids_limit() < -1) {
    return FieldError("pids_limit", absl::StrCat("must be -1 or 0 (no limit) or positive, got ",
                                                 resources.pids_limit()));
  }
  status = ValidateIo(resources);
  if (!status.ok()) return status;
  return ValidateHugepages(resources, machine);
}

}  // namespace pycontain::cgroup
