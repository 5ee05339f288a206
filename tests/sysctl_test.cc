// Namespaced sysctls (ContainerSpec.sysctls), end to end as root: values
// set inside the container's own network and IPC namespaces are what its
// command reads, the host's stay as they were, and names or values that
// cannot be applied fail the start before anything is left behind.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;
using testing::BusyboxRoot;
using testing::Output;
using testing::RunCaptured;
using testing::SpecFor;

std::string HostValue(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

class SysctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests create namespaces";
    host_forward_ = HostValue("/proc/sys/net/ipv4/ip_forward");
    host_shmmax_ = HostValue("/proc/sys/kernel/shmmax");
    ASSERT_FALSE(host_forward_.empty());
    ASSERT_FALSE(host_shmmax_.empty());
    before_ = testing::TakeSnapshot();
  }

  void TearDown() override {
    testing::ExpectNothingLeaked(before_);
    EXPECT_EQ(HostValue("/proc/sys/net/ipv4/ip_forward"), host_forward_);
    EXPECT_EQ(HostValue("/proc/sys/kernel/shmmax"), host_shmmax_);
  }

  std::string host_forward_;
  std::string host_shmmax_;
  testing::HostSnapshot before_;
};

constexpr char kRead[] =
    "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_default_ttl "
    "/proc/sys/kernel/shmmax";

TEST_F(SysctlTest, SeenInsideHostUnchanged) {
  absl::StatusOr<Output> plain = RunCaptured(SpecFor(BusyboxRoot(), {"/bin/sh", "-c", kRead}));
  ASSERT_TRUE(plain.ok()) << plain.status();
  std::vector<std::string> defaults = absl::StrSplit(plain->stdout_text, '\n');
  ASSERT_GE(defaults.size(), 3u) << plain->stdout_text;
  // Values unlike the ones a new namespace starts with (a new network
  // namespace may inherit the host's ip_forward), so that seeing them
  // proves the writes.
  std::string forward = defaults[0] == "1" ? "0" : "1";
  std::string ttl = defaults[1] == "77" ? "78" : "77";
  std::string shmmax = defaults[2] == "123456789" ? "987654321" : "123456789";

  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"/bin/sh", "-c", kRead});
  (*spec.mutable_sysctls())["net.ipv4.ip_forward"] = forward;
  (*spec.mutable_sysctls())["net.ipv4.ip_default_ttl"] = ttl;
  (*spec.mutable_sysctls())["kernel.shmmax"] = shmmax;
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_EQ(output->stdout_text, absl::StrCat(forward, "\n", ttl, "\n", shmmax, "\n"));
  // TearDown checks that the host's ip_forward and shmmax are unchanged.
  EXPECT_NE(HostValue("/proc/sys/net/ipv4/ip_default_ttl"), ttl);
}

TEST_F(SysctlTest, RejectsNonNamespacedName) {
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"/bin/true"});
  (*spec.mutable_sysctls())["kernel.panic"] = "10";
  absl::StatusOr<container::Container> started = container::Container::Start(spec);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(started.status().message(), HasSubstr("kernel.panic"));
}

TEST_F(SysctlTest, RejectsNetWithHostNetwork) {
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"/bin/true"});
  spec.mutable_network()->set_mode(spec::Network::HOST);
  spec.mutable_namespaces()->set_net(false);
  (*spec.mutable_sysctls())["net.ipv4.ip_forward"] = "1";
  absl::StatusOr<container::Container> started = container::Container::Start(spec);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(started.status().message(), HasSubstr("net.ipv4.ip_forward"));
}

TEST_F(SysctlTest, RejectedValueFailsStart) {
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"/bin/true"});
  (*spec.mutable_sysctls())["net.ipv4.ip_forward"] = "not-a-number";
  absl::StatusOr<container::Container> started = container::Container::Start(spec);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.status().message(), HasSubstr("net.ipv4.ip_forward"));
  EXPECT_THAT(started.status().message(), HasSubstr("Invalid argument"));
}

}  // namespace
}  // namespace pycontain
