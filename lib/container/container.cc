#include "lib/container/container.h"

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/prepare.h"
#include "lib/ns/join.h"
#include "lib/ns/launch.h"

namespace pycontain::container {
namespace {

void SetDuration(absl::Duration value, google::protobuf::Duration* out) {
  int64_t nanos = absl::ToInt64Nanoseconds(value);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

}  // namespace

absl::StatusOr<Container> Container::Start(const spec::ContainerSpec& spec) {
  absl::Time started = absl::Now();
  absl::StatusOr<PreparedContainer> prepared = PrepareContainer(spec);
  if (!prepared.ok()) return prepared.status();

  absl::StatusOr<ns::ChildProcess> process = ns::Launch(prepared->plan, {});
  if (!process.ok()) {
    return Annotate(process.status(), absl::StrCat("container ", prepared->id));
  }
  Logf(LogLevel::kDebug, prepared->id, "started as pid %d", process->pid());

  Container container;
  container.id_ = prepared->id;
  container.state_ = std::move(prepared->state);
  container.process_ = std::move(*process);
  container.started_ = started;
  container.hostname_ = prepared->plan.hostname;
  container.set_groups_ = prepared->plan.set_groups;
  if (spec.has_timeout()) {
    container.timeout_ = absl::Seconds(spec.timeout().seconds()) +
                         absl::Nanoseconds(spec.timeout().nanos());
  }
  return container;
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
  if (status->timed_out) {
    Logf(LogLevel::kDebug, id_, "killed after the timeout of %s",
         absl::FormatDuration(*timeout));
  }
  return result;
}

absl::Status Container::Kill(int signal) {
  return Annotate(process_.Signal(signal), absl::StrCat("container ", id_));
}

absl::StatusOr<ns::ChildProcess> Container::Exec(const spec::Process& process) {
  if (!process_.running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", id_, " is not running"));
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
  absl::StatusOr<ns::ChildProcess> child = ns::Join(join);
  if (!child.ok()) return Annotate(child.status(), absl::StrCat("container ", id_));
  Logf(LogLevel::kDebug, id_, "exec %s as pid %d", join.executable, child->pid());
  return child;
}

absl::StatusOr<spec::RunResult> Run(const spec::ContainerSpec& spec) {
  absl::StatusOr<Container> container = Container::Start(spec);
  if (!container.ok()) return container.status();
  return container->Wait();
}

}  // namespace pycontain::container
