// CollectGarbage: removes what containers leave behind when the process
// that owns them dies without cleaning up (SIGKILL, a crash, a reboot).
//
//   absl::StatusOr<GcReport> report = pycontain::container::CollectGarbage();
//   for (const std::string& id : report->containers) ...  // removed
//
// Every container has a record in its state directory (record.h) naming its
// owner: boot id, pid and the pid's start time. For each record whose owner
// is dead, CollectGarbage kills what still runs in the container's cgroups,
// removes those cgroups in every hierarchy, detaches mounts below the state
// directory and removes the directory. Containers of live owners are kept.
// A record of an earlier boot loses only its state directory, because
// pids and cgroups of its names now belong to this boot. A state directory
// without a record (its owner was killed between claiming the id and
// saving the record, when it had made no cgroup yet) is removed once it is
// older than GcOptions::orphan_min_age.
// Then it marks managed containers (managed.h) whose monitor died as
// exited, and removes those created with auto_remove.
// Then it removes the anonymous volumes of `run --rm` containers that are
// gone (volume.h). Then it runs the network layer's gc
// (net::NetworkHost::CollectGarbage)
// when the state root has network records. Last, it removes empty cgroup
// directories under pycontain's parent whose id has no state directory,
// such as those left by crashes of versions that kept no record. It skips
// those that a process has open (a live Cgroup object of another state
// root does) and those younger than GcOptions::orphan_min_age.
//
// NOTE: a container whose owner removed its record but failed to remove a
// cgroup (processes that survived SIGKILL for 5 s) is found only by the
// orphan scan, and only once that cgroup is empty.
//
// The container's processes themselves do not outlive their owner: the
// first process has PR_SET_PDEATHSIG set to SIGKILL (lib/ns/child.cc).
//
// Thread safety: thread-safe; two concurrent calls may both report an
// object that one of them removed.
#ifndef PYCONTAIN_LIB_CONTAINER_GC_H_
#define PYCONTAIN_LIB_CONTAINER_GC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/cgroup/cgroup.h"

namespace pycontain::container {

struct GcOptions {
  // The state root to collect in; empty: StateRoot().
  std::string state_root;
  // The cgroup parent directory whose orphan subdirectories are removed.
  std::string cgroup_parent = cgroup::kParentName;
  // A cgroup directory without a state directory, and a state directory
  // without a record, are removed only when they are at least this old (by
  // the inode's change time), so that a container still starting is not
  // touched. A negative value skips both.
  absl::Duration orphan_min_age = absl::Seconds(60);
};

// The objects CollectGarbage removed and the containers it kept.
struct GcReport {
  // Ids of containers whose state directory was removed, each with the
  // reason: "c1 (owner pid 42 has exited)".
  std::vector<std::string> containers;
  // Absolute cgroup directories removed, of dead owners and orphans.
  std::vector<std::string> cgroups;
  // Mount points detached below removed state directories.
  std::vector<std::string> mounts;
  // From the network layer: "network/container" endpoints and links.
  std::vector<std::string> endpoints;
  std::vector<std::string> links;
  // Ids of containers whose owner still runs.
  std::vector<std::string> kept;
  // Problems that left something behind; the rest was still collected.
  std::vector<std::string> errors;
  // Managed containers (managed.h) whose monitor died, now recorded as
  // exited: "web (monitor pid 42 has exited)".
  std::vector<std::string> exited;
  // Anonymous volumes of `run --rm` containers that are gone without
  // having removed them (VolumeStore::RemoveOrphans).
  std::vector<std::string> volumes;
};

// Collects the garbage of dead owners as described above. Errors: those of
// reading the state root. A failure to remove one object is listed in
// GcReport::errors instead, so that one stuck object does not keep the rest.
absl::StatusOr<GcReport> CollectGarbage(const GcOptions& options);
absl::StatusOr<GcReport> CollectGarbage();

// Collects what container `id` left in `state_root` (empty: StateRoot())
// when its owner is dead, as CollectGarbage does for each dead owner, and
// adds it to `report`. A missing state directory is no error. Errors:
// FailedPrecondition when the owner still runs; Internal when something
// was left (the reasons are in report.errors).
absl::Status CollectDeadContainer(const std::string& state_root, const std::string& id,
                                  GcReport& report);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_GC_H_
