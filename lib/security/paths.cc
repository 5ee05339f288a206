#include "lib/security/paths.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/path.h"
#include "lib/base/status.h"

namespace pycontain::security {
namespace {

constexpr char kHostNull[] = "/dev/null";

absl::Status CheckHostNull() {
  struct stat info;
  if (stat(kHostNull, &info) != 0) return ErrnoError(errno, "stat", kHostNull);
  if (!S_ISCHR(info.st_mode) || major(info.st_rdev) != 1 || minor(info.st_rdev) != 3) {
    return absl::FailedPreconditionError(
        "the host's /dev/null is not the character device 1:3, so it cannot mask "
        "paths; restore it with: mknod -m 666 /dev/null c 1 3");
  }
  return absl::OkStatus();
}

bool OnKernelFilesystem(absl::string_view path) {
  return absl::StartsWith(path, "/proc/") || absl::StartsWith(path, "/sys/");
}

struct Found {
  bool exists = false;
  bool directory = false;
  std::string target;  // host path to mount on
};

absl::StatusOr<Found> Look(const PathOptions& options, const std::string& path) {
  Found found;
  std::string host;
  if (OnKernelFilesystem(path)) {
    host = path;
    found.target = absl::StrCat(options.new_root, path);
  } else {
    absl::StatusOr<std::string> resolved = ResolveInRoot(options.lookup_root, path);
    if (!resolved.ok()) {
      if (ErrnoOf(resolved.status()) == ENOENT) return found;
      return resolved.status();
    }
    host = *resolved;
    // The lookup root and the new root differ for the embedded default,
    // whose lookup root is "/", and for an overlay root, looked up through
    // its detached mount ("/proc/self/fd/N") before it is attached.
    if (options.lookup_root == "/") {
      found.target = absl::StrCat(options.new_root, host);
    } else if (options.lookup_root != options.new_root) {
      found.target = absl::StrCat(
          options.new_root, absl::string_view(host).substr(options.lookup_root.size()));
    } else {
      found.target = host;
    }
  }
  struct stat info;
  if (lstat(host.c_str(), &info) != 0) {
    if (errno == ENOENT) return found;
    return ErrnoError(errno, "stat", host);
  }
  found.exists = true;
  found.directory = S_ISDIR(info.st_mode);
  return found;
}

ns::RootfsStep Mount(std::string source, std::string target, std::string fstype,
                     unsigned long flags) {
  ns::RootfsStep step;
  step.kind = ns::RootfsStep::Kind::kMount;
  step.source = std::move(source);
  step.target = std::move(target);
  step.fstype = std::move(fstype);
  step.flags = flags;
  return step;
}

}  // namespace

const std::vector<std::string>& DefaultMaskedPaths() {
  static const auto* const paths = new std::vector<std::string>{
      "/proc/asound",        "/proc/acpi",          "/proc/interrupts",
      "/proc/kcore",         "/proc/keys",          "/proc/latency_stats",
      "/proc/timer_list",    "/proc/timer_stats",   "/proc/sched_debug",
      "/proc/scsi",          "/sys/firmware",       "/sys/devices/virtual/powercap",
  };
  return *paths;
}

const std::vector<std::string>& DefaultReadonlyPaths() {
  static const auto* const paths = new std::vector<std::string>{
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  return *paths;
}

absl::StatusOr<std::vector<ns::RootfsStep>> PlanPaths(const PathOptions& options) {
  std::vector<ns::RootfsStep> steps;
  bool null_checked = false;
  for (const std::string& path : options.masked) {
    absl::StatusOr<Found> found = Look(options, path);
    if (!found.ok()) return found.status();
    if (!found->exists) continue;
    if (found->directory) {
      steps.push_back(Mount("tmpfs", found->target, "tmpfs",
                            MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
      continue;
    }
    if (!null_checked) {
      absl::Status status = CheckHostNull();
      if (!status.ok()) return status;
      null_checked = true;
    }
    steps.push_back(Mount(kHostNull, found->target, "", MS_BIND));
  }
  for (const std::string& path : options.readonly) {
    absl::StatusOr<Found> found = Look(options, path);
    if (!found.ok()) return found.status();
    if (!found->exists) continue;
    steps.push_back(Mount(found->target, found->target, "", MS_BIND | MS_REC));
    ns::RootfsStep readonly;
    readonly.kind = ns::RootfsStep::Kind::kReadOnlyRecursive;
    readonly.target = found->target;
    steps.push_back(std::move(readonly));
  }
  return steps;
}

absl::Status ValidatePaths(const spec::Security& security) {
  struct List {
    const char* field;
    const google::protobuf::RepeatedPtrField<std::string>& paths;
  };
  for (const List& list : {List{"security.masked_paths", security.masked_paths()},
                           List{"security.readonly_paths", security.readonly_paths()}}) {
    for (int i = 0; i < list.paths.size(); ++i) {
      const std::string& path = list.paths[i];
      if (!absl::StartsWith(path, "/") || path.find('\0') != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            list.field, "[", i, "]: must be an absolute path, got \"", path, "\""));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace pycontain::security
