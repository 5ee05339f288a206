#include "examples/cli/resource_flags.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "examples/cli/cli_text.h"
#include "lib/base/units.h"

namespace pycontain::cli {
namespace {

constexpr absl::string_view kFlags[] = {
    "--memory",           "--memory-swap",       "--memory-reservation", "--cpus",
    "--cpu-shares",       "--cpu-period",        "--cpu-quota",          "--cpuset-cpus",
    "--cpuset-mems",      "--pids-limit",        "--blkio-weight",       "--device-read-bps",
    "--device-write-bps", "--device-read-iops",  "--device-write-iops",  "-m"};

// A size, or -1 for "no limit" where Docker accepts it.
std::string ParseSize(absl::string_view flag, absl::string_view value, bool allow_unlimited,
                      int64_t* out) {
  if (allow_unlimited && value == "-1") {
    *out = -1;
    return "";
  }
  absl::StatusOr<int64_t> size = ParseByteSize(value);
  if (!size.ok()) return absl::StrCat(flag, ": ", size.status().message());
  *out = *size;
  return "";
}

// Docker's PATH:RATE, the rate a size (bps) or a count (iops).
std::string ParseThrottle(absl::string_view flag, absl::string_view value, bool bytes,
                          spec::DeviceThrottle* throttle) {
  size_t colon = value.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::StrCat(flag, ": expected DEVICE:RATE, such as /dev/sda:1mb, got \"", value,
                        "\"");
  }
  throttle->set_path(std::string(value.substr(0, colon)));
  absl::string_view rate = value.substr(colon + 1);
  uint64_t number;
  if (bytes) {
    absl::StatusOr<int64_t> size = ParseByteSize(rate);
    if (!size.ok()) return absl::StrCat(flag, ": ", size.status().message());
    number = static_cast<uint64_t>(*size);
  } else if (!absl::SimpleAtoi(rate, &number)) {
    return absl::StrCat(flag, ": the rate must be a whole number, got \"", rate, "\"");
  }
  throttle->set_rate(number);
  return "";
}

template <typename Int>
std::string ParseInteger(absl::string_view flag, absl::string_view value, Int* out) {
  if (absl::SimpleAtoi(value, out)) return "";
  return absl::StrCat(flag, ": expected a whole number, got \"", value, "\"");
}

}  // namespace

const char kResourceFlagsHelp[] = R"(Limits (cgroups; sizes take b, k, m, g units as Docker's):
  -m, --memory SIZE     memory limit
  --memory-swap SIZE    memory plus swap: equal to --memory for no swap, -1 for
                        unlimited swap (default: twice --memory)
  --memory-reservation SIZE
                        soft limit the kernel reclaims towards under pressure
  --cpus N              CPUs' worth of time, such as 0.5 (quota per 100ms period)
  --cpu-period US, --cpu-quota US
                        CFS period and quota in microseconds (instead of --cpus)
  --cpu-shares N        relative CPU weight, 2 to 262144 (Docker's default: 1024)
  --cpuset-cpus LIST, --cpuset-mems LIST
                        allowed CPUs and memory nodes, such as 0-1,3
  --pids-limit N        maximum number of tasks (-1: no limit)
  --blkio-weight N      relative block IO weight, 10 to 1000
  --device-read-bps DEV:SIZE, --device-write-bps DEV:SIZE
  --device-read-iops DEV:N, --device-write-iops DEV:N
                        per-device throttles, such as /dev/sda:1mb (repeatable)
  --stats               print what the container used and the limits the kernel
                        reported in force, to stderr after it exits
)";

bool IsResourceFlag(absl::string_view flag) {
  return std::find(std::begin(kFlags), std::end(kFlags), flag) != std::end(kFlags);
}

std::string ApplyResourceFlag(absl::string_view flag, absl::string_view value,
                              spec::Resources* r) {
  int64_t size = 0;
  std::string error;
  if (flag == "--memory" || flag == "-m") {
    error = ParseSize(flag, value, false, &size);
    r->set_memory_bytes(size);
  } else if (flag == "--memory-swap") {
    error = ParseSize(flag, value, true, &size);
    r->set_memory_swap_bytes(size);
  } else if (flag == "--memory-reservation") {
    error = ParseSize(flag, value, false, &size);
    r->set_memory_reservation_bytes(size);
  } else if (flag == "--cpus") {
    // Decimal digits with one point at most: SimpleAtod alone would also
    // take "0x1", "1e0" and "inf".
    bool digits = value.find_first_not_of("0123456789.") == absl::string_view::npos;
    bool one_point = std::count(value.begin(), value.end(), '.') <= 1;
    double cpus;
    if (!digits || !one_point || value == "." || !absl::SimpleAtod(value, &cpus)) {
      return absl::StrCat(flag, ": expected a number such as 0.5, got \"", value, "\"");
    }
    r->set_cpus(cpus);
  } else if (flag == "--cpu-period") {
    int64_t period;
    error = ParseInteger(flag, value, &period);
    r->set_cpu_period_us(period);
  } else if (flag == "--cpu-quota") {
    int64_t quota;
    error = ParseInteger(flag, value, &quota);
    r->set_cpu_quota_us(quota);
  } else if (flag == "--cpu-shares") {
    uint64_t shares;
    error = ParseInteger(flag, value, &shares);
    r->set_cpu_shares(shares);
  } else if (flag == "--cpuset-cpus") {
    r->set_cpuset_cpus(std::string(value));
  } else if (flag == "--cpuset-mems") {
    r->set_cpuset_mems(std::string(value));
  } else if (flag == "--pids-limit") {
    int64_t limit;
    error = ParseInteger(flag, value, &limit);
    r->set_pids_limit(limit);
  } else if (flag == "--blkio-weight") {
    uint32_t weight;
    error = ParseInteger(flag, value, &weight);
    r->set_blkio_weight(weight);
  } else if (flag == "--device-read-bps") {
    error = ParseThrottle(flag, value, true, r->add_device_read_bps());
  } else if (flag == "--device-write-bps") {
    error = ParseThrottle(flag, value, true, r->add_device_write_bps());
  } else if (flag == "--device-read-iops") {
    error = ParseThrottle(flag, value, false, r->add_device_read_iops());
  } else if (flag == "--device-write-iops") {
    error = ParseThrottle(flag, value, false, r->add_device_write_iops());
  } else {
    error = absl::StrCat("unknown option ", flag);
  }
  return error;
}

std::string ResourceFieldOf(absl::string_view flag, const spec::Resources& resources) {
  // A repeated field: the entry the flag just added.
  for (auto [name, field, size] :
       {std::tuple{"--device-read-bps", "device_read_bps", resources.device_read_bps_size()},
        std::tuple{"--device-write-bps", "device_write_bps", resources.device_write_bps_size()},
        std::tuple{"--device-read-iops", "device_read_iops", resources.device_read_iops_size()},
        std::tuple{"--device-write-iops", "device_write_iops",
                   resources.device_write_iops_size()}}) {
    if (flag == name) return size > 0 ? absl::StrCat("resources.", field, "[", size - 1, "]") : "";
  }
  absl::string_view field = ResourceFieldSetBy(flag);
  return field.empty() ? "" : absl::StrCat("resources.", field);
}

std::string FormatStats(const spec::RunResult& result) {
  std::string text;
  auto seconds = [](const google::protobuf::Duration& d) {
    return absl::StrFormat("%.3fs", d.seconds() + d.nanos() / 1e9);
  };
  const spec::Accounting& a = result.accounting();
  if (a.has_memory_peak_bytes()) {
    absl::StrAppend(&text, "memory peak: ", FormatByteSize(a.memory_peak_bytes()), "\n");
  }
  absl::StrAppend(&text, "cpu user: ", seconds(a.cpu_user_time()), "\n");
  absl::StrAppend(&text, "cpu system: ", seconds(a.cpu_system_time()), "\n");
  if (a.has_pids_peak()) absl::StrAppend(&text, "pids peak: ", a.pids_peak(), "\n");
  // The OOM and limit counts come from the same cgroup as the peak. Without
  // a memory cgroup (no --memory on a hybrid host), nothing measured them.
  if (a.has_memory_peak_bytes()) {
    absl::StrAppend(&text, "oom kills: ", a.oom_kill_count(),
                    a.oom_killed() ? " (the command was OOM-killed)" : "", "\n");
    absl::StrAppend(&text, "memory limit hits: ", a.memory_limit_hits(), "\n");
  }
  absl::StrAppend(&text, "cpu throttled: ", a.cpu_throttled_periods(), " of ",
                  a.cpu_periods(), " periods, ", seconds(a.cpu_throttled_time()), "\n");

  const spec::EnforcementReceipt& r = result.receipt();
  absl::StrAppend(&text, "cgroup: ",
                  spec::EnforcementReceipt::CgroupLayout_Name(r.cgroup_layout()), " ",
                  r.cgroup_path(), "\n");
  auto limit = [](bool has, int64_t value) {
    if (!has) return std::string("unknown");
    return value == -1 ? std::string("none") : absl::StrCat(value);
  };
  absl::StrAppend(&text, "in force: memory ", limit(r.has_memory_limit_bytes(),
                                                    r.memory_limit_bytes()),
                  ", memory+swap ",
                  limit(r.has_memory_swap_limit_bytes(), r.memory_swap_limit_bytes()),
                  ", pids ", limit(r.has_pids_limit(), r.pids_limit()), ", cpu quota ",
                  r.has_cpu_quota_us() && r.cpu_quota_us() >= 0
                      ? absl::StrCat(r.cpu_quota_us(), "us per ", r.cpu_period_us(), "us")
                      : limit(r.has_cpu_quota_us(), r.cpu_quota_us()),
                  "\n");
  for (const std::string& line : r.not_in_force()) {
    absl::StrAppend(&text, "not in force: ", line, "\n");
  }
  for (const std::string& line : r.adjustments()) {
    absl::StrAppend(&text, "adjusted: ", line, "\n");
  }
  return text;
}

}  // namespace pycontain::cli
