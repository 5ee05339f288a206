#include "lib/container/sysctl.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"

namespace pycontain::container {
namespace {

enum class SysctlNamespace { kNone, kIpc, kNet };

SysctlNamespace NamespaceOf(absl::string_view name) {
  static constexpr const char* kIpcNames[] = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",  "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const char* ipc : kIpcNames) {
    if (name == ipc) return SysctlNamespace::kIpc;
  }
  if (absl::StartsWith(name, "fs.mqueue.")) return SysctlNamespace::kIpc;
  if (absl::StartsWith(name, "net.")) return SysctlNamespace::kNet;
  return SysctlNamespace::kNone;
}

// Dotted components of letters, digits, '_' and '-', none empty: the name
// maps to a path under /proc/sys and nowhere else.
bool WellFormed(absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(name, '.')) {
    if (part.empty()) return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
        return false;
      }
    }
  }
  return true;
}

bool HasOwnNetwork(const spec::ContainerSpec& spec) {
  spec::Network::Mode mode = spec.network().mode();
  if (mode == spec::Network::HOST || mode == spec::Network::CONTAINER) return false;
  return !spec.namespaces().has_net() || spec.namespaces().net();
}

bool HasOwnIpc(const spec::ContainerSpec& spec) {
  return !spec.namespaces().has_ipc() || spec.namespaces().ipc();
}

std::string PathOf(absl::string_view name) {
  return absl::StrCat("/proc/sys/", absl::StrReplaceAll(name, {{".", "/"}}));
}

// Values compare with runs of white space as one space: the kernel prints
// kernel.sem with tabs.
std::string Normalized(absl::string_view value) {
  std::vector<absl::string_view> words =
      absl::StrSplit(value, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  return absl::StrJoin(words, " ");
}

absl::Status WriteAndCheck(absl::string_view name, const std::string& value) {
  std::string path = PathOf(name);
  UniqueFd out(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!out.valid()) return ErrnoError(errno, "open", absl::StrCat("sysctl ", name));
  if (write(out.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return ErrnoError(errno, "write", absl::StrCat("sysctl ", name, "=", value));
  }
  out.reset();
  UniqueFd in(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return ErrnoError(errno, "open", absl::StrCat("sysctl ", name));
  char buffer[4096];
  ssize_t length = read(in.get(), buffer, sizeof(buffer));
  if (length < 0) return ErrnoError(errno, "read", absl::StrCat("sysctl ", name));
  absl::string_view in_force(buffer, static_cast<size_t>(length));
  if (Normalized(in_force) != Normalized(value)) {
    return absl::InternalError(absl::StrCat("sysctl ", name, ": wrote \"", value,
                                            "\" but the kernel reports \"",
                                            Normalized(in_force), "\""));
  }
  return absl::OkStatus();
}

// The namespace file of `pid` for `kind`, checked to differ from the
// caller's own, so that no write can reach the host's values.
absl::StatusOr<UniqueFd> OpenOtherNamespace(pid_t pid, absl::string_view kind) {
  std::string path = absl::StrCat("/proc/", pid, "/ns/", kind);
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  struct stat theirs;
  struct stat ours;
  std::string own = absl::StrCat("/proc/self/ns/", kind);
  if (fstat(fd.get(), &theirs) != 0) return ErrnoError(errno, "stat", path);
  if (stat(own.c_str(), &ours) != 0) return ErrnoError(errno, "stat", own);
  if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sysctls: the container shares the caller's ", kind, " namespace"));
  }
  return fd;
}

}  // namespace

absl::Status ValidateSysctls(const spec::ContainerSpec& spec) {
  for (const auto& [name, value] : spec.sysctls()) {
    std::string field = absl::StrCat("sysctls[", name, "]");
    if (!WellFormed(name)) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": not a sysctl name"));
    }
    if (value.empty() || absl::StrContains(value, '\n')) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": the value must be one non-empty line"));
    }
    switch (NamespaceOf(name)) {
      case SysctlNamespace::kNone:
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": sysctl ", name,
            " is not namespaced, so setting it would change the host; only net.*, "
            "fs.mqueue.* and the IPC kernel.msg*, kernel.sem and kernel.shm* ones are allowed"));
      case SysctlNamespace::kIpc:
        if (!HasOwnIpc(spec)) {
          return absl::InvalidArgumentError(absl::StrCat(
              field, ": sysctl ", name, " needs the container's own IPC namespace"));
        }
        break;
      case SysctlNamespace::kNet:
        if (!HasOwnNetwork(spec)) {
          return absl::InvalidArgumentError(absl::StrCat(
              field, ": sysctl ", name,
              " needs the container's own network namespace, not network mode HOST or "
              "CONTAINER"));
        }
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status ApplySysctls(const spec::ContainerSpec& spec, pid_t pid) {
  if (spec.sysctls().empty()) return absl::OkStatus();
  absl::Status valid = ValidateSysctls(spec);
  if (!valid.ok()) return valid;
  bool net = false;
  bool ipc = false;
  for (const auto& [name, value] : spec.sysctls()) {
    (NamespaceOf(name) == SysctlNamespace::kNet ? net : ipc) = true;
  }
  UniqueFd net_fd;
  UniqueFd ipc_fd;
  if (net) {
    absl::StatusOr<UniqueFd> fd = OpenOtherNamespace(pid, "net");
    if (!fd.ok()) return fd.status();
    net_fd = std::move(*fd);
  }
  if (ipc) {
    absl::StatusOr<UniqueFd> fd = OpenOtherNamespace(pid, "ipc");
    if (!fd.ok()) return fd.status();
    ipc_fd = std::move(*fd);
  }
  // Net and IPC sysctls resolve against the writing thread's namespaces;
  // this thread joins the container's and ends with them.
  absl::Status status;
  std::thread writer([&] {
    if (net_fd.valid() && setns(net_fd.get(), CLONE_NEWNET) != 0) {
      status = ErrnoError(errno, "setns", "the container's network namespace");
      return;
    }
    if (ipc_fd.valid() && setns(ipc_fd.get(), CLONE_NEWIPC) != 0) {
      status = ErrnoError(errno, "setns", "the container's IPC namespace");
      return;
    }
    for (const auto& [name, value] : spec.sysctls()) {
      status = WriteAndCheck(name, value);
      if (!status.ok()) return;
      Logf(LogLevel::kDebug, spec.id(), "set sysctl %s=%s", name, value);
    }
  });
  writer.join();
  return status;
}

}  // namespace pycontain::container
