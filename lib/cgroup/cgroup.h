// Cgroup: the owner of one container's cgroup, on cgroup v2, v1 and hybrid
// hosts alike.
//
//   CgroupOptions options;
//   options.id = "c1";
//   options.resources.set_memory_bytes(64 << 20);
//   absl::StatusOr<Cgroup> cgroup = Cgroup::Create(options);
//   if (!cgroup.ok()) ...  // "resources.memory_swap_bytes: 8m is below ..."
//   LaunchOptions launch;
//   launch.cgroup_fd = cgroup->clone_fd();  // v2 and hybrid: CLONE_INTO_CGROUP
//   launch.before_setup = [&](pid_t pid) { return cgroup->Attach(pid); };
//   ...
//   absl::StatusOr<spec::Accounting> used = cgroup->ReadAccounting();
//
// Create validates the resources, creates <hierarchy>/pycontain/<id> in each
// hierarchy it needs (at the top of the hierarchy, so never inside another
// tool's cgroup), writes the limits, and reads back what is in force into
// receipt(). Dropping the object kills every process in the cgroup, waits
// until it is empty and removes the directories.
//
// On hybrid hosts limits go to the v1 hierarchies and the v2 mount only
// tracks: it takes the child at clone3 and serves freeze and kill.
//
// Needs root, or rootless a writable cgroup v2 subtree (see Create).
// Placing a child through clone_fd() needs Linux 5.7 (CLONE_INTO_CGROUP).
// Thread safety: thread-compatible; one thread uses an object at a time.
#ifndef PYCONTAIN_LIB_CGROUP_CGROUP_H_
#define PYCONTAIN_LIB_CGROUP_CGROUP_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/cgroup/layout.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cgroup {

// The directory, under each hierarchy's root, that contains pycontain's
// container cgroups.
inline constexpr char kParentName[] = "pycontain";

class Backend;

struct CgroupOptions {
  // The container id, the name of the cgroup directory. Required.
  std::string id;
  spec::Resources resources;
  // The hierarchies to use. Default: DetectLayout(), read once per process.
  std::optional<CgroupLayout> layout;
  // The parent directory below each hierarchy's root; may hold slashes.
  std::string parent = kParentName;
  // Whether Create leaves the v1 hierarchies (legacy and hybrid hosts, as
  // root), their limits and the receipt to CompleteDeferred, so that a
  // caller can make them while the first process, cloned into clone_fd(),
  // sets up.
  bool defer_v1 = false;
};

class Cgroup {
 public:
  // An owner of no cgroup; valid() is false.
  Cgroup();
  Cgroup(Cgroup&& other) noexcept;
  Cgroup& operator=(Cgroup&& other) noexcept;
  // Kills what still runs in the cgroup and removes it. Failures are
  // logged as warnings. A cgroup left by a crashed owner is removed by
  // lib/container's CollectGarbage from the owner's state record.
  ~Cgroup();

  // Validates `options.resources` (InvalidArgument naming the field, before
  // anything is created), creates the cgroup and applies the limits.
  //
  // Strict mode (resources.strict_limits, default true): a requested limit
  // that the kernel rejects or does not report in force fails the call with
  // FailedPrecondition naming the field, and nothing is left. Otherwise
  // such limits are listed in receipt().not_in_force.
  //
  // Rootless (effective uid not 0) pycontain needs a cgroup v2 subtree it
  // may write: the parent of its own cgroup. Without one, Create returns
  // FailedPrecondition naming the first requested limit and how to delegate
  // a subtree, unless resources.allow_without_limits is set or no limit was
  // requested. Then it returns a Cgroup without directories (valid() false)
  // whose receipt sets without_cgroup.
  static absl::StatusOr<Cgroup> Create(const CgroupOptions& options);

  // Returns the absolute directories Create would make for `options`, in
  // every hierarchy it might use (a superset of what it makes), without
  // touching the file system beyond detecting the layout. Callers record
  // them before Create so that a crash during Create leaves nothing
  // unknown. Empty for a rootless caller without a delegated subtree.
  static absl::StatusOr<std::vector<std::string>> CandidateDirectories(
      const CgroupOptions& options);

  // False for the placeholder of a container without a cgroup.
  bool valid() const { return backend_ != nullptr; }

  // Whether Create, with options.defer_v1, left work to CompleteDeferred.
  bool HasDeferredWork() const { return deferred_resources_.has_value(); }

  // Makes the v1 cgroups that Create left, applies their limits and reads
  // the receipt, with Create's rules and errors (strict mode included).
  // Does nothing when no work was left. After an error, drop or Remove
  // the object.
  absl::Status CompleteDeferred();

  // The absolute paths of the cgroup's directories, one per hierarchy it
  // joined (v1 ones and the v2 one); empty once removed.
  std::vector<std::string> directories() const;

  // A cgroup v2 directory for clone3's CLONE_INTO_CGROUP (borrowed), or -1.
  int clone_fd() const;

  // Whether a process started in clone_fd() must still be passed to
  // Attach: on v1 hosts always, on hybrid hosts when a limit needs a v1
  // hierarchy, on v2 hosts never.
  bool NeedsAttach() const;

  // Moves `pid` into each hierarchy that clone_fd() does not cover: all of
  // them on v1 hosts, the v1 ones on hybrid hosts, none on v2 hosts. With
  // `everywhere` it also joins the clone_fd() cgroup, for processes not
  // started with it.
  absl::Status Attach(pid_t pid, bool everywhere = false);

  // Opens, on the first call, the v1 "tasks" file of every hierarchy that
  // clone_fd() does not cover (those Attach writes a pid to) and returns
  // their descriptors, owned by this object until Remove. A new process
  // joins those hierarchies itself by passing them to JoinSelf. Empty on
  // v2 hosts and on hybrid hosts without a limit. The pointer stays valid
  // while this object, or the one it is moved to, lives.
  absl::StatusOr<const std::vector<int>*> SelfAttachFiles();

  // Moves the calling thread into the cgroup of each of the `count`
  // descriptors in `files` (from SelfAttachFiles, or copies passed to a
  // child) by writing "0" to its "tasks" file. Meant for the
  // container's first process between clone() and exec(): it has a single
  // thread, so the whole process moves. Async-signal-safe and free of
  // allocation. Returns 0, or -1 with errno set.
  //
  // Why not Attach: a write of another process's pid takes the kernel's
  // cgroup_threadgroup_rwsem for writing, which first waits for an RCU
  // grace period, 12 to 15 ms measured on Linux 6.18 (2-core VM). A
  // thread that moves itself through "tasks" skips that lock (measured
  // 0.05 ms for three hierarchies); older kernels take it either way.
  static int JoinSelf(const int* files, size_t count);

  // What the kernel reported in force right after Create.
  const spec::EnforcementReceipt& receipt() const { return receipt_; }

  // Reads what the cgroup's processes used so far.
  absl::StatusOr<spec::Accounting> ReadAccounting() const;

  // Stops and resumes every process in the cgroup (v2 cgroup.freeze, Linux
  // 5.2, or the v1 freezer). Returns once the kernel reports the state.
  absl::Status Freeze();
  absl::Status Thaw();

  // Sends SIGKILL to every process in the cgroup (v2 cgroup.kill, or v1:
  // freeze, kill each, thaw) without waiting for them to exit.
  absl::Status KillAll();

  // Kills everything in the cgroup, waits up to `timeout` until it is
  // empty and removes its directories. Idempotent.
  absl::Status Remove(absl::Duration timeout = absl::Seconds(5));

 private:
  std::string id_;
  std::unique_ptr<Backend> backend_;
  spec::EnforcementReceipt receipt_;
  // The resources whose limits CompleteDeferred applies.
  std::optional<spec::Resources> deferred_resources_;
};

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_CGROUP_H_
