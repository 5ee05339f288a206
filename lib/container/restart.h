// Restart policies of managed containers (managed.h), as Docker applies
// them: the monitor asks NextRestart after each exit whether to start the
// container again.
//
//   "no" (or empty)   never
//   "always"          after every exit, unless the container was stopped
//                     (StopContainer) since its last start
//   "unless-stopped"  as "always": the two differ only when a daemon
//                     restarts, and pycontain has none
//   "on-failure[:N]"  after an exit with a non-zero code, at most N times
//                     (state.restart_count) when N is given
// A start that fails is not retried.
// NOTE: NextRestart releases the container's lock before the monitor
// starts the container again, so a user's StartContainer in that moment
// can start a second run of the same container. Before a restart the monitor waits
// 100 ms, doubled after each restart up to 1 minute, and back to 100 ms
// once a run lasted 10 s or more (Docker's back-off).
//
// Thread safety: thread-safe; processes coordinate through the container's
// lock and a marker file.
#ifndef PYCONTAIN_LIB_CONTAINER_RESTART_H_
#define PYCONTAIN_LIB_CONTAINER_RESTART_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/container/managed.h"
#include "lib/container/managed_container.pb.h"

namespace pycontain::container {

// Parses Compose's and Docker's `restart` text: no, always,
// unless-stopped, on-failure or on-failure:N. Errors: InvalidArgument
// naming the text.
absl::StatusOr<RestartPolicy> ParseRestartPolicy(absl::string_view text);

// Whether `policy` restarts a container that exited with `exit_code`
// after `restarts` restarts, when it was not stopped by a user.
bool PolicyRestarts(const RestartPolicy& policy, int exit_code, int restarts);

// Returns how long to wait before restart number `restarts` + 1 after a
// run of `run_time`.
absl::Duration RestartDelay(int restarts, absl::Duration run_time);

// Called by the monitor after the container in `directory` exited:
// decides by its policy, sleeps the back-off, checks again that no user
// stopped or removed it meanwhile, counts the restart in state.json and
// returns the container to start again. nullopt: leave it exited.
std::optional<ManagedContainer> NextRestart(const std::string& directory);

// Records that a user stopped the container (StopContainer), so that
// NextRestart leaves it exited; StartContainer clears the mark.
void MarkStoppedByUser(const std::string& directory);
void ClearStoppedByUser(const std::string& directory);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_RESTART_H_
