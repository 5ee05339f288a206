// Reclaiming cgroup directories left behind by an owner that died: killing
// what still runs in them and removing them, by path and without the
// Cgroup object that made them.
//
//   absl::Status status = ReclaimCgroup("/sys/fs/cgroup/memory/pycontain/c1");
//
// Only directories on a cgroup file system are touched; callers decide
// which ones are theirs (lib/container's CollectGarbage reads them from the
// owner's state record).
//
// Thread safety: thread-safe. Needs the rights to write cgroup.kill or to
// signal the processes, and to remove the directories.
#ifndef PYCONTAIN_LIB_CGROUP_RECLAIM_H_
#define PYCONTAIN_LIB_CGROUP_RECLAIM_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/cgroup/cgroup.h"

namespace pycontain::cgroup {

// Returns <hierarchy>/<parent> for each hierarchy that Cgroup::Create may
// use (see Cgroup::CandidateDirectories), whether or not it exists.
absl::StatusOr<std::vector<std::string>> ParentDirectories(
    absl::string_view parent = kParentName);

// Returns whether the cgroup directory `path` or any cgroup below it
// contains a process. Errors: those of reading cgroup.procs.
absl::StatusOr<bool> CgroupHasProcesses(const std::string& path);

// Sends SIGKILL to every process in the cgroup directory `path` and the
// cgroups below it, waits up to `timeout` until they are gone, and removes
// the directories from the bottom up. v2 kills through cgroup.kill (Linux
// 5.14); v1 and older kernels kill each listed pid until none is left. A
// missing `path` is no error. Errors: InvalidArgument when `path` is not on a
// cgroup file system; DeadlineExceeded when processes remain; those of
// rmdir.
absl::Status ReclaimCgroup(const std::string& path,
                           absl::Duration timeout = absl::Seconds(5));

// Removes the cgroup directory `path` and the cgroups below it, from the
// bottom up, without killing anything. Errors: FailedPrecondition when
// any of them contains a process; InvalidArgument when `path` is not on a
// cgroup file system; those of rmdir.
absl::Status RemoveEmptyCgroup(const std::string& path);

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_RECLAIM_H_
