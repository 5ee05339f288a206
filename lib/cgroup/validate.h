// Validation of spec::Resources against Docker's rules and this machine,
// before any cgroup is created.
//
// Every error is InvalidArgument and names the field, for example
// "resources.memory_swap_bytes: 8m is below memory_bytes 16m; memory+swap
// must be at least the memory limit (equal means no swap)".
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_CGROUP_VALIDATE_H_
#define PYCONTAIN_LIB_CGROUP_VALIDATE_H_

#include "absl/status/status.h"
#include "lib/cgroup/machine.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cgroup {

// The smallest memory limit accepted (6 MiB, Docker's minimum too): the
// container's setup must fit in it, see validate.cc.
inline constexpr int64_t kMinimumMemoryBytes = 6 << 20;

// The CFS period Docker's --cpus uses, in microseconds.
inline constexpr int64_t kDefaultCpuPeriodUs = 100000;

// Returns OK when `resources` can be applied on `machine`, else the first
// problem found.
absl::Status ValidateResources(const spec::Resources& resources, const Machine& machine);

// Validates `resources` against this machine (ReadMachine), reading the
// machine's facts only when a field needs them. Errors: those of
// ValidateResources and of ReadMachine.
absl::Status ValidateResourcesOnThisMachine(const spec::Resources& resources);

// Returns whether `resources` requests any limit at all.
bool RequestsLimits(const spec::Resources& resources);

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_VALIDATE_H_
