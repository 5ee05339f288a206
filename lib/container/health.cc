#include "lib/container/health.h"

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/unique_fd.h"
#include "lib/container/managed_internal.h"

namespace pycontain::container {
namespace {

using namespace managed_internal;

// Docker's defaults: interval and timeout 30 s, 3 retries. Like Docker,
// keep 4096 bytes of output and the last 5 results.
constexpr absl::Duration kDefaultInterval = absl::Seconds(30);
constexpr absl::Duration kDefaultTimeout = absl::Seconds(30);
constexpr int kDefaultRetries = 3;
constexpr size_t kMaxOutput = 4096;
constexpr int kMaxLogEntries = 5;

// Replaces state.health under the container's lock, while it runs.
void WriteHealth(const std::string& directory, const Health& health) {
  absl::StatusOr<UniqueFd> lock = LockContainer(directory);
  if (!lock.ok()) return;  // removed meanwhile
  absl::StatusOr<ManagedState> state = ReadState(directory);
  if (!state.ok() || state->status() != kStatusRunning) return;
  *state->mutable_health() = health;
  absl::Status written = WriteState(directory, *state);
  if (!written.ok()) Logf(LogLevel::kWarning, "", "cannot record health: %s", written.message());
}

std::string ReadOutput(int fd) {
  std::string text(kMaxOutput, '\0');
  ssize_t n = pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? n : 0);
  return text;
}

// Runs the check once in the container.
HealthcheckResult RunCheck(const ManagedContainer& container,
                           const std::vector<std::string>& command, absl::Duration timeout) {
  HealthcheckResult result;
  result.set_start(FormatTimestamp(absl::Now()));
  result.set_exit_code(-1);
  UniqueFd output(memfd_create("healthcheck", MFD_CLOEXEC));
  spec::Process process;
  for (const std::string& word : command) process.add_args(word);
  if (output.valid()) {
    process.mutable_stdio()->set_stdout_fd(output.get());
    process.mutable_stdio()->set_stderr_fd(output.get());
  }
  absl::StatusOr<ns::ChildProcess> child = ExecInContainer(container.id(), process);
  if (!child.ok()) {
    result.set_output(std::string(child.status().message()));
  } else {
    absl::StatusOr<ns::ExitStatus> status = child->Wait(timeout);
    if (status.ok() && status->timed_out) {
      result.set_output(absl::StrCat("health check exceeded timeout (",
                                     absl::FormatDuration(timeout), ")"));
    } else if (status.ok()) {
      result.set_exit_code(status->exit_code.has_value() ? *status->exit_code
                                                         : 128 + status->signal.value_or(0));
      if (output.valid()) result.set_output(ReadOutput(output.get()));
    } else {
      result.set_output(std::string(status.status().message()));
    }
  }
  result.set_end(FormatTimestamp(absl::Now()));
  return result;
}

// The checking child's loop; never returns.
[[noreturn]] void CheckForever(const ManagedContainer& container, Health health) {
  absl::StatusOr<std::vector<std::string>> command = HealthcheckCommand(container.config.healthcheck());
  HealthcheckTiming timing = TimingOf(container.config.healthcheck());
  absl::Time start_period_end = absl::Now() + timing.start_period;
  while (command.ok()) {
    absl::SleepFor(timing.interval);
    bool in_start_period = absl::Now() < start_period_end;
    HealthcheckResult result = RunCheck(container, *command, timing.timeout);
    health = AddHealthResult(std::move(health), result, in_start_period, timing.retries);
    Logf(LogLevel::kDebug, container.id(), "health check exited with %d: %s",
         result.exit_code(), health.status());
    WriteHealth(container.directory, health);
  }
  _exit(0);
}

}  // namespace

bool HasHealthcheck(const HealthcheckConfig& config) {
  return config.test_size() > 0 && config.test(0) != "NONE";
}

absl::StatusOr<std::vector<std::string>> HealthcheckCommand(const HealthcheckConfig& config) {
  if (config.test_size() >= 2 && config.test(0) == "CMD") {
    return std::vector<std::string>(config.test().begin() + 1, config.test().end());
  }
  if (config.test_size() == 2 && config.test(0) == "CMD-SHELL") {
    return std::vector<std::string>{"/bin/sh", "-c", config.test(1)};
  }
  return absl::InvalidArgumentError(
      "invalid health check test: the first word must be CMD (followed by the program and its "
      "arguments), CMD-SHELL (followed by one command) or NONE");
}

HealthcheckTiming TimingOf(const HealthcheckConfig& config) {
  HealthcheckTiming timing;
  timing.interval = config.interval_ns() > 0 ? absl::Nanoseconds(config.interval_ns())
                                             : kDefaultInterval;
  timing.timeout =
      config.timeout_ns() > 0 ? absl::Nanoseconds(config.timeout_ns()) : kDefaultTimeout;
  timing.start_period = absl::Nanoseconds(std::max<int64_t>(0, config.start_period_ns()));
  timing.retries = config.retries() > 0 ? config.retries() : kDefaultRetries;
  return timing;
}

Health AddHealthResult(Health health, const HealthcheckResult& result, bool in_start_period,
                       int retries) {
  *health.add_log() = result;
  while (health.log_size() > kMaxLogEntries) health.mutable_log()->DeleteSubrange(0, 1);
  if (result.exit_code() == 0) {
    health.set_status(kHealthHealthy);
    health.set_failing_streak(0);
    return health;
  }
  // Docker ignores failures in the start period until the first success.
  if (in_start_period && health.status() == kHealthStarting) return health;
  health.set_failing_streak(health.failing_streak() + 1);
  if (health.failing_streak() >= retries) health.set_status(kHealthUnhealthy);
  return health;
}

HealthChecker::HealthChecker(HealthChecker&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)) {}

HealthChecker& HealthChecker::operator=(HealthChecker&& other) noexcept {
  if (this != &other) {
    Stop();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

HealthChecker::~HealthChecker() { Stop(); }

HealthChecker HealthChecker::Start(const ManagedContainer& container) {
  HealthChecker checker;
  if (!HasHealthcheck(container.config.healthcheck())) return checker;
  Health health;
  health.set_status(kHealthStarting);
  WriteHealth(container.directory, health);

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    Logf(LogLevel::kWarning, container.id(), "cannot start health checks: fork: %s",
         strerror(errno));
    return checker;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
    CheckForever(container, std::move(health));
  }
  Logf(LogLevel::kDebug, container.id(), "health checks run in pid %d", pid);
  checker.pid_ = pid;
  return checker;
}

void HealthChecker::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace pycontain::container
