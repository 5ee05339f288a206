// Health checks of managed containers (managed.h), as Docker runs them.
//
// The monitor of a running container with a HealthcheckConfig starts a
// HealthChecker: a child process of the monitor that runs the check
// command in the container (ExecInContainer) every interval, with the
// timeout, and records the outcome in state.json as state.health:
//   - "starting" from the start until the first successful check, or
//     until `retries` consecutive failures after the start period;
//   - "healthy" after a successful check;
//   - "unhealthy" after `retries` consecutive failures. Failures during
//     the start period do not count, unless a check succeeded before.
// The first check runs one interval after the start, as in Docker.
//
// Thread safety: thread-compatible; used by the single-threaded monitor.
#ifndef PYCONTAIN_LIB_CONTAINER_HEALTH_H_
#define PYCONTAIN_LIB_CONTAINER_HEALTH_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/container/managed.h"
#include "lib/container/managed_container.pb.h"

namespace pycontain::container {

inline constexpr char kHealthStarting[] = "starting";
inline constexpr char kHealthHealthy[] = "healthy";
inline constexpr char kHealthUnhealthy[] = "unhealthy";

// Whether `config` defines a health check (a test other than NONE).
bool HasHealthcheck(const HealthcheckConfig& config);

// Returns the command of the check: the words after CMD, or /bin/sh -c
// and the text after CMD-SHELL. Errors: InvalidArgument for another first
// word or a missing command.
absl::StatusOr<std::vector<std::string>> HealthcheckCommand(const HealthcheckConfig& config);

// The timing of `config` with Docker's defaults filled in.
struct HealthcheckTiming {
  absl::Duration interval;
  absl::Duration timeout;
  absl::Duration start_period;
  int retries = 0;
};
HealthcheckTiming TimingOf(const HealthcheckConfig& config);

// Returns `health` after one more check result, following the rules
// above. `in_start_period`: the check ran before the start period ended.
Health AddHealthResult(Health health, const HealthcheckResult& result, bool in_start_period,
                       int retries);

// The child process that runs the checks of one running container. The
// monitor starts it after recording the start and stops it when the
// container has exited; dropping it stops it too.
class HealthChecker {
 public:
  HealthChecker() = default;
  HealthChecker(HealthChecker&& other) noexcept;
  HealthChecker& operator=(HealthChecker&& other) noexcept;
  ~HealthChecker();

  // Records health "starting" and forks the checking child, which dies
  // with the caller (PR_SET_PDEATHSIG). Does nothing for a container
  // without a health check. A failure is logged, and the container runs
  // without checks.
  static HealthChecker Start(const ManagedContainer& container);

  // Kills the child with SIGKILL and reaps it.
  void Stop();

 private:
  pid_t pid_ = -1;
};

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_HEALTH_H_
