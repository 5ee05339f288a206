#include "lib/cgroup/reclaim.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/cgroup/backend.h"
#include "lib/cgroup/files.h"

namespace pycontain::cgroup {
namespace {

// From linux/magic.h.
constexpr long kCgroupMagic = 0x27e0eb;
constexpr long kCgroup2Magic = 0x63677270;

// Returns the cgroup directories below `path`, children before parents,
// then `path` itself.
absl::StatusOr<std::vector<std::string>> ListBottomUp(const std::string& path) {
  std::vector<std::string> order;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return ErrnoError(errno, "open cgroup", path);
  std::vector<std::string> children;
  errno = 0;
  while (struct dirent* entry = readdir(dir)) {
    absl::string_view name = entry->d_name;
    if (entry->d_type != DT_DIR || name == "." || name == "..") continue;
    children.push_back(absl::StrCat(path, "/", name));
  }
  int error = errno;
  closedir(dir);
  if (error != 0) return ErrnoError(error, "read cgroup", path);
  for (const std::string& child : children) {
    absl::StatusOr<std::vector<std::string>> below = ListBottomUp(child);
    if (!below.ok()) return below.status();
    order.insert(order.end(), below->begin(), below->end());
  }
  order.push_back(path);
  return order;
}

absl::StatusOr<std::vector<pid_t>> ListProcesses(const std::string& directory) {
  absl::StatusOr<std::string> text = ReadWholeFile(absl::StrCat(directory, "/cgroup.procs"));
  if (!text.ok()) return text.status();
  std::vector<pid_t> pids;
  for (absl::string_view word : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    pid_t pid = 0;
    if (absl::SimpleAtoi(word, &pid) && pid > 0) pids.push_back(pid);
  }
  return pids;
}

// Kills the processes of one round; returns whether any was listed.
absl::StatusOr<bool> KillRound(const std::vector<std::string>& directories, bool v2) {
  // cgroup.kill on the top directory covers the whole subtree, new forks
  // included.
  const std::string& top = directories.back();
  if (v2 && access(absl::StrCat(top, "/cgroup.kill").c_str(), W_OK) == 0) {
    absl::StatusOr<CgroupDir> dir = CgroupDir::Open(top, "");
    if (!dir.ok()) return dir.status();
    absl::Status status = dir->Write("cgroup.kill", "1");
    if (!status.ok()) return status;
  }
  bool listed = false;
  for (const std::string& directory : directories) {
    absl::StatusOr<std::vector<pid_t>> pids = ListProcesses(directory);
    if (!pids.ok()) return pids.status();
    for (pid_t pid : *pids) {
      listed = true;
      Logf(LogLevel::kDebug, "", "kill -9 %d (in %s)", pid, directory);
      if (kill(pid, SIGKILL) != 0 && errno != ESRCH) {
        return ErrnoError(errno, absl::StrCat("kill process ", pid, " in"), directory);
      }
    }
  }
  return listed;
}

// Returns the cgroup file system's magic number for `path`, or 0 when
// `path` does not exist. Errors: InvalidArgument for other file systems.
absl::StatusOr<long> FileSystemType(const std::string& path) {
  struct statfs info;
  if (statfs(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return 0;
    return ErrnoError(errno, "statfs", path);
  }
  if (info.f_type != kCgroupMagic && info.f_type != kCgroup2Magic) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not on a cgroup file system; not removed"));
  }
  return static_cast<long>(info.f_type);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParentDirectories(absl::string_view parent) {
  CgroupOptions options;
  // A std::string, not a literal: GCC 12 warns falsely (-Wrestrict) on
  // assigning this literal.
  options.id = std::string(1, 'x');
  options.parent = std::string(parent);
  absl::StatusOr<std::vector<std::string>> candidates = Cgroup::CandidateDirectories(options);
  if (!candidates.ok()) return candidates.status();
  for (std::string& candidate : *candidates) {
    if (absl::EndsWith(candidate, "/x")) candidate.resize(candidate.size() - 2);
  }
  return candidates;
}

absl::StatusOr<bool> CgroupHasProcesses(const std::string& path) {
  absl::StatusOr<std::vector<std::string>> directories = ListBottomUp(path);
  if (!directories.ok()) return directories.status();
  for (const std::string& directory : *directories) {
    absl::StatusOr<std::vector<pid_t>> pids = ListProcesses(directory);
    if (!pids.ok()) return pids.status();
    if (!pids->empty()) return true;
  }
  return false;
}

absl::Status ReclaimCgroup(const std::string& path, absl::Duration timeout) {
  absl::StatusOr<long> type = FileSystemType(path);
  if (!type.ok()) return type.status();
  if (*type == 0) return absl::OkStatus();
  bool v2 = *type == kCgroup2Magic;
  absl::StatusOr<std::vector<std::string>> directories = ListBottomUp(path);
  if (!directories.ok()) return directories.status();

  // Repeated, because on v1 a process may fork between the read of
  // cgroup.procs and the kill.
  absl::Time deadline = absl::Now() + timeout;
  absl::Duration pause = absl::Microseconds(100);
  while (true) {
    absl::StatusOr<bool> listed = KillRound(*directories, v2);
    if (!listed.ok()) return listed.status();
    if (!*listed) break;
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "processes still run in ", path, " after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Milliseconds(10));
  }

  for (const std::string& directory : *directories) {
    absl::Status status = RemoveCgroupDirectory(directory, "");
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status RemoveEmptyCgroup(const std::string& path) {
  absl::StatusOr<long> type = FileSystemType(path);
  if (!type.ok()) return type.status();
  if (*type == 0) return absl::OkStatus();
  absl::StatusOr<std::vector<std::string>> directories = ListBottomUp(path);
  if (!directories.ok()) return directories.status();
  for (const std::string& directory : *directories) {
    absl::StatusOr<std::vector<pid_t>> pids = ListProcesses(directory);
    if (!pids.ok()) return pids.status();
    if (!pids->empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(directory, " contains processes; not removed"));
    }
  }
  for (const std::string& directory : *directories) {
    // A process that joined since the check makes rmdir fail with EBUSY,
    // and RemoveCgroupDirectory reports that after its short retries.
    absl::Status status = RemoveCgroupDirectory(directory, "");
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace pycontain::cgroup
