#include "lib/container/container.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/fd_passing.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/cgroup/validate.h"
#include "lib/container/prepare.h"
#include "lib/container/record.h"
#include "lib/container/sysctl.h"
#include "lib/ns/join.h"
#include "lib/ns/launch.h"
#include "lib/ns/netns_pool.h"

namespace pycontain::container {
namespace {

void SetDuration(absl::Duration value, google::protobuf::Duration* out) {
  int64_t nanos = absl::ToInt64Nanoseconds(value);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

// A child hook: the child enters a new cgroup namespace once the parent has
// placed it in its cgroups, so /proc/self/cgroup inside shows "/" in
// every hierarchy, v1 ones included (clone3's CLONE_NEWCGROUP took the
// namespace's root from the caller's v1 cgroups).
int EnterCgroupNamespace(const void*) { return unshare(CLONE_NEWCGROUP); }

// Makes a cgroup's v1 hierarchies (Cgroup::CompleteDeferred) in the parent
// while the first process sets up its root, then passes their "tasks"
// files to that process. The parent would otherwise only wait for the
// child's exec, so the mkdir calls and the limit writes cost the start
// nothing when they take less time than the child's mounts.
//
// The child joins by writing "0" to each file itself (Cgroup::JoinSelf
// explains why that is far cheaper than the parent writing its pid). The files
// cannot be opened before clone, because the directories do not exist
// yet, and the child's descriptor table is its own from clone on, so they
// travel over a socket pair.
class CgroupCompletion {
 public:
  CgroupCompletion() = default;
  CgroupCompletion(const CgroupCompletion&) = delete;
  CgroupCompletion& operator=(const CgroupCompletion&) = delete;

  // Adds the child hook that receives the files to `plan`, first of all
  // hooks, and the parent's part to `launch`. `cgroup` must stay in place,
  // untouched by the caller, until Launch returns.
  absl::Status Begin(cgroup::Cgroup& cgroup, ns::ChildPlan& plan, ns::LaunchOptions& launch) {
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
      return ErrnoError(errno, "create socket pair", "cgroup files");
    }
    ours_.reset(sockets[0]);
    child_end_.reset(sockets[1]);
    child_socket_ = sockets[1];
    ns::ChildHook hook;
    hook.point = ns::ChildHook::Point::kBeforeUserSwitch;
    hook.run = &JoinSentCgroups;
    hook.data = &child_socket_;
    hook.description = "join the container's cgroup v1 hierarchies";
    // First, so that the limits hold from then on. The cgroup namespace
    // must be entered after it.
    plan.hooks.insert(plan.hooks.begin(), std::move(hook));
    launch.while_child_sets_up = [this, &cgroup](pid_t) { status_ = CompleteAndSend(cgroup); };
    return absl::OkStatus();
  }

  // Returns the error of the parent's part, or OK (also when Launch failed
  // before it ran). Call after Launch.
  absl::Status Finish() {
    child_end_.reset();
    return status_;
  }

 private:
  absl::Status CompleteAndSend(cgroup::Cgroup& cgroup) {
    absl::Status status = cgroup.CompleteDeferred();
    absl::StatusOr<const std::vector<int>*> files =
        status.ok() ? cgroup.SelfAttachFiles() : status;
    if (files.ok()) {
      char ready = 1;
      if (SendDescriptors(ours_.get(), &ready, 1, (*files)->data(), (*files)->size()) != 0) {
        status = ErrnoError(errno, "send the cgroup v1 files to the container's first process");
      }
    } else {
      status = files.status();
    }
    // On failure the child, waiting or not yet there, reads the end of
    // the socket and fails. A shutdown reaches it even though it has its
    // own copy of this end, and closing would not. The child cannot close
    // that copy itself: by the time of the clone, the number may name
    // another descriptor.
    if (!status.ok()) shutdown(ours_.get(), SHUT_RDWR);
    return status;
  }

  // The child hook: receives the "tasks" files and writes "0" to each. Only
  // system calls, no allocation.
  static int JoinSentCgroups(const void* data) {
    int socket = *static_cast<const int*>(data);
    char ready = 0;
    int files[kMaxPassedDescriptors];
    size_t count = 0;
    ssize_t received =
        ReceiveDescriptors(socket, &ready, 1, files, kMaxPassedDescriptors, &count);
    int result = -1;
    if (received == 1 && ready == 1) {
      result = cgroup::Cgroup::JoinSelf(files, count);
    } else if (received >= 0) {
      errno = ECANCELED;  // the parent failed to make them
    }
    int saved = errno;
    for (size_t i = 0; i < count; ++i) close(files[i]);
    errno = saved;
    return result;
  }

  UniqueFd ours_;
  UniqueFd child_end_;
  int child_socket_ = -1;
  absl::Status status_;
};

absl::StatusOr<cgroup::Cgroup> CreateCgroup(const spec::ContainerSpec& spec,
                                            PreparedContainer& prepared,
                                            ns::LaunchOptions& launch) {
  cgroup::CgroupOptions options;
  options.id = prepared.id;
  options.resources = spec.resources();
  options.defer_v1 = true;
  absl::StatusOr<cgroup::Cgroup> cgroup = cgroup::Cgroup::Create(options);
  if (!cgroup.ok() || !cgroup->valid()) return cgroup;

  launch.cgroup_fd = cgroup->clone_fd();
  if (prepared.plan.namespace_flags & CLONE_NEWCGROUP) {
    ns::ChildHook hook;
    hook.point = ns::ChildHook::Point::kBeforeUserSwitch;
    hook.run = &EnterCgroupNamespace;
    hook.description = "enter a new cgroup namespace";
    prepared.plan.hooks.push_back(std::move(hook));
  }
  return cgroup;
}

// Gives the container a network namespace made ahead of time by lib/ns's
// pool in place of CLONE_NEWNET, which takes the namespace's creation off
// the start path. The child joins it only after the parent's setup, so
// this serves only containers whose setup in the parent does not touch the
// child's network namespace: no network to attach and no sysctls. A pooled
// namespace belongs to the caller's user namespace, so a container with a
// user namespace of its own cannot join it. Returns the namespace's owner,
// which must stay open until Launch returns.
UniqueFd UsePooledNetworkNamespace(const spec::ContainerSpec& spec,
                                   PreparedContainer& prepared) {
  ns::ChildPlan& plan = prepared.plan;
  if ((plan.namespace_flags & CLONE_NEWNET) == 0 || plan.user_namespace ||
      prepared.network.has_value() || plan.join_network_namespace_fd >= 0 ||
      !spec.sysctls().empty()) {
    return UniqueFd();
  }
  UniqueFd fresh = ns::TakeFreshNetworkNamespace();
  if (!fresh.valid()) return fresh;
  plan.namespace_flags &= ~static_cast<uint64_t>(CLONE_NEWNET);
  plan.join_network_namespace_fd = fresh.get();
  // The pool brought loopback up.
  plan.loopback_up = false;
  Logf(LogLevel::kDebug, prepared.id, "join a network namespace from the pool");
  return fresh;
}

// Runs the security layer's parent work (seccomp learning, the listener
// hand-off) after any other before_setup.
void AddSecurityParentSetup(security::PreparedSecurity* security,
                            ns::LaunchOptions& launch) {
  if (!security->needs_parent_setup()) return;
  auto previous = std::move(launch.before_setup);
  launch.before_setup = [previous, security](pid_t pid) -> absl::Status {
    if (previous) {
      absl::Status status = previous(pid);
      if (!status.ok()) return status;
    }
    return security->ParentSetup(pid);
  };
}

// Sets spec.sysctls inside the child's namespaces after any other
// before_setup. The spec outlives Launch.
void AddSysctlSetup(const spec::ContainerSpec& spec, ns::LaunchOptions& launch) {
  if (spec.sysctls().empty()) return;
  auto previous = std::move(launch.before_setup);
  launch.before_setup = [previous, &spec](pid_t pid) -> absl::Status {
    if (previous) {
      absl::Status status = previous(pid);
      if (!status.ok()) return status;
    }
    return ApplySysctls(spec, pid);
  };
}

// Attaches the container to its named network after any other
// before_setup, while the child waits before its first mount.
void AddNetworkSetup(std::optional<PreparedNetwork>& prepared,
                     std::optional<ContainerNetwork>& attached,
                     ns::LaunchOptions& launch) {
  if (!prepared.has_value()) return;
  auto previous = std::move(launch.before_setup);
  launch.before_setup = [previous, &prepared, &attached](pid_t pid) -> absl::Status {
    if (previous) {
      absl::Status status = previous(pid);
      if (!status.ok()) return status;
    }
    absl::StatusOr<ContainerNetwork> network = AttachNetwork(*prepared, pid);
    if (!network.ok()) return network.status();
    attached = std::move(*network);
    return absl::OkStatus();
  };
}

// Saves the record of a container about to get its cgroup, listing every
// cgroup directory the creation may make, so that gc finds them when the
// owner dies before the start completes.
absl::StatusOr<ContainerRecord> SaveFirstRecord(const spec::ContainerSpec& spec,
                                                PreparedContainer& prepared) {
  ContainerRecord record = NewRecord(prepared.id);
  cgroup::CgroupOptions options;
  options.id = prepared.id;
  options.resources = spec.resources();
  absl::StatusOr<std::vector<std::string>> candidates =
      cgroup::Cgroup::CandidateDirectories(options);
  if (!candidates.ok()) return candidates.status();
  for (std::string& directory : *candidates) record.add_cgroup_directories(std::move(directory));
  absl::Status status = prepared.state.SaveRecord(record);
  if (!status.ok()) return status;
  return record;
}

// Completes the record once the first process runs: its pid and the
// cgroup directories actually made.
absl::Status SaveStartedRecord(ContainerRecord& record, const cgroup::Cgroup& cgroup,
                               pid_t pid, StateDir& state) {
  record.set_pid(pid);
  record.set_pid_start_time(ProcessStartTime(pid));
  record.clear_cgroup_directories();
  for (std::string& directory : cgroup.directories()) {
    record.add_cgroup_directories(std::move(directory));
  }
  record.set_started(true);
  return state.SaveRecord(record);
}

}  // namespace

absl::StatusOr<Container> Container::Start(const spec::ContainerSpec& spec) {
  return Start(spec, StartOptions());
}

absl::StatusOr<Container> Container::Start(const spec::ContainerSpec& spec,
                                           const StartOptions& options) {
  absl::Time started = absl::Now();
  // Limits are checked against this machine before anything is created.
  absl::Status valid = cgroup::ValidateResourcesOnThisMachine(spec.resources());
  if (!valid.ok()) return valid;
  valid = ValidateSysctls(spec);
  if (!valid.ok()) return valid;
  absl::StatusOr<PreparedContainer> prepared = PrepareContainer(spec, options.layer_directory);
  if (!prepared.ok()) return prepared.status();

  absl::StatusOr<ContainerRecord> record = SaveFirstRecord(spec, *prepared);
  if (!record.ok()) return Annotate(record.status(), absl::StrCat("container ", prepared->id));
  ns::LaunchOptions launch;
  absl::StatusOr<cgroup::Cgroup> cgroup = CreateCgroup(spec, *prepared, launch);
  if (!cgroup.ok()) {
    return Annotate(cgroup.status(), absl::StrCat("container ", prepared->id));
  }
  CgroupCompletion completion;
  if (cgroup->HasDeferredWork()) {
    absl::Status begun = completion.Begin(*cgroup, prepared->plan, launch);
    if (!begun.ok()) return Annotate(begun, absl::StrCat("container ", prepared->id));
  }
  AddSecurityParentSetup(prepared->security.get(), launch);
  AddSysctlSetup(spec, launch);
  // before_setup keeps a pointer to the owner, which must not move until
  // Launch returns.
  std::optional<ContainerNetwork> network;
  AddNetworkSetup(prepared->network, network, launch);
  UniqueFd pooled_network = UsePooledNetworkNamespace(spec, *prepared);
  absl::StatusOr<ns::ChildProcess> process = ns::Launch(prepared->plan, launch);
  // The child has joined it by now, or failed; no other container gets it.
  pooled_network.reset();
  // When the completion failed, the child failed in its hook, and the
  // completion's error is the one to report.
  absl::Status completed = completion.Finish();
  if (!completed.ok()) return Annotate(completed, absl::StrCat("container ", prepared->id));
  if (!process.ok()) {
    return Annotate(process.status(), absl::StrCat("container ", prepared->id));
  }
  Logf(LogLevel::kDebug, prepared->id, "started as pid %d", process->pid());
  absl::Status saved = SaveStartedRecord(*record, *cgroup, process->pid(), prepared->state);
  if (!saved.ok()) return Annotate(saved, absl::StrCat("container ", prepared->id));
  prepared->security->AfterStart(process->pid());

  Container container;
  container.id_ = prepared->id;
  container.state_ = std::move(prepared->state);
  container.volumes_ = std::move(prepared->volumes);
  container.volumes_.Keep(spec.remove_anonymous_volumes());
  container.image_root_ = std::move(prepared->image_root);
  container.cgroup_ = std::move(*cgroup);
  container.process_ = std::move(*process);
  container.network_ = std::move(network);
  container.security_ = std::move(prepared->security);
  container.started_ = started;
  container.hostname_ = prepared->plan.hostname;
  container.set_groups_ = prepared->plan.set_groups;
  if (spec.has_timeout()) {
    container.timeout_ = absl::Seconds(spec.timeout().seconds()) +
                         absl::Nanoseconds(spec.timeout().nanos());
  }
  return container;
}

absl::StatusOr<std::vector<overlay::Change>> Container::Changes() const {
  if (!image_root_.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", id_, " has no image: only an overlay root records changes"));
  }
  if (image_root_->upper().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", id_, " runs on a copy of its image (overlayfs was not usable), "
        "which records no changes"));
  }
  return overlay::ListChanges(image_root_->upper(), image_root_->lowers());
}

std::string Container::upper_directory() const {
  return image_root_.has_value() ? image_root_->upper() : "";
}

absl::StatusOr<spec::RunResult> Container::Wait(std::optional<absl::Duration> timeout) {
  absl::StatusOr<ns::ExitStatus> status = process_.Wait(timeout);
  if (!status.ok()) return Annotate(status.status(), absl::StrCat("container ", id_));

  spec::RunResult result;
  result.set_id(id_);
  if (status->exit_code.has_value()) result.set_exit_code(*status->exit_code);
  if (status->signal.has_value()) result.set_signal(*status->signal);
  result.set_timed_out(status->timed_out);
  SetDuration(absl::Now() - started_, result.mutable_wall_time());
  SetDuration(status->user_cpu_time, result.mutable_user_cpu_time());
  SetDuration(status->system_cpu_time, result.mutable_system_cpu_time());
  result.set_max_rss_bytes(status->max_rss_bytes);
  FillCgroupResult(*status, result);
  result.mutable_receipt()->MergeFrom(security_->receipt());
  // Writes the learned profile in seccomp learning mode.
  absl::Status learned = security_->AfterExit();
  if (!learned.ok()) return Annotate(learned, absl::StrCat("container ", id_));
  if (status->timed_out) {
    Logf(LogLevel::kDebug, id_, "killed after the timeout of %s",
         absl::FormatDuration(*timeout));
  }
  return result;
}

void Container::FillCgroupResult(const ns::ExitStatus& status, spec::RunResult& result) {
  *result.mutable_receipt() = cgroup_.receipt();
  if (!cgroup_.valid()) return;
  absl::StatusOr<spec::Accounting> accounting = cgroup_.ReadAccounting();
  if (!accounting.ok()) {
    // The exit status is still worth returning; the numbers stay empty.
    Logf(LogLevel::kWarning, id_, "cannot read the cgroup's accounting: %s",
         accounting.status().message());
    return;
  }
  // The OOM killer sends SIGKILL; any other SIGKILL came from a timeout or
  // from Kill.
  accounting->set_oom_killed(status.signal == SIGKILL && !status.timed_out &&
                             !sent_sigkill_ && accounting->oom_kill_count() > 0);
  // Without CPU accounting in the cgroup (a legacy host's cgroup without
  // cpuacct), the CPU time comes from the first process's rusage.
  if (!accounting->has_cpu_user_time() && !accounting->has_cpu_system_time()) {
    *accounting->mutable_cpu_user_time() = result.user_cpu_time();
    *accounting->mutable_cpu_system_time() = result.system_cpu_time();
  }
  *result.mutable_accounting() = std::move(*accounting);
}

Container::~Container() {
  // A moved-from object owns no cgroup.
  if (!paused_ || !cgroup_.valid()) return;
  absl::Status thawed = cgroup_.Thaw();
  if (!thawed.ok()) {
    // Still worth going on: a v2 freezer lets the SIGKILL that follows
    // through, and removing the cgroup kills what is left.
    Logf(LogLevel::kWarning, id_, "cannot thaw the paused container: %s", thawed.message());
  }
}

absl::Status Container::Kill(int signal) {
  if (signal == SIGKILL) sent_sigkill_ = true;
  absl::Status status = process_.Signal(signal);
  if (!status.ok()) return Annotate(status, absl::StrCat("container ", id_));
  if (signal == SIGKILL && paused_) return Resume();
  return absl::OkStatus();
}

absl::Status Container::Pause() {
  if (!process_.running()) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id_, " is not running"));
  }
  if (paused_) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id_, " is already paused"));
  }
  absl::Status status = cgroup_.Freeze();
  if (!status.ok()) return Annotate(status, absl::StrCat("pause container ", id_));
  paused_ = true;
  Logf(LogLevel::kDebug, id_, "froze the cgroup");
  return absl::OkStatus();
}

absl::Status Container::Resume() {
  if (!paused_) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id_, " is not paused"));
  }
  absl::Status status = cgroup_.Thaw();
  if (!status.ok()) return Annotate(status, absl::StrCat("resume container ", id_));
  paused_ = false;
  Logf(LogLevel::kDebug, id_, "thawed the cgroup");
  return absl::OkStatus();
}

absl::StatusOr<ns::ChildProcess> Container::Exec(const spec::Process& process) {
  if (!process_.running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", id_, " is not running"));
  }
  if (paused_) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", id_, " is paused; resume it before exec"));
  }
  if (process.args().empty()) {
    return absl::InvalidArgumentError("process.args: a command is required");
  }
  // The container's root, reached from the host through its first process.
  std::string root = absl::StrCat("/proc/", process_.pid(), "/root");
  ns::ChildPlan plan;
  plan.set_groups = set_groups_;
  absl::Status status = PlanProcess(process, root, hostname_, plan);
  if (!status.ok()) return Annotate(status, absl::StrCat("container ", id_));

  ns::JoinPlan join;
  join.target = process_.pid();
  join.executable = plan.executable;
  join.args = plan.args;
  join.env = plan.env;
  join.cwd = plan.cwd;
  join.uid = plan.uid;
  join.gid = plan.gid;
  join.additional_gids = plan.additional_gids;
  join.set_groups = plan.set_groups;
  join.stdin_fd = plan.stdin_fd;
  join.stdout_fd = plan.stdout_fd;
  join.stderr_fd = plan.stderr_fd;
  // The command joins the container's cgroups before it execs, so that its
  // limits, its accounting, KillAll and gc cover it and everything it
  // starts. A command that has already died (ESRCH) needs no cgroup.
  join.before_exec = [this](pid_t pid) {
    absl::Status attached = cgroup_.Attach(pid, /*everywhere=*/true);
    if (!attached.ok() && ErrnoOf(attached) == ESRCH) return absl::OkStatus();
    return attached;
  };
  absl::StatusOr<ns::ChildProcess> child = ns::Join(join);
  if (!child.ok()) return Annotate(child.status(), absl::StrCat("container ", id_));
  Logf(LogLevel::kDebug, id_, "exec %s as pid %d", join.executable, child->pid());
  return child;
}

absl::StatusOr<spec::RunResult> Run(const spec::ContainerSpec& spec) {
  absl::StatusOr<spec::RunResult> result;
  {
    absl::StatusOr<Container> container = Container::Start(spec);
    if (!container.ok()) return container.status();
    result = container->Wait();
  }
  // Once the container is removed, so that making the next network
  // namespace does not compete with this run for the CPU. Containers
  // started otherwise refill the pool when a start finds it empty.
  ns::RefillNetworkNamespacePool();
  return result;
}

}  // namespace pycontain::container
