// The C API's exec: processes started inside a running container.
#include <signal.h>

#include <atomic>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "capi/internal.h"
#include "capi/waiter.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/ns/process.h"

namespace pycontain::capi {
absl::StatusOr<ns::ChildProcess> ExecInContainer(pycontain_container* container,
                                                 const spec::Process& process);
const std::string& ContainerId(const pycontain_container* container);
}  // namespace pycontain::capi

struct pycontain_process {
  std::string container_id;
  int pid = 0;
  absl::Time started;
  pycontain::capi::Waiter waiter;

  absl::Mutex mutex;
  pycontain::ns::ChildProcess child ABSL_GUARDED_BY(mutex);
  bool waiting ABSL_GUARDED_BY(mutex) = false;
  bool collected ABSL_GUARDED_BY(mutex) = false;
};

namespace pycontain::capi {
namespace {

void SetDuration(absl::Duration value, google::protobuf::Duration* out) {
  int64_t nanos = absl::ToInt64Nanoseconds(value);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

absl::StatusOr<spec::Process> ParseProcess(const char* process_json) {
  absl::Status status = RequireNonNull(process_json, "process_json");
  if (!status.ok()) return status;
  spec::Process process;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto parsed = google::protobuf::util::JsonStringToMessage(process_json, &process, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid process JSON: ", parsed.message().as_string()));
  }
  return process;
}

int Exec(pycontain_container* container, const char* process_json,
         const pycontain_exec_options* options, pycontain_process** out,
         pycontain_error** error) {
  pycontain_exec_options read;
  absl::Status status = RequireNonNull(container, "container");
  if (status.ok()) status = ReadOptions(options, "pycontain_exec_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, 0, "pycontain_exec_options");
  if (status.ok()) status = RequireNonNull(out, "process");
  if (!status.ok()) return Fail(status, error);
  absl::StatusOr<spec::Process> process = ParseProcess(process_json);
  if (!process.ok()) return Fail(process.status(), error);

  absl::Time started = absl::Now();
  absl::StatusOr<ns::ChildProcess> child = ExecInContainer(container, *process);
  if (!child.ok()) return Fail(child.status(), error);
  absl::StatusOr<Waiter> waiter = Waiter::Watch(child->pidfd());
  if (!waiter.ok()) return Fail(waiter.status(), error);

  auto* created = new pycontain_process;
  created->container_id = ContainerId(container);
  created->pid = child->pid();
  created->started = started;
  created->waiter = *std::move(waiter);
  absl::MutexLock lock(&created->mutex);
  created->child = *std::move(child);
  *out = created;
  return PYCONTAIN_OK;
}

absl::Status BeginWait(pycontain_process* process) {
  absl::MutexLock lock(&process->mutex);
  if (process->collected || process->waiting) {
    return absl::FailedPreconditionError(absl::StrCat(
        "process ", process->pid,
        process->collected ? " was already waited for" : " is being waited for"));
  }
  process->waiting = true;
  return absl::OkStatus();
}

spec::RunResult ToRunResult(const pycontain_process& process, const ns::ExitStatus& exit) {
  spec::RunResult result;
  result.set_id(process.container_id);
  if (exit.exit_code.has_value()) result.set_exit_code(*exit.exit_code);
  if (exit.signal.has_value()) result.set_signal(*exit.signal);
  SetDuration(absl::Now() - process.started, result.mutable_wall_time());
  SetDuration(exit.user_cpu_time, result.mutable_user_cpu_time());
  SetDuration(exit.system_cpu_time, result.mutable_system_cpu_time());
  result.set_max_rss_bytes(exit.max_rss_bytes);
  return result;
}

int Wait(pycontain_process* process, const pycontain_wait_options* options,
         pycontain_run_result** result, pycontain_error** error) {
  absl::StatusOr<WaitRequest> request = ReadWaitOptions(options, std::nullopt);
  absl::Status status = request.status();
  if (status.ok()) status = RequireNonNull(result, "result");
  if (status.ok()) status = BeginWait(process);
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<bool> exited = process->waiter.WaitForExit(request->timeout);

  absl::MutexLock lock(&process->mutex);
  process->waiting = false;
  if (!exited.ok()) return Fail(exited.status(), error);
  bool timed_out = !*exited;
  if (timed_out && !request->kill_on_timeout) {
    return Fail(absl::DeadlineExceededError(absl::StrCat(
                    "process ", process->pid, " still runs after ",
                    absl::FormatDuration(*request->timeout))),
                error);
  }
  if (timed_out) {
    // An error means that the process ended meanwhile; Wait reports how.
    process->child.Signal(SIGKILL).IgnoreError();
  }
  absl::StatusOr<ns::ExitStatus> exit = process->child.Wait(std::nullopt);
  if (!exit.ok()) return Fail(exit.status(), error);
  process->collected = true;

  spec::RunResult run = ToRunResult(*process, *exit);
  run.set_timed_out(timed_out);
  *result = NewRunResult(std::move(run));
  return PYCONTAIN_OK;
}

}  // namespace
}  // namespace pycontain::capi

using pycontain::capi::Fail;
using pycontain::capi::Guard;

extern "C" {

PYCONTAIN_API int pycontain_container_exec(pycontain_container* container,
                                           const char* process_json,
                                           const pycontain_exec_options* options,
                                           pycontain_process** process,
                                           pycontain_error** error) {
  return Guard(error, [&] {
    return pycontain::capi::Exec(container, process_json, options, process, error);
  });
}

PYCONTAIN_API void pycontain_process_destroy(pycontain_process* process) { delete process; }

PYCONTAIN_API int pycontain_process_pid(const pycontain_process* process) {
  return process == nullptr ? 0 : process->pid;
}

PYCONTAIN_API int pycontain_process_wait(pycontain_process* process,
                                         const pycontain_wait_options* options,
                                         pycontain_run_result** result,
                                         pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = pycontain::capi::RequireNonNull(process, "process");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::Wait(process, options, result, error);
  });
}

PYCONTAIN_API int pycontain_process_kill(pycontain_process* process, int signal,
                                         pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = pycontain::capi::RequireNonNull(process, "process");
    if (!status.ok()) return Fail(status, error);
    status = process->waiter.Signal(signal, absl::StrCat("process ", process->pid));
    if (!status.ok()) return Fail(status, error);
    return static_cast<int>(PYCONTAIN_OK);
  });
}

}  // extern "C"
