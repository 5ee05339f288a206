// End-to-end runs as root on the real kernel: isolation, the process's
// view, errors, and that nothing is left behind after any of them.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/container.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::BusyboxRoot;
using testing::DebianRoot;
using testing::Output;
using testing::RunCaptured;
using testing::SpecFor;

std::string Hostname() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests create namespaces and mounts as root";
    before_ = testing::TakeSnapshot();
  }
  void TearDown() override { testing::ExpectNothingLeaked(before_); }

  // Runs `script` with busybox sh and returns its output; fails the test
  // when the container could not run or exited non-zero.
  std::string Shell(const std::string& script, spec::ContainerSpec spec = {}) {
    spec.mutable_root()->set_path(BusyboxRoot());
    spec.mutable_process()->clear_args();
    spec.mutable_process()->add_args("/bin/sh");
    spec.mutable_process()->add_args("-c");
    spec.mutable_process()->add_args(script);
    absl::StatusOr<Output> output = RunCaptured(spec);
    EXPECT_TRUE(output.ok()) << output.status();
    if (!output.ok()) return "";
    EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
    return output->stdout_text;
  }

  testing::HostSnapshot before_;
};

TEST_F(RunTest, CommandIsPidOne) {
  EXPECT_EQ(Shell("echo $$"), "1\n");
}

TEST_F(RunTest, PsSeesOnlyContainer) {
  // The trailing command keeps sh from replacing itself with ps.
  std::string output = Shell("ps -o pid,comm; true");
  std::vector<std::string> lines = absl::StrSplit(output, '\n', absl::SkipEmpty());
  // The header, sh as PID 1 and ps itself.
  ASSERT_EQ(lines.size(), 3u) << output;
  EXPECT_THAT(lines[1], HasSubstr("1 sh"));
}

TEST_F(RunTest, HostnameIsIsolated) {
  std::string host_before = Hostname();
  spec::ContainerSpec spec;
  spec.set_hostname("inside");
  // sethostname needs CAP_SYS_ADMIN, which containers lack by default.
  spec.mutable_security()->mutable_capabilities()->add_add("SYS_ADMIN");
  EXPECT_EQ(Shell("hostname; hostname changed; hostname", spec), "inside\nchanged\n");
  EXPECT_EQ(Hostname(), host_before);
}

TEST_F(RunTest, HostnameDefaultsToId) {
  spec::ContainerSpec spec;
  spec.set_id("named-box");
  EXPECT_EQ(Shell("hostname", spec), "named-box\n");
}

TEST_F(RunTest, MountInsideInvisibleOutside) {
  // mount needs CAP_SYS_ADMIN, which containers lack by default.
  spec::ContainerSpec spec;
  spec.mutable_security()->mutable_capabilities()->add_add("SYS_ADMIN");
  EXPECT_EQ(Shell("mkdir -p /tmp/m && mount -t tmpfs marker-fs /tmp/m && "
                  "grep -c marker-fs /proc/self/mounts",
                  spec),
            "1\n");
  std::ifstream mounts("/proc/self/mounts");
  std::string contents((std::istreambuf_iterator<char>(mounts)), {});
  EXPECT_THAT(contents, Not(HasSubstr("marker-fs")));
}

TEST_F(RunTest, RootIsPivotedNotChrooted) {
  // After pivot_root the old root is gone from the mount table; a chroot
  // would leave the host's mounts listed.
  std::string output = Shell("cat /proc/self/mountinfo");
  std::vector<std::string> lines = absl::StrSplit(output, '\n', absl::SkipEmpty());
  for (const std::string& line : lines) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    ASSERT_GT(fields.size(), 4u);
    EXPECT_TRUE(fields[4] == "/" || absl::StartsWith(fields[4], "/proc") ||
                absl::StartsWith(fields[4], "/dev") || absl::StartsWith(fields[4], "/sys"))
        << "unexpected mount inside: " << line;
  }
}

TEST_F(RunTest, MinimalDevAndReadOnlySys) {
  EXPECT_EQ(Shell("ls /dev | sort | tr '\\n' ' '"),
            "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ");
  EXPECT_EQ(Shell("echo x > /dev/null && head -c 4 /dev/zero | wc -c"), "4\n");
  EXPECT_EQ(Shell("touch /sys/x 2>/dev/null || echo read-only"), "read-only\n");
}

TEST_F(RunTest, LoopbackUpAndAlone) {
  EXPECT_EQ(Shell("ls /sys/class/net"), "lo\n");
  EXPECT_THAT(Shell("ip link show lo"), HasSubstr("UP"));
}

TEST_F(RunTest, ExitCodePropagates) {
  absl::StatusOr<Output> output =
      RunCaptured(SpecFor(BusyboxRoot(), {"/bin/sh", "-c", "exit 7"}));
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 7);
  EXPECT_FALSE(output->result.has_signal());
}

TEST_F(RunTest, KillReportsSignal) {
  absl::StatusOr<container::Container> container =
      container::Container::Start(SpecFor(BusyboxRoot(), {"sleep", "30"}));
  ASSERT_TRUE(container.ok()) << container.status();
  ASSERT_TRUE(container->Kill(SIGKILL).ok());
  absl::StatusOr<spec::RunResult> result = container->Wait();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->signal(), SIGKILL);
  EXPECT_FALSE(result->has_exit_code());
  EXPECT_FALSE(result->timed_out());
}

TEST_F(RunTest, TimeoutKillsWholeContainer) {
  spec::ContainerSpec spec =
      SpecFor(BusyboxRoot(), {"/bin/sh", "-c", "sleep 30 & sleep 30 & wait"});
  spec.mutable_timeout()->set_nanos(300 * 1000 * 1000);
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_TRUE(output->result.timed_out());
  EXPECT_EQ(output->result.signal(), SIGKILL);
  EXPECT_LT(output->result.wall_time().seconds(), 10);
}

TEST_F(RunTest, DroppedContainerIsKilled) {
  pid_t pid;
  {
    absl::StatusOr<container::Container> container =
        container::Container::Start(SpecFor(BusyboxRoot(), {"sleep", "30"}));
    ASSERT_TRUE(container.ok()) << container.status();
    pid = container->pid();
    EXPECT_EQ(kill(pid, 0), 0);
  }
  EXPECT_NE(kill(pid, 0), 0);
}

TEST_F(RunTest, NoDescriptorLeaksIntoContainer) {
  // A descriptor the embedder opened without O_CLOEXEC must not reach the
  // command (the leak behind CVE-2024-21626). The command's descriptors are
  // read from the host, so no helper process inside adds its own.
  int leaky = open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(leaky, 0);
  absl::StatusOr<container::Container> container =
      container::Container::Start(SpecFor(BusyboxRoot(), {"sleep", "30"}));
  close(leaky);
  ASSERT_TRUE(container.ok()) << container.status();
  std::vector<std::string> fds;
  DIR* dir = opendir(("/proc/" + std::to_string(container->pid()) + "/fd").c_str());
  ASSERT_NE(dir, nullptr);
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') fds.push_back(entry->d_name);
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, (std::vector<std::string>{"0", "1", "2"}));
}

TEST_F(RunTest, ProcDoesNotExposeLauncher) {
  // PID 1's executable is the container's own, never the embedding binary.
  EXPECT_EQ(Shell("readlink /proc/1/exe"), "/bin/busybox\n");
  // The host's root is not reachable through /proc/1/root.
  EXPECT_EQ(Shell("ls /proc/1/root/ | sort | tr '\\n' ' '"),
            Shell("ls / | sort | tr '\\n' ' '"));
}

TEST_F(RunTest, EnvironmentDefaultsAndOverrides) {
  spec::ContainerSpec spec;
  spec.set_hostname("envbox");
  spec.mutable_process()->add_env("GREETING=hi there");
  spec.mutable_process()->add_env("PATH=/bin");
  EXPECT_EQ(Shell("echo \"$GREETING|$PATH|$HOSTNAME|$HOME\"", spec),
            "hi there|/bin|envbox|/root\n");
}

TEST_F(RunTest, UserAndWorkingDirectory) {
  spec::ContainerSpec spec;
  spec.mutable_process()->mutable_user()->set_user("app");
  spec.mutable_process()->set_cwd("/tmp");
  EXPECT_EQ(Shell("id -u; id -g; pwd; echo $HOME", spec), "1000\n1000\n/tmp\n/home/app\n");
}

TEST_F(RunTest, NumericUserWithoutEntry) {
  spec::ContainerSpec spec;
  spec.mutable_process()->mutable_user()->set_user("4321");
  spec.mutable_process()->mutable_user()->set_group("99");
  EXPECT_EQ(Shell("id -u; id -g", spec), "4321\n99\n");
}

TEST_F(RunTest, ReadOnlyRoot) {
  spec::ContainerSpec spec;
  spec.mutable_root()->set_readonly(true);
  EXPECT_EQ(Shell("touch /ro-test 2>/dev/null || echo refused; echo x > /dev/shm/y && echo shm-ok",
                  spec),
            "refused\nshm-ok\n");
  struct stat info;
  EXPECT_NE(stat((BusyboxRoot() + "/ro-test").c_str(), &info), 0);
}

TEST_F(RunTest, TmpfsMountFromSpec) {
  spec::ContainerSpec spec;
  spec::Mount* mount = spec.add_mounts();
  mount->set_destination("/scratch");
  mount->set_type("tmpfs");
  mount->add_options("size=1m");
  EXPECT_THAT(Shell("grep ' /scratch ' /proc/self/mounts", spec), HasSubstr("size=1024k"));
}

TEST_F(RunTest, ReadOnlyBindMount) {
  char host_dir[] = "/tmp/pycontain-bind-XXXXXX";
  ASSERT_NE(mkdtemp(host_dir), nullptr);
  std::ofstream(std::string(host_dir) + "/hello") << "from host\n";
  spec::ContainerSpec spec;
  spec::Mount* mount = spec.add_mounts();
  mount->set_destination("/data");
  mount->set_type("bind");
  mount->set_source(host_dir);
  mount->add_options("ro");
  EXPECT_EQ(Shell("cat /data/hello; touch /data/new 2>/dev/null || echo refused", spec),
            "from host\nrefused\n");
  unlink((std::string(host_dir) + "/hello").c_str());
  rmdir(host_dir);
}

TEST_F(RunTest, PythonInDebianRoot) {
  absl::StatusOr<Output> output = RunCaptured(
      SpecFor(DebianRoot(), {"python3", "-c", "import os; print(os.getpid(), 6 * 7)"}));
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_EQ(output->stdout_text, "1 42\n");
}

TEST_F(RunTest, EmbeddedDefaultIsReadOnlyHostRoot) {
  absl::StatusOr<Output> output = RunCaptured(SpecFor(
      "", {"/bin/sh", "-c",
           "echo $$; ls -A /tmp | wc -l; touch /tmp/ok && echo tmp-writable; "
           "touch /etc/pycontain-test 2>/dev/null || echo etc-read-only"}));
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_EQ(output->stdout_text, "1\n0\ntmp-writable\netc-read-only\n");
  struct stat info;
  EXPECT_NE(stat("/etc/pycontain-test", &info), 0);
}

TEST_F(RunTest, HostNetworkSharesInterfaces) {
  spec::ContainerSpec spec = SpecFor("", {"/bin/sh", "-c", "ls /sys/class/net | wc -l"});
  spec.mutable_network()->set_mode(spec::Network::HOST);
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  int count = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(output->stdout_text), &count));
  EXPECT_GE(count, 1);
  // With none, only loopback exists; with host, the host's list is seen.
  DIR* dir = opendir("/sys/class/net");
  int host_count = 0;
  while (struct dirent* entry = readdir(dir)) host_count += entry->d_name[0] != '.';
  closedir(dir);
  EXPECT_EQ(count, host_count);
}

TEST_F(RunTest, TimeNamespaceOnRequest) {
  struct stat host;
  ASSERT_EQ(stat("/proc/self/ns/time", &host), 0);
  spec::ContainerSpec spec;
  spec.mutable_namespaces()->set_time(true);
  std::string inside = Shell("stat -L -c %i /proc/self/ns/time", spec);
  EXPECT_NE(inside, std::to_string(host.st_ino) + "\n");
  // Without the request the container shares the host's time namespace.
  EXPECT_EQ(Shell("stat -L -c %i /proc/self/ns/time"), std::to_string(host.st_ino) + "\n");
}

TEST_F(RunTest, UserNamespaceWithGivenRange) {
  spec::ContainerSpec spec;
  spec::Namespaces* namespaces = spec.mutable_namespaces();
  namespaces->set_user(true);
  spec::IdMapping* uid = namespaces->add_uid_mappings();
  uid->set_container_id(0);
  uid->set_host_id(200000);
  uid->set_size(65536);
  *namespaces->add_gid_mappings() = *uid;
  // Root inside is uid 200000 outside, so the root filesystem's files,
  // owned by the host's root, belong to nobody in the container.
  EXPECT_EQ(Shell("id -u; cat /proc/self/uid_map | tr -s ' '; stat -c %u /bin/busybox", spec),
            "0\n 0 200000 65536\n65534\n");
}

TEST_F(RunTest, DebugLogIsTranscriptOfKernelActions) {
  std::vector<std::string> lines;
  absl::Mutex mutex;
  SetLogThreshold(LogLevel::kDebug);
  SetLogSink([&](LogLevel level, absl::string_view id, absl::string_view message) {
    absl::MutexLock lock(&mutex);
    if (id == "transcript") lines.push_back(std::string(message));
  });
  spec::ContainerSpec spec;
  spec.set_id("transcript");
  Shell("true", spec);
  SetLogSink(nullptr);
  SetLogThreshold(LogLevel::kWarning);
  auto contains = [&lines](absl::string_view text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& line) { return absl::StrContains(line, text); });
  };
  EXPECT_TRUE(contains("mount proc on ")) << absl::StrJoin(lines, "\n");
  EXPECT_TRUE(contains("pivot_root into "));
  EXPECT_TRUE(contains("exec /bin/sh"));
  EXPECT_TRUE(contains("started as pid "));
}

TEST_F(RunTest, SignalsStartAtDefaults) {
  // Embedders such as Python ignore SIGPIPE and block signals in threads;
  // exec keeps both, so the command must get them reset.
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous_pipe;
  ASSERT_EQ(sigaction(SIGPIPE, &ignore, &previous_pipe), 0);
  sigset_t block, previous_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &block, &previous_mask), 0);

  // grep runs as the first process itself; a shell would ignore signals of
  // its own.
  absl::StatusOr<Output> run = RunCaptured(
      SpecFor(BusyboxRoot(), {"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"}));
  std::string output = run.ok() ? run->stdout_text : std::string(run.status().message());

  sigset_t after;
  pthread_sigmask(SIG_SETMASK, &previous_mask, &after);
  sigaction(SIGPIPE, &previous_pipe, nullptr);
  EXPECT_EQ(output, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  // The caller's own mask is as it was before the run.
  EXPECT_EQ(sigismember(&after, SIGUSR2), 1);
  EXPECT_EQ(sigismember(&after, SIGUSR1), 0);
}

// Errors: each one names what failed and leaves nothing behind (TearDown).

TEST_F(RunTest, MissingRootIsNotFound) {
  absl::StatusOr<Output> output =
      RunCaptured(SpecFor("/nonexistent/rootfs", {"/bin/true"}));
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(output.status().message(), HasSubstr("/nonexistent/rootfs"));
  EXPECT_EQ(ErrnoOf(output.status()), ENOENT);
}

TEST_F(RunTest, UnknownExecutableIsNotFound) {
  absl::StatusOr<Output> output = RunCaptured(SpecFor(BusyboxRoot(), {"no-such-command"}));
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(output.status().message(), HasSubstr("\"no-such-command\" not found in $PATH"));
}

TEST_F(RunTest, NonExecutableFileNamesExecStep) {
  // /etc/passwd exists but has no execute bit: exec itself fails.
  absl::StatusOr<Output> output = RunCaptured(SpecFor(BusyboxRoot(), {"/etc/passwd"}));
  ASSERT_FALSE(output.ok());
  EXPECT_THAT(output.status().message(), HasSubstr("exec /etc/passwd"));
  EXPECT_EQ(ErrnoOf(output.status()), EACCES);
}

TEST_F(RunTest, UnknownUserIsNotFound) {
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"/bin/true"});
  spec.mutable_process()->mutable_user()->set_user("nosuchuser");
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(output.status().message(), HasSubstr("\"nosuchuser\""));
}

TEST_F(RunTest, MissingWorkingDirectoryNamesStep) {
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"/bin/true"});
  spec.mutable_process()->set_cwd("/does/not/exist");
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_FALSE(output.ok());
  EXPECT_THAT(output.status().message(),
              HasSubstr("change directory to /does/not/exist inside the container"));
  EXPECT_EQ(ErrnoOf(output.status()), ENOENT);
}

TEST_F(RunTest, FailedMountNamesStepAndErrno) {
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"/bin/true"});
  spec::Mount* mount = spec.add_mounts();
  mount->set_destination("/broken");
  mount->set_type("no-such-filesystem");
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_FALSE(output.ok());
  EXPECT_THAT(output.status().message(), HasSubstr("mount no-such-filesystem on "));
  EXPECT_EQ(ErrnoOf(output.status()), ENODEV);
}

TEST_F(RunTest, IdInUseIsAlreadyExists) {
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"sleep", "30"});
  spec.set_id("twice");
  absl::StatusOr<container::Container> first = container::Container::Start(spec);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<container::Container> second = container::Container::Start(spec);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(RunTest, InvalidSpecNamesField) {
  spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"/bin/true"});
  spec.mutable_process()->set_cwd("relative");
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(output.status().message(), HasSubstr("process.cwd"));
}

}  // namespace
}  // namespace pycontain
