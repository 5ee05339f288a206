// The security layer on the real kernel, as root. A probe inside the
// container shows what a default container cannot do and that the same
// calls work where the profile and capabilities allow them. Further tests
// cover capabilities, rlimits, masked paths and the receipt.
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/klog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "lib/security/capabilities.h"
#include "tests/security_testing.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::BusyboxRoot;
using testing::DebianRoot;
using testing::Output;
using testing::ProbeResults;
using testing::ProbeSpec;
using testing::RunCaptured;

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests create namespaces and mounts as root";
    before_ = testing::TakeSnapshot();
  }
  void TearDown() override { testing::ExpectNothingLeaked(before_); }

  // Runs the probe with `probes` and returns NAME -> errno; fails the test
  // when the container did not run or exit 0.
  std::map<std::string, long> Probe(const std::vector<std::string>& probes,
                                    spec::ContainerSpec spec = {}) {
    absl::StatusOr<Output> output = RunCaptured(ProbeSpec(probes, std::move(spec)));
    EXPECT_TRUE(output.ok()) << output.status();
    if (!output.ok()) return {};
    EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text << output->stdout_text;
    return ProbeResults(output->stdout_text);
  }

  testing::HostSnapshot before_;
};

spec::ContainerSpec WithCapabilities(std::vector<std::string> names) {
  spec::ContainerSpec spec;
  for (const std::string& name : names) {
    spec.mutable_security()->mutable_capabilities()->add_add(name);
  }
  return spec;
}

TEST_F(SecurityTest, DefaultBlocksDangerousCalls) {
  const std::vector<std::string> blocked = {
      "mount",  "umount",  "unshare_user",    "unshare_mount", "clone_newuser",
      "init_module", "finit_module", "reboot", "kexec_load", "keyctl",
      "bpf",    "perf_event_open", "swapon", "ptrace_child", "clock_settime",
      "settimeofday", "personality_bsd"};
  std::map<std::string, long> results = Probe(blocked);
  for (const std::string& name : blocked) {
    EXPECT_EQ(results[name], EPERM) << name;
  }
}

TEST_F(SecurityTest, DefaultAllowsOrdinaryCalls) {
  std::map<std::string, long> results =
      Probe({"getppid", "personality_query", "thread_getppid"});
  EXPECT_EQ(results["getppid"], 0);
  EXPECT_EQ(results["personality_query"], 0);
  EXPECT_EQ(results["thread_getppid"], 0);
}

TEST_F(SecurityTest, CapabilitiesOpenTheirCalls) {
  // With the capability, the profile lets each call reach the kernel, which
  // then succeeds or rejects its (harmless) arguments with its own error.
  // unshare_user goes last, because in the new user namespace the probe has
  // no capability over the container's namespaces.
  std::map<std::string, long> results =
      Probe({"mount", "unshare_mount", "clone_newuser", "ptrace_child", "reboot",
             "clock_settime", "settimeofday", "init_module", "bpf", "unshare_user"},
            WithCapabilities({"SYS_ADMIN", "SYS_PTRACE", "SYS_BOOT", "SYS_TIME",
                              "SYS_MODULE"}));
  EXPECT_EQ(results["mount"], 0);
  EXPECT_EQ(results["unshare_mount"], 0);
  EXPECT_EQ(results["unshare_user"], 0);
  EXPECT_EQ(results["clone_newuser"], 0);
  EXPECT_EQ(results["ptrace_child"], 0);
  EXPECT_EQ(results["reboot"], EINVAL);
  EXPECT_EQ(results["clock_settime"], EINVAL);
  EXPECT_EQ(results["settimeofday"], 0);
  EXPECT_NE(results["init_module"], EPERM);
  EXPECT_NE(results["bpf"], EPERM);
}

TEST_F(SecurityTest, UnconfinedLeavesOnlyCapabilities) {
  spec::ContainerSpec spec;
  spec.mutable_security()->mutable_seccomp()->set_mode(spec::Seccomp::UNCONFINED);
  // keyctl needs no capability, so only the profile blocked it.
  std::map<std::string, long> results = Probe({"keyctl", "personality_bsd", "mount"}, spec);
  EXPECT_NE(results["keyctl"], EPERM);
  EXPECT_EQ(results["personality_bsd"], 0);
  // Without CAP_SYS_ADMIN the kernel itself still refuses.
  EXPECT_EQ(results["mount"], EPERM);
}

TEST_F(SecurityTest, MaskedPathsAreEmpty) {
  // -1: opened and read zero bytes, as from /dev/null. Both files always
  // have contents, which root may read.
  std::map<std::string, long> results = Probe({"read_timer_list", "read_interrupts"});
  EXPECT_EQ(results["read_timer_list"], -1);
  EXPECT_EQ(results["read_interrupts"], -1);

  spec::ContainerSpec spec;
  spec.mutable_security()->set_no_default_paths(true);
  results = Probe({"read_timer_list", "read_interrupts"}, spec);
  EXPECT_EQ(results["read_timer_list"], 0);
  EXPECT_EQ(results["read_interrupts"], 0);
}

TEST_F(SecurityTest, KcoreIsUnreadable) {
  // Masked where the kernel has /proc/kcore; absent where it has none (as
  // on kernels built without CONFIG_PROC_KCORE).
  long expected = access("/proc/kcore", F_OK) == 0 ? -1 : ENOENT;
  EXPECT_EQ(Probe({"read_kcore"}, WithCapabilities({"SYS_RAWIO"}))["read_kcore"], expected);
}

TEST_F(SecurityTest, ProcSysIsReadOnly) {
  EXPECT_EQ(Probe({"write_proc_sys"})["write_proc_sys"], EROFS);
  spec::ContainerSpec spec;
  spec.mutable_security()->set_no_default_paths(true);
  // The container has its own UTS namespace, so this renames only it.
  EXPECT_EQ(Probe({"write_proc_sys"}, spec)["write_proc_sys"], 0);
}

TEST_F(SecurityTest, MaskedDirectoryAndExtraPaths) {
  spec::ContainerSpec spec = testing::SpecFor(
      BusyboxRoot(),
      {"/bin/sh", "-c",
       "ls -A /sys/firmware | wc -l; cat /etc/hostname-masked | wc -c; "
       "touch /etc/ro-dir/x 2>/dev/null || echo read-only; echo ok"});
  spec.mutable_security()->add_masked_paths("/etc/hostname-masked");
  spec.mutable_security()->add_masked_paths("/does/not/exist");
  spec.mutable_security()->add_readonly_paths("/etc/ro-dir");
  // Files the test puts in the busybox root for this run.
  std::string root = BusyboxRoot();
  ASSERT_EQ(system(absl::StrCat("echo secret > ", root, "/etc/hostname-masked && mkdir -p ",
                                root, "/etc/ro-dir").c_str()),
            0);
  absl::StatusOr<Output> output = RunCaptured(spec);
  (void)system(absl::StrCat("rm -rf ", root, "/etc/hostname-masked ", root, "/etc/ro-dir").c_str());
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "0\n0\nread-only\nok\n") << output->stderr_text;
}

TEST_F(SecurityTest, ReceiptShowsWhatIsInForce) {
  absl::StatusOr<Output> output =
      RunCaptured(testing::SpecFor(BusyboxRoot(), {"/bin/sleep", "0.2"}));
  ASSERT_TRUE(output.ok()) << output.status();
  const spec::EnforcementReceipt& receipt = output->result.receipt();
  EXPECT_TRUE(receipt.security_read());
  EXPECT_EQ(receipt.seccomp_mode(), 2);
  EXPECT_EQ(receipt.seccomp_filters(), 1);
  EXPECT_TRUE(receipt.no_new_privileges());
  EXPECT_EQ(receipt.capabilities_bounding(), security::DefaultCapabilities());
  EXPECT_EQ(receipt.capabilities_effective(), security::DefaultCapabilities());
  EXPECT_EQ(receipt.capabilities_inheritable(), 0u);
  EXPECT_EQ(receipt.capabilities_ambient(), 0u);
  EXPECT_THAT(receipt.readonly_mounts(), ::testing::Contains("/proc/sys"));
  EXPECT_THAT(receipt.readonly_mounts(), ::testing::Contains("/sys"));
}

TEST_F(SecurityTest, ReceiptWithoutFilterOrNoNewPrivs) {
  spec::ContainerSpec spec = testing::SpecFor(BusyboxRoot(), {"/bin/sleep", "0.2"});
  spec.mutable_security()->mutable_seccomp()->set_mode(spec::Seccomp::UNCONFINED);
  spec.mutable_security()->set_no_new_privileges(false);
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.receipt().seccomp_mode(), 0);
  EXPECT_FALSE(output->result.receipt().no_new_privileges());
}

TEST_F(SecurityTest, FilterWithoutNoNewPrivs) {
  // The filter is then installed with CAP_SYS_ADMIN after the user switch,
  // also for a non-root user.
  spec::ContainerSpec spec = testing::SpecFor(BusyboxRoot(), {"/bin/sleep", "0.2"});
  spec.mutable_security()->set_no_new_privileges(false);
  spec.mutable_process()->mutable_user()->set_user("1000");
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_EQ(output->result.receipt().seccomp_mode(), 2);
  EXPECT_FALSE(output->result.receipt().no_new_privileges());
  EXPECT_EQ(output->result.receipt().capabilities_effective(), 0u);
}

// Runs `script` with busybox sh under `spec` and returns its stdout.
std::string Shell(const std::string& script, spec::ContainerSpec spec = {}) {
  spec.mutable_root()->set_path(BusyboxRoot());
  spec.mutable_process()->clear_args();
  for (const char* arg : {"/bin/sh", "-c"}) spec.mutable_process()->add_args(arg);
  spec.mutable_process()->add_args(script);
  absl::StatusOr<Output> output = RunCaptured(spec);
  EXPECT_TRUE(output.ok()) << output.status();
  if (!output.ok()) return "";
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  return output->stdout_text;
}

constexpr char kCapabilityLines[] = "grep -E '^Cap(Eff|Bnd|Amb)' /proc/self/status | tr -d '\\t'";

TEST_F(SecurityTest, CapDropAllLeavesNone) {
  spec::ContainerSpec spec;
  spec.mutable_security()->mutable_capabilities()->add_drop("ALL");
  EXPECT_EQ(Shell(kCapabilityLines, spec),
            "CapEff:0000000000000000\nCapBnd:0000000000000000\nCapAmb:0000000000000000\n");
}

TEST_F(SecurityTest, CapAddShowsInEveryProcess) {
  std::string expected = absl::StrFormat(
      "%016x", security::DefaultCapabilities() | (uint64_t{1} << 12));  // NET_ADMIN
  std::string output = Shell(kCapabilityLines, WithCapabilities({"NET_ADMIN"}));
  EXPECT_EQ(output, absl::StrCat("CapEff:", expected, "\nCapBnd:", expected,
                                 "\nCapAmb:0000000000000000\n"));
}

TEST_F(SecurityTest, NonRootUserHasNoEffectiveCapabilities) {
  spec::ContainerSpec spec;
  spec.mutable_process()->mutable_user()->set_user("1000");
  EXPECT_EQ(Shell("grep '^CapEff' /proc/self/status | tr -d '\\t'", spec),
            "CapEff:0000000000000000\n");
}

TEST_F(SecurityTest, AmbientCapabilityReachesNonRootUser) {
  spec::ContainerSpec spec;
  spec.mutable_process()->mutable_user()->set_user("1000");
  spec::CapabilitySets* sets = spec.mutable_security()->mutable_capabilities()->mutable_sets();
  for (auto* list : {sets->mutable_bounding(), sets->mutable_effective(),
                     sets->mutable_permitted(), sets->mutable_inheritable(),
                     sets->mutable_ambient()}) {
    list->Add("CAP_NET_BIND_SERVICE");
  }
  EXPECT_EQ(Shell(kCapabilityLines, spec),
            "CapEff:0000000000000400\nCapBnd:0000000000000400\nCapAmb:0000000000000400\n");
}

TEST_F(SecurityTest, UlimitIsInForce) {
  spec::ContainerSpec spec;
  spec::Rlimit* limit = spec.mutable_security()->add_rlimits();
  limit->set_type("nofile");
  limit->set_soft(1024);
  limit->set_hard(2048);
  EXPECT_EQ(Shell("ulimit -Sn; ulimit -Hn", spec), "1024\n2048\n");
}

TEST_F(SecurityTest, RaisingHardLimitNamesCeiling) {
  struct rlimit current;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &current), 0);
  spec::ContainerSpec spec = testing::SpecFor(BusyboxRoot(), {"/bin/true"});
  spec::Rlimit* limit = spec.mutable_security()->add_rlimits();
  limit->set_type("RLIMIT_NOFILE");
  limit->set_soft(16);
  limit->set_hard(current.rlim_max + 1);
  absl::StatusOr<spec::RunResult> result = container::Run(spec);
  if (result.ok()) GTEST_SKIP() << "this process may raise hard limits (CAP_SYS_RESOURCE)";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("RLIMIT_NOFILE"));
  EXPECT_THAT(result.status().message(),
              HasSubstr(absl::StrCat("current ceiling of ", current.rlim_max)));
}

TEST_F(SecurityTest, SoftAboveHardIsInvalid) {
  spec::ContainerSpec spec = testing::SpecFor(BusyboxRoot(), {"/bin/true"});
  spec::Rlimit* limit = spec.mutable_security()->add_rlimits();
  limit->set_type("nproc");
  limit->set_soft(20);
  limit->set_hard(10);
  absl::StatusOr<spec::RunResult> result = container::Run(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("security.rlimits[0]"));
}

}  // namespace
}  // namespace pycontain
