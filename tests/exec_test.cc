// Joining a running container's namespaces (Container::Exec): the joined
// command gets the same view as the container's own processes.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::BusyboxRoot;
using testing::SpecFor;

class ExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    before_ = testing::TakeSnapshot();
    spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"sleep", "30"});
    spec.set_hostname("joined");
    absl::StatusOr<container::Container> started = container::Container::Start(spec);
    ASSERT_TRUE(started.ok()) << started.status();
    container_.emplace(std::move(*started));
  }
  void TearDown() override {
    container_.reset();
    testing::ExpectNothingLeaked(before_);
  }

  // Runs `script` inside the container and returns its stdout.
  std::string Exec(const std::string& script, spec::Process process = {}) {
    int out = testing::MakeCaptureFile();
    process.add_args("/bin/sh");
    process.add_args("-c");
    process.add_args(script);
    process.mutable_stdio()->set_stdout_fd(out);
    absl::StatusOr<ns::ChildProcess> child = container_->Exec(process);
    EXPECT_TRUE(child.ok()) << child.status();
    std::string text;
    if (child.ok()) {
      absl::StatusOr<ns::ExitStatus> status = child->Wait();
      EXPECT_TRUE(status.ok()) << status.status();
      if (status.ok()) EXPECT_EQ(status->exit_code, 0);
      text = testing::ReadCaptureFile(out);
    }
    close(out);
    return text;
  }

  testing::HostSnapshot before_;
  std::optional<container::Container> container_;
};

TEST_F(ExecTest, SeesContainerHostname) { EXPECT_EQ(Exec("hostname"), "joined\n"); }

TEST_F(ExecTest, SeesContainerProcesses) {
  // PID 1 is the container's sleep, so /proc is the container's own.
  EXPECT_EQ(Exec("cat /proc/1/comm"), "sleep\n");
  EXPECT_EQ(Exec("ls /sys/class/net"), "lo\n");
}

TEST_F(ExecTest, SeesContainerRoot) {
  EXPECT_EQ(Exec("readlink /bin/sh"), "busybox\n");
}

TEST_F(ExecTest, RunsAsRequestedUser) {
  spec::Process process;
  process.mutable_user()->set_user("app");
  EXPECT_EQ(Exec("id -u; echo $HOME", process), "1000\n/home/app\n");
}

TEST_F(ExecTest, JoinedProcessIsNotInParentPidNamespace) {
  // $$ inside is a small pid of the container's namespace, not the host's.
  std::string pid = Exec("echo $$");
  EXPECT_LT(std::stoi(pid), 100);
}

// Returns /proc/<pid>/cgroup as the host reads it.
std::string CgroupsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Starts `sleep 30` in `container` and returns its owner.
ns::ChildProcess ExecSleep(container::Container& container) {
  spec::Process process;
  process.add_args("sleep");
  process.add_args("30");
  absl::StatusOr<ns::ChildProcess> child = container.Exec(process);
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? std::move(*child) : ns::ChildProcess();
}

TEST_F(ExecTest, JoinsContainerCgroups) {
  ns::ChildProcess child = ExecSleep(*container_);
  ASSERT_GT(child.pid(), 0);
  std::string expected = CgroupsOf(container_->pid());
  ASSERT_THAT(expected, HasSubstr("/pycontain/"));
  EXPECT_EQ(CgroupsOf(child.pid()), expected);
}

TEST_F(ExecTest, JoinsLimitedContainerCgroups) {
  // A memory limit adds a v1 hierarchy on hybrid hosts, joined by pid.
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"sleep", "30"});
  spec.mutable_resources()->set_memory_bytes(64 << 20);
  absl::StatusOr<container::Container> limited = container::Container::Start(spec);
  ASSERT_TRUE(limited.ok()) << limited.status();
  ns::ChildProcess child = ExecSleep(*limited);
  ASSERT_GT(child.pid(), 0);
  std::string expected = CgroupsOf(limited->pid());
  ASSERT_THAT(expected, HasSubstr(":memory:/pycontain/" + limited->id()));
  EXPECT_EQ(CgroupsOf(child.pid()), expected);
}

TEST_F(ExecTest, CommandStartsInsideLimitedCgroups) {
  // Inside the container's cgroup namespace its own cgroups read as "/",
  // and any other as a path with "/..". The command reads its cgroups as
  // its first action, so it must already be in them when it execs.
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"sleep", "30"});
  spec.mutable_resources()->set_memory_bytes(64 << 20);
  absl::StatusOr<container::Container> limited = container::Container::Start(spec);
  ASSERT_TRUE(limited.ok()) << limited.status();
  for (int round = 0; round < 5; ++round) {
    int out = testing::MakeCaptureFile();
    spec::Process process;
    process.add_args("/bin/cat");
    process.add_args("/proc/self/cgroup");
    process.mutable_stdio()->set_stdout_fd(out);
    absl::StatusOr<ns::ChildProcess> child = limited->Exec(process);
    ASSERT_TRUE(child.ok()) << child.status();
    ASSERT_TRUE(child->Wait().ok());
    std::string cgroups = testing::ReadCaptureFile(out);
    close(out);
    EXPECT_THAT(cgroups, HasSubstr(":memory:/\n")) << "round " << round;
    EXPECT_THAT(cgroups, Not(HasSubstr("/.."))) << "round " << round << ": " << cgroups;
  }
}

TEST_F(ExecTest, UnknownCommandIsNotFound) {
  spec::Process process;
  process.add_args("no-such-command");
  absl::StatusOr<ns::ChildProcess> child = container_->Exec(process);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ExecTest, EndedContainerIsFailedPrecondition) {
  ASSERT_TRUE(container_->Kill(SIGKILL).ok());
  ASSERT_TRUE(container_->Wait().ok());
  spec::Process process;
  process.add_args("true");
  absl::StatusOr<ns::ChildProcess> child = container_->Exec(process);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace pycontain
