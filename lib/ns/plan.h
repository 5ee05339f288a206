// ChildPlan: everything a container's first process does between clone()
// and exec(), decided in the parent.
//
// The parent resolves every path, formats every string and builds argv and
// envp. The child (child.h) only carries the plan out, with system calls and
// no allocation. When a step fails, the child reports the step's number and
// errno (lib/base/child_report.h), and DescribeChildStep turns the number
// back into words such as "mount proc on /srv/rootfs/proc".
#ifndef PYCONTAIN_LIB_NS_PLAN_H_
#define PYCONTAIN_LIB_NS_PLAN_H_

#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace pycontain::ns {

// One action on the container's root filesystem, before pivot_root. Paths
// are host paths, already resolved inside the root by the planner.
struct RootfsStep {
  enum class Kind {
    kMount,             // mount(source, target, fstype, flags, data)
    kMakeDirectory,     // mkdir(target, mode); an existing directory is fine
    kMakeFile,          // create an empty file (a bind mount's target)
    kMakeDevice,        // mknod(target, S_IFCHR | mode, device)
    kSymlink,           // symlink(source, target)
    kDetach,            // umount2(target, MNT_DETACH)
    kReadOnlyRecursive,  // mount_setattr(target, AT_RECURSIVE, RDONLY)
    // move_mount(fd, "", target, MOVE_MOUNT_F_EMPTY_PATH): attaches a
    // detached mount made in the parent (an overlay root, for one).
    kAttachMount
  };
  Kind kind = Kind::kMount;
  std::string source;
  std::string target;
  std::string fstype;
  std::string data;
  unsigned long flags = 0;
  mode_t mode = 0;
  dev_t device = 0;
  // kAttachMount: the detached mount (from fsmount or open_tree), borrowed;
  // it must stay open until the child has run.
  int fd = -1;
  // When set, failure is not an error: for example detaching host mounts
  // that a user namespace cannot unmount, which are then covered instead.
  bool ignore_failure = false;
};

// An action that a higher layer (security, for one) adds to the child's
// work without lib/ns depending on that layer. `run` is called between
// clone() and exec() with `data`, so it must be async-signal-safe and
// allocate nothing. It returns 0, or -1 with errno set, which fails the start
// with `description` as the failed step.
struct ChildHook {
  enum class Point {
    kBeforeUserSwitch,  // after pivot_root, hostname and loopback
    kAfterUserSwitch,   // after setresuid, before chdir and stdio
    kBeforeExec,        // the last step, after descriptors are closed
  };
  Point point = Point::kBeforeExec;
  int (*run)(const void* data) = nullptr;
  // Borrowed; must outlive the launch.
  const void* data = nullptr;
  std::string description;
};

// Failed hooks report kStepHookBase + their index in ChildPlan::hooks.
inline constexpr int32_t kStepHookBase = 100000;

// Steps outside rootfs_steps, reported with these negative numbers.
enum FixedStep : int32_t {
  kStepWaitForParent = -1,
  kStepDeathSignal = -2,
  kStepMakeMountsPrivate = -3,
  kStepEnterNewRoot = -4,
  kStepPivotRoot = -5,
  kStepDetachOldRoot = -6,
  kStepRemountRootReadOnly = -7,
  kStepSetHostname = -8,
  kStepLoopbackUp = -9,
  kStepSetGroups = -10,
  kStepSetGid = -11,
  kStepSetUid = -12,
  kStepChangeDirectory = -13,
  kStepStdio = -14,
  kStepCloseDescriptors = -15,
  kStepExec = -16,
  // -17 was a step that the parent now does itself; numbers stay unused.
  kStepBecomeNamespaceRoot = -18,
  kStepJoinNetworkNamespace = -19,
  kStepJoinIpcNamespace = -20,
};

struct ChildPlan {
  // CLONE_NEW* flags for clone3.
  uint64_t namespace_flags = 0;
  // A network namespace (an open nsfs file, borrowed) that the child joins
  // with setns right after the parent lets it go, before any other setup;
  // -1: none. Use it without CLONE_NEWNET. Joining from inside a new user
  // namespace fails with EPERM unless that namespace owns the target.
  int join_network_namespace_fd = -1;
  // An IPC namespace (an open nsfs file, borrowed) that the child joins
  // with setns right after the network namespace; -1: none. Use it
  // without CLONE_NEWIPC, and without a user namespace (EPERM there).
  int join_ipc_namespace_fd = -1;
  // A PID namespace (an open nsfs file, borrowed) to start the child in:
  // Launch makes it the calling thread's pid_for_children around clone3,
  // since setns cannot move a process into a PID namespace; -1: none. Use
  // it without CLONE_NEWPID. The /proc mounted by the child then shows
  // that namespace, and the child is not its init.
  int join_pid_namespace_fd = -1;

  // With a user namespace, the parent writes the id maps (as these exact
  // contents) while the child waits. When deny_setgroups is set, "deny" goes
  // to setgroups first, as an unprivileged caller must do.
  bool user_namespace = false;
  std::string uid_map;
  std::string gid_map;
  bool deny_setgroups = false;

  // Mount work, in order, then pivot_root into new_root.
  std::vector<RootfsStep> rootfs_steps;
  std::string new_root;
  // Remount the new root read-only after pivot_root.
  bool readonly_root = false;
  // Before the rootfs steps, make every mount a slave (MS_SLAVE | MS_REC)
  // instead of private, so that bind mounts with slave or shared
  // propagation keep receiving the host's mount events.
  bool root_slave = false;

  std::string hostname;  // empty: leave unchanged
  bool loopback_up = false;

  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  // setgroups() is not allowed after "deny" was written.
  bool set_groups = true;

  std::string cwd = "/";

  // The executable's path inside the container, and its argv and envp.
  std::string executable;
  std::vector<std::string> args;
  std::vector<std::string> env;

  // Caller descriptors to become 0, 1 and 2; -1 inherits the caller's own.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;

  std::vector<ChildHook> hooks;
};

// Returns what step `step` of `plan` does, in words, for error messages
// and the debug transcript.
std::string DescribeChildStep(const ChildPlan& plan, int32_t step);

// Returns the words for one rootfs step ("mount tmpfs on /r/tmp").
std::string DescribeRootfsStep(const RootfsStep& step);

// Returns mount flags as text ("rdonly,nosuid,bind"), for the transcript.
std::string DescribeMountFlags(unsigned long flags);

}  // namespace pycontain::ns

#endif  // PYCONTAIN_LIB_NS_PLAN_H_
