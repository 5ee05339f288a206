#include "lib/security/seccomp_listener.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/fd_passing.h"
#include "absl/strings/str_format.h"
#include "lib/base/status.h"

namespace pycontain::security {
namespace {

// Returns `text` as the body of a JSON string.
std::string JsonEscape(absl::string_view text) {
  std::string escaped;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      escaped.push_back('\\');
      escaped.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      absl::StrAppend(&escaped, absl::StrFormat("\\u%04x", c));
    } else {
      escaped.push_back(static_cast<char>(c));
    }
  }
  return escaped;
}

}  // namespace

int PublishListener(ListenerSlot* slot, int fd) {
  __atomic_store_n(&slot->fd, fd, __ATOMIC_RELEASE);
  // The parent polls every 50 microseconds; 2^32 pause instructions are
  // well over a second on any CPU, and the parent's own timeout ends the
  // wait earlier with taken = 2.
  for (uint64_t spins = 0; spins < (uint64_t{1} << 32); ++spins) {
    int taken = __atomic_load_n(&slot->taken, __ATOMIC_ACQUIRE);
    if (taken == 1) return 0;
    if (taken == 2) break;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  errno = __atomic_load_n(&slot->taken, __ATOMIC_ACQUIRE) == 2 ? ECANCELED : ETIMEDOUT;
  return -1;
}

absl::StatusOr<SharedListenerSlot> SharedListenerSlot::Create() {
  void* page = mmap(nullptr, sizeof(ListenerSlot), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return ErrnoError(errno, "map the seccomp listener page");
  SharedListenerSlot slot;
  slot.slot_ = static_cast<ListenerSlot*>(page);
  slot.slot_->fd = -1;
  slot.slot_->taken = 0;
  return slot;
}

SharedListenerSlot::SharedListenerSlot(SharedListenerSlot&& other) noexcept
    : slot_(std::exchange(other.slot_, nullptr)) {}

SharedListenerSlot& SharedListenerSlot::operator=(SharedListenerSlot&& other) noexcept {
  if (this != &other) {
    if (slot_ != nullptr) munmap(slot_, sizeof(ListenerSlot));
    slot_ = std::exchange(other.slot_, nullptr);
  }
  return *this;
}

SharedListenerSlot::~SharedListenerSlot() {
  if (slot_ != nullptr) munmap(slot_, sizeof(ListenerSlot));
}

absl::StatusOr<UniqueFd> SharedListenerSlot::Take(pid_t pid, absl::Duration timeout) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return ErrnoError(errno, "pidfd_open", absl::StrCat("pid ", pid));

  absl::Time deadline = absl::Now() + timeout;
  int fd = -1;
  while ((fd = __atomic_load_n(&slot_->fd, __ATOMIC_ACQUIRE)) < 0) {
    struct pollfd exited = {pidfd.get(), POLLIN, 0};
    if (poll(&exited, 1, 0) > 0) {
      return absl::AbortedError("the container exited before installing its seccomp filter");
    }
    if (absl::Now() > deadline) {
      __atomic_store_n(&slot_->taken, 2, __ATOMIC_RELEASE);
      return absl::DeadlineExceededError(absl::StrCat(
          "the container did not install its seccomp filter within ",
          absl::FormatDuration(timeout)));
    }
    usleep(50);
  }

  UniqueFd listener(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  int saved = errno;
  __atomic_store_n(&slot_->taken, listener.valid() ? 1 : 2, __ATOMIC_RELEASE);
  if (!listener.valid()) {
    return ErrnoError(saved, "pidfd_getfd of the seccomp listener",
                      absl::StrCat("pid ", pid, ", fd ", fd));
  }
  return listener;
}

absl::Status SendListener(const std::string& path, int listener, pid_t pid,
                          const std::string& container_id, const std::string& metadata) {
  struct sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("listenerPath: longer than ",
                                                   sizeof(address.sun_path) - 1, " bytes"));
  }
  memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd socket_fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket_fd.valid()) return ErrnoError(errno, "create a unix socket");
  if (connect(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return ErrnoError(errno, "connect to the seccomp listener socket", path);
  }

  std::string state = absl::StrCat(
      R"({"ociVersion":"1.0.2","fds":["seccompFd"],"pid":)", pid, R"(,"metadata":")",
      JsonEscape(metadata), R"(","state":{"ociVersion":"1.0.2","id":")",
      JsonEscape(container_id), R"(","status":"creating","pid":)", pid,
      R"(,"bundle":""}})");
  if (SendDescriptors(socket_fd.get(), state.data(), state.size(), &listener, 1) != 0) {
    return ErrnoError(errno, "send the seccomp listener to", path);
  }
  return absl::OkStatus();
}

}  // namespace pycontain::security
