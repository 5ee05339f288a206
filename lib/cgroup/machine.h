// What the machine offers to cgroup limits: online CPUs and memory nodes,
// and huge page sizes, plus the CPU list syntax ("0-3,8") that cpuset files
// and Docker's --cpuset-cpus use.
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
  std::set<int> online_cpus;
  std::set<int> memory_nodes;
  // Huge page sizes as hugetlb files name them: "2MB", "1GB".
  std::set<std::string> hugepage_sizes;
};

// Reads /sys/devices/system/cpu/online, /sys/devices/system/node/has_memory
// (node 0 alone when the file is missing, as on kernels without NUMA) and
// /sys/kernel/mm/hugepages.
absl::StatusOr<Machine> ReadMachine();

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
