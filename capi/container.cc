// The C API's one-shot run and container lifecycle over
// pycontain::container::Container.
#include <signal.h>

#include <atomic>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "capi/internal.h"
#include "capi/waiter.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/container.h"
#include "lib/container/prepare.h"
#include "lib/spec/load.h"
#include "lib/spec/validate.h"

struct pycontain_container {
  pycontain::spec::ContainerSpec spec;
  std::string id;
  std::optional<absl::Duration> spec_timeout;

  absl::Mutex mutex;
  // Set by start; read by wait, exec and destroy under `mutex`.
  std::optional<pycontain::container::Container> running ABSL_GUARDED_BY(mutex);
  bool waiting ABSL_GUARDED_BY(mutex) = false;
  // Written under `mutex`, read without it by state and kill.
  std::atomic<int> state{PYCONTAIN_STATE_CREATED};
  std::atomic<bool> collected{false};
  // Set once by start, before `state` becomes RUNNING, and then only read.
  pycontain::capi::Waiter waiter;
  std::atomic<int> pid{0};
};

namespace pycontain::capi {
namespace {

absl::StatusOr<spec::ContainerSpec> LoadValidSpec(const char* spec_json) {
  absl::Status status = RequireNonNull(spec_json, "spec_json");
  if (!status.ok()) return status;
  absl::StatusOr<spec::ContainerSpec> spec = spec::SpecFromJson(spec_json);
  if (!spec.ok()) return spec.status();
  status = spec::ValidateSpec(*spec);
  if (!status.ok()) return status;
  return spec;
}

int RunContainer(const char* spec_json, const pycontain_run_options* options,
                 pycontain_run_result** result, pycontain_error** error) {
  pycontain_run_options read;
  absl::Status status = ReadOptions(options, "pycontain_run_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, 0, "pycontain_run_options");
  if (status.ok()) status = RequireNonNull(result, "result");
  if (!status.ok()) return Fail(status, error);

  status = RequireNonNull(spec_json, "spec_json");
  if (!status.ok()) return Fail(status, error);
  // container::Run validates the spec itself, before any side effect.
  absl::StatusOr<spec::ContainerSpec> spec = spec::SpecFromJson(spec_json);
  if (!spec.ok()) return Fail(spec.status(), error);
  absl::StatusOr<spec::RunResult> run = container::Run(*spec);
  if (!run.ok()) return Fail(run.status(), error);
  *result = NewRunResult(*std::move(run));
  return PYCONTAIN_OK;
}

int CreateContainer(const char* spec_json, const pycontain_create_options* options,
                    pycontain_container** out, pycontain_error** error) {
  pycontain_create_options read;
  absl::Status status = ReadOptions(options, "pycontain_create_options", &read);
  if (status.ok()) status = CheckFlags(read.flags, 0, "pycontain_create_options");
  if (status.ok()) status = RequireNonNull(out, "container");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<spec::ContainerSpec> spec = LoadValidSpec(spec_json);
  if (!spec.ok()) return Fail(spec.status(), error);
  // The id is fixed now, so the caller can name the container before start.
  if (spec->id().empty()) spec->set_id(container::RandomId());

  auto* created = new pycontain_container;
  created->id = spec->id();
  if (spec->has_timeout()) {
    created->spec_timeout = absl::Seconds(spec->timeout().seconds()) +
                            absl::Nanoseconds(spec->timeout().nanos());
  }
  created->spec = *std::move(spec);
  *out = created;
  return PYCONTAIN_OK;
}

int StartContainer(pycontain_container* container, pycontain_error** error) {
  absl::MutexLock lock(&container->mutex);
  if (container->state.load() != PYCONTAIN_STATE_CREATED) {
    return Fail(absl::FailedPreconditionError(absl::StrCat(
                    "container ", container->id, " was already started")),
                error);
  }
  absl::StatusOr<container::Container> started =
      container::Container::Start(container->spec);
  if (!started.ok()) return Fail(started.status(), error);
  absl::StatusOr<Waiter> waiter = Waiter::Watch(started->pidfd());
  if (!waiter.ok()) return Fail(waiter.status(), error);  // drops `started`

  container->waiter = *std::move(waiter);
  container->pid.store(started->pid());
  container->running.emplace(*std::move(started));
  container->state.store(PYCONTAIN_STATE_RUNNING);
  return PYCONTAIN_OK;
}

// Claims the right to wait, so that two threads cannot both collect.
absl::Status BeginWait(pycontain_container* container) {
  absl::MutexLock lock(&container->mutex);
  if (!container->running.has_value() || container->collected.load()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", container->id,
        container->running.has_value() ? " was already waited for" : " was not started"));
  }
  if (container->waiting) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container->id, " is being waited for by another thread"));
  }
  container->waiting = true;
  return absl::OkStatus();
}

int WaitContainer(pycontain_container* container, const pycontain_wait_options* options,
                  pycontain_run_result** result, pycontain_error** error) {
  absl::StatusOr<WaitRequest> request = ReadWaitOptions(options, container->spec_timeout);
  absl::Status status = request.status();
  if (status.ok()) status = RequireNonNull(result, "result");
  if (status.ok()) status = BeginWait(container);
  if (!status.ok()) return Fail(status, error);

  // Blocks without the mutex, so exec, kill and state stay available.
  absl::StatusOr<bool> exited = container->waiter.WaitForExit(request->timeout);

  absl::MutexLock lock(&container->mutex);
  container->waiting = false;
  if (!exited.ok()) return Fail(exited.status(), error);
  bool timed_out = !*exited;
  if (timed_out && !request->kill_on_timeout) {
    return Fail(absl::DeadlineExceededError(absl::StrCat(
                    "container ", container->id, " still runs after ",
                    absl::FormatDuration(*request->timeout))),
                error);
  }
  if (timed_out) {
    Logf(LogLevel::kDebug, container->id, "killing after the timeout of %s",
         absl::FormatDuration(*request->timeout));
    // An error means that the process ended meanwhile; Wait reports how.
    container->running->Kill(SIGKILL).IgnoreError();
  }

  absl::StatusOr<spec::RunResult> run = container->running->Wait(std::nullopt);
  if (!run.ok()) return Fail(run.status(), error);
  if (timed_out) run->set_timed_out(true);
  container->collected.store(true);
  container->state.store(PYCONTAIN_STATE_STOPPED);
  *result = NewRunResult(*std::move(run));
  return PYCONTAIN_OK;
}

int KillContainer(pycontain_container* container, int signal, pycontain_error** error) {
  if (container->state.load() == PYCONTAIN_STATE_CREATED) {
    return Fail(absl::FailedPreconditionError(
                    absl::StrCat("container ", container->id, " was not started")),
                error);
  }
  absl::Status status =
      container->waiter.Signal(signal, absl::StrCat("container ", container->id));
  if (!status.ok()) return Fail(status, error);
  Logf(LogLevel::kDebug, container->id, "sent signal %d", signal);

  // The v1 freezer delays even SIGKILL until the processes are thawed.
  if (signal == SIGKILL && container->state.load() == PYCONTAIN_STATE_PAUSED) {
    absl::MutexLock lock(&container->mutex);
    if (container->running.has_value() && container->running->paused()) {
      status = container->running->Resume();
      if (!status.ok()) return Fail(status, error);
    }
    container->state.store(PYCONTAIN_STATE_RUNNING);
  }
  return PYCONTAIN_OK;
}

// Pauses (`pause` true) or resumes the container.
int SetPaused(pycontain_container* container, bool pause, pycontain_error** error) {
  absl::MutexLock lock(&container->mutex);
  if (!container->running.has_value() || container->collected.load() ||
      container->waiter.Exited()) {
    return Fail(absl::FailedPreconditionError(
                    absl::StrCat("container ", container->id, " is not running")),
                error);
  }
  absl::Status status = pause ? container->running->Pause() : container->running->Resume();
  if (!status.ok()) return Fail(status, error);
  container->state.store(pause ? PYCONTAIN_STATE_PAUSED : PYCONTAIN_STATE_RUNNING);
  return PYCONTAIN_OK;
}

}  // namespace
}  // namespace pycontain::capi

using pycontain::capi::Fail;
using pycontain::capi::Guard;

extern "C" {

PYCONTAIN_API int pycontain_run(const char* spec_json, const pycontain_run_options* options,
                                pycontain_run_result** result, pycontain_error** error) {
  return Guard(error, [&] {
    return pycontain::capi::RunContainer(spec_json, options, result, error);
  });
}

PYCONTAIN_API int pycontain_container_create(const char* spec_json,
                                             const pycontain_create_options* options,
                                             pycontain_container** container,
                                             pycontain_error** error) {
  return Guard(error, [&] {
    return pycontain::capi::CreateContainer(spec_json, options, container, error);
  });
}

PYCONTAIN_API void pycontain_container_destroy(pycontain_container* container) {
  // Destructors do not throw: the Container's kills and removals log
  // their errors instead.
  delete container;
}

PYCONTAIN_API int pycontain_container_start(pycontain_container* container,
                                            pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = pycontain::capi::RequireNonNull(container, "container");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::StartContainer(container, error);
  });
}

PYCONTAIN_API const char* pycontain_container_id(const pycontain_container* container) {
  return container == nullptr ? "" : container->id.c_str();
}

PYCONTAIN_API int pycontain_container_state(const pycontain_container* container) {
  if (container == nullptr) return PYCONTAIN_STATE_STOPPED;
  int state = container->state.load();
  if ((state == PYCONTAIN_STATE_RUNNING || state == PYCONTAIN_STATE_PAUSED) &&
      container->waiter.Exited()) {
    return PYCONTAIN_STATE_STOPPED;
  }
  return state;
}

PYCONTAIN_API int pycontain_container_pid(const pycontain_container* container) {
  if (container == nullptr) return 0;
  int state = pycontain_container_state(container);
  if (state != PYCONTAIN_STATE_RUNNING && state != PYCONTAIN_STATE_PAUSED) return 0;
  return container->pid.load();
}

PYCONTAIN_API int pycontain_container_wait(pycontain_container* container,
                                           const pycontain_wait_options* options,
                                           pycontain_run_result** result,
                                           pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = pycontain::capi::RequireNonNull(container, "container");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::WaitContainer(container, options, result, error);
  });
}

PYCONTAIN_API int pycontain_container_pause(pycontain_container* container,
                                            pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = pycontain::capi::RequireNonNull(container, "container");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::SetPaused(container, true, error);
  });
}

PYCONTAIN_API int pycontain_container_resume(pycontain_container* container,
                                             pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = pycontain::capi::RequireNonNull(container, "container");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::SetPaused(container, false, error);
  });
}

PYCONTAIN_API int pycontain_container_kill(pycontain_container* container, int signal,
                                           pycontain_error** error) {
  return Guard(error, [&] {
    absl::Status status = pycontain::capi::RequireNonNull(container, "container");
    if (!status.ok()) return Fail(status, error);
    return pycontain::capi::KillContainer(container, signal, error);
  });
}

}  // extern "C"

namespace pycontain::capi {

// Used by exec (process.cc), under the container's mutex.
absl::StatusOr<ns::ChildProcess> ExecInContainer(pycontain_container* container,
                                                 const spec::Process& process) {
  absl::MutexLock lock(&container->mutex);
  if (!container->running.has_value() || container->collected.load()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container->id, " is not running"));
  }
  return container->running->Exec(process);
}

const std::string& ContainerId(const pycontain_container* container) {
  return container->id;
}

}  // namespace pycontain::capi
