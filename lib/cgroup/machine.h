// What the machine offers to cgroup limits: the CPUs the caller may run
// on, online CPUs and memory nodes, and huge page sizes, plus the CPU list
// syntax ("0-3,8") that cpuset files and Docker's --cpuset-cpus use.
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_CGROUP_MACHINE_H_
#define PYCONTAIN_LIB_CGROUP_MACHINE_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pycontain::cgroup {

struct Machine {
  // How many CPUs the calling thread may run on (its affinity mask), which
  // a container started from it inherits. Docker's daemon checks --cpus
  // against its own affinity count (moby's pkg/sysinfo NumCPU).
  int usable_cpus = 0;
  std::set<int> online_cpus;
  std::set<int> memory_nodes;
  // Huge page sizes as hugetlb files name them: "2MB", "1GB".
  std::set<std::string> hugepage_sizes;
};

// The parts of Machine that ReadMachine fills. Reading one of the files
// took 7 us back to back and up to 50 us after an idle pause on a 2-core
// VM, so a start reads only what its limits need.
enum MachinePart : unsigned {
  kUsableCpus = 1u << 0,     // sched_getaffinity
  kOnlineCpus = 1u << 1,     // /sys/devices/system/cpu/online
  kMemoryNodes = 1u << 2,    // /sys/devices/system/node/has_memory
  kHugepageSizes = 1u << 3,  // /sys/kernel/mm/hugepages
  kAllMachineParts = (1u << 4) - 1,
};

// Reads the `parts` of Machine; the others stay empty. Memory nodes are
// node 0 alone when has_memory is missing, as on kernels without NUMA.
absl::StatusOr<Machine> ReadMachine(unsigned parts = kAllMachineParts);

// Parses a list such as "0-2,4" (whitespace around it is ignored). Errors:
// InvalidArgument naming `text` for anything else, reversed ranges included.
absl::StatusOr<std::set<int>> ParseCpuList(absl::string_view text);

// Formats numbers as the shortest list of ranges: {0,1,2,4} is "0-2,4".
std::string FormatCpuList(const std::set<int>& numbers);

// Returns the hugetlb name of a page size in KiB: 2048 is "2MB", 1048576 is
// "1GB", 64 is "64KB".
std::string HugepageSizeName(uint64_t size_kib);

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_MACHINE_H_
