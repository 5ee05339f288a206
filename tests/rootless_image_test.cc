// Containers from images for an unprivileged user, for real: the test
// forks, becomes the user named by PYCONTAIN_ROOTLESS_USER (scripts/setup
// creates it) and loads images into that user's own store
// ($XDG_DATA_HOME/pycontain). Layers there are directories, deletions are
// whiteout devices and replaced directories carry user.overlay.opaque; the
// overlay is mounted in a user namespace. Each case runs in its own child
// process, which writes what it found as "key=value" lines to a memory
// file and returns an exit status.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"
#include "lib/overlay/overlay.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct UserOutcome {
  int exit_status = -1;
  std::string output;
};

// Appends "key=value\n" to the report file `out`.
void Report(int out, absl::string_view key, absl::string_view value) {
  std::string line = absl::StrCat(key, "=", value, "\n");
  (void)!write(out, line.data(), line.size());
}

class RootlessImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* name = getenv("PYCONTAIN_ROOTLESS_USER");
    ASSERT_NE(name, nullptr)
        << "PYCONTAIN_ROOTLESS_USER is not set: run the tests with scripts/test";
    struct passwd* entry = getpwnam(name);
    ASSERT_NE(entry, nullptr) << "user " << name << " does not exist";
    uid_ = entry->pw_uid;
    gid_ = entry->pw_gid;

    // Under /tmp, because the user cannot reach root's TEST_TMPDIR.
    std::string pattern = "/tmp/pycontain-rootless-image-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
    ASSERT_EQ(chown(dir_.c_str(), uid_, gid_), 0);
    data_home_ = dir_ + "/data";

    // The bottom layer: busybox plus files that the top layer deletes or
    // hides. Root writes the tarball; the user imports it.
    std::string extra = dir_ + "/extra";
    ASSERT_EQ(mkdir(extra.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((extra + "/data").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((extra + "/opq").c_str(), 0755), 0);
    testing::WriteFile(extra + "/data/gone", "deleted by the top layer\n");
    testing::WriteFile(extra + "/data/kept", "kept\n");
    testing::WriteFile(extra + "/opq/old", "hidden by the opaque directory\n");
    base_tar_ = dir_ + "/base.tar";
    std::string command = absl::StrCat("tar -cf ", base_tar_, " -C ", testing::BusyboxRoot(),
                                       " . -C ", extra, " .");
    ASSERT_EQ(system(command.c_str()), 0) << command;
    ASSERT_EQ(chmod(base_tar_.c_str(), 0644), 0);
    before_ = testing::TakeSnapshot();
  }

  void TearDown() override {
    testing::ExpectNothingLeaked(before_);
    if (!dir_.empty()) {
      EXPECT_TRUE(overlay::RemoveTree(dir_).ok());
    }
  }

  // Runs `body` as the user in a child process whose store is under
  // data_home_. `body` reports to the descriptor it gets.
  UserOutcome AsUser(const std::function<int(int out)>& body) {
    int out = testing::MakeCaptureFile();
    pid_t pid = fork();
    if (pid == 0) {
      if (setgroups(0, nullptr) != 0 || setresgid(gid_, gid_, gid_) != 0 ||
          setresuid(uid_, uid_, uid_) != 0) {
        _exit(90);
      }
      // Changing uid cleared the dumpable flag; without it the process
      // cannot write its own or its children's id maps.
      prctl(PR_SET_DUMPABLE, 1);
      unsetenv("PYCONTAIN_STATE_DIR");
      unsetenv("PYCONTAIN_ROOT");
      unsetenv("XDG_RUNTIME_DIR");
      setenv("XDG_DATA_HOME", data_home_.c_str(), 1);
      setenv("HOME", dir_.c_str(), 1);
      _exit(body(out));
    }
    UserOutcome outcome;
    int status = 0;
    waitpid(pid, &status, 0);
    outcome.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.output = testing::ReadCaptureFile(out);
    close(out);
    return outcome;
  }

  // In the user's process: imports the base layer as "base:1" and adds a
  // top layer, as "rootless:1", that deletes /data/gone (a whiteout
  // device), makes /opq opaque and adds /opq/new. Returns false after
  // reporting "error=...".
  bool LoadImage(int out) {
    absl::StatusOr<image::Store> store = image::Store::Open({});
    if (!store.ok()) {
      Report(out, "error", store.status().ToString());
      return false;
    }
    Report(out, "store", store->root());
    image::ImportOptions import;
    import.names = {"base:1"};
    import.cmd = {"/bin/sh", "-c", "echo default command"};
    import.env = {"PATH=/bin:/sbin:/usr/bin"};
    absl::StatusOr<std::string> base = image::ImportTarball(*store, base_tar_, import);
    if (!base.ok()) {
      Report(out, "error", base.status().ToString());
      return false;
    }

    std::string changes = dir_ + "/changes";
    if (mkdir(changes.c_str(), 0755) != 0 || mkdir((changes + "/data").c_str(), 0755) != 0 ||
        mkdir((changes + "/opq").c_str(), 0755) != 0) {
      Report(out, "error", "mkdir changes");
      return false;
    }
    // Unprivileged users may create whiteouts (0/0 devices) since Linux 5.8.
    if (mknod((changes + "/data/gone").c_str(), S_IFCHR, makedev(0, 0)) != 0) {
      Report(out, "error", absl::StrCat("mknod whiteout: ", strerror(errno)));
      return false;
    }
    if (setxattr((changes + "/opq").c_str(), "user.overlay.opaque", "y", 1, 0) != 0) {
      Report(out, "error", absl::StrCat("setxattr: ", strerror(errno)));
      return false;
    }
    testing::WriteFile(changes + "/opq/new", "from the top layer\n");
    image::CommitOptions commit;
    commit.names = {"rootless:1"};
    absl::StatusOr<std::string> top = image::CommitDirectory(*store, "base:1", changes, commit);
    if (!top.ok()) {
      Report(out, "error", top.status().ToString());
      return false;
    }
    return true;
  }

  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::string dir_;
  std::string data_home_;
  std::string base_tar_;
  testing::HostSnapshot before_;
};

TEST_F(RootlessImageTest, LayersMergeWithWhiteouts) {
  UserOutcome outcome = AsUser([this](int out) {
    if (!LoadImage(out)) return 1;
    spec::ContainerSpec spec;
    spec.set_image("rootless:1");
    for (const char* arg :
         {"/bin/sh", "-c",
          "echo data=$(ls /data); echo opq=$(ls /opq); echo uid=$(id -u); "
          "echo owner=$(stat -c %u /opq/new); echo written > /note"}) {
      spec.mutable_process()->add_args(arg);
    }
    int command_out = testing::MakeCaptureFile();
    spec.mutable_process()->mutable_stdio()->set_stdout_fd(command_out);
    absl::StatusOr<container::Container> started = container::Container::Start(spec);
    if (!started.ok()) {
      Report(out, "error", started.status().ToString());
      return 1;
    }
    std::optional<container::Container> running(std::move(*started));
    absl::StatusOr<spec::RunResult> result = running->Wait();
    if (!result.ok()) {
      Report(out, "error", result.status().ToString());
      return 1;
    }
    Report(out, "exit", absl::StrCat(result->exit_code()));
    std::string output = testing::ReadCaptureFile(command_out);
    (void)!write(out, output.data(), output.size());

    // The write landed in the container's upper directory, owned by the
    // user on the host, and in no layer.
    std::string upper = running->upper_directory();
    Report(out, "upper-note", testing::ReadFile(upper + "/note"));
    struct stat note;
    Report(out, "upper-note-owner",
           stat((upper + "/note").c_str(), &note) == 0 ? absl::StrCat(note.st_uid) : "none");
    Report(out, "upper-under-store",
           absl::StartsWith(upper, data_home_ + "/pycontain/containers/") ? "yes" : "no");
    std::string layers = data_home_ + "/pycontain/layers";
    for (const std::string& layer : testing::Entries(layers)) {
      if (testing::Exists(absl::StrCat(layers, "/", layer, "/note"))) {
        Report(out, "note-in-layer", layer);
      }
    }
    running.reset();
    Report(out, "upper-after-removal", testing::Exists(upper) ? "present" : "gone");
    Report(out, "containers-left",
           absl::StrCat(testing::Entries(data_home_ + "/pycontain/containers").size()));
    return 0;
  });
  ASSERT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("exit=0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("data=kept\n")) << "the whiteout did not hide /data/gone";
  EXPECT_THAT(outcome.output, HasSubstr("opq=new\n")) << "the opaque directory did not hide /opq/old";
  EXPECT_THAT(outcome.output, HasSubstr("uid=0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("owner=0\n")) << "image files belong to root inside";
  EXPECT_THAT(outcome.output, HasSubstr("upper-note=written\n"));
  EXPECT_THAT(outcome.output, HasSubstr(absl::StrCat("upper-note-owner=", uid_, "\n")));
  EXPECT_THAT(outcome.output, HasSubstr("upper-under-store=yes\n"));
  EXPECT_THAT(outcome.output, Not(HasSubstr("note-in-layer=")));
  EXPECT_THAT(outcome.output, HasSubstr("upper-after-removal=gone\n"));
  EXPECT_THAT(outcome.output, HasSubstr("containers-left=0\n"));
  EXPECT_THAT(outcome.output, Not(HasSubstr("error=")));
}

TEST_F(RootlessImageTest, StoredLayerKeepsWhiteouts) {
  UserOutcome outcome = AsUser([this](int out) {
    if (!LoadImage(out)) return 1;
    absl::StatusOr<image::Store> store = image::Store::Open({});
    absl::StatusOr<image::Image> image = store->GetImage("rootless:1");
    if (!image.ok()) {
      Report(out, "error", image.status().ToString());
      return 1;
    }
    const auto& diff_ids = image->config.rootfs().diff_ids();
    absl::StatusOr<std::string> top = store->LayerLower(diff_ids[diff_ids.size() - 1]);
    if (!top.ok()) {
      Report(out, "error", top.status().ToString());
      return 1;
    }
    struct stat gone;
    bool whiteout = lstat((*top + "/data/gone").c_str(), &gone) == 0 && S_ISCHR(gone.st_mode) &&
                    gone.st_rdev == makedev(0, 0);
    Report(out, "whiteout", whiteout ? "device 0/0" : "missing");
    char value[8] = {};
    ssize_t size = getxattr((*top + "/opq").c_str(), "user.overlay.opaque", value, sizeof(value));
    Report(out, "opaque", size > 0 ? std::string(value, size) : "unset");
    Report(out, "old-in-top-layer", testing::Exists(*top + "/opq/old") ? "yes" : "no");
    return 0;
  });
  ASSERT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr(absl::StrCat("store=", data_home_, "/pycontain\n")));
  EXPECT_THAT(outcome.output, HasSubstr("whiteout=device 0/0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("opaque=y\n"));
  EXPECT_THAT(outcome.output, HasSubstr("old-in-top-layer=no\n"));
}

TEST_F(RootlessImageTest, RunRemovesEverything) {
  UserOutcome outcome = AsUser([this](int out) {
    if (!LoadImage(out)) return 1;
    spec::ContainerSpec spec;
    spec.set_image("rootless:1");
    spec.mutable_process()->add_args("/bin/sh");
    spec.mutable_process()->add_args("-c");
    // A read-only directory with a file and a deep tree in the upper
    // directory, which an unprivileged owner must open up to remove.
    spec.mutable_process()->add_args(
        "mkdir -p /locked/a/b/c && echo x > /locked/a/b/c/f && chmod 0 /locked/a/b/c && "
        "chmod 555 /locked/a /locked && cat /opq/new");
    int command_out = testing::MakeCaptureFile();
    spec.mutable_process()->mutable_stdio()->set_stdout_fd(command_out);
    absl::StatusOr<spec::RunResult> result = container::Run(spec);
    if (!result.ok()) {
      Report(out, "error", result.status().ToString());
      return 1;
    }
    Report(out, "exit", absl::StrCat(result->exit_code()));
    Report(out, "stdout", testing::ReadCaptureFile(command_out));
    Report(out, "containers-left",
           absl::StrCat(testing::Entries(data_home_ + "/pycontain/containers").size()));
    return 0;
  });
  ASSERT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("exit=0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("stdout=from the top layer\n"));
  EXPECT_THAT(outcome.output, HasSubstr("containers-left=0\n"));
}

TEST_F(RootlessImageTest, CopyDriverAsUser) {
  UserOutcome outcome = AsUser([this](int out) {
    if (!LoadImage(out)) return 1;
    // The copied root is bound inside the helper's user namespace.
    setenv("PYCONTAIN_ROOTFS_DRIVER", "copy", 1);
    spec::ContainerSpec spec;
    spec.set_image("rootless:1");
    spec.mutable_process()->add_args("/bin/sh");
    spec.mutable_process()->add_args("-c");
    spec.mutable_process()->add_args("echo opq=$(ls /opq); echo data=$(ls /data)");
    int command_out = testing::MakeCaptureFile();
    spec.mutable_process()->mutable_stdio()->set_stdout_fd(command_out);
    absl::StatusOr<spec::RunResult> result = container::Run(spec);
    if (!result.ok()) {
      Report(out, "error", result.status().ToString());
      return 1;
    }
    Report(out, "exit", absl::StrCat(result->exit_code()));
    std::string output = testing::ReadCaptureFile(command_out);
    (void)!write(out, output.data(), output.size());
    Report(out, "containers-left",
           absl::StrCat(testing::Entries(data_home_ + "/pycontain/containers").size()));
    return 0;
  });
  ASSERT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("exit=0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("opq=new\n"));
  EXPECT_THAT(outcome.output, HasSubstr("data=kept\n"));
  EXPECT_THAT(outcome.output, HasSubstr("containers-left=0\n"));
}

TEST_F(RootlessImageTest, LegacyLowerdirOption) {
  // 20 lowers with long paths: more than "lowerdir=" with paths could
  // name in the 255 bytes fsconfig(2) takes.
  constexpr int kLowers = 20;
  UserOutcome outcome = AsUser([this](int out) {
    overlay::OverlayOptions options;
    for (int i = 0; i < kLowers; ++i) {
      std::string lower = absl::StrCat(dir_, "/lower-with-a-long-name-", i);
      mkdir(lower.c_str(), 0755);
      testing::WriteFile(absl::StrCat(lower, "/file", i), "x");
      testing::WriteFile(lower + "/shared", absl::StrCat("from lower ", i, "\n"));
      options.lowers.push_back(lower);
    }
    options.upper = dir_ + "/upper";
    options.work = dir_ + "/work";
    mkdir(options.upper.c_str(), 0755);
    mkdir(options.work.c_str(), 0755);
    options.api = overlay::MountApi::kLegacy;
    absl::StatusOr<overlay::OverlayMount> mount = overlay::OverlayMount::Create(options);
    if (!mount.ok()) {
      Report(out, "error", mount.status().ToString());
      return 1;
    }
    int seen = 0;
    for (int i = 0; i < kLowers; ++i) {
      if (testing::Exists(absl::StrCat(mount->path(), "/file", i))) ++seen;
    }
    Report(out, "files-seen", absl::StrCat(seen));
    Report(out, "shared", testing::ReadFile(mount->path() + "/shared"));
    testing::WriteFile(mount->path() + "/added", "upper\n");
    Report(out, "upper", testing::ReadFile(options.upper + "/added"));
    return 0;
  });
  ASSERT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr(absl::StrCat("files-seen=", kLowers, "\n")));
  EXPECT_THAT(outcome.output, HasSubstr("shared=from lower 0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("upper=upper\n"));
}

// Runs the CLI at `binary` with `args` in this (the user's) process,
// appends its output to `out` and returns its exit status.
int RunCli(const std::string& binary, const std::vector<std::string>& args, int out) {
  pid_t pid = fork();
  if (pid == 0) {
    if (dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(126);
    std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(RootlessImageTest, CliManagedContainer) {
  std::string binary = dir_ + "/pycontain";
  std::string copy = absl::StrCat("cp ", getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"),
                                  "/examples/cli/pycontain ", binary);
  ASSERT_EQ(system(copy.c_str()), 0) << copy;
  UserOutcome outcome = AsUser([this, &binary](int out) {
    if (!LoadImage(out)) return 1;
    Report(out, "run", absl::StrCat(RunCli(binary, {"run", "-d", "--name", "kept", "rootless:1",
                                                    "sleep", "60"}, out)));
    Report(out, "exec", absl::StrCat(RunCli(binary, {"exec", "kept", "sh", "-c",
                                                     "echo changed > /opq/new"}, out)));
    Report(out, "diff", absl::StrCat(RunCli(binary, {"diff", "kept"}, out)));
    Report(out, "rm", absl::StrCat(RunCli(binary, {"rm", "-f", "kept"}, out)));
    // Managed containers keep an index of names (".names") beside them.
    int left = 0;
    for (const std::string& entry : testing::Entries(data_home_ + "/pycontain/containers")) {
      if (entry[0] != '.') ++left;
    }
    Report(out, "containers-left", absl::StrCat(left));
    return 0;
  });
  ASSERT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("run=0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("exec=0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("C /opq/new\n"));
  EXPECT_THAT(outcome.output, HasSubstr("diff=0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("rm=0\n"));
  EXPECT_THAT(outcome.output, HasSubstr("containers-left=0\n"));
}

TEST_F(RootlessImageTest, CliRunsImage) {
  // The user cannot reach the runfiles under root's home, so the test
  // runs a copy of the binary.
  std::string binary = dir_ + "/pycontain";
  std::string copy = absl::StrCat("cp ", getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"),
                                  "/examples/cli/pycontain ", binary);
  ASSERT_EQ(system(copy.c_str()), 0) << copy;
  UserOutcome outcome = AsUser([this, &binary](int out) {
    if (!LoadImage(out)) return 1;
    if (dup2(out, 1) < 0 || dup2(out, 2) < 0) return 2;
    execl(binary.c_str(), binary.c_str(), "run", "--rm", "rootless:1", "cat", "/opq/new",
          "/data/kept", nullptr);
    return 3;
  });
  EXPECT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("from the top layer\nkept\n"));
  EXPECT_THAT(testing::Entries(data_home_ + "/pycontain/containers"), ::testing::ElementsAre());
}

}  // namespace
}  // namespace pycontain
