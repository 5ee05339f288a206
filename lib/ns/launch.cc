#include "lib/ns/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/base/child_report.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/ns/child.h"

namespace pycontain::ns {
namespace {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "create pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

absl::Status WriteProcFile(pid_t pid, absl::string_view name,
                           absl::string_view contents) {
  std::string path = absl::StrCat("/proc/", pid, "/", name);
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  ssize_t written = write(fd.get(), contents.data(), contents.size());
  if (written < 0) return ErrnoError(errno, "write", path);
  if (static_cast<size_t>(written) != contents.size()) {
    return ErrnoError(EIO, "write", path);
  }
  return absl::OkStatus();
}

absl::Status WriteIdMaps(const ChildPlan& plan, pid_t pid) {
  if (plan.deny_setgroups) {
    absl::Status status = WriteProcFile(pid, "setgroups", "deny");
    if (!status.ok()) return status;
  }
  Logf(LogLevel::kDebug, "", "write uid_map of %d: %s", pid, plan.uid_map);
  absl::Status status = WriteProcFile(pid, "uid_map", plan.uid_map);
  if (!status.ok()) return status;
  Logf(LogLevel::kDebug, "", "write gid_map of %d: %s", pid, plan.gid_map);
  return WriteProcFile(pid, "gid_map", plan.gid_map);
}

// The arguments of RunChildOnStack, passed through clone3.
struct ChildArguments {
  const ChildPlan* plan;
  const ExecArrays* exec;
  bool wait_for_parent;
  int report_fd;
  int sync_fd;
  int parent_report_fd;
};

int RunChildOnStack(void* data) {
  const ChildArguments* arguments = static_cast<const ChildArguments*>(data);
  RunChild(*arguments->plan, *arguments->exec, arguments->wait_for_parent,
           arguments->report_fd, arguments->sync_fd, arguments->parent_report_fd);
}

// The child's stack while it shares the caller's memory, unmapped when the
// owner goes. The lowest page is a guard page.
class ChildStack {
 public:
  static constexpr size_t kSize = 256 * 1024;

  ChildStack() {
    void* memory = mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (memory == MAP_FAILED) return;
    memory_ = memory;
    mprotect(memory_, 4096, PROT_NONE);
  }
  ~ChildStack() {
    if (memory_ != nullptr) munmap(memory_, kSize);
  }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;

  void* base() const { return memory_; }

 private:
  void* memory_ = nullptr;
};

#if defined(__x86_64__)
// Calls clone3 and, in the child, runs fn(argument) on the stack that `args`
// names, then exits with its result. Returns the child's pid, or -errno.
// The child starts with the caller's registers and the new stack pointer,
// so it cannot return into this C++ frame. It runs only the few instructions
// after the system call before fn.
long Clone3Call(struct clone_args* args, int (*fn)(void*), void* argument) {
  long result;
  register long function asm("r12") = reinterpret_cast<long>(fn);
  register long data asm("r13") = reinterpret_cast<long>(argument);
  asm volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "mov %%eax, %%edi\n\t"
      "mov %[exit], %%eax\n\t"
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "=a"(result)
      : "a"(SYS_clone3), "D"(args), "S"(sizeof(*args)), "r"(function), "r"(data),
        [exit] "i"(SYS_exit)
      : "rcx", "r11", "memory");
  return result;
}
constexpr bool kCloneSharesMemory = true;
#else
constexpr bool kCloneSharesMemory = false;
#endif

// Starts the child. Where Clone3Call exists, the child shares the caller's
// memory until it execs (CLONE_VM, as posix_spawn does), which saves
// copying the caller's page tables: about 0.5 ms on a 2-core VM, more for
// a large embedder. It runs on `stack` and touches nothing but its stack,
// so the caller's memory is only read. All signals stay blocked across the
// clone, so no handler of the caller runs in the child before RunChild
// resets them.
// NOTE: the child shares the calling thread's errno until it execs; a
// failure in both at once could report one's errno as the other's.
long StartChild(struct clone_args& args, ChildArguments& arguments, ChildStack& stack) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  long pid;
  if (kCloneSharesMemory && stack.base() != nullptr) {
    args.flags |= CLONE_VM;
    args.stack = reinterpret_cast<uint64_t>(stack.base());
    args.stack_size = ChildStack::kSize;
#if defined(__x86_64__)
    pid = Clone3Call(&args, &RunChildOnStack, &arguments);
    if (pid < 0) {
      errno = static_cast<int>(-pid);
      pid = -1;
    }
#endif
  } else {
    pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0) RunChildOnStack(&arguments);
  }
  int saved = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = saved;
  return pid;
}

// Reads the child's report: OK once it exec'd, else the failed step.
absl::Status AwaitExec(const ChildPlan& plan, int report_fd, ChildProcess& child) {
  ChildReport report;
  switch (ReadChildReport(report_fd, &report)) {
    case ReportReadResult::kEndOfFile:
      return absl::OkStatus();
    case ReportReadResult::kReport:
      // The child exits right after reporting; reap it so that the caller
      // sees nothing left.
      (void)child.Wait();
      return ErrnoError(report.err, DescribeChildStep(plan, report.step));
    case ReportReadResult::kError:
      return ErrnoError(errno, "read the container's setup report");
  }
  return absl::InternalError("unreachable");
}

// Makes `target` (a PID namespace file) the calling thread's
// pid_for_children, so that its next clone3 starts a process in that
// namespace, and returns the thread's previous pid_for_children to restore
// with LeavePidNamespace. setns changes only the calling thread's
// pid_for_children, never the PID namespace of the caller itself, and the
// kernel accepts only a descendant of the caller's own PID namespace.
absl::StatusOr<UniqueFd> EnterPidNamespaceForChildren(int target) {
  const char* own_path = "/proc/thread-self/ns/pid_for_children";
  UniqueFd own(open(own_path, O_RDONLY | O_CLOEXEC));
  if (!own.valid()) return ErrnoError(errno, "open", own_path);
  if (setns(target, CLONE_NEWPID) != 0) {
    return ErrnoError(errno, "join the PID namespace for the container's first process");
  }
  Logf(LogLevel::kDebug, "", "setns pid_for_children to the joined PID namespace");
  return own;
}

// Restores the pid_for_children that EnterPidNamespaceForChildren saved.
absl::Status LeavePidNamespace(const UniqueFd& own) {
  if (setns(own.get(), CLONE_NEWPID) != 0) {
    // The thread would start its later children in the container's PID
    // namespace; the caller must know.
    Logf(LogLevel::kError, "", "cannot restore the thread's PID namespace for children: %s",
         strerror(errno));
    return ErrnoError(errno, "restore the calling thread's PID namespace for children");
  }
  Logf(LogLevel::kDebug, "", "setns pid_for_children back to the caller's");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ChildProcess> Launch(const ChildPlan& plan,
                                    const LaunchOptions& options) {
  ExecArrays exec = MakeExecArrays(plan);
  absl::StatusOr<Pipe> report = MakePipe();
  if (!report.ok()) return report.status();
  absl::StatusOr<Pipe> sync = MakePipe();
  if (!sync.ok()) return sync.status();

  bool wait_for_parent = plan.user_namespace || options.before_setup != nullptr;
  int pidfd = -1;
  struct clone_args args = {};
  args.flags = plan.namespace_flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (options.cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(options.cgroup_fd);
  }
  Logf(LogLevel::kDebug, "", "clone3 with flags %#x", args.flags);
  ChildArguments arguments{&plan, &exec, wait_for_parent, report->write.get(),
                           sync->read.get(), report->read.get()};
  // Declared before the child's owner, so that on every error path the
  // child is killed and reaped before its stack is unmapped.
  ChildStack stack;
  absl::StatusOr<UniqueFd> own_pid_namespace = UniqueFd();
  if (plan.join_pid_namespace_fd >= 0) {
    own_pid_namespace = EnterPidNamespaceForChildren(plan.join_pid_namespace_fd);
    if (!own_pid_namespace.ok()) return own_pid_namespace.status();
  }
  long pid = StartChild(args, arguments, stack);
  int clone_errno = errno;
  absl::Status restored = absl::OkStatus();
  if (plan.join_pid_namespace_fd >= 0) restored = LeavePidNamespace(*own_pid_namespace);
  if (pid < 0) return ErrnoError(clone_errno, "clone3 the container's first process");

  ChildProcess child(static_cast<pid_t>(pid), UniqueFd(pidfd));
  if (!restored.ok()) return restored;
  report->write.reset();
  sync->read.reset();

  if (plan.user_namespace) {
    absl::Status status = WriteIdMaps(plan, child.pid());
    if (!status.ok()) return status;
  }
  if (options.before_setup) {
    absl::Status status = options.before_setup(child.pid());
    if (!status.ok()) return status;
  }
  if (wait_for_parent) {
    char go = 1;
    if (write(sync->write.get(), &go, 1) != 1) {
      return ErrnoError(errno, "resume the container's first process");
    }
  }
  sync->write.reset();
  if (options.while_child_sets_up) options.while_child_sets_up(child.pid());

  absl::Status status = AwaitExec(plan, report->read.get(), child);
  if (!status.ok()) return status;
  return child;
}

}  // namespace pycontain::ns
