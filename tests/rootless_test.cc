// Rootless mode for real: the test forks, becomes the unprivileged user
// named by PYCONTAIN_ROOTLESS_USER (scripts/setup creates it), and runs
// containers there. Each case runs in its own child process, which reports
// through its exit status and a memory file.
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "lib/container/state_dir.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;

struct RootlessOutcome {
  int exit_status = -1;
  std::string output;
};

class RootlessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* name = getenv("PYCONTAIN_ROOTLESS_USER");
    ASSERT_NE(name, nullptr)
        << "PYCONTAIN_ROOTLESS_USER is not set: run the tests with scripts/test";
    ASSERT_STRNE(name, "") << "PYCONTAIN_ROOTLESS_USER is empty: run the tests with scripts/test";
    struct passwd* entry = getpwnam(name);
    ASSERT_NE(entry, nullptr) << "user " << name << " does not exist";
    uid_ = entry->pw_uid;
    gid_ = entry->pw_gid;
    before_ = testing::TakeSnapshot();
  }
  void TearDown() override { testing::ExpectNothingLeaked(before_); }

  // Runs `body` as the unprivileged user in a child process. `body` writes
  // what it found to the descriptor it gets and returns an exit status.
  RootlessOutcome AsUser(const std::function<int(int out)>& body) {
    int out = testing::MakeCaptureFile();
    pid_t pid = fork();
    if (pid == 0) {
      if (setgroups(0, nullptr) != 0 || setresgid(gid_, gid_, gid_) != 0 ||
          setresuid(uid_, uid_, uid_) != 0) {
        _exit(90);
      }
      // Changing uid cleared the dumpable flag, and a process that is not
      // dumpable cannot have its children's id maps written by itself.
      prctl(PR_SET_DUMPABLE, 1);
      unsetenv("PYCONTAIN_STATE_DIR");
      unsetenv("XDG_RUNTIME_DIR");
      _exit(body(out));
    }
    RootlessOutcome outcome;
    int status = 0;
    waitpid(pid, &status, 0);
    outcome.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.output = testing::ReadCaptureFile(out);
    close(out);
    return outcome;
  }

  // Runs `spec` as the user and returns the command's stdout, or the
  // error message with "error: " in front.
  RootlessOutcome RunAsUser(spec::ContainerSpec spec) {
    return AsUser([&spec](int out) {
      spec.mutable_process()->mutable_stdio()->set_stdout_fd(out);
      absl::StatusOr<spec::RunResult> result = container::Run(spec);
      if (!result.ok()) {
        std::string message = absl::StrCat("error: ", result.status().message());
        (void)!write(out, message.data(), message.size());
        return 1;
      }
      return result->exit_code();
    });
  }

  uid_t uid_ = 0;
  gid_t gid_ = 0;
  testing::HostSnapshot before_;
};

TEST_F(RootlessTest, CallerBecomesRootInside) {
  RootlessOutcome outcome = RunAsUser(testing::SpecFor(
      testing::BusyboxRoot(), {"/bin/sh", "-c", "id -u; id -g; cat /proc/self/uid_map"}));
  EXPECT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_THAT(outcome.output, ::testing::StartsWith("0\n0\n"));
  EXPECT_THAT(outcome.output, ::testing::MatchesRegex(
                                  absl::StrCat("0\n0\n *0 +", uid_, " +1\n")));
}

TEST_F(RootlessTest, PidAndMountIsolation) {
  spec::ContainerSpec spec = testing::SpecFor(
      testing::BusyboxRoot(),
      {"/bin/sh", "-c", "echo $$; mkdir -p /tmp/m; mount -t tmpfs x /tmp/m && echo mounted"});
  // mount needs CAP_SYS_ADMIN, which containers lack by default.
  spec.mutable_security()->mutable_capabilities()->add_add("SYS_ADMIN");
  RootlessOutcome outcome = RunAsUser(spec);
  EXPECT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_EQ(outcome.output, "1\nmounted\n");
}

TEST_F(RootlessTest, EmbeddedDefaultRuns) {
  RootlessOutcome outcome = RunAsUser(testing::SpecFor(
      "", {"/bin/sh", "-c", "echo $$; touch /etc/x 2>/dev/null || echo read-only"}));
  EXPECT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_EQ(outcome.output, "1\nread-only\n");
}

TEST_F(RootlessTest, HostFilesStayUnwritable) {
  // Root inside a user namespace is not root on the host: files owned by
  // the host's root stay read-only, even on a writable root filesystem.
  RootlessOutcome outcome = RunAsUser(testing::SpecFor(
      testing::BusyboxRoot(), {"/bin/sh", "-c", "echo x >> /etc/passwd || echo denied"}));
  EXPECT_EQ(outcome.exit_status, 0) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("denied"));
}

TEST_F(RootlessTest, AdditionalGroupsAreRejected) {
  spec::ContainerSpec spec = testing::SpecFor(testing::BusyboxRoot(), {"/bin/true"});
  spec.mutable_process()->mutable_user()->add_additional_gids(5);
  RootlessOutcome outcome = RunAsUser(spec);
  EXPECT_EQ(outcome.exit_status, 1);
  EXPECT_THAT(outcome.output, HasSubstr("process.user.additional_gids"));
}

TEST_F(RootlessTest, StateDirectoryIsRemoved) {
  RootlessOutcome outcome = AsUser([](int out) {
    absl::StatusOr<spec::RunResult> result =
        container::Run(testing::SpecFor(testing::BusyboxRoot(), {"/bin/true"}));
    std::string entries;
    std::string root = container::StateRoot();
    if (DIR* dir = opendir(root.c_str())) {
      while (struct dirent* entry = readdir(dir)) {
        // "_seccomp" and other names that are no container id are shared.
        if (entry->d_name[0] != '.' && entry->d_name[0] != '_') {
          absl::StrAppend(&entries, entry->d_name, " ");
        }
      }
      closedir(dir);
    }
    std::string report = absl::StrCat(root, ":", entries);
    (void)!write(out, report.data(), report.size());
    return result.ok() ? 0 : 1;
  });
  EXPECT_EQ(outcome.exit_status, 0);
  EXPECT_EQ(outcome.output, absl::StrCat("/tmp/pycontain-", uid_, ":"));
}

}  // namespace
}  // namespace pycontain
