#include "lib/security/seccomp_filter.h"

#include <errno.h>
#include <linux/filter.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/log.h"
#include "lib/security/capabilities.h"
#include "lib/security/default_profile.h"

namespace pycontain::security {
namespace {

using ::testing::HasSubstr;

SeccompProgram Compile(const std::string& json, bool strict = false) {
  absl::StatusOr<SeccompProfileJson> profile = ParseSeccompProfile(json);
  EXPECT_TRUE(profile.ok()) << profile.status();
  absl::StatusOr<SeccompPolicy> policy = ResolveSeccompProfile(*profile, {});
  EXPECT_TRUE(policy.ok()) << policy.status();
  absl::StatusOr<SeccompProgram> program = CompileSeccompPolicy(*policy, {strict, "test"});
  EXPECT_TRUE(program.ok()) << program.status();
  return program.ok() ? std::move(*program) : SeccompProgram();
}

// Installs `program` in a forked child, which then calls getppid with
// `args` and exits with the errno (0 on success). Returns the exit code,
// or 1000 + the signal that ended the child.
int GetppidErrnoUnder(SeccompProgram& program, std::vector<unsigned long> args) {
  args.resize(6, 0);
  ns::ChildHook hook = SeccompInstallHook(&program, ns::ChildHook::Point::kBeforeExec);
  pid_t child = fork();
  if (child == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || hook.run(hook.data) != 0) _exit(200);
    long result = syscall(SYS_getppid, args[0], args[1], args[2], args[3], args[4], args[5]);
    _exit(result < 0 ? errno : 0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

std::string RuleProfile(const std::string& args) {
  return absl::StrCat(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 90, "args": [)",
                      args, "]}]}");
}

TEST(SeccompFilterTest, DefaultProfileFitsTheKernelLimit) {
  absl::StatusOr<SeccompPolicy> policy =
      ResolveSeccompProfile(DefaultSeccompProfile(), {.capabilities = DefaultCapabilities()});
  ASSERT_TRUE(policy.ok()) << policy.status();
  absl::StatusOr<SeccompProgram> program = CompileSeccompPolicy(*policy, {true, "test"});
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_LE(program->instructions.size(), size_t{BPF_MAXINSNS});
  EXPECT_GT(program->rule_count, 300);
  EXPECT_TRUE(program->skipped_names.empty());
}

TEST(SeccompFilterTest, UnknownNameWarnsAndSkips) {
  std::vector<std::string> warnings;
  SetLogSink([&](LogLevel level, absl::string_view, absl::string_view message) {
    if (level == LogLevel::kWarning) warnings.emplace_back(message);
  });
  SeccompProgram program = Compile(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["no_such_call", "getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 33}]})");
  SetLogSink(nullptr);
  EXPECT_EQ(program.skipped_names, std::vector<std::string>{"no_such_call"});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("syscalls[0].names: unknown system call \"no_such_call\""));
  EXPECT_EQ(GetppidErrnoUnder(program, {}), 33);
}

TEST(SeccompFilterTest, UnknownNameFailsInStrictMode) {
  absl::StatusOr<SeccompProfileJson> profile = ParseSeccompProfile(
      R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
          {"names": ["getppid", "no_such_call"], "action": "SCMP_ACT_KILL"}]})");
  ASSERT_TRUE(profile.ok());
  absl::StatusOr<SeccompPolicy> policy = ResolveSeccompProfile(*profile, {});
  ASSERT_TRUE(policy.ok());
  absl::StatusOr<SeccompProgram> program = CompileSeccompPolicy(*policy, {true, "test"});
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(program.status().message(),
              HasSubstr("syscalls[0].names: unknown system call \"no_such_call\""));
}

struct OperatorCase {
  const char* arg;
  unsigned long matching;
  unsigned long other;
};

TEST(SeccompFilterTest, EachOperator) {
  const OperatorCase cases[] = {
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_EQ"})", 5, 6},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_NE"})", 6, 5},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_LT"})", 4, 5},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_LE"})", 5, 6},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_GT"})", 6, 5},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_GE"})", 5, 4},
      {R"({"index": 0, "value": 240, "valueTwo": 48, "op": "SCMP_CMP_MASKED_EQ"})", 0x3f, 0x4f},
      {R"({"index": 3, "value": 9, "op": "SCMP_CMP_EQ"})", 0, 0},
  };
  for (const OperatorCase& test : cases) {
    SeccompProgram program = Compile(RuleProfile(test.arg));
    if (std::string(test.arg).find("\"index\": 3") != std::string::npos) {
      EXPECT_EQ(GetppidErrnoUnder(program, {0, 0, 0, 9}), 90) << test.arg;
      EXPECT_EQ(GetppidErrnoUnder(program, {9, 9, 9, 8}), 0) << test.arg;
      continue;
    }
    EXPECT_EQ(GetppidErrnoUnder(program, {test.matching}), 90) << test.arg;
    EXPECT_EQ(GetppidErrnoUnder(program, {test.other}), 0) << test.arg;
  }
}

TEST(SeccompFilterTest, DifferentArgumentsCombineWithAnd) {
  SeccompProgram program = Compile(RuleProfile(
      R"({"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
         {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"})"));
  EXPECT_EQ(GetppidErrnoUnder(program, {1, 2}), 90);
  EXPECT_EQ(GetppidErrnoUnder(program, {1, 3}), 0);
  EXPECT_EQ(GetppidErrnoUnder(program, {0, 2}), 0);
}

TEST(SeccompFilterTest, SameArgumentCombinesWithOr) {
  // As runc: conditions that share an argument become separate rules.
  SeccompProgram program = Compile(RuleProfile(
      R"({"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
         {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"},
         {"index": 1, "value": 7, "op": "SCMP_CMP_EQ"})"));
  EXPECT_EQ(GetppidErrnoUnder(program, {1}), 90);
  EXPECT_EQ(GetppidErrnoUnder(program, {2}), 90);
  EXPECT_EQ(GetppidErrnoUnder(program, {3, 7}), 90);
  EXPECT_EQ(GetppidErrnoUnder(program, {3, 8}), 0);
}

TEST(SeccompFilterTest, ActionsInARealProcess) {
  auto single = [](const std::string& action) {
    return absl::StrCat(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["getppid"], "action": ")", action, "\"}]}");
  };
  SeccompProgram errno_program = Compile(single("SCMP_ACT_ERRNO"));
  EXPECT_EQ(GetppidErrnoUnder(errno_program, {}), EPERM);
  SeccompProgram kill_program = Compile(single("SCMP_ACT_KILL_PROCESS"));
  EXPECT_EQ(GetppidErrnoUnder(kill_program, {}), 1000 + SIGSYS);
  SeccompProgram trap_program = Compile(single("SCMP_ACT_TRAP"));
  EXPECT_EQ(GetppidErrnoUnder(trap_program, {}), 1000 + SIGSYS);
  // No tracer is attached, so the kernel fails the call with ENOSYS.
  SeccompProgram trace_program = Compile(single("SCMP_ACT_TRACE"));
  EXPECT_EQ(GetppidErrnoUnder(trace_program, {}), ENOSYS);
  SeccompProgram log_program = Compile(single("SCMP_ACT_LOG"));
  EXPECT_EQ(GetppidErrnoUnder(log_program, {}), 0);
  SeccompProgram default_errno = Compile(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 61, "syscalls": [{"names": ["exit_group", "exit"],
      "action": "SCMP_ACT_ALLOW"}]})");
  EXPECT_EQ(GetppidErrnoUnder(default_errno, {}), 61);
}

}  // namespace
}  // namespace pycontain::security
