#include "lib/spec/validate.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::spec {
namespace {

using ::testing::HasSubstr;

ContainerSpec Minimal() {
  ContainerSpec spec;
  spec.mutable_process()->add_args("/bin/true");
  return spec;
}

void ExpectInvalid(const ContainerSpec& spec, const std::string& field) {
  absl::Status status = ValidateSpec(spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr(field));
}

TEST(ValidateSpec, MinimalIsValid) { EXPECT_TRUE(ValidateSpec(Minimal()).ok()); }

TEST(ValidateSpec, MissingCommand) {
  ContainerSpec spec;
  ExpectInvalid(spec, "process.args");
}

TEST(ValidateSpec, EnvWithoutEquals) {
  ContainerSpec spec = Minimal();
  spec.mutable_process()->add_env("PATH");
  ExpectInvalid(spec, "process.env[0]");
}

TEST(ValidateSpec, RelativeCwd) {
  ContainerSpec spec = Minimal();
  spec.mutable_process()->set_cwd("tmp");
  ExpectInvalid(spec, "process.cwd");
}

TEST(ValidateSpec, RelativeRoot) {
  ContainerSpec spec = Minimal();
  spec.mutable_root()->set_path("rootfs");
  ExpectInvalid(spec, "root.path");
}

TEST(ValidateSpec, HostnameTooLongOrBadCharacter) {
  ContainerSpec spec = Minimal();
  spec.set_hostname(std::string(65, 'a'));
  ExpectInvalid(spec, "hostname");
  spec.set_hostname("a b");
  ExpectInvalid(spec, "hostname");
}

TEST(ValidateSpec, HostNetworkWithNetNamespace) {
  ContainerSpec spec = Minimal();
  spec.mutable_network()->set_mode(Network::HOST);
  spec.mutable_namespaces()->set_net(true);
  ExpectInvalid(spec, "namespaces.net");
}

TEST(ValidateSpec, MountNamespaceCannotBeOff) {
  ContainerSpec spec = Minimal();
  spec.mutable_namespaces()->set_mount(false);
  ExpectInvalid(spec, "namespaces.mount");
}

TEST(ValidateSpec, MappingsNeedUserNamespace) {
  ContainerSpec spec = Minimal();
  IdMapping* mapping = spec.mutable_namespaces()->add_uid_mappings();
  mapping->set_size(1);
  ExpectInvalid(spec, "namespaces.uid_mappings");
  spec.mutable_namespaces()->set_user(true);
  EXPECT_TRUE(ValidateSpec(spec).ok());
  mapping->set_host_id(4294967295u);
  mapping->set_size(2);
  ExpectInvalid(spec, "namespaces.uid_mappings[0]");
}

TEST(ValidateSpec, MountNeedsAbsoluteDestinationAndBindSource) {
  ContainerSpec spec = Minimal();
  Mount* mount = spec.add_mounts();
  mount->set_type("bind");
  mount->set_destination("data");
  ExpectInvalid(spec, "mounts[0].destination");
  mount->set_destination("/data");
  mount->set_source("relative");
  ExpectInvalid(spec, "mounts[0].source");
}

TEST(ValidateSpec, MountDestinationWithDotDot) {
  ContainerSpec spec = Minimal();
  Mount* mount = spec.add_mounts();
  mount->set_type("tmpfs");
  mount->set_destination("/data/../../etc");
  ExpectInvalid(spec, "mounts[0].destination");
  mount->set_destination("/data/..x/y..");
  EXPECT_TRUE(ValidateSpec(spec).ok());
}

TEST(ValidateSpec, VolumeSourceAndNocopy) {
  ContainerSpec spec = Minimal();
  Mount* mount = spec.add_mounts();
  mount->set_type("volume");
  mount->set_destination("/data");
  EXPECT_TRUE(ValidateSpec(spec).ok()) << "an empty source is an anonymous volume";
  mount->set_source("cache_1.x-y");
  mount->add_options("nocopy");
  EXPECT_TRUE(ValidateSpec(spec).ok());
  mount->set_source("-cache");
  ExpectInvalid(spec, "mounts[0].source");
  mount->set_source("/host/path");
  ExpectInvalid(spec, "mounts[0].source");
  mount->set_source("data");
  mount->set_type("bind");
  mount->set_source("/data");
  ExpectInvalid(spec, "mounts[0].options");
}

TEST(ValidateVolumeName, AcceptsAndRejects) {
  EXPECT_TRUE(ValidateVolumeName("ab").ok());
  EXPECT_TRUE(ValidateVolumeName("0data.v1_x-y").ok());
  EXPECT_FALSE(ValidateVolumeName("a").ok()) << "Docker needs two characters";
  EXPECT_FALSE(ValidateVolumeName("").ok());
  EXPECT_FALSE(ValidateVolumeName("_data").ok());
  EXPECT_FALSE(ValidateVolumeName("a/b").ok());
  EXPECT_FALSE(ValidateVolumeName("a:b").ok());
  EXPECT_FALSE(ValidateVolumeName(std::string(256, 'a')).ok());
  EXPECT_TRUE(ValidateVolumeName(std::string(255, 'a')).ok());
}

TEST(ValidateSpec, ZeroTimeout) {
  ContainerSpec spec = Minimal();
  spec.mutable_timeout()->set_seconds(0);
  ExpectInvalid(spec, "timeout");
}

TEST(ValidateSpec, JoinNamespaceAccepted) {
  ContainerSpec spec = Minimal();
  spec.mutable_namespaces()->mutable_join_ipc()->set_path("/proc/1/ns/ipc");
  spec.mutable_namespaces()->mutable_join_pid()->set_container("web-1");
  EXPECT_TRUE(ValidateSpec(spec).ok()) << ValidateSpec(spec);
}

TEST(ValidateSpec, JoinNamespaceNeedsOneTarget) {
  for (const char* kind : {"ipc", "pid"}) {
    SCOPED_TRACE(kind);
    ContainerSpec spec = Minimal();
    NamespaceJoin* join = std::string(kind) == "ipc" ? spec.mutable_namespaces()->mutable_join_ipc()
                                                     : spec.mutable_namespaces()->mutable_join_pid();
    ExpectInvalid(spec, absl::StrCat("namespaces.join_", kind, ": set exactly one"));
    join->set_path("/proc/1/ns/x");
    join->set_container("web");
    ExpectInvalid(spec, absl::StrCat("namespaces.join_", kind, ": set exactly one"));
  }
}

TEST(ValidateSpec, JoinNamespaceBadPathOrId) {
  ContainerSpec spec = Minimal();
  spec.mutable_namespaces()->mutable_join_ipc()->set_path("proc/1/ns/ipc");
  ExpectInvalid(spec, "namespaces.join_ipc.path: must be an absolute path");
  spec = Minimal();
  spec.mutable_namespaces()->mutable_join_pid()->set_container("../web");
  ExpectInvalid(spec, "namespaces.join_pid.container: \"../web\" is not a valid id");
}

TEST(ValidateSpec, JoinNamespaceConflictsWithFlag) {
  ContainerSpec spec = Minimal();
  spec.mutable_namespaces()->mutable_join_ipc()->set_container("web");
  spec.mutable_namespaces()->set_ipc(true);
  ExpectInvalid(spec, "namespaces.ipc: must be unset when namespaces.join_ipc is set");
  spec.mutable_namespaces()->set_ipc(false);
  ExpectInvalid(spec, "namespaces.ipc: must be unset");

  spec = Minimal();
  spec.mutable_namespaces()->mutable_join_pid()->set_container("web");
  spec.mutable_namespaces()->set_pid(false);
  ExpectInvalid(spec, "namespaces.pid: must be unset when namespaces.join_pid is set");
}

TEST(ValidateSpec, JoinNamespaceWithUserNamespace) {
  ContainerSpec spec = Minimal();
  spec.mutable_namespaces()->set_user(true);
  spec.mutable_namespaces()->mutable_join_pid()->set_path("/proc/1/ns/pid");
  ExpectInvalid(spec, "namespaces.join_pid: cannot be combined with a user namespace");
}

TEST(ValidateId, AcceptsAndRejects) {
  EXPECT_TRUE(ValidateId("web-1.a_b").ok());
  EXPECT_FALSE(ValidateId("").ok());
  EXPECT_FALSE(ValidateId("-x").ok());
  EXPECT_FALSE(ValidateId("a/b").ok());
  EXPECT_FALSE(ValidateId(std::string(65, 'a')).ok());
}

}  // namespace
}  // namespace pycontain::spec
