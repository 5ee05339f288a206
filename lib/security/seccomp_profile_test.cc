#include "lib/security/seccomp_profile.h"

#include <errno.h>
#include <linux/seccomp.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/security/capabilities.h"
#include "lib/security/default_profile.h"

namespace pycontain::security {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<SeccompPolicy> Resolve(const std::string& json, ResolveOptions options = {}) {
  absl::StatusOr<SeccompProfileJson> profile = ParseSeccompProfile(json);
  if (!profile.ok()) return profile.status();
  return ResolveSeccompProfile(*profile, options);
}

std::string ErrorOf(const std::string& json) {
  absl::StatusOr<SeccompPolicy> policy = Resolve(json);
  EXPECT_FALSE(policy.ok()) << json;
  return policy.ok() ? "" : std::string(policy.status().message());
}

TEST(SeccompProfileTest, ParsesOciForm) {
  absl::StatusOr<SeccompPolicy> policy = Resolve(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                 {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42,
                  "args": [{"index": 1, "value": 7, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}]
  })");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->default_action, SCMP_ACT_ERRNO(38));
  ASSERT_EQ(policy->architectures.size(), 2u);
  EXPECT_EQ(policy->architectures[1], SCMP_ARCH_X86);
  EXPECT_EQ(policy->flags, unsigned{SECCOMP_FILTER_FLAG_LOG});
  ASSERT_EQ(policy->rules.size(), 2u);
  EXPECT_EQ(policy->rules[1].action, SCMP_ACT_ERRNO(42));
  ASSERT_EQ(policy->rules[1].conditions.size(), 1u);
  EXPECT_EQ(policy->rules[1].conditions[0].index, 1u);
  EXPECT_EQ(policy->rules[1].conditions[0].value, 7u);
  EXPECT_EQ(policy->rules[1].field, "syscalls[1]");
}

TEST(SeccompProfileTest, EveryActionMaps) {
  const std::pair<const char*, uint32_t> cases[] = {
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
      {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(EPERM)},
      {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD},
      {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
      {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
      {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
      {"SCMP_ACT_LOG", SCMP_ACT_LOG},
      {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(EPERM)},
  };
  for (const auto& [name, action] : cases) {
    absl::StatusOr<SeccompPolicy> policy = Resolve(absl::StrCat(
        R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getppid"], "action": ")",
        name, R"("}]})"));
    ASSERT_TRUE(policy.ok()) << name << ": " << policy.status();
    EXPECT_EQ(policy->rules[0].action, action) << name;
  }
}

TEST(SeccompProfileTest, NotifyNeedsListenerPath) {
  std::string rule = R"("syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}])";
  EXPECT_THAT(ErrorOf(absl::StrCat(R"({"defaultAction": "SCMP_ACT_ALLOW", )", rule, "}")),
              HasSubstr("listenerPath: required"));
  absl::StatusOr<SeccompPolicy> policy = Resolve(absl::StrCat(
      R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock", )", rule, "}"));
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(policy->uses_notify);
  EXPECT_EQ(policy->listener_path, "/run/agent.sock");
}

TEST(SeccompProfileTest, ErrorsNameTheField) {
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_NOPE"})"),
              HasSubstr("defaultAction: unknown action \"SCMP_ACT_NOPE\""));
  EXPECT_THAT(ErrorOf(R"({})"), HasSubstr("defaultAction: an action is required"));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["read"], "action": "SCMP_ACT_FOO"}]})"),
              HasSubstr("syscalls[0].action: unknown action"));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                        "errnoRet": 5}]})"),
              HasSubstr("syscalls[0].errnoRet: only allowed with SCMP_ACT_ERRNO"));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5000})"),
              HasSubstr("defaultErrnoRet: must be at most 4095"));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]})"),
              HasSubstr("architectures[1]: unknown architecture \"SCMP_ARCH_VAX\""));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                                       "subArchitectures": ["pdp11"]}]})"),
              HasSubstr("archMap[0].subArchitectures[0]: unknown architecture"));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["FAST"]})"),
              HasSubstr("flags[0]: unknown flag \"FAST\""));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                        "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})"),
              HasSubstr("syscalls[0].args[0].index: must be 0 to 5"));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                        "args": [{"index": 0, "op": "SCMP_CMP_ABOUT"}]}]})"),
              HasSubstr("syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\""));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"action": "SCMP_ACT_ERRNO"}]})"),
              HasSubstr("syscalls[0].names: no system call named"));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                        "includes": {"caps": ["CAP_TELEPORT"]}}]})"),
              HasSubstr("syscalls[0].includes.caps[0]: unknown capability"));
  EXPECT_THAT(ErrorOf(R"({"defaultAction": "SCMP_ACT_ALLOW",
                          "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                                        "excludes": {"minKernel": "five"}}]})"),
              HasSubstr("syscalls[0].excludes.minKernel: must be \"major.minor\""));
}

TEST(SeccompProfileTest, JsonErrorsNameTheField) {
  absl::StatusOr<SeccompProfileJson> bad_type = ParseSeccompProfile(
      R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"errnoRet": -1}]})");
  ASSERT_FALSE(bad_type.ok());
  EXPECT_THAT(bad_type.status().message(), HasSubstr("syscalls[0].errno_ret"));
  absl::StatusOr<SeccompProfileJson> unknown =
      ParseSeccompProfile(R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultActoin": "x"})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("defaultActoin"));
  EXPECT_FALSE(ParseSeccompProfile("{\"syscalls\": [").ok());
}

TEST(SeccompProfileTest, DockerIncludesAndExcludes) {
  std::string json = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                 "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
      {"name": "old_form", "action": "SCMP_ACT_ALLOW"}
    ]})";
  absl::StatusOr<SeccompPolicy> without =
      Resolve(json, {.capabilities = 0, .native_arch = SCMP_ARCH_X86_64, .kernel_version = 4007});
  ASSERT_TRUE(without.ok()) << without.status();
  ASSERT_EQ(without->rules.size(), 3u);
  EXPECT_EQ(without->rules[0].names[0], "clone");
  EXPECT_EQ(without->rules[1].names[0], "arch_prctl");
  EXPECT_EQ(without->rules[2].names[0], "old_form");
  EXPECT_EQ(without->architectures,
            (std::vector<uint32_t>{SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32}));

  absl::StatusOr<SeccompPolicy> with = Resolve(
      json, {.capabilities = uint64_t{1} << 21, .native_arch = SCMP_ARCH_AARCH64,
             .kernel_version = 6018});
  ASSERT_TRUE(with.ok()) << with.status();
  ASSERT_EQ(with->rules.size(), 3u);
  EXPECT_EQ(with->rules[0].names[0], "mount");
  EXPECT_EQ(with->rules[1].names[0], "ptrace");
  EXPECT_EQ(with->architectures, (std::vector<uint32_t>{SCMP_ARCH_AARCH64, SCMP_ARCH_ARM}));
}

TEST(SeccompProfileTest, ArchitectureNames) {
  EXPECT_EQ(ArchitectureFromName("SCMP_ARCH_X86_64"), SCMP_ARCH_X86_64);
  EXPECT_EQ(ArchitectureFromName("x86_64"), SCMP_ARCH_X86_64);
  EXPECT_EQ(ArchitectureFromName("amd64"), SCMP_ARCH_X86_64);
  EXPECT_EQ(ArchitectureFromName("386"), SCMP_ARCH_X86);
  EXPECT_EQ(ArchitectureFromName("SCMP_ARCH_x86"), 0u);
  EXPECT_EQ(ArchitectureFromName("z80"), 0u);
  EXPECT_EQ(ArchitectureName(SCMP_ARCH_X32), "SCMP_ARCH_X32");
}

TEST(SeccompProfileTest, DefaultProfileFollowsCapabilities) {
  absl::StatusOr<SeccompPolicy> plain =
      ResolveSeccompProfile(DefaultSeccompProfile(), {.capabilities = DefaultCapabilities()});
  ASSERT_TRUE(plain.ok()) << plain.status();
  absl::StatusOr<SeccompPolicy> admin = ResolveSeccompProfile(
      DefaultSeccompProfile(),
      {.capabilities = DefaultCapabilities() | (uint64_t{1} << 21)});
  ASSERT_TRUE(admin.ok()) << admin.status();
  auto allows = [](const SeccompPolicy& policy, const std::string& name) {
    for (const SeccompRule& rule : policy.rules) {
      for (const std::string& rule_name : rule.names) {
        if (rule_name == name && rule.action == SCMP_ACT_ALLOW && rule.conditions.empty()) {
          return true;
        }
      }
    }
    return false;
  };
  EXPECT_FALSE(allows(*plain, "mount"));
  EXPECT_TRUE(allows(*admin, "mount"));
  EXPECT_FALSE(allows(*plain, "clone"));  // only with flag conditions
  EXPECT_TRUE(allows(*admin, "clone"));
  EXPECT_TRUE(allows(*plain, "chroot"));  // CAP_SYS_CHROOT is a default
  EXPECT_FALSE(allows(*admin, "keyctl"));
  EXPECT_FALSE(allows(*admin, "kexec_load"));
  EXPECT_EQ(plain->default_action, SCMP_ACT_ERRNO(EPERM));
}

}  // namespace
}  // namespace pycontain::security
