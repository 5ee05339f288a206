#include "lib/container/restart.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/base/log.h"
#include "lib/base/unique_fd.h"
#include "lib/container/managed_internal.h"

namespace pycontain::container {
namespace {

using namespace managed_internal;

// An empty file in the container's directory while the container is
// stopped by a user.
constexpr char kStoppedMarker[] = "stopped-by-user";

constexpr absl::Duration kFirstDelay = absl::Milliseconds(100);
constexpr absl::Duration kMaxDelay = absl::Minutes(1);
constexpr absl::Duration kResetAfter = absl::Seconds(10);

bool StoppedByUser(const std::string& directory) {
  return access(absl::StrCat(directory, "/", kStoppedMarker).c_str(), F_OK) == 0;
}

absl::Duration RunTime(const ManagedState& state) {
  absl::Time started;
  absl::Time finished;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, state.started_at(), &started, &error) ||
      !absl::ParseTime(absl::RFC3339_full, state.finished_at(), &finished, &error)) {
    return absl::ZeroDuration();
  }
  return finished - started;
}

}  // namespace

absl::StatusOr<RestartPolicy> ParseRestartPolicy(absl::string_view text) {
  RestartPolicy policy;
  if (text.empty() || text == "no" || text == "always" || text == "unless-stopped" ||
      text == "on-failure") {
    policy.set_name(text.empty() ? "no" : std::string(text));
    return policy;
  }
  absl::string_view count = text;
  int maximum = 0;
  if (absl::ConsumePrefix(&count, "on-failure:") && absl::SimpleAtoi(count, &maximum) &&
      maximum >= 0) {
    policy.set_name("on-failure");
    policy.set_maximum_retry_count(maximum);
    return policy;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid restart policy \"", text,
      "\": use no, always, unless-stopped, on-failure or on-failure:N"));
}

bool PolicyRestarts(const RestartPolicy& policy, int exit_code, int restarts) {
  if (policy.name() == "always" || policy.name() == "unless-stopped") return true;
  if (policy.name() != "on-failure" || exit_code == 0) return false;
  return policy.maximum_retry_count() == 0 || restarts < policy.maximum_retry_count();
}

absl::Duration RestartDelay(int restarts, absl::Duration run_time) {
  if (run_time >= kResetAfter) return kFirstDelay;
  absl::Duration delay = kFirstDelay;
  for (int i = 0; i < restarts && delay < kMaxDelay; ++i) delay *= 2;
  return std::min(delay, kMaxDelay);
}

std::optional<ManagedContainer> NextRestart(const std::string& directory) {
  absl::StatusOr<ManagedContainer> exited = LoadContainer(directory);
  if (!exited.ok() || exited->state.status() != kStatusExited) return std::nullopt;
  const RestartPolicy& policy = exited->config.restart_policy();
  int restarts = exited->state.restart_count();
  if (StoppedByUser(directory) ||
      !PolicyRestarts(policy, exited->state.exit_code(), restarts)) {
    return std::nullopt;
  }
  absl::SleepFor(RestartDelay(restarts, RunTime(exited->state)));

  // A user may have stopped, started or removed the container meanwhile.
  absl::StatusOr<UniqueFd> lock = LockContainer(directory);
  if (!lock.ok() || StoppedByUser(directory)) return std::nullopt;
  absl::StatusOr<ManagedContainer> container = LoadContainer(directory);
  if (!container.ok() || container->state.status() != kStatusExited ||
      container->state.finished_at() != exited->state.finished_at()) {
    return std::nullopt;
  }
  container->state.set_restart_count(restarts + 1);
  absl::Status written = WriteState(directory, container->state);
  if (!written.ok()) {
    Logf(LogLevel::kWarning, container->id(), "cannot record the restart: %s",
         written.message());
    return std::nullopt;
  }
  Logf(LogLevel::kDebug, container->id(), "restart %d by policy %s after exit code %d",
       restarts + 1, policy.name(), container->state.exit_code());
  return std::move(*container);
}

void MarkStoppedByUser(const std::string& directory) {
  UniqueFd marker(open(absl::StrCat(directory, "/", kStoppedMarker).c_str(),
                       O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  // Without the marker a policy may restart the container, so warn.
  if (!marker.valid()) Logf(LogLevel::kWarning, "", "cannot mark %s stopped", directory);
}

void ClearStoppedByUser(const std::string& directory) {
  // A missing marker is the usual case.
  unlink(absl::StrCat(directory, "/", kStoppedMarker).c_str());
}

}  // namespace pycontain::container
