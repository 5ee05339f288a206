// Garbage collection after a crash (container::CollectGarbage): an
// embedder killed with SIGKILL takes its container's processes with it,
// and gc then removes the container's cgroups in every hierarchy and its
// state directory. Containers of live owners are kept.
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "lib/container/gc.h"
#include "lib/container/prepare.h"
#include "lib/container/record.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using testing::Exists;

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::BusyboxRoot;
using testing::SpecFor;

constexpr char kUnifiedParent[] = "/sys/fs/cgroup/unified/pycontain";
constexpr char kMemoryParent[] = "/sys/fs/cgroup/memory/pycontain";

// Every directory named `id` under a pycontain parent in any hierarchy.
std::vector<std::string> CgroupsNamed(const std::string& id) {
  std::vector<std::string> found;
  glob_t matches;
  std::string pattern = absl::StrCat("/sys/fs/cgroup/*/pycontain/", id);
  if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i) found.push_back(matches.gl_pathv[i]);
  }
  globfree(&matches);
  return found;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Waits up to 5 s until the cgroup directory `path` lists no process.
bool WaitUntilEmpty(const std::string& path) {
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!ReadText(absl::StrCat(path, "/cgroup.procs")).empty()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// True when `pid` has exited (gone, or a zombie not yet reaped).
bool Exited(pid_t pid) {
  std::string stat = ReadText(absl::StrCat("/proc/", pid, "/stat"));
  size_t close = stat.rfind(')');
  return stat.empty() || (close != std::string::npos && stat.substr(close + 2, 1) == "Z");
}

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Other runs of this binary (bazel --runs_per_test) would take this
    // test's cgroups for orphans of theirs, so the runs take turns.
    lock_fd_ = open("/tmp/pycontain-gc-test.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(lock_fd_, 0) << strerror(errno);
    ASSERT_EQ(flock(lock_fd_, LOCK_EX), 0) << strerror(errno);
    // A state root of this test alone, so that gc reads only its records.
    const char* tmpdir = getenv("TEST_TMPDIR");
    ASSERT_NE(tmpdir, nullptr) << "run under bazel test";
    root_ = absl::StrCat(tmpdir, "/gc-",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(mkdir(root_.c_str(), 0700), 0) << strerror(errno);
    setenv("PYCONTAIN_STATE_DIR", root_.c_str(), 1);
    before_ = testing::TakeSnapshot();
    id_ = absl::StrCat("gctest", container::RandomId());
  }
  void TearDown() override {
    testing::ExpectNothingLeaked(before_);
    for (const std::string& cgroup : CgroupsNamed(id_)) {
      ADD_FAILURE() << "cgroup left behind: " << cgroup;
      rmdir(cgroup.c_str());
    }
    rmdir(root_.c_str());
    if (lock_fd_ >= 0) close(lock_fd_);
  }

  // gc of this test's state root; orphan cgroups are left to their test.
  container::GcReport Collect() {
    container::GcOptions options;
    options.orphan_min_age = absl::InfiniteDuration();
    absl::StatusOr<container::GcReport> report = container::CollectGarbage(options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : container::GcReport();
  }

  spec::ContainerSpec SleepSpec() {
    spec::ContainerSpec spec = SpecFor(BusyboxRoot(), {"sleep", "100"});
    spec.set_id(id_);
    // A limit makes the container join a v1 hierarchy on hybrid hosts.
    spec.mutable_resources()->set_memory_bytes(64 << 20);
    return spec;
  }

  int lock_fd_ = -1;
  std::string root_;
  std::string id_;
  testing::HostSnapshot before_;
};

TEST_F(GcTest, KilledEmbedderLeavesNothingAfterGc) {
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  spec::ContainerSpec spec = SleepSpec();
  pid_t embedder = fork();
  ASSERT_GE(embedder, 0);
  if (embedder == 0) {
    // The embedder: starts the container, reports its pid and waits to be
    // killed, never cleaning up.
    absl::StatusOr<container::Container> started = container::Container::Start(spec);
    pid_t pid = started.ok() ? started->pid() : -1;
    if (write(report[1], &pid, sizeof(pid)) != sizeof(pid)) _exit(1);
    while (true) pause();
  }
  close(report[1]);
  pid_t pid = 0;
  ASSERT_EQ(read(report[0], &pid, sizeof(pid)), static_cast<ssize_t>(sizeof(pid)));
  close(report[0]);
  ASSERT_GT(pid, 0) << "the embedder could not start the container";

  std::string state = absl::StrCat(root_, "/", id_);
  absl::StatusOr<container::ContainerRecord> record = container::ReadRecord(state);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->owner_pid(), embedder);
  EXPECT_EQ(record->pid(), pid);
  EXPECT_TRUE(record->started());
  std::string unified = absl::StrCat(kUnifiedParent, "/", id_);
  std::string memory = absl::StrCat(kMemoryParent, "/", id_);
  EXPECT_THAT(record->cgroup_directories(), Contains(unified));
  EXPECT_THAT(record->cgroup_directories(), Contains(memory));
  EXPECT_THAT(ReadText(absl::StrCat(unified, "/cgroup.procs")), HasSubstr(absl::StrCat(pid)));

  ASSERT_EQ(kill(embedder, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(embedder, &status, 0), embedder);

  // The parent-death signal kills the container; its cgroups stay.
  EXPECT_TRUE(WaitUntilEmpty(unified)) << "the container outlived its embedder";
  EXPECT_TRUE(WaitUntilEmpty(memory));
  EXPECT_TRUE(Exited(pid));
  EXPECT_TRUE(Exists(unified));
  EXPECT_TRUE(Exists(memory));
  EXPECT_TRUE(Exists(state));

  container::GcReport collected = Collect();
  EXPECT_TRUE(collected.errors.empty()) << collected.errors[0];
  ASSERT_EQ(collected.containers.size(), 1u);
  EXPECT_THAT(collected.containers[0], HasSubstr(id_));
  EXPECT_THAT(collected.containers[0], HasSubstr("has exited"));
  EXPECT_THAT(collected.cgroups, Contains(unified));
  EXPECT_THAT(collected.cgroups, Contains(memory));
  EXPECT_THAT(CgroupsNamed(id_), ::testing::IsEmpty());
  EXPECT_FALSE(Exists(state));

  // A second run finds nothing more.
  container::GcReport again = Collect();
  EXPECT_TRUE(again.containers.empty());
  EXPECT_TRUE(again.cgroups.empty());
}

// The parent-death signal reaches only a child that set it before its
// parent died. Here the embedder dies while its new child has not yet run
// (ptrace stops it), so the child must notice the death by itself and end
// before it runs the command.
TEST_F(GcTest, LateChildOfKilledEmbedderEnds) {
  // Orphans come to this process, so that it can wait for the child.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0) << strerror(errno);
  int go[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  spec::ContainerSpec spec = SleepSpec();
  pid_t embedder = fork();
  ASSERT_GE(embedder, 0);
  if (embedder == 0) {
    close(go[1]);
    char byte;
    if (read(go[0], &byte, 1) != 1) _exit(1);
    (void)container::Container::Start(spec);
    _exit(0);
  }
  close(go[0]);
  ASSERT_EQ(ptrace(PTRACE_SEIZE, embedder, 0, PTRACE_O_TRACEFORK), 0) << strerror(errno);
  ASSERT_EQ(write(go[1], "g", 1), 1);
  close(go[1]);

  // Waits for the embedder's clone of the first process, passing on the
  // signals it gets meanwhile.
  pid_t child = 0;
  int status = 0;
  while (child == 0) {
    ASSERT_EQ(waitpid(embedder, &status, __WALL), embedder);
    ASSERT_TRUE(WIFSTOPPED(status)) << "the embedder ended before it cloned";
    if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_FORK << 8))) {
      unsigned long message = 0;
      ASSERT_EQ(ptrace(PTRACE_GETEVENTMSG, embedder, 0, &message), 0);
      child = static_cast<pid_t>(message);
    } else {
      int signal = WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status);
      ASSERT_EQ(ptrace(PTRACE_CONT, embedder, 0, signal), 0);
    }
  }
  // A new child starts stopped under the tracer, in its own PID namespace.
  ASSERT_EQ(waitpid(child, &status, __WALL), child);
  EXPECT_THAT(ReadText(absl::StrCat("/proc/", child, "/status")),
              HasSubstr(absl::StrCat("NSpid:\t", child, "\t1\n")));

  ASSERT_EQ(kill(embedder, SIGKILL), 0);
  do {
    ASSERT_EQ(waitpid(embedder, &status, __WALL), embedder);
  } while (!WIFSIGNALED(status) && !WIFEXITED(status));
  ASSERT_EQ(ptrace(PTRACE_DETACH, child, 0, 0), 0) << strerror(errno);

  absl::Time deadline = absl::Now() + absl::Seconds(5);
  pid_t ended = 0;
  while (ended == 0 && absl::Now() < deadline) {
    ended = waitpid(child, &status, __WALL | WNOHANG);
    if (ended == 0) absl::SleepFor(absl::Milliseconds(10));
  }
  if (ended != child) {
    kill(child, SIGKILL);
    waitpid(child, &status, __WALL);
  }
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
  EXPECT_EQ(ended, child) << "the first process outlived its killed embedder";

  Collect();
  EXPECT_THAT(CgroupsNamed(id_), ::testing::IsEmpty());
  EXPECT_FALSE(Exists(absl::StrCat(root_, "/", id_)));
}

TEST_F(GcTest, GcKillsWhatStillRunsInCgroups) {
  // An owner that died before its record was completed: the container's
  // process is still in the cgroup, because nothing killed it.
  std::string unified = absl::StrCat(kUnifiedParent, "/", id_);
  std::string memory = absl::StrCat(kMemoryParent, "/", id_);
  ASSERT_EQ(mkdir(unified.c_str(), 0755), 0) << strerror(errno);
  ASSERT_EQ(mkdir(memory.c_str(), 0755), 0) << strerror(errno);
  pid_t sleeper = fork();
  ASSERT_GE(sleeper, 0);
  if (sleeper == 0) {
    std::string self = absl::StrCat(getpid());
    for (const std::string& dir : {unified, memory}) {
      std::ofstream(absl::StrCat(dir, "/cgroup.procs")) << self;
    }
    execl("/bin/sleep", "sleep", "100", nullptr);
    _exit(127);
  }
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!absl::StrContains(ReadText(absl::StrCat(memory, "/cgroup.procs")),
                            absl::StrCat(sleeper)) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }

  std::string state = absl::StrCat(root_, "/", id_);
  ASSERT_EQ(mkdir(state.c_str(), 0700), 0);
  container::ContainerRecord record = container::NewRecord(id_);
  // A running pid with another start time: the owner's pid, reused.
  record.set_owner_pid(sleeper);
  record.set_owner_start_time(1);
  record.add_cgroup_directories(unified);
  record.add_cgroup_directories(memory);
  ASSERT_TRUE(container::WriteRecord(state, record).ok());

  container::GcReport collected = Collect();
  EXPECT_TRUE(collected.errors.empty()) << collected.errors[0];
  EXPECT_EQ(collected.containers.size(), 1u);
  int status = 0;
  ASSERT_EQ(waitpid(sleeper, &status, 0), sleeper);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_THAT(CgroupsNamed(id_), ::testing::IsEmpty());
  EXPECT_FALSE(Exists(state));
}

TEST_F(GcTest, LiveOwnerIsKept) {
  absl::StatusOr<container::Container> started = container::Container::Start(SleepSpec());
  ASSERT_TRUE(started.ok()) << started.status();
  std::string unified = absl::StrCat(kUnifiedParent, "/", id_);

  container::GcReport collected = Collect();
  EXPECT_THAT(collected.kept, Contains(id_));
  EXPECT_TRUE(collected.containers.empty());
  EXPECT_TRUE(Exists(absl::StrCat(root_, "/", id_)));
  EXPECT_THAT(ReadText(absl::StrCat(unified, "/cgroup.procs")),
              HasSubstr(absl::StrCat(started->pid())));
  EXPECT_FALSE(Exited(started->pid()));

  ASSERT_TRUE(started->Kill(SIGKILL).ok());
  absl::StatusOr<spec::RunResult> result = started->Wait();
  EXPECT_TRUE(result.ok()) << result.status();
}

TEST_F(GcTest, OtherStateRootKeepsExitedContainer) {
  // A container that has exited, and whose owner has not yet read its
  // accounting, has empty cgroups and a state directory in another root.
  spec::ContainerSpec spec = SleepSpec();
  spec.mutable_process()->clear_args();
  spec.mutable_process()->add_args("true");
  absl::StatusOr<container::Container> started = container::Container::Start(spec);
  ASSERT_TRUE(started.ok()) << started.status();
  std::string unified = absl::StrCat(kUnifiedParent, "/", id_);
  std::string memory = absl::StrCat(kMemoryParent, "/", id_);
  ASSERT_TRUE(WaitUntilEmpty(unified));
  ASSERT_TRUE(WaitUntilEmpty(memory));

  std::string other = absl::StrCat(root_, "-other");
  ASSERT_EQ(mkdir(other.c_str(), 0700), 0);
  container::GcOptions options;
  options.state_root = other;
  options.orphan_min_age = absl::ZeroDuration();
  absl::StatusOr<container::GcReport> collected = container::CollectGarbage(options);
  ASSERT_TRUE(collected.ok()) << collected.status();
  EXPECT_THAT(collected->cgroups, ::testing::Not(Contains(unified)));
  EXPECT_THAT(collected->cgroups, ::testing::Not(Contains(memory)));
  EXPECT_TRUE(Exists(unified));
  EXPECT_TRUE(Exists(memory));
  rmdir(other.c_str());

  absl::StatusOr<spec::RunResult> result = started->Wait();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code(), 0);
  EXPECT_GT(result->accounting().memory_peak_bytes(), 0);
}

TEST_F(GcTest, RecordOfAnotherBootIsCollected) {
  std::string state = absl::StrCat(root_, "/", id_);
  ASSERT_EQ(mkdir(state.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(absl::StrCat(state, "/etc").c_str(), 0700), 0);
  std::ofstream(absl::StrCat(state, "/etc/hosts")) << "127.0.0.1 localhost\n";
  std::string unified = absl::StrCat(kUnifiedParent, "/", id_);
  ASSERT_EQ(mkdir(unified.c_str(), 0755), 0) << strerror(errno);

  // This process owns the record, alive, but in an earlier boot. Cgroups
  // do not survive a reboot, so a cgroup of the recorded name is another
  // container's of this boot, and gc leaves it.
  container::ContainerRecord record = container::NewRecord(id_);
  record.set_boot_id("00000000-0000-0000-0000-000000000000");
  record.add_cgroup_directories(unified);
  ASSERT_TRUE(container::WriteRecord(state, record).ok());

  container::GcReport collected = Collect();
  EXPECT_TRUE(collected.errors.empty()) << collected.errors[0];
  ASSERT_EQ(collected.containers.size(), 1u);
  EXPECT_THAT(collected.containers[0], HasSubstr("another boot"));
  EXPECT_FALSE(Exists(state));
  EXPECT_THAT(collected.cgroups, ::testing::Not(Contains(unified)));
  EXPECT_TRUE(Exists(unified));
  EXPECT_EQ(rmdir(unified.c_str()), 0) << strerror(errno);
}

TEST_F(GcTest, CliPrintsWhatItRemoved) {
  std::string state = absl::StrCat(root_, "/", id_);
  ASSERT_EQ(mkdir(state.c_str(), 0700), 0);
  std::string unified = absl::StrCat(kUnifiedParent, "/", id_);
  ASSERT_EQ(mkdir(unified.c_str(), 0755), 0) << strerror(errno);
  // The owner: a child that has exited and been reaped.
  pid_t owner = fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) _exit(0);
  int owner_status = 0;
  ASSERT_EQ(waitpid(owner, &owner_status, 0), owner);
  container::ContainerRecord record = container::NewRecord(id_);
  record.set_owner_pid(owner);
  record.add_cgroup_directories(unified);
  ASSERT_TRUE(container::WriteRecord(state, record).ok());

  // The CLI built beside this test (a data dependency), on this test's
  // state root through PYCONTAIN_STATE_DIR.
  std::string binary = absl::StrCat(getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"),
                                    "/examples/cli/pycontain");
  std::string command = absl::StrCat(binary, " gc --orphan-min-age 1h");
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  int status = pclose(pipe);

  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("removed container ", id_, " (")));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("removed cgroup ", unified, "\n")));
  EXPECT_THAT(out, HasSubstr("1 containers removed"));
  EXPECT_FALSE(Exists(unified));
  EXPECT_FALSE(Exists(state));
}

TEST_F(GcTest, CurrentBootRecordIsKept) {
  std::string state = absl::StrCat(root_, "/", id_);
  ASSERT_EQ(mkdir(state.c_str(), 0700), 0);
  ASSERT_TRUE(container::WriteRecord(state, container::NewRecord(id_)).ok());

  container::GcReport collected = Collect();
  EXPECT_THAT(collected.kept, Contains(id_));
  EXPECT_TRUE(Exists(state));

  unlink(absl::StrCat(state, "/", container::kRecordFile).c_str());
  rmdir(state.c_str());
}

// An owner killed between claiming the id and saving the record leaves a
// state directory without one (here with the temporary file of a record
// write it did not finish). gc removes it once it is older than
// orphan_min_age, and leaves a younger one to a start that may still run.
TEST_F(GcTest, StateDirectoryWithoutRecordRemovedWhenOld) {
  std::string state = absl::StrCat(root_, "/", id_);
  ASSERT_EQ(mkdir(state.c_str(), 0700), 0) << strerror(errno);
  ASSERT_EQ(mkdir(absl::StrCat(state, "/rootfs").c_str(), 0700), 0) << strerror(errno);
  std::ofstream(absl::StrCat(state, "/", container::kRecordFile, ".tmp")).close();

  container::GcOptions options;
  options.orphan_min_age = absl::Seconds(1);
  absl::StatusOr<container::GcReport> young = container::CollectGarbage(options);
  ASSERT_TRUE(young.ok()) << young.status();
  EXPECT_TRUE(young->containers.empty());
  EXPECT_TRUE(Exists(state)) << "a state directory younger than orphan_min_age was removed";

  absl::SleepFor(absl::Milliseconds(1200));
  absl::StatusOr<container::GcReport> old = container::CollectGarbage(options);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_TRUE(old->errors.empty()) << old->errors[0];
  ASSERT_EQ(old->containers.size(), 1u);
  EXPECT_THAT(old->containers[0], HasSubstr(absl::StrCat(id_, " (no record after 1s)")));
  EXPECT_FALSE(Exists(state));
}

TEST_F(GcTest, OrphanCgroupRemovedOnlyWhenOldAndEmpty) {
  std::string empty = absl::StrCat(kMemoryParent, "/", id_);
  std::string busy_id = absl::StrCat(id_, "busy");
  std::string busy = absl::StrCat(kUnifiedParent, "/", busy_id);
  std::string held_id = absl::StrCat(id_, "held");
  std::string held = absl::StrCat(kUnifiedParent, "/", held_id);
  ASSERT_EQ(mkdir(empty.c_str(), 0755), 0) << strerror(errno);
  ASSERT_EQ(mkdir(busy.c_str(), 0755), 0) << strerror(errno);
  ASSERT_EQ(mkdir(held.c_str(), 0755), 0) << strerror(errno);
  // An open directory, as a live Cgroup object of another state root keeps.
  int held_fd = open(held.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(held_fd, 0) << strerror(errno);
  pid_t sleeper = fork();
  ASSERT_GE(sleeper, 0);
  if (sleeper == 0) {
    std::ofstream(absl::StrCat(busy, "/cgroup.procs")) << getpid();
    execl("/bin/sleep", "sleep", "100", nullptr);
    _exit(127);
  }

  container::GcOptions options;
  options.orphan_min_age = absl::Seconds(1);
  absl::StatusOr<container::GcReport> young = container::CollectGarbage(options);
  ASSERT_TRUE(young.ok()) << young.status();
  EXPECT_THAT(young->cgroups, ::testing::Not(Contains(empty)));
  EXPECT_TRUE(Exists(empty)) << "a cgroup younger than orphan_min_age was removed";

  absl::SleepFor(absl::Milliseconds(1200));
  absl::StatusOr<container::GcReport> old = container::CollectGarbage(options);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_THAT(old->cgroups, Contains(empty));
  EXPECT_FALSE(Exists(empty));
  EXPECT_THAT(old->cgroups, ::testing::Not(Contains(busy)));
  EXPECT_TRUE(Exists(busy)) << "an orphan cgroup with a process was removed";
  EXPECT_THAT(old->cgroups, ::testing::Not(Contains(held)));
  EXPECT_TRUE(Exists(held)) << "a cgroup that a process has open was removed";

  close(held_fd);
  absl::StatusOr<container::GcReport> closed = container::CollectGarbage(options);
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_THAT(closed->cgroups, Contains(held));
  EXPECT_FALSE(Exists(held));

  kill(sleeper, SIGKILL);
  int status = 0;
  waitpid(sleeper, &status, 0);
  EXPECT_TRUE(WaitUntilEmpty(busy));
  EXPECT_EQ(rmdir(busy.c_str()), 0) << strerror(errno);
}

}  // namespace
}  // namespace pycontain
