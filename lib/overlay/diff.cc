#include "lib/overlay/diff.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/base/status.h"

namespace pycontain::overlay {
namespace {

bool IsWhiteout(const struct stat& info) {
  return S_ISCHR(info.st_mode) && info.st_rdev == makedev(0, 0);
}

// Whether `path` is visible in the stack of `lowers`: the first lower that
// has an entry decides, and a whiteout there hides the lowers below it.
bool InLowers(const std::vector<std::string>& lowers, const std::string& path) {
  for (const std::string& lower : lowers) {
    struct stat info;
    if (lstat(absl::StrCat(lower, path).c_str(), &info) != 0) continue;
    return !IsWhiteout(info);
  }
  return false;
}

class Walker {
 public:
  Walker(const std::string& upper, const std::vector<std::string>& lowers)
      : upper_(upper), lowers_(lowers) {}

  // Lists the entries of the directory at `path` inside the container.
  absl::Status Walk(const std::string& path) {
    std::string host = absl::StrCat(upper_, path);
    DIR* dir = opendir(host.c_str());
    if (dir == nullptr) return ErrnoError(errno, "open directory", host);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    int err = errno;
    closedir(dir);
    if (err != 0) return ErrnoError(err, "read directory", host);

    for (const std::string& name : names) {
      std::string inside = path == "/" ? absl::StrCat("/", name) : absl::StrCat(path, "/", name);
      struct stat info;
      std::string entry_host = absl::StrCat(upper_, inside);
      if (lstat(entry_host.c_str(), &info) != 0) return ErrnoError(errno, "stat", entry_host);
      if (IsWhiteout(info)) {
        changes_.push_back({Change::Kind::kDeleted, inside});
        continue;
      }
      bool existed = InLowers(lowers_, inside);
      changes_.push_back({existed ? Change::Kind::kModified : Change::Kind::kAdded, inside});
      if (S_ISDIR(info.st_mode)) {
        absl::Status status = Walk(inside);
        if (!status.ok()) return status;
      }
    }
    return absl::OkStatus();
  }

  std::vector<Change> Take() { return std::move(changes_); }

 private:
  const std::string& upper_;
  const std::vector<std::string>& lowers_;
  std::vector<Change> changes_;
};

}  // namespace

absl::StatusOr<std::vector<Change>> ListChanges(const std::string& upper,
                                                const std::vector<std::string>& lowers) {
  Walker walker(upper, lowers);
  absl::Status status = walker.Walk("/");
  if (!status.ok()) return status;
  std::vector<Change> changes = walker.Take();
  std::sort(changes.begin(), changes.end(),
            [](const Change& a, const Change& b) { return a.path < b.path; });
  return changes;
}

std::string FormatChange(const Change& change) {
  switch (change.kind) {
    case Change::Kind::kAdded:
      return absl::StrCat("A ", change.path);
    case Change::Kind::kModified:
      return absl::StrCat("C ", change.path);
    case Change::Kind::kDeleted:
      return absl::StrCat("D ", change.path);
  }
  return change.path;
}

}  // namespace pycontain::overlay
