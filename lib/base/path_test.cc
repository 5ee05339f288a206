#include "lib/base/path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/log.h"
#include "lib/base/status.h"

namespace pycontain {
namespace {

int CountOpenFds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

// Returns the host path that `fd` refers to, as the kernel reports it.
std::string FdPath(int fd) {
  char buffer[PATH_MAX];
  std::string link = absl::StrCat("/proc/self/fd/", fd);
  ssize_t length = readlink(link.c_str(), buffer, sizeof(buffer));
  if (length < 0) return absl::StrCat("<readlink ", link, " failed>");
  return std::string(buffer, length);
}

bool Exists(const std::string& path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string ReadAll(int fd) {
  std::string content;
  char buffer[256];
  ssize_t length;
  while ((length = read(fd, buffer, sizeof(buffer))) > 0)
    content.append(buffer, length);
  return content;
}

bool Openat2Available() {
  struct open_how how = {};
  how.flags = O_PATH | O_CLOEXEC;
  long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
  if (fd >= 0) close(static_cast<int>(fd));
  return fd >= 0 || errno != ENOSYS;
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  return remove(path) == 0 ? 0 : -1;
}

// A temporary directory with a root directory tree inside it:
//
//   <base>/outside/secret          a file that no resolution may reach
//   <base>/root/                   the root that paths are resolved in
//     etc/passwd                   contains "inside"
//     file                         a regular file
//     dir/sub/
//     dir/up -> ..
//     dir/sub/deep -> ../../etc
//     dir/sub/abs_etc -> /etc
//     dir/sub/abs_root -> /../..
//     etc_link -> /etc
//     root_link -> /
//     dot_dot -> ../../../..
//     dot_dot_etc -> ../../../../etc
//     host_outside -> <base>/outside   (absolute host path)
//     rel_outside -> ../outside
//     chain1 -> chain2 -> chain3 -> /etc/passwd
//     loop_a -> loop_b -> loop_a
//     self -> self
//     dangling -> /missing/target
//     dangling_in_etc -> /etc/new_file
//     file_slash -> file/
class PathTest : public testing::Test {
 protected:
  void SetUp() override {
    open_fds_ = CountOpenFds();

    const char* tmp = getenv("TEST_TMPDIR");
    std::string pattern =
        absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/path_test.XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr)
        << pattern << ": " << strerror(errno);
    // The kernel reports descriptor paths without symlinks, so compare
    // against the canonical form.
    char* canonical = realpath(pattern.c_str(), nullptr);
    ASSERT_NE(canonical, nullptr);
    base_ = canonical;
    free(canonical);
    root_ = base_ + "/root";

    MakeDirectory(base_ + "/outside");
    WriteFile(base_ + "/outside/secret", "outside");
    MakeDirectory(root_);
    MakeDirectory(root_ + "/etc");
    WriteFile(root_ + "/etc/passwd", "inside");
    WriteFile(root_ + "/file", "file");
    MakeDirectory(root_ + "/dir");
    MakeDirectory(root_ + "/dir/sub");
    MakeSymlink("..", "dir/up");
    MakeSymlink("../../etc", "dir/sub/deep");
    MakeSymlink("/etc", "dir/sub/abs_etc");
    MakeSymlink("/../..", "dir/sub/abs_root");
    MakeSymlink("/etc", "etc_link");
    MakeSymlink("/", "root_link");
    MakeSymlink("../../../..", "dot_dot");
    MakeSymlink("../../../../etc", "dot_dot_etc");
    MakeSymlink(base_ + "/outside", "host_outside");
    MakeSymlink("../outside", "rel_outside");
    MakeSymlink("chain2", "chain1");
    MakeSymlink("chain3", "chain2");
    MakeSymlink("/etc/passwd", "chain3");
    MakeSymlink("loop_b", "loop_a");
    MakeSymlink("loop_a", "loop_b");
    MakeSymlink("self", "self");
    MakeSymlink("/missing/target", "dangling");
    MakeSymlink("/etc/new_file", "dangling_in_etc");
    MakeSymlink("file/", "file_slash");

    root_fd_.reset(open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_.valid()) << root_ << ": " << strerror(errno);
  }

  void TearDown() override {
    root_fd_.reset();
    if (!base_.empty()) {
      // FTW_PHYS: remove the symlinks themselves, never what they point to.
      EXPECT_EQ(nftw(base_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS), 0)
          << "cannot remove " << base_ << ": " << strerror(errno);
    }
    EXPECT_EQ(CountOpenFds(), open_fds_) << "file descriptors leaked";
  }

  void MakeDirectory(const std::string& path) {
    ASSERT_EQ(mkdir(path.c_str(), 0755), 0) << path << ": " << strerror(errno);
  }

  void WriteFile(const std::string& path, const std::string& content) {
    UniqueFd fd(
        open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd.valid()) << path << ": " << strerror(errno);
    ASSERT_EQ(write(fd.get(), content.data(), content.size()),
              static_cast<ssize_t>(content.size()));
  }

  // Creates the symlink `name` (relative to the root) pointing to `target`.
  void MakeSymlink(const std::string& target, const std::string& name) {
    std::string path = absl::StrCat(root_, "/", name);
    ASSERT_EQ(symlink(target.c_str(), path.c_str()), 0)
        << path << ": " << strerror(errno);
  }

  // Creates link_1 -> link_2 -> ... -> link_<count> -> /etc/passwd in the
  // root and returns "link_1", which takes `count` symlinks to resolve.
  std::string MakeSymlinkChain(int count) {
    for (int i = 1; i <= count; ++i) {
      std::string target =
          i == count ? "/etc/passwd" : absl::StrCat("link_", i + 1);
      MakeSymlink(target, absl::StrCat("link_", i));
    }
    return "link_1";
  }

  // Returns whether `host_path` is the root or below it.
  bool InsideRoot(const std::string& host_path) const {
    return host_path == root_ || absl::StartsWith(host_path, root_ + "/");
  }

  int open_fds_ = 0;
  std::string base_;
  std::string root_;
  UniqueFd root_fd_;
};

using OpenFunction = absl::StatusOr<UniqueFd> (*)(int, absl::string_view, int,
                                                  mode_t);

struct Resolver {
  const char* name;
  OpenFunction open;
};

void PrintTo(const Resolver& resolver, std::ostream* out) {
  *out << resolver.name;
}

// Runs each case against openat2 (OpenInRoot) and against the walk
// (OpenInRootWalk), which must behave the same.
class OpenInRootTest : public PathTest,
                       public testing::WithParamInterface<Resolver> {
 protected:
  void SetUp() override {
    PathTest::SetUp();
    if (GetParam().open == &OpenInRoot && !Openat2Available()) {
      GTEST_SKIP()
          << "openat2 is not available (needs Linux 5.6), so OpenInRoot "
             "would only repeat the Walk cases";
    }
  }

  absl::StatusOr<UniqueFd> Open(absl::string_view path, int flags,
                                mode_t mode = 0) {
    return GetParam().open(root_fd_.get(), path, flags, mode);
  }

  // Opens `path` with `flags` and checks that it is the host path
  // `root_ + expected`.
  void ExpectOpens(absl::string_view path, const std::string& expected,
                   int flags = O_RDONLY) {
    absl::StatusOr<UniqueFd> fd = Open(path, flags);
    ASSERT_TRUE(fd.ok()) << path << ": " << fd.status();
    std::string host_path = FdPath(fd->get());
    EXPECT_TRUE(InsideRoot(host_path)) << path << " opened " << host_path;
    EXPECT_EQ(host_path, root_ + expected) << path;
  }

  // Opens `path` with `flags` and checks that it fails with `err`.
  void ExpectErrno(absl::string_view path, int err, int flags = O_RDONLY) {
    absl::StatusOr<UniqueFd> fd = Open(path, flags);
    ASSERT_FALSE(fd.ok()) << path << " opened " << FdPath(fd->get());
    EXPECT_EQ(ErrnoOf(fd.status()), err) << path << ": " << fd.status();
  }
};

INSTANTIATE_TEST_SUITE_P(Resolvers, OpenInRootTest,
                         testing::Values(Resolver{"Openat2", &OpenInRoot},
                                         Resolver{"Walk", &OpenInRootWalk}),
                         [](const testing::TestParamInfo<Resolver>& info) {
                           return std::string(info.param.name);
                         });

TEST_P(OpenInRootTest, OpensFileInsideRoot) {
  absl::StatusOr<UniqueFd> fd = Open("/etc/passwd", O_RDONLY);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(FdPath(fd->get()), root_ + "/etc/passwd");
  EXPECT_EQ(ReadAll(fd->get()), "inside");
}

TEST_P(OpenInRootTest, RelativePathStartsAtRoot) {
  ExpectOpens("etc/passwd", "/etc/passwd");
  ExpectOpens("//etc/./passwd", "/etc/passwd");
}

TEST_P(OpenInRootTest, AbsoluteSymlinkStaysInsideRoot) {
  ExpectOpens("etc_link/passwd", "/etc/passwd");
  ExpectOpens("/etc_link", "/etc", O_RDONLY | O_DIRECTORY);
}

TEST_P(OpenInRootTest, AbsoluteSymlinkInSubdirectory) {
  ExpectOpens("dir/sub/abs_etc/passwd", "/etc/passwd");
  ExpectOpens("dir/sub/abs_root/file", "/file");
  ExpectOpens("dir/sub/abs_root", "", O_RDONLY | O_DIRECTORY);
}

TEST_P(OpenInRootTest, SymlinkToSlashIsRoot) {
  ExpectOpens("root_link/etc/passwd", "/etc/passwd");
  ExpectOpens("root_link/root_link/etc_link/passwd", "/etc/passwd");
  ExpectOpens("root_link", "", O_RDONLY | O_DIRECTORY);
}

TEST_P(OpenInRootTest, DotDotStopsAtRoot) {
  ExpectOpens("../../../../etc/passwd", "/etc/passwd");
  ExpectOpens("/etc/../../..", "", O_RDONLY | O_DIRECTORY);
  ExpectOpens("dir/sub/../../../etc/passwd", "/etc/passwd");
}

TEST_P(OpenInRootTest, RelativeSymlinkEscapeStaysInsideRoot) {
  ExpectOpens("dot_dot_etc/passwd", "/etc/passwd");
  ExpectOpens("dot_dot/etc/passwd", "/etc/passwd");
}

TEST_P(OpenInRootTest, HostFilesAreNotReachable) {
  ExpectErrno("../outside/secret", ENOENT);
  ExpectErrno("rel_outside/secret", ENOENT);
  ExpectErrno("host_outside/secret", ENOENT);
  ExpectErrno("dot_dot/outside/secret", ENOENT);
}

TEST_P(OpenInRootTest, SymlinksInMiddleOfPath) {
  ExpectOpens("dir/up/etc/passwd", "/etc/passwd");
  ExpectOpens("dir/sub/deep/passwd", "/etc/passwd");
  // ".." after a symlink goes to the parent of the link's target.
  ExpectOpens("dir/sub/deep/../file", "/file");
}

TEST_P(OpenInRootTest, FollowsSymlinkChain) {
  ExpectOpens("chain1", "/etc/passwd");
}

TEST_P(OpenInRootTest, FortySymlinksResolve) {
  ExpectOpens(MakeSymlinkChain(kMaxSymlinks), "/etc/passwd");
}

TEST_P(OpenInRootTest, FortyOneSymlinksFailWithEloop) {
  ExpectErrno(MakeSymlinkChain(kMaxSymlinks + 1), ELOOP);
}

TEST_P(OpenInRootTest, SymlinkLoopFailsWithEloop) {
  ExpectErrno("loop_a", ELOOP);
  ExpectErrno("self", ELOOP);
  ExpectErrno("self/etc", ELOOP);
  ExpectErrno("dir/up/loop_b/x", ELOOP);

  absl::StatusOr<UniqueFd> fd = Open("loop_a", O_RDONLY);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fd.status().message(),
            "open inside root loop_a: Too many levels of symbolic links");
}

TEST_P(OpenInRootTest, RootItself) {
  for (const char* path : {"/", ".", "..", "dir/..", "//", "dir/up"}) {
    ExpectOpens(path, "", O_RDONLY | O_DIRECTORY);
  }
}

TEST_P(OpenInRootTest, MissingFileIsNotFound) {
  ExpectErrno("etc/shadow", ENOENT);
  ExpectErrno("missing/file", ENOENT);

  absl::StatusOr<UniqueFd> fd = Open("etc/shadow", O_RDONLY);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fd.status().message(),
            "open inside root etc/shadow: No such file or directory");
}

TEST_P(OpenInRootTest, DanglingSymlinkIsNotFound) {
  ExpectErrno("dangling", ENOENT);
}

TEST_P(OpenInRootTest, CreatesFile) {
  absl::StatusOr<UniqueFd> fd =
      Open("dir/sub/../created", O_WRONLY | O_CREAT, 0600);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(FdPath(fd->get()), root_ + "/dir/created");
  struct stat info;
  ASSERT_EQ(fstat(fd->get(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
}

TEST_P(OpenInRootTest, CreatesTargetOfDanglingSymlink) {
  absl::StatusOr<UniqueFd> fd =
      Open("dangling_in_etc", O_WRONLY | O_CREAT, 0644);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(FdPath(fd->get()), root_ + "/etc/new_file");
  EXPECT_TRUE(Exists(root_ + "/etc/new_file"));
}

TEST_P(OpenInRootTest, CreateNeedsParentDirectory) {
  absl::StatusOr<UniqueFd> fd = Open("missing/new", O_WRONLY | O_CREAT, 0644);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(ErrnoOf(fd.status()), ENOENT);

  // The dangling symlink's parent, /missing, does not exist either.
  fd = Open("dangling", O_WRONLY | O_CREAT, 0644);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(ErrnoOf(fd.status()), ENOENT);
  EXPECT_FALSE(Exists(root_ + "/missing"));
}

TEST_P(OpenInRootTest, ExclusiveCreateDoesNotFollowSymlink) {
  absl::StatusOr<UniqueFd> fd =
      Open("dangling_in_etc", O_WRONLY | O_CREAT | O_EXCL, 0644);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(ErrnoOf(fd.status()), EEXIST);
  EXPECT_FALSE(Exists(root_ + "/etc/new_file"));
}

TEST_P(OpenInRootTest, NoFollowRejectsTrailingSymlink) {
  ExpectErrno("etc_link", ELOOP, O_RDONLY | O_NOFOLLOW);
  // Symlinks before the last component are still followed.
  ExpectOpens("etc_link/passwd", "/etc/passwd", O_RDONLY | O_NOFOLLOW);
}

TEST_P(OpenInRootTest, PathWithNoFollowOpensSymlinkItself) {
  absl::StatusOr<UniqueFd> fd = Open("dir/up/etc_link", O_PATH | O_NOFOLLOW);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(FdPath(fd->get()), root_ + "/etc_link");
  struct stat info;
  ASSERT_EQ(fstat(fd->get(), &info), 0);
  EXPECT_TRUE(S_ISLNK(info.st_mode));
}

TEST_P(OpenInRootTest, FileIsNotADirectory) {
  ExpectErrno("file/x", ENOTDIR);
  ExpectErrno("file/", ENOTDIR);
  ExpectErrno("file/..", ENOTDIR);
  ExpectErrno("file_slash", ENOTDIR);
  ExpectErrno("file", ENOTDIR, O_RDONLY | O_DIRECTORY);
}

TEST_P(OpenInRootTest, TrailingSlashOpensDirectory) {
  ExpectOpens("dir/", "/dir");
  ExpectOpens("etc_link/", "/etc");
}

TEST_P(OpenInRootTest, SetsCloseOnExec) {
  absl::StatusOr<UniqueFd> fd = Open("etc/passwd", O_RDONLY);
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_NE(fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_P(OpenInRootTest, RejectsEmptyPath) {
  absl::StatusOr<UniqueFd> fd = Open("", O_RDONLY);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fd.status().message(),
            "empty path (use \"/\" for the root directory itself)");
}

TEST_P(OpenInRootTest, RejectsNulByte) {
  absl::StatusOr<UniqueFd> fd =
      Open(absl::string_view("etc\0passwd", 10), O_RDONLY);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fd.status().message(),
            "path \"etc\\x00passwd\" contains a NUL byte (remove it)");
}

TEST_P(OpenInRootTest, MagicLinkIsNotFollowed) {
  // /proc/self/cwd is a magic link to the test's working directory, which is
  // not "/" under Bazel, so it cannot resolve inside /proc/self.
  UniqueFd proc(open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(proc.valid()) << strerror(errno);
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_STRNE(cwd, "/");

  absl::StatusOr<UniqueFd> fd =
      GetParam().open(proc.get(), "cwd", O_PATH | O_DIRECTORY, 0);
  ASSERT_FALSE(fd.ok()) << "opened " << FdPath(fd->get());
  if (GetParam().open == &OpenInRoot) {
    EXPECT_EQ(ErrnoOf(fd.status()), ELOOP) << fd.status();
  }
}

// Returns the exit code of a child process that runs `body`.
template <typename Body>
int RunInChild(Body body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Makes openat2 fail with ENOSYS in this process, as on Linux before 5.6.
bool HideOpenat2() {
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof(filter) / sizeof(filter[0]), filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

TEST_F(PathTest, OpenInRootFallsBackWithoutOpenat2) {
  // The filter and the "unavailable" flag stay in the child.
  int exit_code = RunInChild([this] {
    if (!HideOpenat2()) return 10;
    if (Openat2Available()) return 11;
    int warnings = 0;
    SetLogSink(
        [&warnings](LogLevel level, absl::string_view, absl::string_view) {
          if (level == LogLevel::kWarning) ++warnings;
        });
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<UniqueFd> fd =
          OpenInRoot(root_fd_.get(), "etc_link/passwd", O_RDONLY);
      if (!fd.ok()) return 12;
      if (FdPath(fd->get()) != root_ + "/etc/passwd") return 13;
      if (ErrnoOf(OpenInRoot(root_fd_.get(), "dot_dot/outside/secret", O_RDONLY)
                      .status()) != ENOENT) {
        return 14;
      }
    }
    return warnings == 1 ? 0 : 15;
  });
  // 10: seccomp unavailable, 11: filter had no effect, 12: open failed,
  // 13: wrong file, 14: escape not rejected, 15: not exactly one warning.
  EXPECT_EQ(exit_code, 0);
}

TEST_F(PathTest, ResolveInRootFollowsSymlinksInsideRoot) {
  struct Case {
    std::string path;
    std::string expected;  // Relative to root_.
  };
  const Case cases[] = {
      {"/etc/passwd", "/etc/passwd"},
      {"etc/passwd", "/etc/passwd"},
      {"//etc//./passwd", "/etc/passwd"},
      {"etc_link/passwd", "/etc/passwd"},
      {"root_link/etc", "/etc"},
      {"root_link", ""},
      {"/", ""},
      {".", ""},
      {"../../..", ""},
      {"dot_dot_etc", "/etc"},
      {"dot_dot/etc_link", "/etc"},
      {"chain1", "/etc/passwd"},
      {"dir/up/etc_link/passwd", "/etc/passwd"},
      {"dir/sub/deep", "/etc"},
      {"dir/sub/deep/../file", "/file"},
      {"dir/sub/abs_etc/passwd", "/etc/passwd"},
      {"dir/sub/abs_root/file", "/file"},
      {"dir/sub/abs_root", ""},
      {"dir/sub/", "/dir/sub"},
      {"etc_link/", "/etc"},
      {"rel_outside/secret", "/outside/secret"},
      {"host_outside/secret", base_ + "/outside/secret"},
      {"dangling", "/missing/target"},
      {"dangling_in_etc", "/etc/new_file"},
      {"missing/child", "/missing/child"},
      {"missing/../etc_link", "/etc"},
      {"missing/../../../etc_link/passwd", "/etc/passwd"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> resolved = ResolveInRoot(root_, c.path);
    ASSERT_TRUE(resolved.ok()) << c.path << ": " << resolved.status();
    EXPECT_TRUE(InsideRoot(*resolved))
        << c.path << " resolved to " << *resolved;
    EXPECT_EQ(*resolved, root_ + c.expected) << c.path;
  }
}

TEST_F(PathTest, ResolveInRootAgreesWithOpenInRoot) {
  for (const char* path :
       {"/etc/passwd", "etc_link/passwd", "root_link", "dot_dot_etc", "chain1",
        "dir/sub/deep/../file", "dir/up/dir/sub"}) {
    absl::StatusOr<std::string> resolved = ResolveInRoot(root_, path);
    ASSERT_TRUE(resolved.ok()) << path << ": " << resolved.status();
    absl::StatusOr<UniqueFd> fd = OpenInRootWalk(root_fd_.get(), path, O_PATH);
    ASSERT_TRUE(fd.ok()) << path << ": " << fd.status();
    EXPECT_EQ(*resolved, FdPath(fd->get())) << path;
  }
}

TEST_F(PathTest, ResolveInRootTrailingSlashOnRoot) {
  absl::StatusOr<std::string> resolved =
      ResolveInRoot(root_ + "//", "etc_link");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, root_ + "/etc");

  resolved = ResolveInRoot(root_ + "/", "/");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, root_);
}

TEST_F(PathTest, ResolveInRootWithSlashAsRoot) {
  absl::StatusOr<std::string> resolved =
      ResolveInRoot("/", absl::StrCat(root_, "/dir/sub/deep/passwd"));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  // deep -> ../../etc, now relative to the host's "/".
  EXPECT_EQ(*resolved, root_ + "/etc/passwd");

  resolved = ResolveInRoot("/", "..");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, "/");
}

TEST_F(PathTest, ResolveInRootLoopFailsWithEloop) {
  for (const char* path : {"loop_a", "self", "self/x", "dir/up/loop_b"}) {
    absl::StatusOr<std::string> resolved = ResolveInRoot(root_, path);
    ASSERT_FALSE(resolved.ok()) << path << " resolved to " << *resolved;
    EXPECT_EQ(ErrnoOf(resolved.status()), ELOOP)
        << path << ": " << resolved.status();
  }
  absl::StatusOr<std::string> resolved = ResolveInRoot(root_, "loop_a");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().message(),
            absl::StrCat("resolve loop_a inside ", root_,
                         ": Too many levels of symbolic links"));
}

TEST_F(PathTest, ResolveInRootSymlinkLimit) {
  std::string first = MakeSymlinkChain(kMaxSymlinks + 1);
  // link_2 starts a chain of exactly kMaxSymlinks links.
  absl::StatusOr<std::string> resolved = ResolveInRoot(root_, "link_2");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, root_ + "/etc/passwd");

  resolved = ResolveInRoot(root_, first);
  ASSERT_FALSE(resolved.ok()) << "resolved to " << *resolved;
  EXPECT_EQ(ErrnoOf(resolved.status()), ELOOP);
}

TEST_F(PathTest, ResolveInRootFileIsNotADirectory) {
  for (const char* path :
       {"file/x", "file/", "file/..", "file_slash", "etc/passwd/x"}) {
    absl::StatusOr<std::string> resolved = ResolveInRoot(root_, path);
    ASSERT_FALSE(resolved.ok()) << path << " resolved to " << *resolved;
    EXPECT_EQ(ErrnoOf(resolved.status()), ENOTDIR)
        << path << ": " << resolved.status();
  }
}

TEST_F(PathTest, ResolveInRootRejectsInvalidArguments) {
  absl::StatusOr<std::string> resolved = ResolveInRoot(root_, "");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);

  resolved = ResolveInRoot("", "etc");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(resolved.status().message(),
            "empty root directory (pass the host path of the root)");

  resolved = ResolveInRoot(root_, absl::string_view("a\0b", 3));
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);

  resolved = ResolveInRoot(absl::string_view("/a\0b", 4), "etc");
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PathTest, MakeDirectoriesCreatesNestedDirectories) {
  ASSERT_TRUE(MakeDirectoriesInRoot(root_, "/a/b/c", 0755).ok());
  EXPECT_TRUE(IsDirectory(root_ + "/a"));
  EXPECT_TRUE(IsDirectory(root_ + "/a/b"));
  EXPECT_TRUE(IsDirectory(root_ + "/a/b/c"));
}

TEST_F(PathTest, MakeDirectoriesAppliesModeLessUmask) {
  mode_t old_umask = umask(022);
  absl::Status status = MakeDirectoriesInRoot(root_, "private/inner", 0777);
  umask(old_umask);
  ASSERT_TRUE(status.ok()) << status;
  struct stat info;
  ASSERT_EQ(stat((root_ + "/private/inner").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0755u);
}

TEST_F(PathTest, MakeDirectoriesKeepsExistingDirectories) {
  WriteFile(root_ + "/dir/sub/keep", "keep");
  absl::Status status = MakeDirectoriesInRoot(root_, "dir/sub", 0700);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(Exists(root_ + "/dir/sub/keep"));
  struct stat info;
  ASSERT_EQ(stat((root_ + "/dir/sub").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0755u);

  status = MakeDirectoriesInRoot(root_, "/", 0700);
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(PathTest, MakeDirectoriesAbsoluteSymlinkStaysInside) {
  absl::Status status = MakeDirectoriesInRoot(root_, "host_outside/made", 0755);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(IsDirectory(root_ + base_ + "/outside/made"));
  EXPECT_FALSE(Exists(base_ + "/outside/made"));

  status = MakeDirectoriesInRoot(root_, "root_link/etc_link/made", 0755);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(IsDirectory(root_ + "/etc/made"));

  status = MakeDirectoriesInRoot(root_, "dir/sub/abs_etc/made3", 0755);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(IsDirectory(root_ + "/etc/made3"));
  EXPECT_FALSE(Exists(root_ + "/dir/sub/etc"));
}

TEST_F(PathTest, MakeDirectoriesRelativeEscapeStaysInside) {
  absl::Status status = MakeDirectoriesInRoot(root_, "rel_outside/made", 0755);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(IsDirectory(root_ + "/outside/made"));
  EXPECT_FALSE(Exists(base_ + "/outside/made"));

  status = MakeDirectoriesInRoot(root_, "../../made2", 0755);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(IsDirectory(root_ + "/made2"));
  EXPECT_FALSE(Exists(base_ + "/made2"));
}

TEST_F(PathTest, MakeDirectoriesCreatesDanglingTarget) {
  absl::Status status = MakeDirectoriesInRoot(root_, "dangling/child", 0755);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(IsDirectory(root_ + "/missing/target/child"));

  // The symlink now resolves to the created directory.
  absl::StatusOr<std::string> resolved = ResolveInRoot(root_, "dangling/child");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(*resolved, root_ + "/missing/target/child");
}

TEST_F(PathTest, MakeDirectoriesLoopFailsWithEloop) {
  absl::Status status = MakeDirectoriesInRoot(root_, "loop_a/x", 0755);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(ErrnoOf(status), ELOOP) << status;

  status =
      MakeDirectoriesInRoot(root_, MakeSymlinkChain(kMaxSymlinks + 1), 0755);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(ErrnoOf(status), ELOOP) << status;
}

TEST_F(PathTest, MakeDirectoriesFileInTheWay) {
  absl::Status status = MakeDirectoriesInRoot(root_, "dir/up/file/x", 0755);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(ErrnoOf(status), ENOTDIR) << status;
  EXPECT_EQ(status.message(), absl::StrCat("create directory /file inside ",
                                           root_, ": Not a directory"));

  status = MakeDirectoriesInRoot(root_, "chain1", 0755);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(ErrnoOf(status), ENOTDIR) << status;
}

TEST_F(PathTest, MakeDirectoriesMissingRootIsNotFound) {
  absl::Status status = MakeDirectoriesInRoot(base_ + "/no_root", "a", 0755);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(Exists(base_ + "/no_root"));
}

TEST_F(PathTest, MakeDirectoriesRejectsInvalidArguments) {
  EXPECT_EQ(MakeDirectoriesInRoot(root_, "", 0755).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDirectoriesInRoot("", "a", 0755).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      MakeDirectoriesInRoot(root_, absl::string_view("a\0b", 3), 0755).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Exists(root_ + "/a"));
}

}  // namespace
}  // namespace pycontain
