#include "lib/container/sysctl.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::container {
namespace {

using ::testing::HasSubstr;

spec::ContainerSpec WithSysctl(const std::string& name, const std::string& value) {
  spec::ContainerSpec spec;
  (*spec.mutable_sysctls())[name] = value;
  return spec;
}

TEST(ValidateSysctlsTest, AcceptsNamespacedNames) {
  for (const char* name : {"net.ipv4.ip_forward", "net.core.somaxconn", "kernel.shmmax",
                           "kernel.sem", "kernel.shm_rmid_forced", "fs.mqueue.msg_max"}) {
    EXPECT_TRUE(ValidateSysctls(WithSysctl(name, "1")).ok()) << name;
  }
}

TEST(ValidateSysctlsTest, RejectsHostWideNames) {
  for (const char* name : {"kernel.panic", "vm.swappiness", "fs.file-max", "kernel.shm_next_id",
                           "kernel.hostname"}) {
    absl::Status status = ValidateSysctls(WithSysctl(name, "1"));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(status.message(), HasSubstr(name));
  }
}

TEST(ValidateSysctlsTest, RejectsPathLikeNames) {
  for (const char* name : {"net..ipv4", "net.ipv4/../../x", ".net", "net.", "net.a b"}) {
    EXPECT_EQ(ValidateSysctls(WithSysctl(name, "1")).code(),
              absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST(ValidateSysctlsTest, RejectsBadValues) {
  EXPECT_EQ(ValidateSysctls(WithSysctl("net.ipv4.ip_forward", "")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateSysctls(WithSysctl("net.ipv4.ip_forward", "1\n0")).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidateSysctlsTest, NetNeedsOwnNetworkNamespace) {
  spec::ContainerSpec spec = WithSysctl("net.ipv4.ip_forward", "1");
  spec.mutable_network()->set_mode(spec::Network::HOST);
  absl::Status status = ValidateSysctls(spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("net.ipv4.ip_forward"));
  spec.mutable_network()->set_mode(spec::Network::CONTAINER);
  EXPECT_EQ(ValidateSysctls(spec).code(), absl::StatusCode::kInvalidArgument);
  spec.mutable_network()->set_mode(spec::Network::NONE);
  spec.mutable_namespaces()->set_net(false);
  EXPECT_EQ(ValidateSysctls(spec).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateSysctlsTest, IpcNeedsOwnIpcNamespace) {
  spec::ContainerSpec spec = WithSysctl("kernel.shmmax", "65536");
  spec.mutable_namespaces()->set_ipc(false);
  absl::Status status = ValidateSysctls(spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("kernel.shmmax"));
}

}  // namespace
}  // namespace pycontain::container
