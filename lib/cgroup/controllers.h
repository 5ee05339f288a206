// The cgroup controllers, one file each (memory.cc, cpu.cc, cpuset.cc,
// pids.cc, io.cc, hugetlb.cc): what each writes to apply spec::Resources,
// and what it reads back for the receipt and the accounting, on cgroup v1
// and v2.
//
// Each function works on already open directories, so tests run them
// against fixture trees in a temporary directory. A controller whose
// directory is missing (not mounted, or not enabled for the subtree) writes
// nothing and reports nothing. The receipt check then names every limit
// that was requested but is not in force.
//
// Thread safety: thread-compatible; the directories are only read.
#ifndef PYCONTAIN_LIB_CGROUP_CONTROLLERS_H_
#define PYCONTAIN_LIB_CGROUP_CONTROLLERS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/cgroup/files.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cgroup {

enum class Version { kV1, kV2 };

// A container's cgroup directory per controller. On v2 every pointer is
// the same directory, or null for a controller not enabled there. Borrowed.
struct ControllerDirs {
  Version version = Version::kV2;
  const CgroupDir* memory = nullptr;
  const CgroupDir* cpu = nullptr;
  const CgroupDir* cpuacct = nullptr;  // v1 only; on v2 cpu.stat has it all
  const CgroupDir* cpuset = nullptr;
  const CgroupDir* pids = nullptr;
  const CgroupDir* io = nullptr;  // "blkio" on v1
  const CgroupDir* hugetlb = nullptr;
  // Hybrid hosts: the v2 tracking cgroup, which has no controllers but
  // whose cpu.stat counts user and system time, so no v1 cpuacct cgroup
  // is needed for the CPU time.
  const CgroupDir* tracker = nullptr;
};

// One device throttle with the device as "major:minor".
struct DeviceRate {
  std::string device;
  uint64_t rate = 0;
};

// The device throttles of spec::Resources, resolved to device numbers.
struct IoThrottles {
  std::vector<DeviceRate> read_bps;
  std::vector<DeviceRate> write_bps;
  std::vector<DeviceRate> read_iops;
  std::vector<DeviceRate> write_iops;
};

// Values at or above this read from a v1 limit file mean "no limit": the
// kernel shows PAGE_COUNTER_MAX in bytes, near INT64_MAX.
inline constexpr int64_t kV1Unlimited = int64_t{1} << 62;

// Conversions the OCI runtimes use from v1 scales to v2's.
uint64_t CpuSharesToWeight(uint64_t shares);
uint32_t BlkioWeightToIoWeight(uint32_t weight);

// Each Apply function writes the requested limits of its controller and
// returns the first write the kernel rejected, naming the Resources field.
absl::Status ApplyMemory(const ControllerDirs& dirs, const spec::Resources& resources);
absl::Status ApplyCpu(const ControllerDirs& dirs, const spec::Resources& resources);
absl::Status ApplyCpuset(const ControllerDirs& dirs, const spec::Resources& resources);
absl::Status ApplyPids(const ControllerDirs& dirs, const spec::Resources& resources);
absl::Status ApplyIo(const ControllerDirs& dirs, const spec::Resources& resources,
                     const IoThrottles& throttles);
absl::Status ApplyHugetlb(const ControllerDirs& dirs, const spec::Resources& resources);

// Each Read*Receipt function fills the receipt's fields of its controller
// from what the kernel reports. Files that cannot be read leave fields
// unset.
void ReadMemoryReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt);
void ReadCpuReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt);
void ReadCpusetReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt);
void ReadPidsReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt);
void ReadIoReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt);
void ReadHugetlbReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt);

// Each Read*Accounting function fills what its controller measured.
void ReadMemoryAccounting(const ControllerDirs& dirs, spec::Accounting* accounting);
void ReadCpuAccounting(const ControllerDirs& dirs, spec::Accounting* accounting);
void ReadPidsAccounting(const ControllerDirs& dirs, spec::Accounting* accounting);

// Each Keep*AccountingOpen function opens the files its Read*Accounting
// reads and keeps them open (CgroupDir::KeepOpen), so that reading the
// accounting when the container exits costs no opens.
void KeepMemoryAccountingOpen(const ControllerDirs& dirs);
void KeepCpuAccountingOpen(const ControllerDirs& dirs);
void KeepPidsAccountingOpen(const ControllerDirs& dirs);

// Reads a limit: "max" and v1's near-INT64_MAX values become -1.
absl::StatusOr<int64_t> ReadLimit(const CgroupDir& dir, absl::string_view name);

// Returns `status` with "resources.<field>: " in front.
absl::Status FieldStatus(const absl::Status& status, absl::string_view field);

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_CONTROLLERS_H_
