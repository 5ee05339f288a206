// Starting and stopping managed containers, and the monitor process that
// owns a running one (see managed.h).
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/container.h"
#include "lib/container/health.h"
#include "lib/container/managed.h"
#include "lib/container/managed_internal.h"
#include "lib/container/record.h"
#include "lib/container/extra_networks.h"
#include "lib/container/restart.h"
#include "lib/container/state_dir.h"

namespace pycontain::container {
namespace {

using namespace managed_internal;

// How long the monitor keeps reading output after the first process
// exited: processes outside a PID namespace of its own may keep the pipes.
constexpr absl::Duration kDrainTime = absl::Seconds(2);
// How long StopContainer waits for the monitor after SIGKILL.
constexpr absl::Duration kKillWait = absl::Seconds(30);

// The exit code Docker records when a start fails: 127 for a missing
// command, 126 for one that cannot be executed, else 125.
int StartFailureExitCode(const absl::Status& status) {
  std::optional<int> err = ErrnoOf(status);
  if (status.code() == absl::StatusCode::kNotFound &&
      absl::StrContains(status.message(), "executable")) {
    return 127;
  }
  if (err.has_value() && absl::StrContains(status.message(), "exec ")) {
    return *err == ENOENT ? 127 : 126;
  }
  return 125;
}

// The start report on the pipe from the monitor: "<status code> <message>".
void WriteReport(int fd, const absl::Status& status) {
  std::string text = absl::StrCat(static_cast<int>(status.code()), " ", status.message());
  // The caller may have exited. SIGPIPE is ignored, so the write then
  // fails with EPIPE and the monitor goes on.
  ssize_t ignored = write(fd, text.data(), text.size());
  (void)ignored;
}

absl::Status ReadReport(int fd) {
  std::string text;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, n);
  }
  size_t space = text.find(' ');
  int code = 0;
  if (space == std::string::npos || !absl::SimpleAtoi(text.substr(0, space), &code)) {
    return absl::InternalError("the container's monitor exited before it reported the start");
  }
  if (code == 0) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(code), text.substr(space + 1));
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2", "container output");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Handles the pause (SIGUSR1) and unpause (SIGUSR2) requests pending on
// `signal_fd` and records the outcome in the state, under the lock.
void HandleControl(Container& container, int signal_fd, const std::string& directory) {
  struct signalfd_siginfo info;
  while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
    bool pause = info.ssi_signo == SIGUSR1;
    absl::Status status = pause == container.paused() ? absl::OkStatus()
                          : pause                      ? container.Pause()
                                                       : container.Resume();
    Logf(LogLevel::kDebug, container.id(), "%s: %s", pause ? "pause" : "unpause",
         status.ok() ? "done" : std::string(status.message()));
    absl::StatusOr<UniqueFd> lock = LockContainer(directory);
    if (!lock.ok()) continue;
    absl::StatusOr<ManagedState> state = ReadState(directory);
    if (!state.ok()) continue;
    state->set_paused(container.paused());
    state->set_control_sequence(state->control_sequence() + 1);
    state->set_control_error(status.ok() ? "" : std::string(status.message()));
    absl::Status written = WriteState(directory, *state);
    if (!written.ok()) Logf(LogLevel::kWarning, container.id(), "%s", written.message());
  }
}

// Copies the container's output into the log until its first process has
// exited (or the spec's timeout expired) and returns its result. Pause
// and unpause requests arrive on `signal_fd` meanwhile.
absl::StatusOr<spec::RunResult> CopyOutputAndWait(Container& container, UniqueFd out,
                                                  UniqueFd err, LogWriter& writer,
                                                  std::optional<absl::Time> deadline,
                                                  int signal_fd,
                                                  const std::string& directory) {
  struct pollfd fds[4] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0},
                          {container.pidfd(), POLLIN, 0}, {signal_fd, POLLIN, 0}};
  std::optional<absl::Time> drain_until;
  std::optional<absl::StatusOr<spec::RunResult>> result;
  char buffer[65536];
  while (fds[0].fd >= 0 || fds[1].fd >= 0 || !result.has_value()) {
    int timeout = -1;
    absl::Time now = absl::Now();
    if (drain_until.has_value()) {
      if (now >= *drain_until) break;
      timeout = static_cast<int>(absl::ToInt64Milliseconds(*drain_until - now)) + 1;
    } else if (deadline.has_value()) {
      timeout = std::max<int>(0, absl::ToInt64Milliseconds(*deadline - now) + 1);
    }
    int ready = poll(fds, 4, timeout);
    if (ready < 0 && errno != EINTR) return ErrnoError(errno, "poll", "container output");
    if (fds[3].fd >= 0 && fds[3].revents != 0) HandleControl(container, signal_fd, directory);

    for (int stream = 0; stream < 2; ++stream) {
      if (fds[stream].fd < 0 || fds[stream].revents == 0) continue;
      ssize_t n = read(fds[stream].fd, buffer, sizeof(buffer));
      if (n > 0) {
        writer.Feed(stream, absl::string_view(buffer, n));
      } else if (n == 0 || errno != EINTR) {
        writer.Flush(stream);
        fds[stream].fd = -1;
      }
    }
    bool exited = fds[2].fd >= 0 && fds[2].revents != 0;
    bool expired = deadline.has_value() && absl::Now() >= *deadline;
    if (!result.has_value() && (exited || expired)) {
      // Wait kills the container when its timeout has expired.
      std::optional<absl::Duration> left;
      if (deadline.has_value()) left = std::max(absl::ZeroDuration(), *deadline - absl::Now());
      result = container.Wait(left);
      fds[2].fd = -1;
      fds[3].fd = -1;
      drain_until = absl::Now() + kDrainTime;
    }
  }
  writer.Flush(0);
  writer.Flush(1);
  return std::move(*result);
}

// Records the end of a run: the exit, or the removal of an auto_remove
// container.
void RecordExit(const ManagedContainer& container, ManagedState state,
                const absl::StatusOr<spec::RunResult>& result) {
  absl::StatusOr<UniqueFd> lock = LockContainer(container.directory);
  if (!lock.ok()) return;  // removed meanwhile (rm -f)
  state.set_status(kStatusExited);
  state.set_pid(0);
  state.set_pid_start_time(0);
  state.set_paused(false);
  state.set_finished_at(FormatTimestamp(absl::Now()));
  if (result.ok()) {
    state.set_exit_code(result->has_signal() ? 128 + result->signal() : result->exit_code());
    state.set_oom_killed(result->accounting().oom_killed());
  } else {
    state.set_exit_code(kUnknownExitCode);
    state.set_error(std::string(result.status().message()));
  }
  Logf(LogLevel::kDebug, container.id(), "exited with code %d", state.exit_code());
  // Before the removal of an auto_remove container, whose waiters read the
  // exit file through descriptors they opened earlier.
  absl::Status recorded = WriteExitFile(container.directory, state);
  if (!recorded.ok()) {
    Logf(LogLevel::kWarning, container.id(), "cannot write the exit file: %s",
         recorded.message());
  }
  if (container.config.auto_remove()) {
    ReleaseVolumes(container.config, /*remove_anonymous=*/true);
    absl::Status removed = RemoveContainerFiles(container.config, container.directory);
    if (!removed.ok()) {
      Logf(LogLevel::kWarning, container.id(), "cannot remove the container: %s",
           removed.message());
    }
    return;
  }
  // The run's volume records went with its Container; the stopped
  // container still uses the volumes.
  RegisterVolumeUsers(container.config);
  absl::Status written = WriteState(container.directory, state);
  if (!written.ok()) {
    Logf(LogLevel::kWarning, container.id(), "cannot record the exit: %s", written.message());
  }
}

// The monitor's work, in the grandchild. Reports the start on
// `report_fd` and closes it. Returns the monitor's exit status.
int RunMonitor(const ManagedContainer& container, UniqueFd report_fd) {
  // Pause and unpause requests come as SIGUSR1 and SIGUSR2, blocked
  // before any thread starts so that only the signalfd receives them. The
  // container's first process starts with an empty signal mask.
  sigset_t control;
  sigemptyset(&control);
  sigaddset(&control, SIGUSR1);
  sigaddset(&control, SIGUSR2);
  sigprocmask(SIG_BLOCK, &control, nullptr);
  UniqueFd signals(signalfd(-1, &control, SFD_CLOEXEC | SFD_NONBLOCK));
  ManagedState state = container.state;
  std::string log_path = container.log_path;
  UniqueFd log(open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  absl::StatusOr<Pipe> out = MakePipe();
  absl::StatusOr<Pipe> err = MakePipe();
  absl::Status status = !log.valid()     ? ErrnoError(errno, "open", log_path)
                        : !out.ok()      ? out.status()
                        : !err.ok()      ? err.status()
                                         : absl::OkStatus();
  std::optional<Container> running;
  // Declared after `running`, so that they are left before it goes.
  std::vector<net::Attachment> extra_networks;
  if (status.ok()) {
    spec::ContainerSpec spec = container.config.spec();
    spec::Stdio* stdio = spec.mutable_process()->mutable_stdio();
    stdio->set_stdin_fd(STDIN_FILENO);  // /dev/null
    stdio->set_stdout_fd(out->write.get());
    stdio->set_stderr_fd(err->write.get());
    StartOptions options;
    if (!spec.image().empty()) {
      // The layers of the image at creation, also when its name has moved
      // to another image since.
      spec.set_image(container.config.image_id());
      options.layer_directory = container.directory;
    }
    absl::StatusOr<Container> started = Container::Start(spec, options);
    if (started.ok()) {
      running = std::move(*started);
      absl::StatusOr<std::vector<net::Attachment>> connected =
          ConnectExtraNetworks(container.config, running->pid());
      if (connected.ok()) {
        extra_networks = std::move(*connected);
      } else {
        status = connected.status();
      }
    } else {
      status = started.status();
    }
  }
  if (!status.ok()) {
    state.set_error(std::string(status.message()));
    state.set_exit_code(StartFailureExitCode(status));
    absl::Status written = WriteState(container.directory, state);
    if (!written.ok()) Logf(LogLevel::kWarning, container.id(), "%s", written.message());
    WriteReport(report_fd.get(), status);
    return 1;
  }
  out->write.reset();
  err->write.reset();

  // Emptied before the state is set to running, so that a waiter never
  // reads the exit of an earlier run.
  absl::Status reset = ResetExitFile(container.directory);
  if (!reset.ok()) {
    Logf(LogLevel::kWarning, container.id(), "cannot reset the exit file: %s", reset.message());
  }
  state.set_status(kStatusRunning);
  state.set_pid(running->pid());
  state.set_pid_start_time(ProcessStartTime(running->pid()));
  state.set_monitor_pid(getpid());
  state.set_monitor_start_time(ProcessStartTime(getpid()));
  state.set_boot_id(BootId());
  state.set_state_root(StateRoot());
  state.set_exit_code(0);
  state.set_oom_killed(false);
  state.clear_error();
  state.set_started_at(FormatTimestamp(absl::Now()));
  state.set_start_count(state.start_count() + 1);
  state.set_paused(false);
  state.clear_control_error();
  status = WriteState(container.directory, state);
  WriteReport(report_fd.get(), status);
  report_fd.reset();
  if (!status.ok()) return 1;  // the Container kills what it started
  HealthChecker health = HealthChecker::Start(container);

  std::optional<absl::Time> deadline;
  const spec::ContainerSpec& spec = container.config.spec();
  if (spec.has_timeout()) {
    deadline = absl::Now() + absl::Seconds(spec.timeout().seconds()) +
               absl::Nanoseconds(spec.timeout().nanos());
  }
  // CreateContainer checked the options, so the error is not expected.
  absl::StatusOr<LogRotation> rotation = ParseLogOptions(
      {container.config.log_options().begin(), container.config.log_options().end()});
  LogWriter writer(log_path, std::move(log), rotation.value_or(LogRotation()));
  absl::StatusOr<spec::RunResult> result =
      CopyOutputAndWait(*running, std::move(out->read), std::move(err->read), writer, deadline,
                        signals.get(), container.directory);
  health.Stop();
  // The extra networks go first. While the network store lists an endpoint
  // of the container, a peer that connects or disconnects rewrites its
  // hosts file, and that file would keep <state root>/<id>/etc from being
  // removed.
  extra_networks.clear();
  // Releases the runtime state (cgroups, mounts, <state root>/<id>)
  // before the exit is recorded, so that whoever waits for it finds them
  // gone.
  running.reset();
  RecordExit(container, state, result);
  return 0;
}

// Turns the forked child into a clean daemon: its own session, no
// inherited descriptors but `keep`, stdio on /dev/null, default signals.
void BecomeMonitor(int keep) {
  setsid();
  if (keep > 3) close_range(3, keep - 1, 0);
  close_range(keep + 1, ~0U, 0);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3 && null >= 0; ++fd) dup2(null, fd);
  if (null > 2) close(null);
  if (chdir("/") != 0) {
    // Keeps the caller's directory busy, but changes nothing else.
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM}) {
    ::signal(signal, SIG_DFL);
  }
  ::signal(SIGPIPE, SIG_IGN);
}

absl::StatusOr<UniqueFd> OpenRunning(const ManagedContainer& container) {
  if (!container.running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container.name(), " is not running"));
  }
  absl::StatusOr<UniqueFd> fd =
      OpenProcess(container.state.pid(), container.state.pid_start_time());
  if (!fd.ok() && fd.status().code() == absl::StatusCode::kNotFound) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container.name(), " is not running"));
  }
  return fd;
}

absl::Status Signal(const ManagedContainer& container, int pidfd, int signal) {
  if (syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) != 0 && errno != ESRCH) {
    return ErrnoError(errno, "send signal to container", container.name());
  }
  Logf(LogLevel::kDebug, container.id(), "sent signal %d to pid %d", signal,
       container.state.pid());
  return absl::OkStatus();
}

}  // namespace

absl::Status StartContainer(absl::string_view name_or_id) {
  absl::StatusOr<ManagedContainer> found = ResolveContainer(name_or_id);
  if (!found.ok()) return found.status();
  absl::StatusOr<UniqueFd> lock = LockContainer(found->directory);
  if (!lock.ok()) return lock.status();
  absl::StatusOr<ManagedContainer> container = LoadContainer(found->directory);
  if (!container.ok()) return container.status();
  if (container->running()) return absl::OkStatus();
  ClearStoppedByUser(container->directory);

  // The runtime state a dead monitor left would block the id.
  absl::StatusOr<ManagedState> saved = ReadState(container->directory);
  if (saved.ok() && saved->status() == kStatusRunning) {
    GcReport report;
    absl::Status settled = SettleDeadMonitor(*container, DeadMonitorReason(*saved), report);
    if (!settled.ok()) return settled;
    container = LoadContainer(found->directory);
    if (!container.ok()) return container.status();
  }

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2", "monitor report");
  UniqueFd report_read(fds[0]);
  UniqueFd report_write(fds[1]);
  pid_t child = fork();
  if (child < 0) return ErrnoError(errno, "fork", "container monitor");
  if (child == 0) {
    // Both levels of the fork leave with _exit, so that nothing of the
    // caller (atexit handlers, stdio buffers) runs twice.
    BecomeMonitor(report_write.get());
    pid_t monitor = fork();
    if (monitor != 0) _exit(monitor < 0 ? 1 : 0);
    int monitor_status = RunMonitor(*container, std::move(report_write));
    // The restart policy (restart.h) may run the container again.
    while (monitor_status == 0) {
      std::optional<ManagedContainer> again = NextRestart(container->directory);
      if (!again.has_value()) break;
      monitor_status = RunMonitor(*again, UniqueFd());
    }
    _exit(monitor_status);
  }
  report_write.reset();
  int child_status = 0;
  while (waitpid(child, &child_status, 0) < 0 && errno == EINTR) {
  }
  absl::Status started = ReadReport(report_read.get());
  if (!started.ok()) return Annotate(started, absl::StrCat("start container ", container->name()));
  Logf(LogLevel::kDebug, container->id(), "started container %s", container->name());
  return absl::OkStatus();
}

absl::Status KillContainer(absl::string_view name_or_id, int signal) {
  absl::StatusOr<ManagedContainer> container = ResolveContainer(name_or_id);
  if (!container.ok()) return container.status();
  absl::StatusOr<UniqueFd> pidfd = OpenRunning(*container);
  if (!pidfd.ok()) return pidfd.status();
  return Signal(*container, pidfd->get(), signal);
}

absl::StatusOr<int> ParseSignal(absl::string_view text) {
  int number = 0;
  if (absl::SimpleAtoi(text, &number)) {
    if (number > 0 && number < NSIG) return number;
  } else {
    std::string name = absl::AsciiStrToUpper(text);
    absl::string_view bare = name;
    absl::ConsumePrefix(&bare, "SIG");
    for (int signal = 1; signal < NSIG; ++signal) {
      const char* abbreviation = sigabbrev_np(signal);
      if (abbreviation != nullptr && bare == abbreviation) return signal;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid signal \"", text, "\": give a name such as SIGTERM or TERM, or a number from 1 to ",
      NSIG - 1));
}

absl::Status StopContainer(absl::string_view name_or_id, absl::Duration grace, int signal) {
  absl::StatusOr<ManagedContainer> container = ResolveContainer(name_or_id);
  if (!container.ok()) return container.status();
  if (signal == 0) {
    signal = SIGTERM;
    // CreateContainer checked the name, so the error is not expected.
    if (!container->config.stop_signal().empty()) {
      signal = ParseSignal(container->config.stop_signal()).value_or(SIGTERM);
    }
  }
  // Frozen processes act on no signal, SIGKILL included (v1 freezer).
  if (container->running() && container->state.paused()) {
    absl::Status thawed = UnpauseContainer(container->id());
    if (!thawed.ok()) return Annotate(thawed, "stop");
  }
  MarkStoppedByUser(container->directory);
  if (!container->running()) return absl::OkStatus();
  absl::StatusOr<UniqueFd> monitor =
      OpenProcess(container->state.monitor_pid(), container->state.monitor_start_time());
  // A monitor that died meanwhile took the container with it.
  if (!monitor.ok()) return absl::OkStatus();
  absl::StatusOr<UniqueFd> pidfd = OpenRunning(*container);
  if (pidfd.ok()) {
    if (grace > absl::ZeroDuration() && signal != SIGKILL) {
      absl::Status status = Signal(*container, pidfd->get(), signal);
      if (!status.ok()) return status;
      if (WaitForExit(monitor->get(), grace)) return absl::OkStatus();
    }
    absl::Status status = Signal(*container, pidfd->get(), SIGKILL);
    if (!status.ok()) return status;
  }
  if (!WaitForExit(monitor->get(), kKillWait)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "container ", container->name(), ": its monitor pid ", container->state.monitor_pid(),
        " did not exit within ", absl::FormatDuration(kKillWait), " of SIGKILL"));
  }
  return absl::OkStatus();
}

namespace {

// Sends the monitor `signal` (SIGUSR1: pause, SIGUSR2: unpause) and waits
// until it recorded the outcome.
absl::Status RequestControl(absl::string_view name_or_id, bool pause) {
  absl::StatusOr<ManagedContainer> container = ResolveContainer(name_or_id);
  if (!container.ok()) return container.status();
  if (!container->running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container->name(), " is not running"));
  }
  if (container->state.paused() == pause) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", container->name(), pause ? " is already paused" : " is not paused"));
  }
  absl::StatusOr<UniqueFd> monitor =
      OpenProcess(container->state.monitor_pid(), container->state.monitor_start_time());
  if (!monitor.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("container ", container->name(), " is not running"));
  }
  int sequence = container->state.control_sequence();
  if (syscall(SYS_pidfd_send_signal, monitor->get(), pause ? SIGUSR1 : SIGUSR2, nullptr, 0) !=
      0) {
    return ErrnoError(errno, "signal the monitor of", container->name());
  }
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::StatusOr<ManagedState> state = ReadState(container->directory);
    if (state.ok() && state->control_sequence() != sequence) {
      if (state->control_error().empty()) return absl::OkStatus();
      return absl::FailedPreconditionError(state->control_error());
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "container ", container->name(), ": its monitor did not ",
      pause ? "pause" : "unpause", " it within 10 s"));
}

}  // namespace

absl::Status PauseContainer(absl::string_view name_or_id) {
  return RequestControl(name_or_id, /*pause=*/true);
}

absl::Status UnpauseContainer(absl::string_view name_or_id) {
  return RequestControl(name_or_id, /*pause=*/false);
}

absl::StatusOr<ManagedState> WaitContainer(absl::string_view name_or_id) {
  absl::StatusOr<ManagedContainer> found = ResolveContainer(name_or_id);
  if (!found.ok()) return found.status();
  // Opened before the state is read: an auto_remove container writes its
  // exit status here before it removes its directory, and this descriptor
  // keeps the file readable. A container that never ran has no file.
  std::string exit_path = absl::StrCat(found->directory, "/", kExitFile);
  UniqueFd exit_file(open(exit_path.c_str(), O_RDONLY | O_CLOEXEC));
  absl::StatusOr<ManagedContainer> container = LoadContainer(found->directory);
  if (!container.ok()) {
    if (container.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat("no such container: ", name_or_id));
    }
    return container.status();
  }
  if (!container->running()) return container->state;

  absl::StatusOr<UniqueFd> monitor =
      OpenProcess(container->state.monitor_pid(), container->state.monitor_start_time());
  if (monitor.ok()) WaitForExit(monitor->get(), absl::InfiniteDuration());
  absl::StatusOr<ManagedContainer> ended = LoadContainer(found->directory);
  if (ended.ok()) return ended->state;
  if (ended.status().code() != absl::StatusCode::kNotFound) return ended.status();
  if (exit_file.valid()) {
    absl::StatusOr<ManagedState> recorded = ReadExitFile(exit_file.get());
    if (recorded.ok()) return recorded;
  }
  return absl::NotFoundError(absl::StrCat("container ", name_or_id,
                                          " was removed and left no exit status"));
}

}  // namespace pycontain::container
