#include "lib/ns/join.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/child_report.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/ns/child.h"

namespace pycontain::ns {
namespace {

// Step numbers of the join protocol; kJoinStarted carries the pid.
enum JoinStep : int32_t {
  kJoinStarted = 1,
  kJoinOpenTarget,
  kJoinSetns,
  kJoinClone,
  kJoinGroups,
  kJoinGid,
  kJoinUid,
  kJoinCwd,
  kJoinStdio,
  kJoinCloseDescriptors,
  kJoinExec,
  kJoinWaitForCaller,
};

constexpr std::pair<uint64_t, const char*> kNamespaceFiles[] = {
    {CLONE_NEWUSER, "user"}, {CLONE_NEWNS, "mnt"},      {CLONE_NEWPID, "pid"},
    {CLONE_NEWUTS, "uts"},   {CLONE_NEWIPC, "ipc"},     {CLONE_NEWNET, "net"},
    {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time"},
};

std::string DescribeJoinStep(const JoinPlan& plan, int32_t step) {
  switch (static_cast<JoinStep>(step)) {
    case kJoinStarted:
      return "start the command";
    case kJoinOpenTarget:
      return absl::StrCat("open process ", plan.target);
    case kJoinSetns:
      return absl::StrCat("join the namespaces of process ", plan.target);
    case kJoinClone:
      return "clone into the container's PID namespace";
    case kJoinGroups:
      return "set supplementary groups";
    case kJoinGid:
      return absl::StrCat("switch to gid ", plan.gid);
    case kJoinUid:
      return absl::StrCat("switch to uid ", plan.uid);
    case kJoinCwd:
      return absl::StrCat("change directory to ", plan.cwd, " inside the container");
    case kJoinStdio:
      return "set up stdin, stdout and stderr";
    case kJoinCloseDescriptors:
      return "close inherited file descriptors";
    case kJoinExec:
      return absl::StrCat("exec ", plan.executable);
    case kJoinWaitForCaller:
      return "wait for the caller before exec";
  }
  return absl::StrCat("unknown join step ", step);
}

[[noreturn]] void Fail(int report_fd, int32_t step) {
  WriteChildReport(report_fd, step, errno);
  _exit(127);
}

[[noreturn]] void RunJoined(const JoinPlan& plan, char* const* argv,
                            char* const* envp, int report_fd, int go_fd) {
  ResetSignals();
  if (go_fd >= 0) {
    // The caller writes one byte once its before_exec step is done, and
    // closes the pipe without writing when that step failed.
    char go = 0;
    ssize_t got;
    do {
      got = read(go_fd, &go, 1);
    } while (got < 0 && errno == EINTR);
    if (got != 1) {
      if (got == 0) errno = ECANCELED;
      Fail(report_fd, kJoinWaitForCaller);
    }
  }
  if (plan.set_groups &&
      setgroups(plan.additional_gids.size(), plan.additional_gids.data()) != 0) {
    Fail(report_fd, kJoinGroups);
  }
  if (setresgid(plan.gid, plan.gid, plan.gid) != 0) Fail(report_fd, kJoinGid);
  if (setresuid(plan.uid, plan.uid, plan.uid) != 0) Fail(report_fd, kJoinUid);
  if (chdir(plan.cwd.c_str()) != 0) Fail(report_fd, kJoinCwd);

  const int requested[3] = {plan.stdin_fd, plan.stdout_fd, plan.stderr_fd};
  for (int i = 0; i < 3; ++i) {
    if (requested[i] >= 0 && requested[i] != i && dup2(requested[i], i) < 0) {
      Fail(report_fd, kJoinStdio);
    }
  }
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    Fail(report_fd, kJoinCloseDescriptors);
  }
  execve(plan.executable.c_str(), argv, envp);
  Fail(report_fd, kJoinExec);
}

// The intermediate process: joins, then starts the command beside itself.
[[noreturn]] void RunIntermediate(const JoinPlan& plan, uint64_t flags,
                                  char* const* argv, char* const* envp,
                                  int report_fd, int go_fd) {
  prctl(PR_SET_DUMPABLE, 0);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, plan.target, 0));
  if (pidfd < 0) Fail(report_fd, kJoinOpenTarget);
  if (setns(pidfd, static_cast<int>(flags)) != 0) Fail(report_fd, kJoinSetns);
  close(pidfd);

  struct clone_args args = {};
  args.flags = CLONE_PARENT;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0) Fail(report_fd, kJoinClone);
  if (pid == 0) {
    // The process that runs the command must not outlive the caller.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    RunJoined(plan, argv, envp, report_fd, go_fd);
  }
  WriteChildReport(report_fd, kJoinStarted, static_cast<int32_t>(pid));
  _exit(0);
}

}  // namespace

absl::StatusOr<uint64_t> DifferingNamespaces(pid_t pid) {
  uint64_t flags = 0;
  for (const auto& [flag, name] : kNamespaceFiles) {
    struct stat ours, theirs;
    std::string own_path = absl::StrCat("/proc/self/ns/", name);
    std::string target_path = absl::StrCat("/proc/", pid, "/ns/", name);
    if (stat(own_path.c_str(), &ours) != 0) {
      if (errno == ENOENT) continue;  // the kernel lacks this namespace type
      return ErrnoError(errno, "stat", own_path);
    }
    if (stat(target_path.c_str(), &theirs) != 0) {
      return ErrnoError(errno, "stat", target_path);
    }
    if (ours.st_ino != theirs.st_ino || ours.st_dev != theirs.st_dev) flags |= flag;
  }
  return flags;
}

absl::StatusOr<ChildProcess> Join(const JoinPlan& plan) {
  absl::StatusOr<uint64_t> flags = DifferingNamespaces(plan.target);
  if (!flags.ok()) return flags.status();
  Logf(LogLevel::kDebug, "", "setns into process %d with flags %#x", plan.target,
       *flags);

  ChildPlan exec_plan;
  exec_plan.args = plan.args;
  exec_plan.env = plan.env;
  ExecArrays exec = MakeExecArrays(exec_plan);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "create pipe");
  UniqueFd report_read(fds[0]);
  UniqueFd report_write(fds[1]);

  // With before_exec, the command waits on this pipe until that step is
  // done.
  UniqueFd go_read, go_write;
  if (plan.before_exec) {
    if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "create pipe");
    go_read = UniqueFd(fds[0]);
    go_write = UniqueFd(fds[1]);
  }

  pid_t intermediate = fork();
  if (intermediate < 0) return ErrnoError(errno, "fork");
  if (intermediate == 0) {
    if (go_write.valid()) close(go_write.get());
    RunIntermediate(plan, *flags, exec.argv.data(), exec.envp.data(),
                    report_write.get(), go_read.valid() ? go_read.get() : -1);
  }
  report_write.reset();
  go_read.reset();
  int wait_status = 0;
  while (waitpid(intermediate, &wait_status, 0) < 0 && errno == EINTR) {
  }

  ChildReport report;
  if (ReadChildReport(report_read.get(), &report) != ReportReadResult::kReport) {
    return ErrnoError(errno == 0 ? ECHILD : errno, "start the joined process");
  }
  if (report.step != kJoinStarted) {
    return ErrnoError(report.err, DescribeJoinStep(plan, report.step));
  }
  pid_t pid = report.err;
  // The command is our child (CLONE_PARENT), so its pid cannot be reused
  // before we reap it.
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return ErrnoError(errno, "open pidfd of process", absl::StrCat(pid));
  ChildProcess child(pid, std::move(pidfd));

  if (plan.before_exec) {
    absl::Status ready = plan.before_exec(pid);
    // Dropping `child` on error kills the waiting command.
    if (!ready.ok()) return ready;
    char go = 1;
    if (write(go_write.get(), &go, 1) != 1) return ErrnoError(errno, "start the joined process");
    go_write.reset();
  }

  switch (ReadChildReport(report_read.get(), &report)) {
    case ReportReadResult::kEndOfFile:
      return child;
    case ReportReadResult::kReport:
      (void)child.Wait();
      return ErrnoError(report.err, DescribeJoinStep(plan, report.step));
    case ReportReadResult::kError:
      return ErrnoError(errno, "read the joined process's report");
  }
  return absl::InternalError("unreachable");
}

}  // namespace pycontain::ns
