// Backend: what the v1 and v2 cgroup code each do for Cgroup (cgroup.h).
// Internal to lib/cgroup.
//
// Thread safety: thread-compatible.
#ifndef PYCONTAIN_LIB_CGROUP_BACKEND_H_
#define PYCONTAIN_LIB_CGROUP_BACKEND_H_

#include <sys/types.h>

#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/cgroup/controllers.h"
#include "lib/cgroup/layout.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cgroup {

// One container's cgroup in one layout. Created by CreateV1Backend or
// CreateV2Backend, after which the cgroup directories exist.
class Backend {
 public:
  virtual ~Backend() = default;

  // The directories of each controller, for Apply*, Read*Receipt and
  // Read*Accounting.
  virtual ControllerDirs dirs() const = 0;

  // A v2 cgroup directory for CLONE_INTO_CGROUP, or -1 when there is none.
  virtual int clone_fd() const = 0;

  // Whether a process started with clone_fd() must still be attached by
  // pid, because some hierarchies are not covered by it.
  virtual bool NeedsAttach() const = 0;

  // Moves `pid` into every hierarchy that clone_fd() does not cover, and
  // with `with_clone_cgroup` also into the clone_fd() one.
  virtual absl::Status Attach(pid_t pid, bool with_clone_cgroup) = 0;

  // Opens, on the first call, the v1 "tasks" file of every hierarchy that
  // clone_fd() does not cover, and returns their descriptors (owned by the
  // backend, close-on-exec). Empty where clone_fd() covers everything.
  virtual absl::StatusOr<const std::vector<int>*> SelfAttachFiles() {
    static const std::vector<int>* const kNone = new std::vector<int>();
    return kNone;
  }

  virtual absl::Status Freeze() = 0;
  virtual absl::Status Thaw() = 0;

  // Sends SIGKILL to every process in the cgroup. Returns without waiting
  // for them to exit.
  virtual absl::Status KillAll() = 0;

  // Returns whether any process is still in the cgroup.
  virtual absl::StatusOr<bool> Populated() const = 0;

  // Removes the directories; the cgroup must be empty. Idempotent.
  virtual absl::Status Remove() = 0;

  // Fills the receipt's layout and paths.
  virtual void Describe(spec::EnforcementReceipt* receipt) const = 0;

  // Whether creation left directories for CreateDeferred to make.
  virtual bool HasDeferred() const { return false; }

  // Makes the directories that creation left for later. Errors: those of
  // mkdir; the directories made so far are removed by Remove.
  virtual absl::Status CreateDeferred() { return absl::OkStatus(); }

  // The absolute paths of the cgroup's directories, one per hierarchy.
  virtual std::vector<std::string> Directories() const = 0;
};

// Controllers a container's cgroup joins: those that measure (memory, cpu,
// cpuacct, pids) always, the others only when a limit needs them.
std::set<std::string> ControllersFor(const spec::Resources& resources);

// The controllers whose limits `resources` requests, and no others. On a
// hybrid host the v2 cgroup already tracks and kills the processes, and
// joining a v1 hierarchy costs a write to cgroup.procs that waits for an
// RCU grace period (about 10 ms measured here), so only these are joined.
std::set<std::string> LimitedControllers(const spec::Resources& resources);

// Creates <mount>/<parent>/<id> on a cgroup v2 hierarchy and enables the
// `controllers` it offers for it. `parent` may hold slashes; missing
// directories are made. Errors: those of mkdir and of the writes to
// cgroup.subtree_control; nothing is left behind.
absl::StatusOr<std::unique_ptr<Backend>> CreateV2Backend(
    const std::string& mount, const std::string& parent, const std::string& id,
    const std::set<std::string>& controllers, const std::vector<std::string>& offered);

// Creates <mount>/<parent>/<id> in each v1 hierarchy that contains one of
// `controllers`, and on a hybrid host also in the v2 mount for tracking.
// With `defer`, the v1 directories are left to CreateDeferred.
absl::StatusOr<std::unique_ptr<Backend>> CreateV1Backend(
    const CgroupLayout& layout, const std::string& parent, const std::string& id,
    const std::set<std::string>& controllers, bool defer);

// Waits until `populated` returns false, checking with growing pauses.
// Errors: DeadlineExceeded after `timeout`; those of `populated`.
absl::Status WaitUntilEmpty(const Backend& backend, absl::Duration timeout);

// Makes each missing directory of `relative` below `base` (`base` itself
// when `relative` is empty), mode 0755. An existing directory is fine.
absl::Status MakeCgroupDirectories(const std::string& base, const std::string& relative);

// Makes the cgroup directory `path` (<mount>/<parent>/<id>), and the
// parent directories first when they are missing. `path` must not exist.
absl::Status MakeCgroup(const std::string& mount, const std::string& parent,
                        const std::string& path, absl::string_view log_id);

// Removes the empty cgroup directory `path`, retrying briefly while the
// kernel still reports it busy (processes that have just exited).
absl::Status RemoveCgroupDirectory(const std::string& path, absl::string_view log_id);

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_BACKEND_H_
