// Join: run a command inside a running container's namespaces, as nsenter
// and `docker exec` do.
//
// All of the target's namespaces that differ from the caller's are joined
// together (one setns(2) on a pidfd, Linux 5.8 or later), so /proc, the
// root, the hostname and the network match the container's. The PID
// namespace applies to children only, so an intermediate process joins and
// starts the command as a sibling of itself (CLONE_PARENT): the command is
// the caller's own child, owned by the returned ChildProcess.
//
// The intermediate is not dumpable, so the container's processes cannot open
// its /proc/<pid>/exe (the launcher's binary) or its memory.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_NS_JOIN_H_
#define PYCONTAIN_LIB_NS_JOIN_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/ns/process.h"

namespace pycontain::ns {

struct JoinPlan {
  // The container's first process.
  pid_t target = -1;
  // Path of the executable inside the container, its argv and envp.
  std::string executable;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  // False in a user namespace whose setgroups is denied (rootless).
  bool set_groups = true;
  // Caller descriptors to become 0, 1 and 2; -1 inherits the caller's own.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Called in the caller with the command's pid after the command has
  // joined the namespaces and before it execs, for steps that must come
  // first, such as moving it into the container's cgroups. An error kills
  // the command and is returned by Join. Optional.
  std::function<absl::Status(pid_t pid)> before_exec;
};

// Returns the CLONE_NEW* flags of the namespaces in which `pid` differs
// from the caller.
absl::StatusOr<uint64_t> DifferingNamespaces(pid_t pid);

// Starts the command of `plan` in the namespaces of plan.target. Returns
// once the command has been exec'd; errors name the failed step, as
// "join the namespaces of process 123: Operation not permitted".
absl::StatusOr<ChildProcess> Join(const JoinPlan& plan);

}  // namespace pycontain::ns

#endif  // PYCONTAIN_LIB_NS_JOIN_H_
