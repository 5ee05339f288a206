#include "examples/cli/cli_text.h"

#include "gtest/gtest.h"

namespace pycontain::cli {
namespace {

TEST(NameFlagInErrorTest, ReplacesField) {
  FlagOrigins origins = {{"process.env[0]", "-e =x"}, {"process.env[1]", "-e A=1"}};
  EXPECT_EQ(NameFlagInError("process.env[0]: must be NAME=value, got =x", origins),
            "-e =x: must be NAME=value, got =x");
}

TEST(NameFlagInErrorTest, KeepsSubfield) {
  FlagOrigins origins = {{"mounts[0]", "--tmpfs rel"}};
  EXPECT_EQ(NameFlagInError("mounts[0].destination: must be an absolute path", origins),
            "--tmpfs rel (destination): must be an absolute path");
}

TEST(NameFlagInErrorTest, FieldAfterContext) {
  FlagOrigins origins = {{"mounts[0]", "--tmpfs /t:size=x"}};
  EXPECT_EQ(NameFlagInError("start container c1: mounts[0].options: invalid", origins),
            "start container c1: --tmpfs /t:size=x (options): invalid");
}

TEST(NameFlagInErrorTest, IndexMustMatchWhole) {
  FlagOrigins origins = {{"process.env[1]", "-e A"}};
  EXPECT_EQ(NameFlagInError("process.env[10]: must be NAME=value", origins),
            "process.env[10]: must be NAME=value");
}

TEST(NameFlagInErrorTest, OtherMessagesUnchanged) {
  FlagOrigins origins = {{"process.cwd", "-w rel"}};
  EXPECT_EQ(NameFlagInError("user \"x\" not found", origins), "user \"x\" not found");
}

TEST(ResourceFieldsAsFlagsTest, FieldsInTheTextBecomeFlags) {
  EXPECT_EQ(ResourceFieldsAsFlags("--memory-swap 8m: 8m is below memory_bytes 16m; memory+swap "
                                  "must be at least the memory limit"),
            "--memory-swap 8m: 8m is below --memory 16m; memory+swap must be at least the "
            "memory limit");
  EXPECT_EQ(ResourceFieldsAsFlags("--cpus 0.5: excludes cpu_period_us and cpu_quota_us."),
            "--cpus 0.5: excludes --cpu-period and --cpu-quota.");
  EXPECT_EQ(ResourceFieldsAsFlags("resources.pids_limit: must be -1"), "--pids-limit: must be -1");
}

TEST(ResourceFieldsAsFlagsTest, ProseAndOtherWordsStay) {
  EXPECT_EQ(ResourceFieldsAsFlags("cpus must be from 0.01 to 2 (the CPUs)"),
            "cpus must be from 0.01 to 2 (the CPUs)");
  EXPECT_EQ(ResourceFieldsAsFlags("process.env[0]: must be NAME=value"),
            "process.env[0]: must be NAME=value");
}

TEST(ResourceFieldsAsFlagsTest, DropsStrictLimitsHint) {
  EXPECT_EQ(ResourceFieldsAsFlags("--memory 8191p: requested 1, but the kernel reports no "
                                  "limit (the limit is not in force; set "
                                  "resources.strict_limits to false to run anyway)"),
            "--memory 8191p: requested 1, but the kernel reports no limit (the limit is not in "
            "force)");
}

TEST(ResourceFieldSetByTest, FlagsAndAliases) {
  EXPECT_EQ(ResourceFieldSetBy("--memory"), "memory_bytes");
  EXPECT_EQ(ResourceFieldSetBy("-m"), "memory_bytes");
  EXPECT_EQ(ResourceFieldSetBy("--cpu-quota"), "cpu_quota_us");
  EXPECT_EQ(ResourceFieldSetBy("--device-read-bps"), "");
  EXPECT_EQ(ResourceFlagOf("memory_swap_bytes"), "--memory-swap");
}

TEST(FormatPortsTest, DockerLayout) {
  google::protobuf::RepeatedPtrField<std::string> ports;
  *ports.Add() = "8080:80";
  *ports.Add() = "0.0.0.0:53:53/udp";
  *ports.Add() = "[::]:8000-8001:9000-9001";
  EXPECT_EQ(FormatPorts(ports),
            "127.0.0.1:8080->80/tcp, 0.0.0.0:53->53/udp, [::]:8000-8001->9000-9001/tcp");
}

TEST(FormatPortsTest, EmptyAndUnparsed) {
  google::protobuf::RepeatedPtrField<std::string> ports;
  EXPECT_EQ(FormatPorts(ports), "");
  *ports.Add() = "bogus";
  EXPECT_EQ(FormatPorts(ports), "bogus");
}

}  // namespace
}  // namespace pycontain::cli
