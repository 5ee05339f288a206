#include "lib/container/working_directory.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace pycontain::container {

absl::StatusOr<std::unique_ptr<WorkingDirectory>> WorkingDirectory::Create(
    const std::string& path, uid_t uid, gid_t gid) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("working directory \"", path, "\" is not an absolute path"));
  }
  if (path.size() >= PATH_MAX) {
    return absl::InvalidArgumentError(absl::StrCat(
        "working directory of ", path.size(), " bytes is too long (maximum ", PATH_MAX - 1, ")"));
  }
  std::unique_ptr<WorkingDirectory> directory(new WorkingDirectory());
  memcpy(directory->path_, path.c_str(), path.size() + 1);
  directory->uid_ = uid;
  directory->gid_ = gid;
  return directory;
}

ns::ChildHook WorkingDirectory::Hook() const {
  ns::ChildHook hook;
  hook.point = ns::ChildHook::Point::kBeforeUserSwitch;
  hook.run = &WorkingDirectory::Make;
  hook.data = this;
  hook.description = absl::StrCat("create the working directory ", path_);
  return hook;
}

// Runs between clone and exec: no allocation, only system calls on a copy
// of the path on the stack.
int WorkingDirectory::Make(const void* data) {
  const WorkingDirectory* directory = static_cast<const WorkingDirectory*>(data);
  struct stat info;
  if (stat(directory->path_, &info) == 0) return 0;

  char path[PATH_MAX];
  memcpy(path, directory->path_, sizeof(path));
  size_t length = strlen(path);
  // Each prefix that ends before a slash, then the whole path.
  for (size_t end = 1; end <= length; ++end) {
    if (end < length && path[end] != '/') continue;
    char saved = path[end];
    path[end] = '\0';
    if (mkdir(path, 0755) == 0) {
      if (chown(path, directory->uid_, directory->gid_) != 0) return -1;
    } else if (errno != EEXIST) {
      return -1;
    }
    path[end] = saved;
  }
  return 0;
}

}  // namespace pycontain::container
