#include "lib/container/state_dir.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/record.h"

namespace pycontain::container {
namespace {

absl::Status MakeDirectory(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return absl::OkStatus();
  return ErrnoError(errno, "create directory", path);
}

bool OnMemoryFilesystem(const char* path) {
  struct statfs info;
  if (statfs(path, &info) != 0) return false;
  return info.f_type == TMPFS_MAGIC || info.f_type == RAMFS_MAGIC;
}

// Returns whether `path` is a directory, not a link, that only root can
// change.
bool OwnedByRootOnly(const char* path) {
  struct stat info;
  if (lstat(path, &info) != 0) return false;
  return S_ISDIR(info.st_mode) && info.st_uid == 0 && (info.st_mode & 022) == 0;
}

}  // namespace

std::string ChooseRootStateRoot(const std::string& run_dir, const std::string& shm_dir) {
  std::string in_run = absl::StrCat(run_dir, "/pycontain");
  std::string in_shm = absl::StrCat(shm_dir, "/pycontain");
  if (OnMemoryFilesystem(run_dir.c_str()) || !OnMemoryFilesystem(shm_dir.c_str())) return in_run;
  if (mkdir(in_shm.c_str(), 0711) != 0 && errno != EEXIST) return in_run;
  if (!OwnedByRootOnly(in_shm.c_str())) {
    Logf(LogLevel::kWarning, "",
         "%s is not a directory that only root can change, so state goes to %s instead",
         in_shm, in_run);
    return in_run;
  }
  return in_shm;
}

std::string StateRoot() {
  const char* configured = getenv("PYCONTAIN_STATE_DIR");
  if (configured != nullptr && *configured != '\0') return configured;
  if (geteuid() == 0) {
    static const std::string* const root = new std::string(ChooseRootStateRoot("/run", "/dev/shm"));
    return *root;
  }
  const char* runtime = getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && *runtime != '\0') {
    return absl::StrCat(runtime, "/pycontain");
  }
  return absl::StrCat("/tmp/pycontain-", geteuid());
}

StateDir::StateDir(StateDir&& other) noexcept
    : path_(std::exchange(other.path_, {})),
      subdirectories_(std::exchange(other.subdirectories_, {})),
      has_record_(std::exchange(other.has_record_, false)) {}

StateDir& StateDir::operator=(StateDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, {});
    subdirectories_ = std::exchange(other.subdirectories_, {});
    has_record_ = std::exchange(other.has_record_, false);
  }
  return *this;
}

StateDir::~StateDir() { Remove(); }

absl::StatusOr<StateDir> StateDir::Create(absl::string_view id) {
  std::string root = StateRoot();
  absl::Status status = MakeDirectory(root, 0711);
  if (!status.ok()) return status;

  StateDir dir;
  std::string path = absl::StrCat(root, "/", id);
  if (mkdir(path.c_str(), 0700) != 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(
          "container id \"", id, "\" is in use (", path, " exists)"));
    }
    return ErrnoError(errno, "create state directory", path);
  }
  dir.path_ = std::move(path);
  return dir;
}

absl::StatusOr<std::string> StateDir::MakeSubdirectory(absl::string_view name) {
  std::string path = absl::StrCat(path_, "/", name);
  if (mkdir(path.c_str(), 0700) != 0) {
    return ErrnoError(errno, "create directory", path);
  }
  subdirectories_.push_back(path);
  return path;
}

absl::Status StateDir::SaveRecord(const ContainerRecord& record) {
  has_record_ = true;
  return WriteRecord(path_, record);
}

void StateDir::Remove() {
  if (path_.empty()) return;
  if (has_record_) {
    std::string record = absl::StrCat(path_, "/", kRecordFile);
    for (const std::string& file : {record, absl::StrCat(record, kPreviousSuffix)}) {
      if (unlink(file.c_str()) != 0 && errno != ENOENT) {
        Logf(LogLevel::kWarning, "", "remove %s: %s", file, strerror(errno));
      }
    }
  }
  for (auto it = subdirectories_.rbegin(); it != subdirectories_.rend(); ++it) {
    if (rmdir(it->c_str()) != 0) {
      Logf(LogLevel::kWarning, "", "remove %s: %s", *it, strerror(errno));
    }
  }
  if (rmdir(path_.c_str()) != 0) {
    Logf(LogLevel::kWarning, "", "remove state directory %s: %s", path_,
         strerror(errno));
  }
  path_.clear();
  subdirectories_.clear();
  has_record_ = false;
}

}  // namespace pycontain::container
