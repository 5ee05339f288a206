#include "lib/overlay/userns_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/status.h"

namespace pycontain::overlay {
namespace {

// Steps of the helper, for its report. Parameters report their index.
enum HelperStep : int {
  kStepSetgroups = -1,
  kStepUidMap = -2,
  kStepGidMap = -3,
  kStepChangeDirectory = -4,
  kStepOpenTree = -5,
  kStepFsopen = -6,
  kStepCreate = -7,
  kStepFsmount = -8,
  kStepReopen = -9,
};

// Shared between the caller and the helper, which runs in the caller's
// memory. The caller fills the inputs; the helper the results.
struct HelperState {
  const UserNamespaceMount* request = nullptr;
  const char* uid_map = nullptr;
  const char* gid_map = nullptr;

  int mount_fd = -1;
  int step = 0;
  // For kStepReopen: the index in request->reopen.
  size_t reopen_index = 0;
  int err = 0;
  // Messages the kernel queued on the file system context.
  char messages[1024] = {};
  size_t messages_size = 0;
};

int WriteProcFile(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t length = static_cast<ssize_t>(strlen(text));
  ssize_t written = write(fd, text, length);
  int saved = errno;
  close(fd);
  if (written == length) return 0;
  errno = written < 0 ? saved : EIO;
  return -1;
}

// Appends what the kernel queued on `context_fd` to state->messages. Each
// message starts with "e ", "w " or "i " for its level.
void ReadKernelMessages(int context_fd, HelperState* state) {
  for (;;) {
    size_t room = sizeof(state->messages) - state->messages_size;
    if (room < 4) return;
    char* out = state->messages + state->messages_size;
    if (state->messages_size > 0) {
      memcpy(out, "; ", 2);
      out += 2;
      room -= 2;
    }
    ssize_t n = read(context_fd, out, room);
    if (n <= 2) return;
    memmove(out, out + 2, n - 2);
    state->messages_size = (out - state->messages) + n - 2;
  }
}

// Runs in the helper: async-signal-safe calls only, no allocation.
int FailHelper(HelperState* state, int step, int context_fd) {
  state->step = step;
  state->err = errno;
  if (context_fd >= 0) {
    ReadKernelMessages(context_fd, state);
    close(context_fd);
  }
  return 1;
}

int RunHelper(void* data) {
  HelperState* state = static_cast<HelperState*>(data);
  const UserNamespaceMount& request = *state->request;

  // An unprivileged process may map only its own ids, and its gid only
  // after setgroups(2) is denied.
  if (WriteProcFile("/proc/self/setgroups", "deny") != 0) {
    return FailHelper(state, kStepSetgroups, -1);
  }
  if (WriteProcFile("/proc/self/uid_map", state->uid_map) != 0) {
    return FailHelper(state, kStepUidMap, -1);
  }
  if (WriteProcFile("/proc/self/gid_map", state->gid_map) != 0) {
    return FailHelper(state, kStepGidMap, -1);
  }
  if (!request.directory.empty() && chdir(request.directory.c_str()) != 0) {
    return FailHelper(state, kStepChangeDirectory, -1);
  }

  for (size_t i = 0; i < request.reopen.size(); ++i) {
    const auto& [number, path] = request.reopen[i];
    state->reopen_index = i;
    int fd = open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return FailHelper(state, kStepReopen, -1);
    int moved = dup3(fd, number, O_CLOEXEC);
    int saved = errno;
    close(fd);
    errno = saved;
    if (moved < 0) return FailHelper(state, kStepReopen, -1);
  }

  if (!request.clone_path.empty()) {
    int fd = static_cast<int>(open_tree(AT_FDCWD, request.clone_path.c_str(),
                                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (fd < 0) return FailHelper(state, kStepOpenTree, -1);
    state->mount_fd = fd;
    return 0;
  }

  int context = fsopen(request.fstype.c_str(), FSOPEN_CLOEXEC);
  if (context < 0) return FailHelper(state, kStepFsopen, -1);
  for (size_t i = 0; i < request.parameters.size(); ++i) {
    const auto& [key, value] = request.parameters[i];
    int result = value.empty()
                     ? fsconfig(context, FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                     : fsconfig(context, FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0);
    if (result != 0) return FailHelper(state, static_cast<int>(i), context);
  }
  if (fsconfig(context, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return FailHelper(state, kStepCreate, context);
  }
  int mount = fsmount(context, FSMOUNT_CLOEXEC, 0);
  if (mount < 0) return FailHelper(state, kStepFsmount, context);
  close(context);
  state->mount_fd = mount;
  return 0;
}

// Returns the words for the helper's failed step.
std::string DescribeStep(const UserNamespaceMount& request, const HelperState& state) {
  int step = state.step;
  switch (step) {
    case kStepReopen:
      return absl::StrCat("open ", request.reopen[state.reopen_index].second,
                          " in the mount helper's namespace");
    case kStepSetgroups:
      return "write /proc/self/setgroups of the mount helper";
    case kStepUidMap:
      return "write /proc/self/uid_map of the mount helper";
    case kStepGidMap:
      return "write /proc/self/gid_map of the mount helper";
    case kStepChangeDirectory:
      return absl::StrCat("enter ", request.directory);
    case kStepOpenTree:
      return absl::StrCat("open_tree ", request.clone_path);
    case kStepFsopen:
      return absl::StrCat("fsopen ", request.fstype);
    case kStepCreate:
      return absl::StrCat("create ", request.description);
    case kStepFsmount:
      return absl::StrCat("fsmount ", request.description);
  }
  if (step >= 0 && static_cast<size_t>(step) < request.parameters.size()) {
    const auto& [key, value] = request.parameters[step];
    return absl::StrCat("fsconfig ", request.fstype, " ", key, value.empty() ? "" : " ", value);
  }
  return absl::StrCat("step ", step, " of the mount helper");
}

// The helper's stack, unmapped when the owner goes.
class HelperStack {
 public:
  static constexpr size_t kSize = 64 * 1024;

  HelperStack()
      : base_(mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0)) {}
  ~HelperStack() {
    if (valid()) munmap(base_, kSize);
  }
  HelperStack(const HelperStack&) = delete;
  HelperStack& operator=(const HelperStack&) = delete;

  bool valid() const { return base_ != MAP_FAILED; }
  // The stack grows down from its end.
  void* top() const { return static_cast<char*>(base_) + kSize; }

 private:
  void* base_;
};

}  // namespace

absl::StatusOr<UniqueFd> MountInUserNamespace(const UserNamespaceMount& request) {
  std::string uid_map = absl::StrCat("0 ", geteuid(), " 1\n");
  std::string gid_map = absl::StrCat("0 ", getegid(), " 1\n");
  HelperState state;
  state.request = &request;
  state.uid_map = uid_map.c_str();
  state.gid_map = gid_map.c_str();

  HelperStack stack;
  if (!stack.valid()) return ErrnoError(errno, "allocate the stack of", "the mount helper");

  // The helper runs the caller's signal handlers on its own stack if a
  // signal arrives, so every signal stays blocked until it has exited.
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  // CLONE_FILES: the mount's descriptor lands in the caller's table.
  // CLONE_VFORK: this thread waits until the helper has exited.
  pid_t pid = clone(RunHelper, stack.top(),
                    CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD,
                    &state);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) {
    return ErrnoError(clone_errno, "clone a user and mount namespace for",
                      request.description);
  }

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoError(errno, "wait for the mount helper of", request.description);
  }
  UniqueFd mount(state.mount_fd);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && mount.valid()) return mount;
  if (state.err == 0) {
    return absl::InternalError(absl::StrCat("the mount helper for ", request.description,
                                            " ended with status ", status, " and no report"));
  }

  absl::Status error = ErrnoError(state.err, DescribeStep(request, state));
  if (state.messages_size == 0) return error;
  absl::Status with_messages(
      error.code(), absl::StrCat(error.message(), " (",
                                 absl::string_view(state.messages, state.messages_size), ")"));
  // The errno payload stays, so that callers can still tell EINVAL apart.
  error.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    with_messages.SetPayload(url, payload);
  });
  return with_messages;
}

}  // namespace pycontain::overlay
