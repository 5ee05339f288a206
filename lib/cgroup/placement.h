// Where a container's cgroup goes. As root: <hierarchy>/pycontain/<id> at
// the top of each hierarchy, so never inside the cgroup of the tool that
// started us. Rootless: beside our own cgroup in a cgroup v2 subtree
// delegated to our uid. Internal to lib/cgroup.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_CGROUP_PLACEMENT_H_
#define PYCONTAIN_LIB_CGROUP_PLACEMENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/cgroup/backend.h"
#include "lib/cgroup/cgroup.h"

namespace pycontain::cgroup {

// Returns the delegated parent for a rootless caller, relative to the v2
// mount: the parent directory of the caller's own v2 cgroup (read from
// `proc_self_cgroup`, the text of /proc/self/cgroup) when it and its
// cgroup.procs and cgroup.subtree_control are writable. Errors:
// FailedPrecondition saying what is missing.
absl::StatusOr<std::string> DelegatedParent(const CgroupLayout& layout,
                                            absl::string_view proc_self_cgroup);

// Returns the first Resources field that requests a limit, such as
// "memory_bytes", or "" when none does.
std::string FirstRequestedLimit(const spec::Resources& resources);

// Creates the backend for `layout`. Rootless without a delegated subtree it
// returns nullptr (and sets receipt->without_cgroup) when no limit was
// requested or resources.allow_without_limits is set, and otherwise
// FailedPrecondition naming the limit and how to delegate a subtree.
absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(const CgroupLayout& layout,
                                                       const CgroupOptions& options,
                                                       spec::EnforcementReceipt* receipt);

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_PLACEMENT_H_
