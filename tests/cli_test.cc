// The `pycontain` command line as a user runs it: exit statuses mirror the
// command's, errors print one clear line, and the embedded default needs no
// image.
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "lib/net/netns.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using testing::ReadFile;
using testing::RunCli;
using testing::CliResult;

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { before_ = testing::TakeSnapshot(); }
  void TearDown() override { testing::ExpectNothingLeaked(before_); }
  testing::HostSnapshot before_;
};

TEST_F(CliTest, EmbeddedDefaultRunsWithoutImage) {
  CliResult result = RunCli({"run", "--", "/bin/sh", "-c", "echo $$; hostname"});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("1\n"));
}

TEST_F(CliTest, ExitStatusMirrorsCommand) {
  EXPECT_EQ(RunCli({"run", "--rootfs", testing::BusyboxRoot(), "sh", "-c", "exit 42"}).status,
            42);
}

TEST_F(CliTest, KilledBySignalIs128PlusSignal) {
  CliResult result =
      RunCli({"run", "--rootfs", testing::BusyboxRoot(), "--timeout", "200ms", "sleep", "10"});
  EXPECT_EQ(result.status, 128 + 9);
  EXPECT_THAT(result.err, HasSubstr("killed after the timeout"));
}

TEST_F(CliTest, OptionsReachContainer) {
  CliResult result = RunCli({"run", "--rootfs", testing::BusyboxRoot(), "--hostname", "h1",
                             "-e", "A=1", "--env=B=2", "-w", "/tmp", "-u", "app", "--",
                             "sh", "-c", "echo $(hostname) $A $B $(pwd) $(id -u)"});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, "h1 1 2 /tmp 1000\n");
}

TEST_F(CliTest, NetworkHostAndNone) {
  CliResult none = RunCli({"run", "--network", "none", "--", "ls", "/sys/class/net"});
  EXPECT_EQ(none.out, "lo\n");
  CliResult host = RunCli({"run", "--network", "host", "--", "ls", "/sys/class/net"});
  EXPECT_NE(host.out, "lo\n");
  CliResult bad = RunCli({"run", "--network", "bridge0", "--", "true"});
  EXPECT_EQ(bad.status, 125);
  // Any other value names a network from `pycontain network create`.
  EXPECT_THAT(bad.err, HasSubstr("--network: network bridge0 not found"));
}

TEST_F(CliTest, NetworkContainerModeByPath) {
  // A process alone in a new network namespace plays the other container.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t other = fork();
  if (other == 0) {
    char byte = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
    (void)!write(ready[1], &byte, 1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  ASSERT_EQ(byte, 1);
  char target[64] = {};
  std::string path = absl::StrCat("/proc/", other, "/ns/net");
  ASSERT_GT(readlink(path.c_str(), target, sizeof(target) - 1), 0);

  CliResult joined = RunCli({"run", "--network", absl::StrCat("container:", path), "--",
                             "readlink", "/proc/self/ns/net"});
  kill(other, SIGKILL);
  waitpid(other, nullptr, 0);
  EXPECT_EQ(joined.status, 0) << joined.err;
  EXPECT_EQ(joined.out, absl::StrCat(target, "\n"));
}

// Returns the target of /proc/<pid>/ns/net, such as "net:[4026531840]".
std::string NetNamespaceOf(pid_t pid) {
  char target[64] = {};
  std::string path = absl::StrCat("/proc/", pid, "/ns/net");
  if (readlink(path.c_str(), target, sizeof(target) - 1) <= 0) return "";
  return target;
}

// A busybox container started by the library, as another process would.
absl::StatusOr<container::Container> StartSleeper(const std::string& id) {
  spec::ContainerSpec spec = testing::SpecFor(testing::BusyboxRoot(), {"/bin/sleep", "30"});
  spec.set_id(id);
  return container::Container::Start(spec);
}

TEST_F(CliTest, NetworkContainerModeById) {
  absl::StatusOr<container::Container> other = StartSleeper("cli-other");
  ASSERT_TRUE(other.ok()) << other.status();
  std::string target = NetNamespaceOf(other->pid());
  ASSERT_NE(target, "");
  ASSERT_NE(target, NetNamespaceOf(getpid()));

  CliResult joined = RunCli({"run", "--rootfs", testing::BusyboxRoot(), "--network",
                             "container:cli-other", "--", "readlink", "/proc/self/ns/net"});
  EXPECT_EQ(joined.status, 0) << joined.err;
  EXPECT_EQ(joined.out, absl::StrCat(target, "\n"));

  ASSERT_TRUE(other->Kill(SIGKILL).ok());
  ASSERT_TRUE(other->Wait().ok());
  CliResult gone = RunCli({"run", "--network", "container:cli-other", "--", "true"});
  EXPECT_EQ(gone.status, 125);
  EXPECT_THAT(gone.err, HasSubstr("container cli-other is not running"));

  CliResult unknown = RunCli({"run", "--network", "container:cli-no-such", "--", "true"});
  EXPECT_EQ(unknown.status, 125);
  EXPECT_THAT(unknown.err, HasSubstr("no running container cli-no-such"));
}

TEST_F(CliTest, NetworkConnectRunningContainer) {
  // A namespace of the test's own plays the host of the network.
  absl::StatusOr<net::NetNamespace> host = net::NetNamespace::CreateNew();
  ASSERT_TRUE(host.ok()) << host.status();
  std::string host_path = absl::StrCat("/proc/", getpid(), "/fd/", host->fd());
  absl::StatusOr<container::Container> other = StartSleeper("cli-other");
  ASSERT_TRUE(other.ok()) << other.status();
  std::string dev = absl::StrCat("/proc/", other->pid(), "/net/dev");
  ASSERT_THAT(ReadFile(dev), Not(HasSubstr("eth0")));

  CliResult created = RunCli({"network", "--host-netns", host_path, "create", "cli-web"});
  ASSERT_EQ(created.status, 0) << created.err;
  CliResult connected =
      RunCli({"network", "--host-netns", host_path, "connect", "cli-web", "cli-other"});
  EXPECT_EQ(connected.status, 0) << connected.err;
  EXPECT_THAT(connected.out, StartsWith("eth0 "));
  // The attachment outlives the command, in the running container.
  EXPECT_THAT(ReadFile(dev), HasSubstr("eth0"));

  CliResult unknown =
      RunCli({"network", "--host-netns", host_path, "connect", "cli-web", "cli-no-such"});
  EXPECT_EQ(unknown.status, 125);
  EXPECT_THAT(unknown.err, HasSubstr("no running container cli-no-such"));

  CliResult disconnected =
      RunCli({"network", "--host-netns", host_path, "disconnect", "cli-web", "cli-other"});
  EXPECT_EQ(disconnected.status, 0) << disconnected.err;
  EXPECT_THAT(ReadFile(dev), Not(HasSubstr("eth0")));
  CliResult removed = RunCli({"network", "--host-netns", host_path, "rm", "cli-web"});
  EXPECT_EQ(removed.status, 0) << removed.err;
  ASSERT_TRUE(other->Kill(SIGKILL).ok());
  ASSERT_TRUE(other->Wait().ok());
}

TEST_F(CliTest, CommandNotFoundIs127) {
  CliResult result = RunCli({"run", "--rootfs", testing::BusyboxRoot(), "no-such-command"});
  EXPECT_EQ(result.status, 127);
  EXPECT_THAT(result.err, StartsWith("pycontain: "));
  EXPECT_THAT(result.err, HasSubstr("no-such-command"));
}

TEST_F(CliTest, CommandNotExecutableIs126) {
  EXPECT_EQ(RunCli({"run", "--rootfs", testing::BusyboxRoot(), "/etc/passwd"}).status, 126);
}

TEST_F(CliTest, SetupFailureIs125) {
  CliResult result = RunCli({"run", "--rootfs", "/nonexistent", "true"});
  EXPECT_EQ(result.status, 125);
  EXPECT_EQ(result.err, "pycontain: root filesystem /nonexistent: No such file or directory\n");
}

TEST_F(CliTest, BadDurationNamesOption) {
  CliResult result = RunCli({"run", "--timeout", "10", "true"});
  EXPECT_EQ(result.status, 125);
  EXPECT_THAT(result.err, HasSubstr("--timeout"));
}

// A first word with a tag that the store lacks is a missing image, not a
// command to run from the host's root.
TEST_F(CliTest, MissingTaggedImageIsAnError) {
  CliResult result = RunCli({"run", "no-such-image:1.0", "sh", "-c", "echo ran"});
  EXPECT_EQ(result.status, 125);
  EXPECT_THAT(result.err, HasSubstr("image \"no-such-image:1.0\" not found in the store"));
  EXPECT_EQ(result.out, "");
}

// A limit the library rejects is reported under the flag that set it.
TEST_F(CliTest, RejectedLimitNamesFlag) {
  CliResult result = RunCli({"run", "--memory", "16m", "--memory-swap", "8m", "--rootfs",
                             testing::BusyboxRoot(), "true"});
  EXPECT_EQ(result.status, 125);
  EXPECT_THAT(result.err, HasSubstr("--memory-swap 8m: 8m is below --memory 16m"));
  EXPECT_THAT(result.err, Not(HasSubstr("resources.memory_swap_bytes")));

  // A repeated flag is named with the value of the entry at fault.
  result = RunCli({"run", "--device-read-bps", "/dev/null:1mb", "--rootfs",
                   testing::BusyboxRoot(), "true"});
  EXPECT_EQ(result.status, 125);
  EXPECT_THAT(result.err, HasSubstr("--device-read-bps /dev/null:1mb (path): "));
}

// --stats prints the accounting after the run, and only what was measured:
// without --memory a hybrid host makes no memory cgroup, so no OOM count.
TEST_F(CliTest, StatsPrintsMeasuredAccounting) {
  CliResult limited = RunCli({"run", "--memory", "64m", "--pids-limit", "16", "--stats",
                              "--rootfs", testing::BusyboxRoot(), "true"});
  EXPECT_EQ(limited.status, 0) << limited.err;
  EXPECT_THAT(limited.err, HasSubstr("memory peak: "));
  EXPECT_THAT(limited.err, HasSubstr("oom kills: 0\n"));
  EXPECT_THAT(limited.err, HasSubstr("cpu user: "));

  CliResult plain = RunCli({"run", "--stats", "--rootfs", testing::BusyboxRoot(), "true"});
  EXPECT_EQ(plain.status, 0) << plain.err;
  EXPECT_THAT(plain.err, HasSubstr("cpu user: "));
  if (!plain.err.empty() && !absl::StrContains(plain.err, "memory peak: ")) {
    EXPECT_THAT(plain.err, Not(HasSubstr("oom kills")));
  }
}

TEST_F(CliTest, CpusTakesOnlyDecimals) {
  for (const char* value : {"0x1", "1e0", "inf", "."}) {
    CliResult result = RunCli({"run", "--cpus", value, "--rootfs", testing::BusyboxRoot(), "true"});
    EXPECT_EQ(result.status, 125) << value;
    EXPECT_THAT(result.err, HasSubstr(absl::StrCat("--cpus: expected a number such as 0.5, got \"",
                                                   value, "\"")));
  }
  EXPECT_EQ(RunCli({"run", "--cpus", "1.5", "--rootfs", testing::BusyboxRoot(), "true"}).status, 0);
}

TEST_F(CliTest, UnknownOptionAndMissingCommand) {
  EXPECT_THAT(RunCli({"run", "--bogus", "true"}).err, HasSubstr("unknown option --bogus"));
  EXPECT_THAT(RunCli({"run"}).err, HasSubstr("a command is required"));
  EXPECT_EQ(RunCli({"frobnicate"}).status, 125);
}

TEST_F(CliTest, HelpListsOptions) {
  CliResult result = RunCli({"run", "--help"});
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.out, HasSubstr("--rootfs DIR"));
  EXPECT_THAT(result.out, HasSubstr("--timeout DURATION"));
}

}  // namespace
}  // namespace pycontain

namespace pycontain {
namespace {

// Each CLI run is a new process, so the compiled default seccomp filter is
// kept as a file under the state root and reused by later runs.
TEST_F(CliTest, SeccompFilterFileIsReused) {
  std::string directory = absl::StrCat(getenv("PYCONTAIN_STATE_DIR"), "/_seccomp");
  std::vector<std::string> args = {"run", "--rootfs", testing::BusyboxRoot(), "--",
                                   "grep", "Seccomp_filters", "/proc/self/status"};
  CliResult first = RunCli(args);
  EXPECT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.out, "Seccomp_filters:\t1\n");

  std::vector<std::string> files;
  for (const std::string& name : testing::Entries(directory)) {
    files.push_back(absl::StrCat(directory, "/", name));
  }
  ASSERT_EQ(files.size(), 1u) << directory;
  std::string compiled = ReadFile(files[0]);
  EXPECT_TRUE(absl::StartsWith(compiled, "pycontain seccomp filter 1\n"));

  setenv("PYCONTAIN_LOG", "debug", 1);
  CliResult reused = RunCli(args);
  EXPECT_EQ(reused.out, "Seccomp_filters:\t1\n");
  EXPECT_THAT(reused.err, HasSubstr("loaded from the cache directory"));

  // A damaged file is ignored and replaced by a fresh compile.
  std::ofstream(files[0], std::ios::binary | std::ios::trunc) << "garbage";
  CliResult recompiled = RunCli(args);
  unsetenv("PYCONTAIN_LOG");
  EXPECT_EQ(recompiled.status, 0) << recompiled.err;
  EXPECT_EQ(recompiled.out, "Seccomp_filters:\t1\n");
  EXPECT_THAT(recompiled.err, Not(HasSubstr("loaded from the cache directory")));
  EXPECT_EQ(ReadFile(files[0]), compiled);
}

}  // namespace
}  // namespace pycontain
