// Containers that join another container's IPC and PID namespaces
// (spec.namespaces.join_ipc and join_pid), by namespace file and by
// container id, as root on the real kernel.
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::BusyboxRoot;
using testing::Output;
using testing::RunCaptured;
using testing::SpecFor;

std::string Link(const std::string& path) {
  char target[256];
  ssize_t length = readlink(path.c_str(), target, sizeof(target));
  return length < 0 ? "" : std::string(target, length);
}

class NamespaceJoinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests create namespaces and mounts as root";
    before_ = testing::TakeSnapshot();
    // The donor: PID 1 of its namespaces, with a file in its /dev/shm.
    spec::ContainerSpec spec =
        SpecFor(BusyboxRoot(), {"sh", "-c", "echo from-donor > /dev/shm/marker; exec sleep 1001"});
    spec.set_id(absl::StrCat("join-donor-", getpid()));
    absl::StatusOr<container::Container> donor = container::Container::Start(spec);
    ASSERT_TRUE(donor.ok()) << donor.status();
    donor_.emplace(std::move(*donor));
    // The marker exists once sh has exec'd sleep.
    ASSERT_TRUE(testing::Eventually([&] {
      return testing::ReadFile(absl::StrCat("/proc/", donor_->pid(), "/cmdline")) ==
             std::string("sleep\0" "1001\0", 11);
    }));
  }

  void TearDown() override {
    if (donor_.has_value()) {
      EXPECT_TRUE(donor_->Kill(SIGKILL).ok());
      EXPECT_TRUE(donor_->Wait().ok());
      donor_.reset();
    }
    testing::ExpectNothingLeaked(before_);
  }

  // Runs `script` in a new busybox container that joins as `join` sets.
  absl::StatusOr<Output> Joiner(const std::string& script,
                                const std::function<void(spec::Namespaces*)>& join) {
    spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"sh", "-c", script});
    join(spec.mutable_namespaces());
    return RunCaptured(spec);
  }

  std::string DonorNamespace(const std::string& kind) {
    return absl::StrCat("/proc/", donor_->pid(), "/ns/", kind);
  }

  testing::HostSnapshot before_;
  std::optional<container::Container> donor_;
};

TEST_F(NamespaceJoinTest, JoinsByNamespaceFile) {
  absl::StatusOr<Output> output = Joiner(
      "readlink /proc/self/ns/ipc; echo pid $$; cat /proc/1/cmdline; echo; ls /dev/shm",
      [&](spec::Namespaces* namespaces) {
        namespaces->mutable_join_ipc()->set_path(DonorNamespace("ipc"));
        namespaces->mutable_join_pid()->set_path(DonorNamespace("pid"));
      });
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_THAT(output->stdout_text, HasSubstr(Link(DonorNamespace("ipc")) + "\n"));
  // Not the init of its PID namespace: the donor's sleep is.
  EXPECT_THAT(output->stdout_text, Not(HasSubstr("pid 1\n")));
  EXPECT_THAT(output->stdout_text, HasSubstr(std::string("sleep\0" "1001", 10)));
  // A namespace file names no container, so /dev/shm stays the joiner's own.
  EXPECT_THAT(output->stdout_text, Not(HasSubstr("marker")));
}

TEST_F(NamespaceJoinTest, JoinsByContainerWithShm) {
  absl::StatusOr<Output> output =
      Joiner("readlink /proc/self/ns/ipc; cat /dev/shm/marker; ps -o args",
             [&](spec::Namespaces* namespaces) {
               namespaces->mutable_join_ipc()->set_container(donor_->id());
               namespaces->mutable_join_pid()->set_container(donor_->id());
             });
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_THAT(output->stdout_text, HasSubstr(Link(DonorNamespace("ipc")) + "\n"));
  EXPECT_THAT(output->stdout_text, HasSubstr("from-donor\n"));
  EXPECT_THAT(output->stdout_text, HasSubstr("sleep 1001"));
}

TEST_F(NamespaceJoinTest, PrivateNamespacesDiffer) {
  absl::StatusOr<Output> output =
      Joiner("readlink /proc/self/ns/ipc; ps -o args", [](spec::Namespaces*) {});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_THAT(output->stdout_text, Not(HasSubstr(Link(DonorNamespace("ipc")))));
  EXPECT_THAT(output->stdout_text, Not(HasSubstr("sleep 1001")));
}

TEST_F(NamespaceJoinTest, WrongKindOfFile) {
  absl::StatusOr<Output> output = Joiner("true", [&](spec::Namespaces* namespaces) {
    namespaces->mutable_join_ipc()->set_path(DonorNamespace("net"));
  });
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(output.status().message(), HasSubstr("namespaces.join_ipc.path"));
  EXPECT_THAT(output.status().message(), HasSubstr("is not an IPC namespace file"));

  output = Joiner("true", [&](spec::Namespaces* namespaces) {
    namespaces->mutable_join_pid()->set_path(DonorNamespace("ipc"));
  });
  ASSERT_FALSE(output.ok());
  EXPECT_THAT(output.status().message(), HasSubstr("is not a PID namespace file"));
}

TEST_F(NamespaceJoinTest, DonorNotRunning) {
  absl::StatusOr<Output> output = Joiner("true", [](spec::Namespaces* namespaces) {
    namespaces->mutable_join_pid()->set_container("no-such-container");
  });
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(output.status().message(), HasSubstr("namespaces.join_pid.container"));
}

}  // namespace
}  // namespace pycontain
