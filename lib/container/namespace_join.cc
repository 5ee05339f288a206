#include "lib/container/namespace_join.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/fd_passing.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/record.h"

namespace pycontain::container {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// Opens `path` and checks that it is a namespace file of type `type`
// (CLONE_NEWIPC or CLONE_NEWPID; NS_GET_NSTYPE needs Linux 4.11).
absl::StatusOr<UniqueFd> OpenNamespaceFile(const std::string& path, int type,
                                           absl::string_view field) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Annotate(ErrnoError(errno, "open", path), field);
  int actual = ioctl(fd.get(), NS_GET_NSTYPE);
  if (actual != type) {
    return FieldError(field, absl::StrCat(path, " is not ",
                                          type == CLONE_NEWIPC ? "an IPC" : "a PID",
                                          " namespace file"));
  }
  return fd;
}

// Receives one int (an errno, 0 on success) and, with 0, a descriptor.
absl::StatusOr<UniqueFd> ReceiveDescriptor(int socket) {
  int err = 0;
  int fd = -1;
  size_t count = 0;
  ssize_t n = ReceiveDescriptors(socket, &err, sizeof(err), &fd, 1, &count);
  UniqueFd tree(count == 1 ? fd : -1);
  if (n < 0) return ErrnoError(errno, "receive the cloned /dev/shm");
  if (n != sizeof(err)) return ErrnoError(EPROTO, "receive the cloned /dev/shm");
  if (err != 0) return ErrnoError(err, "clone the /dev/shm mount of the IPC donor");
  if (!tree.valid()) return ErrnoError(EPROTO, "receive the cloned /dev/shm");
  return tree;
}

// Runs in the forked helper: enters the donor's mount namespace (a process
// with threads cannot), clones its /dev/shm mount, sends the detached
// mount back and exits. It makes only system calls, as a child forked
// from a process with threads must.
[[noreturn]] void CloneShmInHelper(int mount_namespace, int socket) {
  int tree = -1;
  int err = 0;
  if (setns(mount_namespace, CLONE_NEWNS) != 0) {
    err = errno;
  } else {
    // After setns the root is the donor's, so a symlink in its /dev
    // resolves inside the donor's files, never the host's.
    tree = static_cast<int>(open_tree(AT_FDCWD, "/dev/shm",
                                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                          AT_SYMLINK_NOFOLLOW));
    if (tree < 0) err = errno;
  }
  _exit(SendDescriptors(socket, &err, sizeof(err), &tree, tree >= 0 ? 1 : 0) != 0 ? 1 : 0);
}

// Clones the /dev/shm mount of the process whose mount namespace is
// `mount_namespace`. Returns an invalid descriptor (and logs why) when it
// is not a tmpfs, so that the container keeps its own.
// Returns `tree`, a detached clone of `what` (a /dev/shm mount), when it
// is a tmpfs. Otherwise returns an invalid descriptor and logs why, so that
// the container keeps its own /dev/shm.
absl::StatusOr<UniqueFd> KeepIfTmpfs(UniqueFd tree, const std::string& id,
                                     absl::string_view what) {
  struct statfs info;
  if (fstatfs(tree.get(), &info) != 0) return ErrnoError(errno, "statfs", what);
  if (info.f_type != TMPFS_MAGIC) {
    Logf(LogLevel::kDebug, id, "%s is no tmpfs; the container keeps its own", what);
    return UniqueFd();
  }
  Logf(LogLevel::kDebug, id, "cloned the mount of %s", what);
  return tree;
}

absl::StatusOr<UniqueFd> CloneShm(const std::string& id, int mount_namespace) {
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
    return ErrnoError(errno, "create socket pair");
  }
  UniqueFd ours(sockets[0]);
  UniqueFd theirs(sockets[1]);
  pid_t helper = fork();
  if (helper < 0) return ErrnoError(errno, "fork to clone the donor's /dev/shm");
  if (helper == 0) CloneShmInHelper(mount_namespace, theirs.get());
  theirs.reset();

  absl::StatusOr<UniqueFd> tree = ReceiveDescriptor(ours.get());
  int status;
  while (waitpid(helper, &status, 0) < 0 && errno == EINTR) {
  }
  if (!tree.ok()) return tree.status();
  return KeepIfTmpfs(*std::move(tree), id, "the IPC donor's /dev/shm");
}

// Clones the caller's own /dev/shm mount, for a container in the caller's
// IPC namespace (`docker run --ipc host`). Returns an invalid descriptor
// (and logs why) when it is not a tmpfs.
absl::StatusOr<UniqueFd> CloneOwnShm(const std::string& id) {
  UniqueFd tree(static_cast<int>(
      open_tree(AT_FDCWD, "/dev/shm", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW)));
  if (!tree.valid()) return ErrnoError(errno, "clone the mount", "/dev/shm");
  return KeepIfTmpfs(std::move(tree), id, "the caller's /dev/shm");
}

// The namespaces of the running container `other`'s first process: the
// one of `kind` (and its mount namespace in `mount_namespace` when not
// null). The start time is checked after opening, since the pid may have
// been reused.
absl::StatusOr<UniqueFd> OpenContainerNamespace(const std::string& id, const std::string& other,
                                                absl::string_view kind, int type,
                                                absl::string_view field,
                                                UniqueFd* mount_namespace) {
  absl::StatusOr<pid_t> pid = FindRunningContainer(other);
  if (!pid.ok()) return Annotate(pid.status(), field);
  uint64_t start = ProcessStartTime(*pid);
  absl::StatusOr<UniqueFd> fd =
      OpenNamespaceFile(absl::StrCat("/proc/", *pid, "/ns/", kind), type, field);
  if (!fd.ok()) return fd.status();
  if (mount_namespace != nullptr) {
    std::string path = absl::StrCat("/proc/", *pid, "/ns/mnt");
    *mount_namespace = UniqueFd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!mount_namespace->valid()) return Annotate(ErrnoError(errno, "open", path), field);
  }
  if (ProcessStartTime(*pid) != start) {
    return absl::NotFoundError(absl::StrCat(field, ": container ", other,
                                            " exited while its namespace was opened"));
  }
  Logf(LogLevel::kDebug, id, "will join the %s namespace of container %s (pid %d)", kind,
       other, *pid);
  return fd;
}

}  // namespace

absl::StatusOr<JoinedNamespaces> OpenJoinedNamespaces(const spec::ContainerSpec& spec,
                                                      const std::string& id,
                                                      bool user_namespace) {
  const spec::Namespaces& namespaces = spec.namespaces();
  JoinedNamespaces joined;
  if (namespaces.has_ipc() && !namespaces.ipc() && !user_namespace) {
    absl::StatusOr<UniqueFd> shm = CloneOwnShm(id);
    if (!shm.ok()) return Annotate(shm.status(), "namespaces.ipc");
    joined.shm = std::move(*shm);
  }
  if (!namespaces.has_join_ipc() && !namespaces.has_join_pid()) return joined;
  if (user_namespace) {
    return FieldError(namespaces.has_join_ipc() ? "namespaces.join_ipc" : "namespaces.join_pid",
                      "needs root and no user namespace: the new user namespace would own no "
                      "capability in the joined namespace");
  }

  if (namespaces.has_join_ipc()) {
    const spec::NamespaceJoin& join = namespaces.join_ipc();
    UniqueFd mount_namespace;
    absl::StatusOr<UniqueFd> fd =
        join.path().empty()
            ? OpenContainerNamespace(id, join.container(), "ipc", CLONE_NEWIPC,
                                     "namespaces.join_ipc.container", &mount_namespace)
            : OpenNamespaceFile(join.path(), CLONE_NEWIPC, "namespaces.join_ipc.path");
    if (!fd.ok()) return fd.status();
    joined.ipc = std::move(*fd);
    if (mount_namespace.valid()) {
      absl::StatusOr<UniqueFd> shm = CloneShm(id, mount_namespace.get());
      if (!shm.ok()) return Annotate(shm.status(), "namespaces.join_ipc.container");
      joined.shm = std::move(*shm);
    }
  }
  if (namespaces.has_join_pid()) {
    const spec::NamespaceJoin& join = namespaces.join_pid();
    absl::StatusOr<UniqueFd> fd =
        join.path().empty()
            ? OpenContainerNamespace(id, join.container(), "pid", CLONE_NEWPID,
                                     "namespaces.join_pid.container", nullptr)
            : OpenNamespaceFile(join.path(), CLONE_NEWPID, "namespaces.join_pid.path");
    if (!fd.ok()) return fd.status();
    joined.pid = std::move(*fd);
  }
  return joined;
}

ns::RootfsStep SharedShmStep(int shm, const std::string& new_root) {
  ns::RootfsStep step;
  step.kind = ns::RootfsStep::Kind::kAttachMount;
  step.fd = shm;
  step.source = "the shared /dev/shm";
  step.target = absl::StrCat(new_root, "/dev/shm");
  return step;
}

}  // namespace pycontain::container
