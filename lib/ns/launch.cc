#include "lib/ns/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
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
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid < 0) return ErrnoError(errno, "clone3 the container's first process");
  if (pid == 0) {
    RunChild(plan, exec, wait_for_parent, report->write.get(), sync->read.get());
  }

  ChildProcess child(static_cast<pid_t>(pid), UniqueFd(pidfd));
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

  absl::Status status = AwaitExec(plan, report->read.get(), child);
  if (!status.ok()) return status;
  return child;
}

}  // namespace pycontain::ns
