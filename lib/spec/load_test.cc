#include "lib/spec/load.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::spec {
namespace {

using ::testing::HasSubstr;

TEST(SpecFromJson, ReadsCamelCaseAndProtoNames) {
  absl::StatusOr<ContainerSpec> spec = SpecFromJson(R"({
    "id": "c1",
    "process": {"args": ["/bin/echo", "hi"], "env": ["A=1"], "cwd": "/tmp"},
    "root": {"path": "/srv/rootfs", "readonly": true},
    "namespaces": {"uid_mappings": [{"containerId": 0, "hostId": 1000, "size": 1}]},
    "timeout": "1.5s"
  })");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->id(), "c1");
  EXPECT_EQ(spec->process().args(1), "hi");
  EXPECT_TRUE(spec->root().readonly());
  EXPECT_EQ(spec->namespaces().uid_mappings(0).host_id(), 1000u);
  EXPECT_EQ(spec->timeout().seconds(), 1);
  EXPECT_EQ(spec->timeout().nanos(), 500000000);
}

TEST(SpecFromJson, UnknownFieldNamesIt) {
  absl::StatusOr<ContainerSpec> spec = SpecFromJson(R"({"process": {"argz": []}})");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(spec.status().message(), HasSubstr("argz"));
  EXPECT_THAT(spec.status().message(), HasSubstr("process"));
}

TEST(SpecFromJson, WrongTypeNamesFieldPath) {
  absl::StatusOr<ContainerSpec> spec = SpecFromJson(R"({"process": {"args": [1]}})");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("process.args[0]"));
}

TEST(SpecFromJson, MalformedJsonIsInvalidArgument) {
  absl::StatusOr<ContainerSpec> spec = SpecFromJson(R"({"process": )");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SpecFromText, ReadsTextFormat) {
  absl::StatusOr<ContainerSpec> spec =
      SpecFromText("process { args: \"/bin/true\" }\nnetwork { mode: HOST }\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->process().args(0), "/bin/true");
  EXPECT_EQ(spec->network().mode(), Network::HOST);
}

TEST(SpecFromText, UnknownFieldNamesLineAndField) {
  absl::StatusOr<ContainerSpec> spec = SpecFromText("id: \"a\"\nprocess { argz: 1 }\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("line 2"));
  EXPECT_THAT(spec.status().message(), HasSubstr("\"argz\""));
}

TEST(ToJson, RoundTrips) {
  ContainerSpec spec;
  spec.set_hostname("box");
  spec.mutable_process()->add_args("/bin/sh");
  absl::StatusOr<ContainerSpec> back = SpecFromJson(ToJson(spec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->hostname(), "box");
  EXPECT_EQ(back->process().args(0), "/bin/sh");
}

}  // namespace
}  // namespace pycontain::spec
