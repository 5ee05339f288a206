// Seccomp profiles in real containers, as root: each action and argument
// rule seen by tests/probe/seccomp_probe, the 32-bit entry point, the
// notification listener handed to listenerPath, profile errors, and the
// learning round trip for busybox sh and Debian's python3.
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "tests/security_testing.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;
using testing::Output;
using testing::Profile;
using testing::ProbeResults;
using testing::ProbeSpec;
using testing::RunCaptured;

std::string Rule(const std::string& action, const std::string& extra = "") {
  return absl::StrCat(R"({"names": ["getppid"], "action": ")", action, "\"", extra, "}");
}

spec::ContainerSpec WithProfile(const std::string& json) {
  spec::ContainerSpec spec;
  spec.mutable_security()->mutable_seccomp()->set_mode(spec::Seccomp::PROFILE);
  spec.mutable_security()->mutable_seccomp()->set_profile_json(json);
  return spec;
}

class SeccompTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests create namespaces and mounts as root";
    before_ = testing::TakeSnapshot();
  }
  void TearDown() override { testing::ExpectNothingLeaked(before_); }

  // Runs the probe under `profile`; returns its output and result.
  Output RunProbe(const std::vector<std::string>& probes, const std::string& profile) {
    absl::StatusOr<Output> output = RunCaptured(ProbeSpec(probes, WithProfile(profile)));
    EXPECT_TRUE(output.ok()) << output.status();
    return output.ok() ? *output : Output();
  }

  testing::HostSnapshot before_;
};

TEST_F(SeccompTest, ErrnoWithErrnoRet) {
  Output output = RunProbe({"getppid"}, Profile("SCMP_ACT_ALLOW",
                                                {Rule("SCMP_ACT_ERRNO", R"(, "errnoRet": 42)")}));
  EXPECT_EQ(ProbeResults(output.stdout_text)["getppid"], 42);
  output = RunProbe({"getppid"}, Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_ERRNO")}));
  EXPECT_EQ(ProbeResults(output.stdout_text)["getppid"], EPERM);
}

TEST_F(SeccompTest, DefaultErrnoRet) {
  // Allow what the probe needs to start and report (learned below, so no
  // list is guessed), and let everything else fail with errno 77.
  std::string learned = testing::LearnProbe({"getppid"});
  ASSERT_FALSE(learned.empty());
  std::string profile = absl::StrCat(
      R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 77, "syscalls": [)",
      R"({"names": [)", learned, R"(], "action": "SCMP_ACT_ALLOW"},)",
      R"({"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77}]})");
  Output output = RunProbe({"getppid"}, profile);
  EXPECT_EQ(output.result.exit_code(), 0) << output.stderr_text;
  EXPECT_EQ(ProbeResults(output.stdout_text)["getppid"], 77);
}

TEST_F(SeccompTest, KillThreadEndsOnlyTheThread) {
  Output output = RunProbe({"thread_getppid", "getppid_args:1"},
                           Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_KILL_THREAD",
                               R"(, "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}])")}));
  // The thread died at getppid(0) while the main thread went on. Its own
  // getppid passes 1, which the rule does not match.
  EXPECT_EQ(ProbeResults(output.stdout_text)["thread_getppid"], 0) << output.stdout_text;
  EXPECT_EQ(ProbeResults(output.stdout_text)["getppid_args:1"], 0);
  EXPECT_FALSE(output.result.has_signal());

  output = RunProbe({"default_sigsys", "getppid"},
                    Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_KILL")}));
  EXPECT_EQ(output.result.signal(), SIGSYS);
}

TEST_F(SeccompTest, KillProcessEndsEveryThread) {
  Output output = RunProbe({"thread_getppid"},
                           Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_KILL_PROCESS")}));
  EXPECT_EQ(output.result.signal(), SIGSYS);
  EXPECT_EQ(ProbeResults(output.stdout_text).count("thread_getppid"), 0u);
}

TEST_F(SeccompTest, TrapSendsSigsys) {
  Output output = RunProbe({"getppid"}, Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_TRAP")}));
  EXPECT_EQ(ProbeResults(output.stdout_text)["sigsys"], SYS_getppid) << output.stdout_text;
}

TEST_F(SeccompTest, TraceWithoutTracerIsEnosys) {
  Output output = RunProbe({"getppid"}, Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_TRACE")}));
  EXPECT_EQ(ProbeResults(output.stdout_text)["getppid"], ENOSYS);
}

TEST_F(SeccompTest, LogAllowsAndLogs) {
  spec::ContainerSpec spec = ProbeSpec(
      {"getppid"}, WithProfile(Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_LOG")})));
  int out = testing::MakeCaptureFile();
  spec.mutable_process()->mutable_stdio()->set_stdout_fd(out);
  absl::StatusOr<container::Container> container = container::Container::Start(spec);
  ASSERT_TRUE(container.ok()) << container.status();
  pid_t pid = container->pid();
  ASSERT_TRUE(container->Wait().ok());
  EXPECT_EQ(ProbeResults(testing::ReadCaptureFile(out))["getppid"], 0);
  close(out);

  // The kernel's audit record (type 1326) names the pid and the call.
  std::string log(1 << 20, '\0');
  int size = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log.data(), static_cast<int>(log.size()));
  ASSERT_GT(size, 0) << strerror(errno);
  log.resize(size);
  EXPECT_THAT(log, HasSubstr(absl::StrCat(" pid=", pid, " ")));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("syscall=", SYS_getppid, " ")));
}

// A seccomp agent at a unix socket. It responds to every notification
// with the error -errno_to_return.
class Agent {
 public:
  explicit Agent(int errno_to_return) {
    // TEST_TMPDIR can be longer than a socket path may be.
    char directory[] = "/tmp/pycontain-agent-XXXXXX";
    EXPECT_NE(mkdtemp(directory), nullptr);
    directory_ = directory;
    path_ = absl::StrCat(directory_, "/agent.sock");
    server_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    EXPECT_EQ(bind(server_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(server_, 1), 0);
    thread_ = std::thread([this, errno_to_return] { Serve(errno_to_return); });
  }
  ~Agent() {
    thread_.join();
    close(server_);
    unlink(path_.c_str());
    rmdir(directory_.c_str());
  }
  const std::string& path() const { return path_; }
  std::string state() const { return state_; }

 private:
  void Serve(int errno_to_return) {
    int connection = accept4(server_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return;
    char buffer[4096] = {};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct iovec data = {buffer, sizeof(buffer) - 1};
    struct msghdr message = {};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(connection, &message, MSG_CMSG_CLOEXEC);
    close(connection);
    if (n <= 0 || CMSG_FIRSTHDR(&message) == nullptr) return;
    state_.assign(buffer, n);
    int listener;
    memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&message)), sizeof(int));
    for (;;) {
      struct seccomp_notif request = {};
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) break;
      struct seccomp_notif_resp response = {};
      response.id = request.id;
      response.error = -errno_to_return;
      ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
    }
    close(listener);
  }

  std::string directory_;
  std::string path_;
  int server_ = -1;
  std::thread thread_;
  std::string state_;
};

TEST_F(SeccompTest, NotifyGoesToListenerPath) {
  Agent agent(55);
  Output output = RunProbe(
      {"getppid"},
      Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_NOTIFY")},
              absl::StrCat(R"(, "listenerPath": ")", agent.path(),
                           R"(", "listenerMetadata": "probe")")));
  EXPECT_EQ(ProbeResults(output.stdout_text)["getppid"], 55) << output.stderr_text;
  EXPECT_THAT(agent.state(), HasSubstr(R"("fds":["seccompFd"])"));
  EXPECT_THAT(agent.state(), HasSubstr(R"("metadata":"probe")"));
}

TEST_F(SeccompTest, ArgumentRules) {
  struct Case {
    std::string args;
    std::string matching;
    std::string other;
  };
  const Case cases[] = {
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_EQ"})", ":5", ":6"},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_NE"})", ":6", ":5"},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_LT"})", ":4", ":5"},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_LE"})", ":5", ":6"},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_GT"})", ":6", ":5"},
      {R"({"index": 0, "value": 5, "op": "SCMP_CMP_GE"})", ":5", ":4"},
      {R"({"index": 1, "value": 240, "valueTwo": 48, "op": "SCMP_CMP_MASKED_EQ"})", ":0:0x3f",
       ":0:0x4f"},
      // Different arguments: AND.
      {R"({"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
          {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"})", ":1:2", ":1:3"},
      // The same argument twice: OR, as runc does.
      {R"({"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
          {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"})", ":2", ":3"},
  };
  for (const Case& test : cases) {
    std::string matching = "getppid_args" + test.matching;
    std::string other = "getppid_args" + test.other;
    Output output = RunProbe(
        {matching, other},
        Profile("SCMP_ACT_ALLOW",
                {Rule("SCMP_ACT_ERRNO", absl::StrCat(R"(, "errnoRet": 90, "args": [)",
                                                     test.args, "]"))}));
    std::map<std::string, long> results = ProbeResults(output.stdout_text);
    EXPECT_EQ(results[matching], 90) << test.args;
    EXPECT_EQ(results[other], 0) << test.args;
  }
}

TEST_F(SeccompTest, ThirtyTwoBitCallsCannotBypass) {
  // The default profile covers x86 too: its mount fails, getppid works.
  absl::StatusOr<Output> defaults =
      RunCaptured(ProbeSpec({"int80_mount", "int80_getppid"}));
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  std::map<std::string, long> results = ProbeResults(defaults->stdout_text);
  if (results["int80_getppid"] == ENOSYS) GTEST_SKIP() << "no 32-bit system calls";
  EXPECT_EQ(results["int80_mount"], EPERM);
  EXPECT_EQ(results["int80_getppid"], 0);

  // A profile for x86_64 alone kills any x86 call.
  Output native = RunProbe({"int80_getppid"},
                           Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_ERRNO")},
                                   R"(, "architectures": ["SCMP_ARCH_X86_64"])"));
  EXPECT_EQ(native.result.signal(), SIGSYS);
  // Listing x86 applies the rule to its getppid.
  Output both = RunProbe({"int80_getppid"},
                         Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_ERRNO", R"(, "errnoRet": 42)")},
                                 R"(, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])"));
  EXPECT_EQ(ProbeResults(both.stdout_text)["int80_getppid"], 42);
}

TEST_F(SeccompTest, ProfileErrorsNameTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_BOGUS")}), "syscalls[0].action"},
      {Profile("SCMP_ACT_ALLOW", {}, R"(, "architectures": ["SCMP_ARCH_Z80"])"),
       "architectures[0]"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"nmes": []}]})", "nmes"},
      {Profile("SCMP_ACT_ALLOW", {Rule("SCMP_ACT_ERRNO",
                                       R"(, "args": [{"index": 9, "op": "SCMP_CMP_EQ"}])")}),
       "syscalls[0].args[0].index"},
  };
  for (const auto& [json, field] : cases) {
    absl::StatusOr<spec::RunResult> result =
        container::Run(ProbeSpec({"getppid"}, WithProfile(json)));
    ASSERT_FALSE(result.ok()) << json;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(result.status().message(), HasSubstr("security.seccomp.profile_json"));
    EXPECT_THAT(result.status().message(), HasSubstr(field));
  }
}

TEST_F(SeccompTest, StrictRejectsUnknownNames) {
  std::string json = Profile(
      "SCMP_ACT_ALLOW",
      {R"({"names": ["getppid", "no_such_call"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5})"});
  spec::ContainerSpec lenient = WithProfile(json);
  absl::StatusOr<Output> output = RunCaptured(ProbeSpec({"getppid"}, lenient));
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(ProbeResults(output->stdout_text)["getppid"], 5);

  spec::ContainerSpec strict = WithProfile(json);
  strict.mutable_security()->mutable_seccomp()->set_strict(true);
  absl::StatusOr<spec::RunResult> result = container::Run(ProbeSpec({"getppid"}, strict));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("unknown system call \"no_such_call\""));
}

class LearnTest : public SeccompTest {
 protected:
  // Learns `args` in `root`, then runs them again under the learned
  // profile. Returns the profile.
  std::string LearnAndReplay(const std::string& root, const std::vector<std::string>& args,
                             const std::string& expected_output) {
    std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/learned.json");
    spec::ContainerSpec learn = testing::SpecFor(root, args);
    learn.mutable_security()->mutable_seccomp()->set_mode(spec::Seccomp::LEARN);
    learn.mutable_security()->mutable_seccomp()->set_learn_output_path(path);
    absl::StatusOr<Output> learned = RunCaptured(learn);
    EXPECT_TRUE(learned.ok()) << learned.status();
    if (!learned.ok()) return "";
    EXPECT_EQ(learned->result.exit_code(), 0) << learned->stderr_text;
    EXPECT_EQ(learned->stdout_text, expected_output);

    std::ifstream file(path);
    std::stringstream profile;
    profile << file.rdbuf();
    absl::StatusOr<Output> replay = RunCaptured(testing::SpecFor(root, args));
    spec::ContainerSpec enforced = WithProfile(profile.str());
    *enforced.mutable_root() = testing::SpecFor(root, args).root();
    *enforced.mutable_process() = testing::SpecFor(root, args).process();
    replay = RunCaptured(enforced);
    EXPECT_TRUE(replay.ok()) << replay.status();
    if (replay.ok()) {
      EXPECT_EQ(replay->result.exit_code(), 0) << replay->stderr_text;
      EXPECT_EQ(replay->stdout_text, expected_output);
    }
    return profile.str();
  }

  // Runs `args` under `profile` and returns the combined output.
  Output RunUnder(const std::string& root, const std::vector<std::string>& args,
                  const std::string& profile) {
    spec::ContainerSpec spec = WithProfile(profile);
    *spec.mutable_root() = testing::SpecFor(root, args).root();
    *spec.mutable_process() = testing::SpecFor(root, args).process();
    absl::StatusOr<Output> output = RunCaptured(spec);
    EXPECT_TRUE(output.ok()) << output.status();
    return output.ok() ? *output : Output();
  }
};

TEST_F(LearnTest, BusyboxShellRoundTrip) {
  std::string profile =
      LearnAndReplay(testing::BusyboxRoot(), {"/bin/sh", "-c", "echo hello"}, "hello\n");
  EXPECT_THAT(profile, HasSubstr("\"execve\""));
  EXPECT_THAT(profile, HasSubstr("\"write\""));
  EXPECT_THAT(profile, ::testing::Not(HasSubstr("\"mkdir\"")));
  // sh runs its last command in place, so mkdir(2) itself is outside the
  // learned list and fails with the profile's errno, EPERM.
  Output output = RunUnder(testing::BusyboxRoot(),
                           {"/bin/sh", "-c", "echo hello; mkdir /tmp/new"}, profile);
  EXPECT_EQ(output.stdout_text, "hello\n");
  EXPECT_NE(output.result.exit_code(), 0);
  EXPECT_THAT(output.stderr_text,
              HasSubstr("can't create directory '/tmp/new': Operation not permitted"));
}

TEST_F(LearnTest, PythonRoundTrip) {
  const std::vector<std::string> args = {"/usr/bin/python3", "-c", "print(6 * 7)"};
  std::string profile = LearnAndReplay(testing::DebianRoot(), args, "42\n");
  EXPECT_THAT(profile, HasSubstr("\"openat\""));
  Output output = RunUnder(
      testing::DebianRoot(),
      {"/usr/bin/python3", "-c",
       "import os\ntry:\n  os.mkdir('/tmp/new')\nexcept OSError as e:\n  print(e.errno)"},
      profile);
  EXPECT_EQ(output.stdout_text, "1\n") << output.stderr_text;
}

}  // namespace
}  // namespace pycontain
