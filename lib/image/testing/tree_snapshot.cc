#include "lib/image/testing/tree_snapshot.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/image/digest.h"
#include "lib/image/testing/tar_builder.h"

namespace pycontain::image::testing {

namespace {

void Walk(const std::string& root, const std::string& relative,
          std::map<std::string, std::string>& out) {
  std::string path = relative.empty() ? root : root + "/" + relative;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string child = relative.empty() ? name : relative + "/" + name;
    std::string full = root + "/" + child;
    struct stat st;
    if (lstat(full.c_str(), &st) != 0) continue;
    std::string detail;
    if (S_ISREG(st.st_mode)) {
      detail = absl::StrCat("file ", DigestOf(ReadFile(full)), " mtime ", st.st_mtime);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX] = {};
      ssize_t length = readlink(full.c_str(), target, sizeof(target) - 1);
      detail = absl::StrCat("link ", std::string(target, length > 0 ? length : 0));
    } else if (S_ISDIR(st.st_mode)) {
      detail = "dir";
    } else {
      detail = absl::StrFormat("node %o %d:%d", st.st_mode & S_IFMT,
                               major(st.st_rdev), minor(st.st_rdev));
    }
    // Symlink modes are always 0777 on Linux and carry no meaning.
    unsigned mode = S_ISLNK(st.st_mode) ? 0777 : (st.st_mode & 07777);
    out[child] = absl::StrFormat("%s mode %o owner %d:%d", detail, mode,
                                 st.st_uid, st.st_gid);
    if (S_ISDIR(st.st_mode)) Walk(root, child, out);
  }
  closedir(dir);
}

}  // namespace

std::map<std::string, std::string> SnapshotTree(const std::string& root) {
  std::map<std::string, std::string> out;
  Walk(root, "", out);
  return out;
}

int RunShell(const std::string& command, std::string* output) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    if (output != nullptr) output->append(buffer, n);
  }
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string MakeTestDirectory(const std::string& prefix) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string base = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", prefix, "XXXXXX");
  if (mkdtemp(base.data()) == nullptr) return "";
  return base;
}

}  // namespace pycontain::image::testing
