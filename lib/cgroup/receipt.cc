#include "lib/cgroup/receipt.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "lib/cgroup/machine.h"
#include "lib/cgroup/validate.h"

namespace pycontain::cgroup {
namespace {

using Receipt = spec::EnforcementReceipt;

std::string Shown(bool has, int64_t value) {
  if (!has) return "nothing (the kernel offers no such control here)";
  return value == -1 ? "no limit" : absl::StrCat(value);
}

class Checker {
 public:
  explicit Checker(Receipt* receipt) : receipt_(receipt) {}

  // A size in bytes, which the kernel may round down to a whole page.
  void Size(absl::string_view field, int64_t requested, bool has, int64_t actual) {
    int64_t page = sysconf(_SC_PAGESIZE);
    if (has && actual == requested) return;
    if (has && requested > 0 && actual >= 0 && actual <= requested &&
        requested - actual < page) {
      receipt_->add_adjustments(absl::StrCat("resources.", field, ": requested ", requested,
                                             ", the kernel rounded it to ", actual));
      return;
    }
    Missing(field, absl::StrCat(requested == -1 ? std::string("no limit")
                                                : absl::StrCat(requested)),
            Shown(has, actual));
  }

  void Exact(absl::string_view field, int64_t requested, bool has, int64_t actual) {
    if (has && actual == requested) return;
    Missing(field, requested == -1 ? std::string("no limit") : absl::StrCat(requested),
            Shown(has, actual));
  }

  void List(absl::string_view field, const std::string& requested, const std::string& actual) {
    absl::StatusOr<std::set<int>> want = ParseCpuList(requested);
    absl::StatusOr<std::set<int>> have = ParseCpuList(actual);
    if (want.ok() && have.ok() && !actual.empty() && *want == *have) return;
    Missing(field, requested, actual.empty() ? "nothing" : actual);
  }

  void Missing(absl::string_view field, absl::string_view requested,
               absl::string_view actual) {
    problems_.push_back(absl::StrCat("resources.", field, ": requested ", requested,
                                     ", but the kernel reports ", actual));
  }

  std::vector<std::string> TakeProblems() { return std::move(problems_); }

 private:
  Receipt* receipt_;
  std::vector<std::string> problems_;
};

void CheckMemory(const spec::Resources& r, Checker& check, const Receipt& receipt) {
  if (r.memory_bytes() > 0) {
    check.Size("memory_bytes", r.memory_bytes(), receipt.has_memory_limit_bytes(),
               receipt.memory_limit_bytes());
  }
  // The implicit memory+swap (twice the memory) is Docker's default, which
  // hosts without swap accounting cannot apply; only explicit values count.
  if (r.memory_swap_bytes() != 0) {
    check.Size("memory_swap_bytes", r.memory_swap_bytes(),
               receipt.has_memory_swap_limit_bytes(), receipt.memory_swap_limit_bytes());
  }
  if (r.memory_reservation_bytes() > 0) {
    check.Size("memory_reservation_bytes", r.memory_reservation_bytes(),
               receipt.has_memory_reservation_bytes(), receipt.memory_reservation_bytes());
  }
}

void CheckCpu(const spec::Resources& r, Checker& check, const Receipt& receipt) {
  bool v2 = receipt.cgroup_layout() == Receipt::UNIFIED;
  if (r.cpus() > 0) {
    int64_t quota = std::llround(r.cpus() * kDefaultCpuPeriodUs);
    check.Exact("cpus", quota, receipt.has_cpu_quota_us(), receipt.cpu_quota_us());
    check.Exact("cpus", kDefaultCpuPeriodUs, receipt.has_cpu_period_us(),
                receipt.cpu_period_us());
  }
  if (r.cpu_quota_us() != 0) {
    check.Exact("cpu_quota_us", r.cpu_quota_us(), receipt.has_cpu_quota_us(),
                receipt.cpu_quota_us());
  }
  if (r.cpu_period_us() != 0) {
    check.Exact("cpu_period_us", r.cpu_period_us(), receipt.has_cpu_period_us(),
                receipt.cpu_period_us());
  }
  if (r.cpu_shares() != 0 && v2) {
    check.Exact("cpu_shares", CpuSharesToWeight(r.cpu_shares()), receipt.has_cpu_weight(),
                receipt.cpu_weight());
  } else if (r.cpu_shares() != 0) {
    check.Exact("cpu_shares", r.cpu_shares(), receipt.has_cpu_shares(), receipt.cpu_shares());
  }
  if (!r.cpuset_cpus().empty()) check.List("cpuset_cpus", r.cpuset_cpus(), receipt.cpuset_cpus());
  if (!r.cpuset_mems().empty()) check.List("cpuset_mems", r.cpuset_mems(), receipt.cpuset_mems());
}

void CheckThrottles(absl::string_view field, absl::string_view key,
                    const std::vector<DeviceRate>& rates, Checker& check,
                    const Receipt& receipt) {
  for (const DeviceRate& rate : rates) {
    std::string line = absl::StrCat(rate.device, " ", key, "=", rate.rate);
    if (std::find(receipt.io_throttles().begin(), receipt.io_throttles().end(), line) ==
        receipt.io_throttles().end()) {
      check.Missing(field, line, "no such throttle");
    }
  }
}

void CheckIo(const spec::Resources& r, const IoThrottles& throttles, Checker& check,
             const Receipt& receipt) {
  if (r.blkio_weight() != 0) {
    // On v2 the weight may be BFQ's (same scale) or iocost's (converted).
    bool v2 = receipt.cgroup_layout() == Receipt::UNIFIED;
    bool converted = receipt.io_weight() == BlkioWeightToIoWeight(r.blkio_weight());
    int64_t expected = v2 && converted ? receipt.io_weight() : r.blkio_weight();
    check.Exact("blkio_weight", expected, receipt.has_io_weight(), receipt.io_weight());
  }
  CheckThrottles("device_read_bps", "rbps", throttles.read_bps, check, receipt);
  CheckThrottles("device_write_bps", "wbps", throttles.write_bps, check, receipt);
  CheckThrottles("device_read_iops", "riops", throttles.read_iops, check, receipt);
  CheckThrottles("device_write_iops", "wiops", throttles.write_iops, check, receipt);
}

void CheckHugetlb(const spec::Resources& r, Checker& check, const Receipt& receipt) {
  for (int i = 0; i < r.hugepage_limits_size(); ++i) {
    const spec::HugepageLimit& limit = r.hugepage_limits(i);
    std::string line = absl::StrCat(limit.page_size(), "=", limit.limit_bytes());
    if (std::find(receipt.hugetlb_limits().begin(), receipt.hugetlb_limits().end(), line) ==
        receipt.hugetlb_limits().end()) {
      check.Missing(absl::StrCat("hugepage_limits[", i, "]"), line, "no such limit");
    }
  }
}

}  // namespace

std::vector<std::string> CheckReceipt(const spec::Resources& requested,
                                      const IoThrottles& throttles, Receipt* receipt) {
  Checker check(receipt);
  CheckMemory(requested, check, *receipt);
  CheckCpu(requested, check, *receipt);
  if (requested.pids_limit() > 0) {
    check.Exact("pids_limit", requested.pids_limit(), receipt->has_pids_limit(),
                receipt->pids_limit());
  }
  CheckIo(requested, throttles, check, *receipt);
  CheckHugetlb(requested, check, *receipt);
  return check.TakeProblems();
}

}  // namespace pycontain::cgroup
