#include "lib/ns/child.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/base/child_report.h"

namespace pycontain::ns {
namespace {

// Writes the failed step and errno, then exits. Status 127 matches a shell's
// "command could not be run"; the parent reads the report, not the status.
[[noreturn]] void Fail(int report_fd, int32_t step) {
  WriteChildReport(report_fd, step, errno);
  _exit(127);
}

const char* OrNull(const std::string& text) {
  return text.empty() ? nullptr : text.c_str();
}

// Returns 0 or -1 with errno set, like the system calls it makes.
int CarryOut(const RootfsStep& step) {
  switch (step.kind) {
    case RootfsStep::Kind::kMount:
      return mount(OrNull(step.source), step.target.c_str(), OrNull(step.fstype),
                   step.flags, OrNull(step.data));
    case RootfsStep::Kind::kMakeDirectory:
      if (mkdir(step.target.c_str(), step.mode) == 0 || errno == EEXIST) return 0;
      return -1;
    case RootfsStep::Kind::kMakeFile: {
      int fd = open(step.target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                    0644);
      if (fd < 0) return -1;
      close(fd);
      return 0;
    }
    case RootfsStep::Kind::kMakeDevice:
      if (mknod(step.target.c_str(), S_IFCHR | step.mode, step.device) != 0) {
        return -1;
      }
      // mknod applies the umask; the device's mode must be exact.
      return chmod(step.target.c_str(), step.mode);
    case RootfsStep::Kind::kSymlink:
      if (symlink(step.source.c_str(), step.target.c_str()) == 0 || errno == EEXIST) {
        return 0;
      }
      return -1;
    case RootfsStep::Kind::kDetach:
      return umount2(step.target.c_str(), MNT_DETACH);
    case RootfsStep::Kind::kReadOnlyRecursive: {
      struct mount_attr attr = {};
      attr.attr_set = MOUNT_ATTR_RDONLY;
      return static_cast<int>(syscall(SYS_mount_setattr, AT_FDCWD,
                                      step.target.c_str(), AT_RECURSIVE, &attr,
                                      sizeof(attr)));
    }
    case RootfsStep::Kind::kAttachMount:
      return move_mount(step.fd, "", AT_FDCWD, step.target.c_str(),
                        MOVE_MOUNT_F_EMPTY_PATH);
  }
  errno = EINVAL;
  return -1;
}

int BringUpLoopback() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq request = {};
  memcpy(request.ifr_name, "lo", 3);
  int result = ioctl(fd, SIOCGIFFLAGS, &request);
  if (result == 0) {
    request.ifr_flags |= IFF_UP | IFF_RUNNING;
    result = ioctl(fd, SIOCSIFFLAGS, &request);
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return result;
}

// Only "rdonly" changes, so locked flags such as nosuid, which a user
// namespace may not clear, stay as they are.
int RemountRootReadOnly() {
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof(attr)) == 0) {
    return 0;
  }
  if (errno != ENOSYS) return -1;
  // Before Linux 5.12.
  return mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
}

void EnterNewRoot(const ChildPlan& plan, int report_fd) {
  if (chdir(plan.new_root.c_str()) != 0) Fail(report_fd, kStepEnterNewRoot);

  // pivot_root(".", ".") stacks the old root on top of the new one, so no
  // directory for the old root is needed inside the container.
  if (syscall(SYS_pivot_root, ".", ".") != 0) Fail(report_fd, kStepPivotRoot);
  if (umount2(".", MNT_DETACH) != 0) Fail(report_fd, kStepDetachOldRoot);
  if (chdir("/") != 0) Fail(report_fd, kStepEnterNewRoot);

  if (plan.readonly_root && RemountRootReadOnly() != 0) {
    Fail(report_fd, kStepRemountRootReadOnly);
  }
}

// glibc's setgroups, setresgid and setresuid make every thread in glibc's
// list change credentials too, and wait for each (its setxid broadcast).
// After a raw clone3 this process still has the caller's list of threads,
// which do not exist here. A thread the caller was still creating at clone
// time makes that wait endless. The raw system calls change this process alone, which
// is all there is.
int RawSetresgid(gid_t gid) { return static_cast<int>(syscall(SYS_setresgid, gid, gid, gid)); }
int RawSetresuid(uid_t uid) { return static_cast<int>(syscall(SYS_setresuid, uid, uid, uid)); }

void SwitchUser(const ChildPlan& plan, int report_fd) {
  if (plan.set_groups && syscall(SYS_setgroups, plan.additional_gids.size(),
                                 plan.additional_gids.data()) != 0) {
    Fail(report_fd, kStepSetGroups);
  }
  if (RawSetresgid(plan.gid) != 0) Fail(report_fd, kStepSetGid);
  if (RawSetresuid(plan.uid) != 0) Fail(report_fd, kStepSetUid);
}

// Moves the requested descriptors to 0, 1 and 2. They are first copied
// above 2, so a request such as "stdout from fd 2" is not clobbered.
void SetUpStdio(const ChildPlan& plan, int report_fd) {
  const int requested[3] = {plan.stdin_fd, plan.stdout_fd, plan.stderr_fd};
  int copies[3] = {-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    if (requested[i] < 0) continue;
    copies[i] = fcntl(requested[i], F_DUPFD_CLOEXEC, 3);
    if (copies[i] < 0) Fail(report_fd, kStepStdio);
  }
  for (int i = 0; i < 3; ++i) {
    if (copies[i] >= 0 && dup2(copies[i], i) < 0) Fail(report_fd, kStepStdio);
  }
}

void RunHooks(const ChildPlan& plan, ChildHook::Point point, int report_fd) {
  for (size_t i = 0; i < plan.hooks.size(); ++i) {
    const ChildHook& hook = plan.hooks[i];
    if (hook.point == point && hook.run(hook.data) != 0) {
      Fail(report_fd, kStepHookBase + static_cast<int32_t>(i));
    }
  }
}

}  // namespace

// The parent's handlers must not run here, and exec keeps both the signal
// mask and ignored signals (Python, for one, ignores SIGPIPE): the command
// starts with every signal at its default and none blocked.
void ResetSignals() {
  // The kernel's own sigaction layout: glibc's wrapper refuses the two
  // signals it reserves for itself (32 and 33), which a caller may still
  // have ignored, so the system call is made directly.
  struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    uint64_t mask;
  } action = {SIG_DFL, 0, nullptr, 0};
  for (int signal = 1; signal <= 64; ++signal) {
    if (signal == SIGKILL || signal == SIGSTOP) continue;
    syscall(SYS_rt_sigaction, signal, &action, nullptr, sizeof(action.mask));
  }
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof(none));
}

ExecArrays MakeExecArrays(const ChildPlan& plan) {
  ExecArrays arrays;
  arrays.argv.reserve(plan.args.size() + 1);
  for (const std::string& arg : plan.args) {
    arrays.argv.push_back(const_cast<char*>(arg.c_str()));
  }
  arrays.argv.push_back(nullptr);
  arrays.envp.reserve(plan.env.size() + 1);
  for (const std::string& entry : plan.env) {
    arrays.envp.push_back(const_cast<char*>(entry.c_str()));
  }
  arrays.envp.push_back(nullptr);
  return arrays;
}

void RunChild(const ChildPlan& plan, const ExecArrays& exec, bool wait_for_parent,
              int report_fd, int sync_fd, int parent_report_fd) {
  ResetSignals();

  // The container must not outlive the process that started it. The death
  // signal reaches only a child that set it before the parent died, and a
  // child that runs late (on a busy machine) sets it too late. So the child
  // also checks that the report pipe still has a reader. A dying process
  // closes its files before it signals its children, so one of the two
  // checks detects the death.
  close(parent_report_fd);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) Fail(report_fd, kStepDeathSignal);
  struct pollfd parent = {report_fd, POLLOUT, 0};
  if (poll(&parent, 1, 0) == 1 && (parent.revents & POLLERR) != 0) _exit(127);

  if (wait_for_parent) {
    char go = 0;
    ssize_t n;
    do {
      n = read(sync_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) {
      if (n == 0) errno = ECHILD;
      Fail(report_fd, kStepWaitForParent);
    }
  }
  close(sync_fd);

  // Before any mount, so that the sysfs mounted later shows the joined
  // namespace's interfaces.
  if (plan.join_network_namespace_fd >= 0 &&
      setns(plan.join_network_namespace_fd, CLONE_NEWNET) != 0) {
    Fail(report_fd, kStepJoinNetworkNamespace);
  }
  // Before the mounts too: the mqueue filesystem belongs to the IPC
  // namespace of the process that mounts it.
  if (plan.join_ipc_namespace_fd >= 0 &&
      setns(plan.join_ipc_namespace_fd, CLONE_NEWIPC) != 0) {
    Fail(report_fd, kStepJoinIpcNamespace);
  }

  // The child keeps the caller's host ids, which a user namespace's map
  // need not contain (root mapping 0 to 200000, say); it becomes the
  // namespace's root before it creates any file.
  if (plan.user_namespace &&
      (RawSetresgid(0) != 0 || RawSetresuid(0) != 0)) {
    Fail(report_fd, kStepBecomeNamespaceRoot);
  }

  // Until exec, this process runs the embedding program's code, but it is
  // the container's first process: no other process of the container exists
  // yet to open its /proc/<pid>/exe (the attack behind CVE-2019-5736).
  // Joining a running container is different, and join.cc clears the
  // dumpable flag there. Here it cannot be cleared, because it belongs to
  // the memory this child shares with the caller (launch.cc).

  if (mount(nullptr, "/", nullptr, MS_REC | (plan.root_slave ? MS_SLAVE : MS_PRIVATE),
            nullptr) != 0) {
    Fail(report_fd, kStepMakeMountsPrivate);
  }
  for (size_t i = 0; i < plan.rootfs_steps.size(); ++i) {
    const RootfsStep& step = plan.rootfs_steps[i];
    if (CarryOut(step) != 0 && !step.ignore_failure) {
      Fail(report_fd, static_cast<int32_t>(i));
    }
  }
  EnterNewRoot(plan, report_fd);

  if (!plan.hostname.empty() &&
      sethostname(plan.hostname.data(), plan.hostname.size()) != 0) {
    Fail(report_fd, kStepSetHostname);
  }
  if (plan.loopback_up && BringUpLoopback() != 0) Fail(report_fd, kStepLoopbackUp);

  RunHooks(plan, ChildHook::Point::kBeforeUserSwitch, report_fd);
  SwitchUser(plan, report_fd);
  RunHooks(plan, ChildHook::Point::kAfterUserSwitch, report_fd);
  if (chdir(plan.cwd.c_str()) != 0) Fail(report_fd, kStepChangeDirectory);

  SetUpStdio(plan, report_fd);

  // Nothing of the parent may reach the command: every descriptor above 2
  // closes at exec, the report pipe included.
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    Fail(report_fd, kStepCloseDescriptors);
  }

  RunHooks(plan, ChildHook::Point::kBeforeExec, report_fd);
  execve(plan.executable.c_str(), exec.argv.data(), exec.envp.data());
  Fail(report_fd, kStepExec);
}

}  // namespace pycontain::ns
