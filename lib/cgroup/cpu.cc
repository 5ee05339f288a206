// The cpu controller (and v1's cpuacct): quota and period, shares or
// weight; cpu time and throttling.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/numbers.h"
#include "lib/cgroup/controllers.h"
#include "lib/cgroup/validate.h"

namespace pycontain::cgroup {
namespace {

struct Bandwidth {
  int64_t quota_us = 0;  // 0: not requested; -1: no limit
  int64_t period_us = 0;  // 0: not requested
};

Bandwidth RequestedBandwidth(const spec::Resources& r) {
  Bandwidth bandwidth;
  if (r.cpus() > 0) {
    bandwidth.period_us = kDefaultCpuPeriodUs;
    bandwidth.quota_us = std::llround(r.cpus() * kDefaultCpuPeriodUs);
    return bandwidth;
  }
  bandwidth.period_us = r.cpu_period_us();
  bandwidth.quota_us = r.cpu_quota_us();
  return bandwidth;
}

absl::Status ApplyV1(const CgroupDir& dir, const spec::Resources& r) {
  Bandwidth bandwidth = RequestedBandwidth(r);
  // The period goes first: the kernel checks a quota against the period
  // in force.
  if (bandwidth.period_us != 0) {
    absl::Status status = dir.Write("cpu.cfs_period_us", absl::StrCat(bandwidth.period_us));
    if (!status.ok()) return FieldStatus(status, r.cpus() > 0 ? "cpus" : "cpu_period_us");
  }
  if (bandwidth.quota_us != 0) {
    absl::Status status = dir.Write("cpu.cfs_quota_us", absl::StrCat(bandwidth.quota_us));
    if (!status.ok()) return FieldStatus(status, r.cpus() > 0 ? "cpus" : "cpu_quota_us");
  }
  if (r.cpu_shares() != 0) {
    absl::Status status = dir.Write("cpu.shares", absl::StrCat(r.cpu_shares()));
    if (!status.ok()) return FieldStatus(status, "cpu_shares");
  }
  return absl::OkStatus();
}

absl::Status ApplyV2(const CgroupDir& dir, const spec::Resources& r) {
  Bandwidth bandwidth = RequestedBandwidth(r);
  if (bandwidth.quota_us != 0 || bandwidth.period_us != 0) {
    // cpu.max takes "$MAX $PERIOD"; a lone "$MAX" keeps the period.
    std::string quota = bandwidth.quota_us > 0 ? absl::StrCat(bandwidth.quota_us) : "max";
    std::string value = bandwidth.period_us != 0
                            ? absl::StrCat(quota, " ", bandwidth.period_us)
                            : quota;
    absl::Status status = dir.Write("cpu.max", value);
    if (!status.ok()) {
      return FieldStatus(status, r.cpus() > 0 ? "cpus" : "cpu_quota_us");
    }
  }
  if (r.cpu_shares() != 0) {
    absl::Status status =
        dir.Write("cpu.weight", absl::StrCat(CpuSharesToWeight(r.cpu_shares())));
    if (!status.ok()) return FieldStatus(status, "cpu_shares");
  }
  return absl::OkStatus();
}

void ReadV2Max(const CgroupDir& dir, spec::EnforcementReceipt* receipt) {
  absl::StatusOr<std::string> max = dir.Read("cpu.max");
  if (!max.ok()) return;
  std::vector<absl::string_view> words =
      absl::StrSplit(*max, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  int64_t quota, period;
  if (words.size() != 2 || !absl::SimpleAtoi(words[1], &period)) return;
  if (words[0] == "max") {
    quota = -1;
  } else if (!absl::SimpleAtoi(words[0], &quota)) {
    return;
  }
  receipt->set_cpu_quota_us(quota);
  receipt->set_cpu_period_us(period);
}

void SetDuration(int64_t nanos, google::protobuf::Duration* out) {
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

}  // namespace

uint64_t CpuSharesToWeight(uint64_t shares) {
  return 1 + ((shares - 2) * 9999) / 262142;
}

absl::Status ApplyCpu(const ControllerDirs& dirs, const spec::Resources& r) {
  if (dirs.cpu == nullptr) return absl::OkStatus();
  return dirs.version == Version::kV1 ? ApplyV1(*dirs.cpu, r) : ApplyV2(*dirs.cpu, r);
}

void ReadCpuReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt) {
  if (dirs.cpu == nullptr) return;
  const CgroupDir& dir = *dirs.cpu;
  if (dirs.version == Version::kV2) {
    ReadV2Max(dir, receipt);
    absl::StatusOr<int64_t> weight = dir.ReadInt("cpu.weight");
    if (weight.ok()) receipt->set_cpu_weight(*weight);
    return;
  }
  absl::StatusOr<int64_t> quota = dir.ReadInt("cpu.cfs_quota_us");
  if (quota.ok()) receipt->set_cpu_quota_us(*quota);
  absl::StatusOr<int64_t> period = dir.ReadInt("cpu.cfs_period_us");
  if (period.ok()) receipt->set_cpu_period_us(*period);
  absl::StatusOr<int64_t> shares = dir.ReadInt("cpu.shares");
  if (shares.ok()) receipt->set_cpu_shares(*shares);
}

void ReadCpuAccounting(const ControllerDirs& dirs, spec::Accounting* accounting) {
  bool v1 = dirs.version == Version::kV1;
  if (dirs.cpu != nullptr) {
    absl::StatusOr<KeyedValues> stat = dirs.cpu->ReadKeyed("cpu.stat");
    if (stat.ok()) {
      accounting->set_cpu_periods((*stat)["nr_periods"]);
      accounting->set_cpu_throttled_periods((*stat)["nr_throttled"]);
      int64_t throttled_ns = v1 ? (*stat)["throttled_time"] : (*stat)["throttled_usec"] * 1000;
      SetDuration(throttled_ns, accounting->mutable_cpu_throttled_time());
      if (!v1) {
        SetDuration((*stat)["user_usec"] * 1000, accounting->mutable_cpu_user_time());
        SetDuration((*stat)["system_usec"] * 1000, accounting->mutable_cpu_system_time());
      }
    }
  }
  if (v1 && dirs.cpuacct != nullptr) {
    absl::StatusOr<int64_t> user = dirs.cpuacct->ReadInt("cpuacct.usage_user");
    if (user.ok()) SetDuration(*user, accounting->mutable_cpu_user_time());
    absl::StatusOr<int64_t> system = dirs.cpuacct->ReadInt("cpuacct.usage_sys");
    if (system.ok()) SetDuration(*system, accounting->mutable_cpu_system_time());
    return;
  }
  if (dirs.tracker != nullptr) {
    absl::StatusOr<KeyedValues> stat = dirs.tracker->ReadKeyed("cpu.stat");
    if (stat.ok() && stat->count("user_usec") > 0 && stat->count("system_usec") > 0) {
      SetDuration((*stat)["user_usec"] * 1000, accounting->mutable_cpu_user_time());
      SetDuration((*stat)["system_usec"] * 1000, accounting->mutable_cpu_system_time());
    }
  }
}

void KeepCpuAccountingOpen(const ControllerDirs& dirs) {
  if (dirs.cpu != nullptr) dirs.cpu->KeepOpen("cpu.stat");
  if (dirs.version == Version::kV1 && dirs.cpuacct != nullptr) {
    dirs.cpuacct->KeepOpen("cpuacct.usage_user");
    dirs.cpuacct->KeepOpen("cpuacct.usage_sys");
    return;
  }
  if (dirs.tracker != nullptr) dirs.tracker->KeepOpen("cpu.stat");
}

}  // namespace pycontain::cgroup
