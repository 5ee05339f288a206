// Handing a seccomp user notification listener from the container's first
// process to the parent (SECCOMP_FILTER_FLAG_NEW_LISTENER, Linux 5.0;
// pidfd_getfd, Linux 5.6).
//
// The listener is created by seccomp() in the child, just before exec, and
// is close-on-exec: the command must never hold it, or it could answer its
// own notifications. So the child stores the descriptor's number in a page
// shared with the parent and spins, making no system call (any of which the
// new filter might send to a listener nobody holds yet), until the parent
// has copied the descriptor with pidfd_getfd and says so in the same page.
//
//   absl::StatusOr<SharedListenerSlot> slot = SharedListenerSlot::Create();
//   program.listener = slot->get();           // before Launch
//   ... in LaunchOptions::before_setup(pid), on another thread:
//   absl::StatusOr<UniqueFd> listener = slot->Take(pid, absl::Seconds(10));
//
// Thread safety: Take is called by one thread; the slot is shared with the
// child process through atomics.
#ifndef PYCONTAIN_LIB_SECURITY_SECCOMP_LISTENER_H_
#define PYCONTAIN_LIB_SECURITY_SECCOMP_LISTENER_H_

#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/unique_fd.h"

namespace pycontain::security {

// Lives in a MAP_SHARED page, so the child's writes reach the parent.
struct ListenerSlot {
  // The listener's descriptor number in the child, -1 until installed.
  int fd;
  // Set to 1 by the parent once it holds a copy; 2 when it gave up.
  int taken;
};

// Called by the child right after seccomp() returned `fd`: publishes it and
// waits for the parent, without system calls. Returns 0, or -1 with errno
// ETIMEDOUT or ECANCELED when the parent did not take it.
int PublishListener(ListenerSlot* slot, int fd);

// The owner of one shared page holding a ListenerSlot.
class SharedListenerSlot {
 public:
  static absl::StatusOr<SharedListenerSlot> Create();
  SharedListenerSlot(SharedListenerSlot&& other) noexcept;
  SharedListenerSlot& operator=(SharedListenerSlot&& other) noexcept;
  ~SharedListenerSlot();

  ListenerSlot* get() const { return slot_; }

  // Waits until child `pid` has published its listener and copies it with
  // pidfd_getfd. Errors: DeadlineExceeded after `timeout`; Aborted when the
  // child exited first; errno-based ones from pidfd_open or pidfd_getfd.
  absl::StatusOr<UniqueFd> Take(pid_t pid, absl::Duration timeout);

 private:
  SharedListenerSlot() = default;
  ListenerSlot* slot_ = nullptr;
};

// Sends `listener` to the unix socket at `path` as the OCI runtime spec
// describes for listenerPath: one message holding the container's state as
// JSON (fds: ["seccompFd"], pid, metadata, state) and the descriptor.
absl::Status SendListener(const std::string& path, int listener, pid_t pid,
                          const std::string& container_id,
                          const std::string& metadata);

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_SECCOMP_LISTENER_H_
