// cgroup limits, accounting and clean-up as root on this host's real
// kernel (v1, v2 or hybrid, whichever it has), plus cgroup v2's core files
// on a private cgroup2 mount in a mount namespace of the test's own.
#include <dirent.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sched.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/cgroup/cgroup.h"
#include "lib/cgroup/files.h"
#include "lib/cgroup/layout.h"
#include "lib/container/container.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;
using testing::BusyboxRoot;
using testing::DebianRoot;
using testing::Output;
using testing::RunCaptured;
using testing::SpecFor;

// Each cgroup directory named `id` under pycontain/ in any hierarchy.
std::vector<std::string> CgroupsNamed(const std::string& prefix) {
  std::vector<std::string> found;
  absl::StatusOr<cgroup::CgroupLayout> layout = cgroup::DetectLayout();
  if (!layout.ok()) return found;
  std::vector<std::string> mounts;
  for (const cgroup::V1Hierarchy& hierarchy : layout->v1) mounts.push_back(hierarchy.mount_point);
  if (!layout->unified_mount.empty()) mounts.push_back(layout->unified_mount);
  for (const std::string& mount : mounts) {
    std::string parent = absl::StrCat(mount, "/", cgroup::kParentName);
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(parent, error)) {
      std::string name = entry.path().filename();
      if (entry.is_directory() && absl::StartsWith(name, prefix)) {
        found.push_back(entry.path());
      }
    }
  }
  return found;
}

std::string ReadText(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests create cgroups as root";
    before_ = testing::TakeSnapshot();
    prefix_ = absl::StrCat("cgtest-", getpid(), "-");
  }
  void TearDown() override {
    testing::ExpectNothingLeaked(before_);
    EXPECT_THAT(CgroupsNamed(prefix_), ::testing::IsEmpty());
  }

  std::string NewId() { return absl::StrCat(prefix_, next_++); }

  spec::ContainerSpec Python(const std::string& code) {
    spec::ContainerSpec spec = SpecFor(DebianRoot(), {"python3", "-c", code});
    spec.set_id(NewId());
    return spec;
  }

  spec::ContainerSpec Shell(const std::string& script) {
    spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"/bin/sh", "-c", script});
    spec.set_id(NewId());
    return spec;
  }

  testing::HostSnapshot before_;
  std::string prefix_;
  int next_ = 0;
};

// The container course's lab: a list of 4 million pointers needs about
// 32 MiB, so 16 MiB without swap ends in the OOM killer.
TEST_F(CgroupTest, LabOomKilledUnder16MiB) {
  spec::ContainerSpec spec = Python("a = [0] * 4000000");
  spec.mutable_resources()->set_memory_bytes(16 << 20);
  spec.mutable_resources()->set_memory_swap_bytes(16 << 20);
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  const spec::RunResult& result = output->result;
  EXPECT_EQ(result.signal(), SIGKILL);
  EXPECT_TRUE(result.accounting().oom_killed());
  EXPECT_GE(result.accounting().oom_kill_count(), 1);
  EXPECT_LE(result.accounting().memory_peak_bytes(), 16 << 20);
  EXPECT_EQ(result.receipt().memory_limit_bytes(), 16 << 20);
}

TEST_F(CgroupTest, LabCompletesUnder64MiBAndReportsPeak) {
  spec::ContainerSpec spec = Python("a = [0] * 4000000");
  spec.mutable_resources()->set_memory_bytes(64 << 20);
  spec.mutable_resources()->set_memory_swap_bytes(64 << 20);
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  const spec::RunResult& result = output->result;
  EXPECT_EQ(result.exit_code(), 0) << output->stderr_text;
  EXPECT_FALSE(result.accounting().oom_killed());
  EXPECT_EQ(result.accounting().oom_kill_count(), 0);
  // The list alone is 32 000 000 bytes.
  EXPECT_GT(result.accounting().memory_peak_bytes(), 32000000);
  EXPECT_LE(result.accounting().memory_peak_bytes(), 64 << 20);
  EXPECT_GT(absl::ToDoubleSeconds(absl::Seconds(result.accounting().cpu_user_time().seconds()) +
                                  absl::Nanoseconds(result.accounting().cpu_user_time().nanos()) +
                                  absl::Seconds(result.accounting().cpu_system_time().seconds()) +
                                  absl::Nanoseconds(result.accounting().cpu_system_time().nanos())),
            0);
}

TEST_F(CgroupTest, ForkBombIsContainedByPidsLimit) {
  // Each shell forks two more until fork fails; the timeout ends it.
  spec::ContainerSpec spec = Shell("bomb() { bomb | bomb & }; bomb; sleep 30");
  spec.mutable_resources()->set_pids_limit(16);
  spec.mutable_timeout()->set_seconds(2);
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_TRUE(output->result.timed_out());
  EXPECT_EQ(output->result.receipt().pids_limit(), 16);
  if (output->result.accounting().has_pids_peak()) {
    EXPECT_LE(output->result.accounting().pids_peak(), 16);
    EXPECT_GE(output->result.accounting().pids_peak(), 8);
  }
  EXPECT_THAT(output->stderr_text, HasSubstr("fork"));
}

TEST_F(CgroupTest, ReceiptReadsLimitsBack) {
  spec::ContainerSpec spec = Shell("true");
  spec::Resources* r = spec.mutable_resources();
  r->set_memory_bytes(48 << 20);
  r->set_memory_reservation_bytes(32 << 20);
  r->set_cpus(0.5);
  r->set_cpu_shares(512);
  r->set_cpuset_cpus("0");
  r->set_pids_limit(20);
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  const spec::EnforcementReceipt& receipt = output->result.receipt();
  EXPECT_EQ(receipt.cgroup_path(), absl::StrCat("/pycontain/", spec.id()));
  EXPECT_NE(receipt.cgroup_layout(), spec::EnforcementReceipt::NO_CGROUP);
  EXPECT_EQ(receipt.memory_limit_bytes(), 48 << 20);
  EXPECT_EQ(receipt.memory_reservation_bytes(), 32 << 20);
  EXPECT_EQ(receipt.cpu_quota_us(), 50000);
  EXPECT_EQ(receipt.cpu_period_us(), 100000);
  EXPECT_EQ(receipt.cpuset_cpus(), "0");
  EXPECT_EQ(receipt.pids_limit(), 20);
  if (receipt.cgroup_layout() == spec::EnforcementReceipt::UNIFIED) {
    EXPECT_EQ(receipt.cpu_weight(), 20u);
  } else {
    EXPECT_EQ(receipt.cpu_shares(), 512u);
  }
  EXPECT_THAT(receipt.not_in_force(), ::testing::IsEmpty());
}

TEST_F(CgroupTest, HybridLayoutUsesV2OnlyForTracking) {
  absl::StatusOr<cgroup::CgroupLayout> layout = cgroup::DetectLayout();
  ASSERT_TRUE(layout.ok()) << layout.status();
  if (layout->kind != cgroup::LayoutKind::kHybrid) {
    GTEST_SKIP() << "this host's cgroups are not hybrid";
  }
  spec::ContainerSpec spec = Shell("true");
  spec.mutable_resources()->set_memory_bytes(32 << 20);
  absl::StatusOr<container::Container> container = container::Container::Start(spec);
  ASSERT_TRUE(container.ok()) << container.status();
  std::string tracking =
      absl::StrCat(layout->unified_mount, "/pycontain/", spec.id());
  // The tracking cgroup has only the core files, and no limit was written
  // there.
  EXPECT_TRUE(std::filesystem::exists(tracking + "/cgroup.procs"));
  EXPECT_FALSE(std::filesystem::exists(tracking + "/memory.max"));
  EXPECT_EQ(ReadText(absl::StrCat(layout->FindV1("memory")->mount_point, "/pycontain/",
                                  spec.id(), "/memory.limit_in_bytes")),
            "33554432\n");
  absl::StatusOr<spec::RunResult> result = container->Wait();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->receipt().cgroup_layout(), spec::EnforcementReceipt::HYBRID);
}

// The first process joins the v1 hierarchies of its limits itself, before
// exec; seen from the host, each of them lists the container's cgroup.
TEST_F(CgroupTest, FirstProcessJoinsEveryLimitedHierarchy) {
  absl::StatusOr<cgroup::CgroupLayout> layout = cgroup::DetectLayout();
  ASSERT_TRUE(layout.ok()) << layout.status();
  if (layout->v1.empty()) GTEST_SKIP() << "this host has no cgroup v1 hierarchies";
  spec::ContainerSpec spec = Shell("sleep 5");
  spec.mutable_resources()->set_memory_bytes(64 << 20);
  spec.mutable_resources()->set_pids_limit(32);
  spec.mutable_resources()->set_cpus(1);
  absl::StatusOr<container::Container> container = container::Container::Start(spec);
  ASSERT_TRUE(container.ok()) << container.status();

  std::string own = absl::StrCat("/", cgroup::kParentName, "/", spec.id());
  std::string membership = ReadText(absl::StrCat("/proc/", container->pid(), "/cgroup"));
  for (const char* controller : {"memory", "pids", "cpu"}) {
    bool found = false;
    for (absl::string_view line : absl::StrSplit(membership, '\n', absl::SkipEmpty())) {
      std::vector<std::string> fields = absl::StrSplit(line, absl::MaxSplits(':', 2));
      std::vector<std::string> names = absl::StrSplit(fields[1], ',');
      if (std::find(names.begin(), names.end(), controller) == names.end()) continue;
      found = true;
      EXPECT_EQ(fields[2], own) << controller;
    }
    EXPECT_TRUE(found) << controller << " missing from " << membership;
  }

  ASSERT_TRUE(container->Kill(SIGKILL).ok());
  ASSERT_TRUE(container->Wait().ok());
}

// With defer_v1, Create makes only the v2 tracking cgroup, which the first
// process is cloned into, and CompleteDeferred makes the v1 cgroups and
// fills the receipt, so that a start can overlap the two.
TEST_F(CgroupTest, DeferredV1CgroupsMadeOnCompletion) {
  absl::StatusOr<cgroup::CgroupLayout> layout = cgroup::DetectLayout();
  ASSERT_TRUE(layout.ok()) << layout.status();
  if (layout->kind != cgroup::LayoutKind::kHybrid) {
    GTEST_SKIP() << "this host's cgroups are not hybrid";
  }
  cgroup::CgroupOptions options;
  options.id = NewId();
  options.resources.set_memory_bytes(32 << 20);
  options.resources.set_pids_limit(16);
  options.defer_v1 = true;
  absl::StatusOr<cgroup::Cgroup> cgroup = cgroup::Cgroup::Create(options);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  std::string memory = absl::StrCat(layout->FindV1("memory")->mount_point, "/pycontain/",
                                    options.id);
  std::string tracking = absl::StrCat(layout->unified_mount, "/pycontain/", options.id);

  EXPECT_TRUE(cgroup->HasDeferredWork());
  EXPECT_GE(cgroup->clone_fd(), 0);
  EXPECT_TRUE(std::filesystem::exists(tracking));
  EXPECT_FALSE(std::filesystem::exists(memory));
  EXPECT_FALSE(cgroup->receipt().has_memory_limit_bytes());

  ASSERT_TRUE(cgroup->CompleteDeferred().ok());
  EXPECT_FALSE(cgroup->HasDeferredWork());
  EXPECT_EQ(ReadText(memory + "/memory.limit_in_bytes"), "33554432\n");
  EXPECT_EQ(cgroup->receipt().memory_limit_bytes(), 32 << 20);
  EXPECT_EQ(cgroup->receipt().pids_limit(), 16);
  std::vector<std::string> directories = cgroup->directories();
  EXPECT_NE(std::find(directories.begin(), directories.end(), memory), directories.end());

  ASSERT_TRUE(cgroup->Remove().ok());
  EXPECT_FALSE(std::filesystem::exists(memory));
  EXPECT_FALSE(std::filesystem::exists(tracking));
}

// The accounting files stay open from the cgroup's creation on (so that
// reading them at the exit costs no opens), and each read still shows the
// kernel's current values, not the first read's.
TEST_F(CgroupTest, AccountingReadAgainShowsNewValues) {
  cgroup::CgroupOptions options;
  options.id = NewId();
  options.resources.set_pids_limit(16);
  absl::StatusOr<cgroup::Cgroup> cgroup = cgroup::Cgroup::Create(options);
  ASSERT_TRUE(cgroup.ok()) << cgroup.status();
  int go[2], ready[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Waits for a byte, then starts three processes that wait for the end
    // of `go`, and reports.
    close(go[1]);
    close(ready[0]);
    char byte;
    if (read(go[0], &byte, 1) != 1) _exit(1);
    for (int i = 0; i < 3; ++i) {
      if (fork() == 0) {
        (void)read(go[0], &byte, 1);
        _exit(0);
      }
    }
    (void)write(ready[1], "r", 1);
    (void)read(go[0], &byte, 1);
    _exit(0);
  }
  close(ready[1]);
  ASSERT_TRUE(cgroup->Attach(child, /*everywhere=*/true).ok());

  absl::StatusOr<spec::Accounting> before = cgroup->ReadAccounting();
  ASSERT_TRUE(before.ok()) << before.status();
  bool has_peak = before->has_pids_peak();
  ASSERT_EQ(write(go[1], "g", 1), 1);
  char byte;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  absl::StatusOr<spec::Accounting> after = cgroup->ReadAccounting();
  close(go[1]);  // the four processes exit
  int status;
  waitpid(child, &status, 0);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_TRUE(cgroup->Remove().ok());
  close(go[0]);
  close(ready[0]);
  if (!has_peak) GTEST_SKIP() << "this kernel has no pids.peak";
  EXPECT_EQ(before->pids_peak(), 1);
  EXPECT_EQ(after->pids_peak(), 4);
}

// On hybrid hosts the CPU time comes from the tracking cgroup, so it counts
// a process the first process never waited for: here a busy loop killed
// with the PID namespace when the shell exits, whose time no rusage shows.
TEST_F(CgroupTest, HybridCpuTimeCountsEveryProcess) {
  absl::StatusOr<cgroup::CgroupLayout> layout = cgroup::DetectLayout();
  ASSERT_TRUE(layout.ok()) << layout.status();
  if (layout->kind != cgroup::LayoutKind::kHybrid) {
    GTEST_SKIP() << "this host's cgroups are not hybrid";
  }
  absl::StatusOr<Output> output = RunCaptured(Shell("while :; do :; done & sleep 1"));
  ASSERT_TRUE(output.ok()) << output.status();
  const spec::Accounting& used = output->result.accounting();
  double seconds = used.cpu_user_time().seconds() + used.cpu_user_time().nanos() / 1e9 +
                   used.cpu_system_time().seconds() + used.cpu_system_time().nanos() / 1e9;
  EXPECT_GE(seconds, 0.2);
}

TEST_F(CgroupTest, ContainerSeesOnlyItsOwnCgroup) {
  absl::StatusOr<Output> output = RunCaptured(Shell("cat /proc/self/cgroup"));
  ASSERT_TRUE(output.ok()) << output.status();
  std::vector<std::string> lines =
      absl::StrSplit(output->stdout_text, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    // The hierarchies of our own cgroup read "/"; no host path shows.
    EXPECT_THAT(line, ::testing::Not(HasSubstr("pycontain"))) << line;
    EXPECT_THAT(line, ::testing::Not(HasSubstr(".."))) << line;
  }
}

TEST_F(CgroupTest, StrictModeFailsOnLimitNotInForce) {
  spec::ContainerSpec spec = Shell("true");
  // An IO weight needs a scheduler with weights (BFQ) on some disk.
  spec.mutable_resources()->set_blkio_weight(500);
  absl::StatusOr<Output> output = RunCaptured(spec);
  if (output.ok() && output->result.receipt().not_in_force().empty() &&
      output->result.receipt().has_io_weight()) {
    GTEST_SKIP() << "this host enforces IO weights, so there is no limit to fail on";
  }
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(output.status().message()), HasSubstr("resources.blkio_weight"));

  spec.set_id(NewId());
  spec.mutable_resources()->set_strict_limits(false);
  output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0);
  ASSERT_EQ(output->result.receipt().not_in_force_size(), 1);
  EXPECT_THAT(output->result.receipt().not_in_force(0), HasSubstr("resources.blkio_weight"));
}

TEST_F(CgroupTest, BadLimitsFailBeforeAnythingIsCreated) {
  struct Case {
    std::function<void(spec::Resources*)> set;
    std::string field;
  };
  std::vector<Case> cases = {
      {[](spec::Resources* r) { r->set_memory_bytes(-5); }, "resources.memory_bytes"},
      {[](spec::Resources* r) {
         r->set_memory_bytes(16 << 20);
         r->set_memory_swap_bytes(8 << 20);
       },
       "resources.memory_swap_bytes"},
      {[](spec::Resources* r) { r->set_cpuset_cpus("0-4095"); }, "resources.cpuset_cpus"},
      {[](spec::Resources* r) { r->set_pids_limit(-2); }, "resources.pids_limit"},
  };
  for (const Case& c : cases) {
    spec::ContainerSpec spec = Shell("true");
    c.set(spec.mutable_resources());
    absl::StatusOr<container::Container> container = container::Container::Start(spec);
    ASSERT_FALSE(container.ok()) << c.field;
    EXPECT_EQ(container.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(container.status().message()), HasSubstr(c.field));
    EXPECT_THAT(CgroupsNamed(spec.id()), ::testing::IsEmpty());
  }
}

TEST_F(CgroupTest, FreezeThawAndKillAllOnThisHost) {
  cgroup::CgroupOptions options;
  options.id = NewId();
  absl::StatusOr<cgroup::Cgroup> group = cgroup::Cgroup::Create(options);
  ASSERT_TRUE(group.ok()) << group.status();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_TRUE(group->Attach(child, /*everywhere=*/true).ok());
  EXPECT_TRUE(group->Freeze().ok());
  EXPECT_TRUE(group->Thaw().ok());
  ASSERT_TRUE(group->KillAll().ok());
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_TRUE(group->Remove().ok());
}

TEST_F(CgroupTest, RemovalKillsWhatStillRuns) {
  std::string id = NewId();
  pid_t child = -1;
  {
    cgroup::CgroupOptions options;
    options.id = id;
    absl::StatusOr<cgroup::Cgroup> group = cgroup::Cgroup::Create(options);
    ASSERT_TRUE(group.ok()) << group.status();
    child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      pause();
      _exit(0);
    }
    ASSERT_TRUE(group->Attach(child, true).ok());
  }
  // The owner's removal killed the child; a zombie no longer counts as in
  // the cgroup, so removal did not wait for this reap.
  EXPECT_THAT(CgroupsNamed(id), ::testing::IsEmpty());
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

// Runs in a child process of the test, in a mount namespace of its own:
// returns 0, or the number of the failed check after printing it.
int CheckV2CoreFiles(const std::string& id) {
  auto fail = [](int step, const std::string& what) {
    fprintf(stderr, "v2 check %d failed: %s\n", step, what.c_str());
    return step;
  };
  if (unshare(CLONE_NEWNS) != 0) return fail(1, "unshare(CLONE_NEWNS)");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail(2, "make mounts private");
  }
  std::string base = absl::StrCat(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp",
                                  "/cgroup2-XXXXXX");
  if (mkdtemp(base.data()) == nullptr) return fail(3, "mkdtemp");
  if (mount("cgroup2", base.c_str(), "cgroup2", 0, nullptr) != 0) {
    return fail(4, "mount cgroup2");
  }
  cgroup::CgroupLayout layout;
  layout.kind = cgroup::LayoutKind::kUnified;
  layout.unified_mount = base;
  layout.unified_controllers = absl::StrSplit(
      absl::StripAsciiWhitespace(ReadText(base + "/cgroup.controllers")), ' ', absl::SkipEmpty());
  cgroup::CgroupOptions options;
  options.id = id;
  options.layout = layout;

  // Without the memory controller on this hierarchy a memory limit cannot
  // be in force, so strict mode must fail naming it.
  if (std::find(layout.unified_controllers.begin(), layout.unified_controllers.end(),
                "memory") == layout.unified_controllers.end()) {
    options.resources.set_memory_bytes(32 << 20);
    absl::StatusOr<cgroup::Cgroup> strict = cgroup::Cgroup::Create(options);
    if (strict.ok() || !absl::StrContains(strict.status().message(), "resources.memory_bytes")) {
      return fail(5, "strict mode did not name resources.memory_bytes");
    }
    options.resources.Clear();
  }

  absl::StatusOr<cgroup::Cgroup> group = cgroup::Cgroup::Create(options);
  if (!group.ok()) return fail(6, std::string(group.status().message()));
  std::string dir = absl::StrCat(base, "/pycontain/", id);
  if (group->receipt().cgroup_layout() != spec::EnforcementReceipt::UNIFIED) {
    return fail(7, "layout");
  }

  // clone3 with CLONE_INTO_CGROUP starts the child in the cgroup.
  struct clone_args args = {};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(group->clone_fd());
  long child = syscall(SYS_clone3, &args, sizeof(args));
  if (child == 0) {
    pause();
    _exit(0);
  }
  if (child < 0) return fail(8, "clone3 into the cgroup");
  if (absl::StripAsciiWhitespace(ReadText(dir + "/cgroup.procs")) != absl::StrCat(child)) {
    return fail(9, "cgroup.procs does not list the child");
  }
  if (!absl::StrContains(ReadText(dir + "/cgroup.events"), "populated 1")) {
    return fail(10, "cgroup.events does not say populated");
  }
  if (!group->Freeze().ok() || !absl::StrContains(ReadText(dir + "/cgroup.events"), "frozen 1")) {
    return fail(11, "freeze");
  }
  if (!group->Thaw().ok() || !absl::StrContains(ReadText(dir + "/cgroup.events"), "frozen 0")) {
    return fail(12, "thaw");
  }
  if (!group->KillAll().ok()) return fail(13, "cgroup.kill");
  int status = 0;
  if (waitpid(static_cast<pid_t>(child), &status, 0) != child || !WIFSIGNALED(status) ||
      WTERMSIG(status) != SIGKILL) {
    return fail(14, "the child was not killed by SIGKILL");
  }
  if (!group->Remove().ok() || std::filesystem::exists(dir)) return fail(15, "remove");
  umount2(base.c_str(), MNT_DETACH);
  rmdir(base.c_str());
  return 0;
}

TEST_F(CgroupTest, V2CoreFilesOnPrivateCgroup2Mount) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(CheckV2CoreFiles(NewId()));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the test log for the failed check";
  ++next_;  // the child used this id
}

}  // namespace
}  // namespace pycontain
