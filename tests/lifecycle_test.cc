// Managed containers (lib/container/managed.h) as root on the real kernel.
// Covers detached runs with logs, stop and start that keep the writable
// layer, exec, export, --rm and names. Also a monitor killed with SIGKILL
// and what gc and rm then clean, a commit of a Debian image's dpkg state,
// and the CLI commands.
// Every test checks in TearDown that no container, mount, state entry,
// cgroup or monitor process is left.
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/unique_fd.h"
#include "lib/container/gc.h"
#include "lib/container/image_use.h"
#include "lib/container/managed.h"
#include "lib/container/record.h"
#include "lib/container/state_dir.h"
#include "lib/container/volume.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"
#include "lib/overlay/diff.h"
#include "lib/overlay/overlay.h"
#include "tests/testing.h"

extern char** environ;

namespace pycontain {
namespace {

using testing::ReadFile;
using testing::Entries;
using testing::Exists;
using testing::CgroupsOf;
using testing::ProcessAlive;
using testing::Eventually;
using testing::RunCli;
using testing::CliResult;

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "managed containers from images need root";
    std::string pattern = absl::StrCat(getenv("TEST_TMPDIR"), "/lifecycle-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    // Every test gets its own store, and so its own containers, through
    // the variable that the CLI and the monitors read too.
    setenv("PYCONTAIN_ROOT", (dir_ + "/store").c_str(), 1);
    absl::StatusOr<image::Store> store = image::Store::Open({});
    ASSERT_TRUE(store.ok()) << store.status();
    store_.emplace(std::move(*store));
    before_ = testing::TakeSnapshot();
  }

  void TearDown() override {
    if (!store_.has_value()) return;
    // Whatever a failed test left running goes first, so that the checks
    // below report the leak instead of the test's own failure again.
    absl::StatusOr<std::vector<container::ManagedContainer>> left =
        container::ListContainers({.all = true, .labels = {}});
    ASSERT_TRUE(left.ok()) << left.status();
    EXPECT_THAT(*left, IsEmpty()) << "containers left behind";
    for (const container::ManagedContainer& c : *left) {
      EXPECT_TRUE(container::RemoveContainer(c.id(), {.force = true, .volumes = false}).ok());
    }
    for (pid_t pid : monitors_) EXPECT_FALSE(ProcessAlive(pid)) << "monitor pid " << pid;
    for (const std::string& id : ids_) EXPECT_THAT(CgroupsOf(id), IsEmpty()) << id;
    EXPECT_TRUE(store_->UnmountLayers().ok());
    testing::ExpectNothingLeaked(before_);
    std::string containers = store_->root() + "/containers";
    EXPECT_THAT(Entries(containers + "/.names"), IsEmpty());
    for (const std::string& entry : Entries(containers)) {
      EXPECT_EQ(entry, ".names") << "left in " << containers;
    }
    EXPECT_TRUE(overlay::RemoveTree(dir_).ok());
    unsetenv("PYCONTAIN_ROOT");
  }

  // Imports the busybox root as the image busybox:latest.
  void ImportBusybox() {
    absl::StatusOr<std::string> id = ImportBusyboxAs({"busybox:latest"});
    ASSERT_TRUE(id.ok()) << id.status();
  }

  // Imports the busybox root as one image with the given names. Returns
  // its id.
  absl::StatusOr<std::string> ImportBusyboxAs(const std::vector<std::string>& names) {
    std::string tarball = dir_ + "/busybox.tar";
    std::string command = absl::StrCat("tar -cf ", tarball, " -C ", testing::BusyboxRoot(), " .");
    if (system(command.c_str()) != 0) return absl::InternalError(absl::StrCat(command, " failed"));
    image::ImportOptions options;
    options.names = names;
    options.env = {"PATH=/bin:/sbin:/usr/bin", "FROM_IMAGE=yes"};
    return image::ImportTarball(*store_, tarball, options);
  }

  // Creates and starts a busybox container running `script` with sh.
  absl::StatusOr<container::ManagedContainer> StartScript(const std::string& name,
                                                          const std::string& script,
                                                          bool auto_remove = false) {
    container::CreateOptions options;
    options.name = name;
    options.spec.set_image("busybox");
    for (const std::string& arg : {std::string("sh"), std::string("-c"), script}) {
      options.spec.mutable_process()->add_args(arg);
    }
    options.auto_remove = auto_remove;
    absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(options);
    if (!created.ok()) return created.status();
    ids_.insert(created->id());
    absl::Status started = container::StartContainer(created->id());
    if (!started.ok()) return started;
    absl::StatusOr<container::ManagedContainer> running =
        container::ResolveContainer(created->id());
    if (running.ok()) monitors_.insert(running->state.monitor_pid());
    return running;
  }

  // The container's log as "stream: line" entries.
  std::vector<std::string> Logs(const std::string& name) {
    std::vector<std::string> lines;
    absl::Status status =
        container::ReadContainerLogs(name, {}, [&](const container::LogRecord& record) {
          lines.push_back(absl::StrCat(record.stream(), ": ", record.log()));
          EXPECT_FALSE(record.time().empty());
          return true;
        });
    EXPECT_TRUE(status.ok()) << status;
    return lines;
  }

  std::string dir_;
  std::optional<image::Store> store_;
  testing::HostSnapshot before_;
  std::set<std::string> ids_;
  std::set<pid_t> monitors_;
};

TEST_F(LifecycleTest, DetachedRunStopStartKeepsWrites) {
  ImportBusybox();
  // The second start finds the file the first one wrote.
  absl::StatusOr<container::ManagedContainer> web = StartScript(
      "web",
      "trap 'echo got TERM; exit 3' TERM; [ -f /kept ] && echo found kept; "
      "echo data > /kept; echo to stdout; echo to stderr >&2; "
      "while true; do sleep 0.1; done");
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_EQ(web->id().size(), 64u);
  EXPECT_TRUE(web->running());

  absl::StatusOr<std::vector<container::ManagedContainer>> running =
      container::ListContainers({});
  ASSERT_TRUE(running.ok()) << running.status();
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].name(), "web");
  ASSERT_TRUE(Eventually([&] { return Logs("web").size() >= 2; }));
  EXPECT_THAT(Logs("web"), Contains("stdout: to stdout\n"));
  EXPECT_THAT(Logs("web"), Contains("stderr: to stderr\n"));
  EXPECT_THAT(Logs("web"), Not(Contains("stdout: found kept\n")));

  ASSERT_TRUE(container::StopContainer("web", absl::Seconds(10)).ok());
  absl::StatusOr<container::ManagedContainer> stopped = container::ResolveContainer("web");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->state.status(), "exited");
  // The trap ran: SIGTERM reached the first process, which exited with 3.
  EXPECT_EQ(stopped->state.exit_code(), 3);
  EXPECT_THAT(Logs("web"), Contains("stdout: got TERM\n"));
  EXPECT_EQ(ReadFile(stopped->upper_directory + "/kept"), "data\n");
  absl::StatusOr<std::vector<container::ManagedContainer>> none = container::ListContainers({});
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
  EXPECT_THAT(CgroupsOf(web->id()), IsEmpty());

  ASSERT_TRUE(container::StartContainer("web").ok());
  absl::StatusOr<container::ManagedContainer> again = container::ResolveContainer("web");
  ASSERT_TRUE(again.ok());
  monitors_.insert(again->state.monitor_pid());
  EXPECT_EQ(again->state.start_count(), 2);
  ASSERT_TRUE(Eventually([&] {
    std::vector<std::string> logs = Logs("web");
    return std::find(logs.begin(), logs.end(), "stdout: found kept\n") != logs.end();
  }));

  absl::Status refused = container::RemoveContainer("web", {});
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  ASSERT_TRUE(container::RemoveContainer("web", {.force = true, .volumes = false}).ok());
  EXPECT_EQ(container::ResolveContainer("web").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(Exists(web->directory));
}

TEST_F(LifecycleTest, ExecIntoDetachedContainer) {
  ImportBusybox();
  absl::StatusOr<container::ManagedContainer> box =
      StartScript("box", "echo from-main > /tmp/main; exec sleep 1000");
  ASSERT_TRUE(box.ok()) << box.status();
  ASSERT_TRUE(Eventually([&] { return Exists(box->upper_directory + "/tmp/main"); }));

  int out = testing::MakeCaptureFile();
  spec::Process process;
  process.mutable_stdio()->set_stdout_fd(out);
  for (const char* arg : {"sh", "-c", "cat /tmp/main; hostname; echo $FROM_IMAGE; exit 7"}) {
    process.add_args(arg);
  }
  absl::StatusOr<ns::ChildProcess> child = container::ExecInContainer("box", process);
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<ns::ExitStatus> status = child->Wait();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->exit_code, 7);
  // The image's environment and the short id as hostname, as in Docker.
  EXPECT_EQ(testing::ReadCaptureFile(out), absl::StrCat("from-main\n", box->short_id(), "\nyes\n"));
  close(out);

  // Another user in another directory: the root of the writable layer
  // must be open to every user, as "/" is.
  int user_out = testing::MakeCaptureFile();
  spec::Process as_nobody;
  as_nobody.mutable_stdio()->set_stdout_fd(user_out);
  as_nobody.mutable_user()->set_user("nobody");
  as_nobody.set_cwd("/tmp");
  for (const char* arg : {"sh", "-c", "id -un; pwd"}) as_nobody.add_args(arg);
  absl::StatusOr<ns::ChildProcess> user_child = container::ExecInContainer("box", as_nobody);
  ASSERT_TRUE(user_child.ok()) << user_child.status();
  ASSERT_TRUE(user_child->Wait().ok());
  EXPECT_EQ(testing::ReadCaptureFile(user_out), "nobody\n/tmp\n");
  close(user_out);

  // export: the image's files and the container's writes in one tar.
  std::string tarball = dir_ + "/box.tar";
  UniqueFd tar(open(tarball.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(tar.valid());
  ASSERT_TRUE(container::ExportContainer("box", tar.get()).ok());
  tar.reset();
  std::string listing = dir_ + "/box.list";
  ASSERT_EQ(system(absl::StrCat("tar -tf ", tarball, " > ", listing).c_str()), 0);
  EXPECT_THAT(ReadFile(listing), HasSubstr("tmp/main\n"));
  EXPECT_THAT(ReadFile(listing), HasSubstr("bin/busybox\n"));

  // commit of the running container: paused while read, running after.
  absl::StatusOr<std::string> committed =
      container::CommitContainer("box", {.names = {"box:committed"}, .comment = "", .pause = true});
  ASSERT_TRUE(committed.ok()) << committed.status();
  absl::StatusOr<container::ManagedContainer> after = container::ResolveContainer("box");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->running());
  EXPECT_FALSE(after->state.paused());
  spec::ContainerSpec from_commit;
  from_commit.set_image("box:committed");
  from_commit.mutable_process()->add_args("cat");
  from_commit.mutable_process()->add_args("/tmp/main");
  absl::StatusOr<testing::Output> output = testing::RunCaptured(from_commit);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "from-main\n");

  // The CLI's commit with --change sets the new image's command and
  // environment; an instruction that needs a build is rejected.
  CliResult cli_commit = RunCli({"commit", "-c", "CMD [\"cat\", \"/tmp/main\"]", "--change",
                                 "ENV STAGE=2", "box", "box:changed"});
  ASSERT_EQ(cli_commit.status, 0) << testing::Describe(cli_commit);
  EXPECT_EQ(RunCli({"run", "--rm", "box:changed"}).out, "from-main\n");
  EXPECT_EQ(RunCli({"run", "--rm", "box:changed", "sh", "-c", "echo $STAGE"}).out, "2\n");
  CliResult rejected = RunCli({"commit", "-c", "RUN make", "box", "box:rejected"});
  EXPECT_EQ(rejected.status, 1);
  EXPECT_THAT(rejected.err, HasSubstr("RUN make"));

  ASSERT_TRUE(container::StopContainer("box", absl::Seconds(1)).ok());
  spec::Process late;
  late.add_args("true");
  EXPECT_EQ(container::ExecInContainer("box", late).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(container::RemoveContainer("box", {}).ok());
}

TEST_F(LifecycleTest, PauseFreezesUntilUnpause) {
  ImportBusybox();
  absl::StatusOr<container::ManagedContainer> counter = StartScript(
      "counter", "i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.02; done");
  ASSERT_TRUE(counter.ok()) << counter.status();
  std::string count = counter->upper_directory + "/count";
  ASSERT_TRUE(Eventually([&] { return !ReadFile(count).empty(); }));

  absl::Status paused = container::PauseContainer("counter");
  ASSERT_TRUE(paused.ok()) << paused;
  absl::StatusOr<container::ManagedContainer> frozen = container::ResolveContainer("counter");
  ASSERT_TRUE(frozen.ok());
  EXPECT_TRUE(frozen->state.paused());
  EXPECT_TRUE(frozen->running());
  std::string before = ReadFile(count);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(ReadFile(count), before) << "the loop ran while paused";
  EXPECT_EQ(container::PauseContainer("counter").code(), absl::StatusCode::kFailedPrecondition);
  spec::Process exec;
  exec.add_args("true");
  EXPECT_EQ(container::ExecInContainer("counter", exec).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(container::UnpauseContainer("counter").ok());
  EXPECT_TRUE(Eventually([&] { return ReadFile(count) != before; }));
  EXPECT_EQ(container::UnpauseContainer("counter").code(), absl::StatusCode::kFailedPrecondition);

  // A paused container stops: its processes are thawed for the signals.
  ASSERT_TRUE(container::PauseContainer("counter").ok());
  ASSERT_TRUE(container::StopContainer("counter", absl::Seconds(1)).ok());
  absl::StatusOr<container::ManagedContainer> stopped = container::ResolveContainer("counter");
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->state.status(), "exited");
  EXPECT_FALSE(stopped->state.paused());
  ASSERT_TRUE(container::RemoveContainer("counter", {}).ok());
}

// Rootless: the unprivileged user of PYCONTAIN_ROOTLESS_USER runs a
// managed container on a root filesystem directory (images need root),
// in a child process that reports through its exit status and a file.
TEST_F(LifecycleTest, RootlessDetachedRun) {
  const char* user = getenv("PYCONTAIN_ROOTLESS_USER");
  ASSERT_NE(user, nullptr) << "PYCONTAIN_ROOTLESS_USER is not set: run the tests with scripts/test";
  struct passwd* entry = getpwnam(user);
  ASSERT_NE(entry, nullptr) << "user " << user << " does not exist";
  // Outside TEST_TMPDIR, which the user cannot reach below /root.
  std::string pattern = "/tmp/lifecycle-rootless-XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  std::string store = pattern;
  ASSERT_EQ(chown(store.c_str(), entry->pw_uid, entry->pw_gid), 0);
  std::string rootfs = testing::BusyboxRoot();

  int out = testing::MakeCaptureFile();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(entry->pw_gid, entry->pw_gid, entry->pw_gid) != 0 ||
        setresuid(entry->pw_uid, entry->pw_uid, entry->pw_uid) != 0) {
      _exit(90);
    }
    // Changing uid cleared the dumpable flag, which writing the id maps of
    // the container's user namespace needs.
    prctl(PR_SET_DUMPABLE, 1);
    setenv("PYCONTAIN_ROOT", (store + "/store").c_str(), 1);
    unsetenv("PYCONTAIN_STATE_DIR");
    unsetenv("XDG_RUNTIME_DIR");
    auto fail = [out](int code, absl::string_view message) {
      std::string text = absl::StrCat(message, "\n");
      ssize_t ignored = write(out, text.data(), text.size());
      (void)ignored;
      return code;
    };
    _exit([&]() -> int {
      container::CreateOptions options;
      options.name = "rootless";
      options.spec.mutable_root()->set_path(rootfs);
      for (const char* arg : {"sh", "-c", "echo started; exec sleep 1000"}) {
        options.spec.mutable_process()->add_args(arg);
      }
      absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(options);
      if (!created.ok()) return fail(1, created.status().message());
      absl::Status started = container::StartContainer("rootless");
      if (!started.ok()) return fail(2, started.message());
      bool logged = Eventually([] {
        bool found = false;
        absl::Status read = container::ReadContainerLogs(
            "rootless", {}, [&](const container::LogRecord& record) {
              found = found || record.log() == "started\n";
              return true;
            });
        return read.ok() && found;
      });
      if (!logged) return fail(3, "no \"started\" in the log");
      spec::Process process;
      int exec_out = testing::MakeCaptureFile();
      process.mutable_stdio()->set_stdout_fd(exec_out);
      process.add_args("id");
      process.add_args("-u");
      absl::StatusOr<ns::ChildProcess> exec = container::ExecInContainer("rootless", process);
      if (!exec.ok()) return fail(4, exec.status().message());
      if (!exec->Wait().ok()) return fail(5, "exec wait failed");
      std::string id = testing::ReadCaptureFile(exec_out);
      if (id != "0\n") return fail(6, absl::StrCat("id -u printed ", id));
      absl::Status stopped = container::StopContainer("rootless", absl::ZeroDuration());
      if (!stopped.ok()) return fail(7, stopped.message());
      if (Exists(absl::StrCat(container::StateRoot(), "/", created->id()))) {
        return fail(8, "the runtime state outlived the stop");
      }
      absl::Status removed = container::RemoveContainer("rootless", {});
      if (!removed.ok()) return fail(9, removed.message());
      if (Exists(created->directory)) return fail(10, "the directory outlived rm");
      return 0;
    }());
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  std::string message = testing::ReadCaptureFile(out);
  close(out);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << message;
  EXPECT_TRUE(overlay::RemoveTree(store).ok());
}

TEST_F(LifecycleTest, AutoRemoveLeavesNothing) {
  ImportBusybox();
  absl::StatusOr<container::ManagedContainer> once =
      StartScript("once", "echo bye > /written; echo bye", /*auto_remove=*/true);
  ASSERT_TRUE(once.ok()) << once.status();
  EXPECT_TRUE(Eventually([&] {
    return container::ResolveContainer("once").status().code() == absl::StatusCode::kNotFound;
  }));
  EXPECT_TRUE(Eventually([&] { return !Exists(once->directory); }));
  EXPECT_FALSE(Exists(absl::StrCat(container::ManagedContainersRoot(), "/.names/once")));
  // The monitor exits right after it removed the container.
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(once->state.monitor_pid()); }));
}

// As `docker wait`: a waiter that started before the exit gets the exit
// code, also from a container that removes itself.
TEST_F(LifecycleTest, WaitGetsExitCodeOfAutoRemove) {
  ImportBusybox();
  absl::StatusOr<container::ManagedContainer> brief =
      StartScript("brief", "sleep 1; exit 7", /*auto_remove=*/true);
  ASSERT_TRUE(brief.ok()) << brief.status();
  absl::StatusOr<container::ManagedState> ended = container::WaitContainer("brief");
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->status(), "exited");
  EXPECT_EQ(ended->exit_code(), 7);
  EXPECT_TRUE(Eventually([&] { return !Exists(brief->directory); }));
  // Once it is gone, there is nothing to wait for.
  EXPECT_EQ(container::WaitContainer("brief").status().code(), absl::StatusCode::kNotFound);

  // A waiter also gets the code of a container that rm -f removes.
  absl::StatusOr<container::ManagedContainer> doomed = StartScript("doomed", "exec sleep 1000");
  ASSERT_TRUE(doomed.ok()) << doomed.status();
  std::optional<absl::StatusOr<container::ManagedState>> waited;
  std::thread waiter([&] { waited = container::WaitContainer("doomed"); });
  // Time for the waiter to open the exit file, which a late waiter would
  // find removed (NotFound, as with docker wait).
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_TRUE(container::RemoveContainer("doomed", {.force = true, .volumes = false}).ok());
  waiter.join();
  ASSERT_TRUE(waited.has_value());
  ASSERT_TRUE(waited->ok()) << waited->status();
  EXPECT_EQ((*waited)->exit_code(), 137);

  CliResult run = RunCli({"run", "-d", "--rm", "--name", "brief2", "busybox", "sh", "-c",
                          "sleep 1; exit 3"});
  ASSERT_EQ(run.status, 0) << run.err;
  std::string id = run.out.substr(0, run.out.find('\n'));
  ids_.insert(id);
  absl::StatusOr<container::ManagedContainer> started = container::ResolveContainer(id);
  if (started.ok()) monitors_.insert(started->state.monitor_pid());
  CliResult wait = RunCli({"wait", "brief2"});
  EXPECT_EQ(wait.status, 0) << wait.err;
  EXPECT_EQ(wait.out, "3\n");
  EXPECT_TRUE(Eventually([&] {
    return container::ResolveContainer(id).status().code() == absl::StatusCode::kNotFound;
  }));
}

// As `docker run -w`: a missing working directory is made inside the
// container and given to the container's user; exec makes none.
TEST_F(LifecycleTest, MissingWorkdirIsCreated) {
  ImportBusybox();
  CliResult run = RunCli({"run", "--image", "busybox", "-u", "nobody", "-w", "/made/here", "--",
                          "sh", "-c", "pwd; stat -c %U /made /made/here; touch mine && echo wrote"});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "/made/here\nnobody\nnobody\nwrote\n");

  // An image's own directories keep their owner.
  CliResult existing = RunCli({"run", "--image", "busybox", "-u", "nobody", "-w", "/bin/new",
                               "--", "stat", "-c", "%U", "/bin", "."});
  EXPECT_EQ(existing.status, 0) << existing.err;
  EXPECT_EQ(existing.out, "root\nnobody\n");

  // A root directory is the caller's tree: nothing is made in it.
  CliResult plain = RunCli({"run", "--rootfs", testing::BusyboxRoot(), "-w",
                            "/lifecycle-missing", "--", "true"});
  EXPECT_NE(plain.status, 0);
  EXPECT_THAT(plain.err, HasSubstr("change directory to /lifecycle-missing"));
  EXPECT_FALSE(Exists(testing::BusyboxRoot() + "/lifecycle-missing"));

  CliResult read_only = RunCli({"run", "--image", "busybox", "--read-only", "-w", "/nowhere",
                                "--", "true"});
  EXPECT_EQ(read_only.status, 125);
  EXPECT_THAT(read_only.err, HasSubstr("create the working directory /nowhere"));
  EXPECT_THAT(read_only.err, HasSubstr("Read-only file system"));

  CliResult detached = RunCli({"run", "-d", "--name", "wd", "-w", "/w/x", "busybox", "sh", "-c",
                               "pwd; exec sleep 1000"});
  ASSERT_EQ(detached.status, 0) << detached.err;
  std::string id = detached.out.substr(0, detached.out.find('\n'));
  ids_.insert(id);
  absl::StatusOr<container::ManagedContainer> wd = container::ResolveContainer("wd");
  ASSERT_TRUE(wd.ok()) << wd.status();
  monitors_.insert(wd->state.monitor_pid());
  EXPECT_TRUE(Eventually([] { return RunCli({"logs", "wd"}).out == "/w/x\n"; }));
  EXPECT_TRUE(wd->running());
  CliResult exec_missing = RunCli({"exec", "-w", "/absent", "wd", "pwd"});
  EXPECT_EQ(exec_missing.status, 126) << exec_missing.err;
  EXPECT_THAT(exec_missing.err, HasSubstr("/absent"));
  CliResult exec_found = RunCli({"exec", "wd", "pwd"});
  EXPECT_EQ(exec_found.out, "/w/x\n") << exec_found.err;
  ASSERT_TRUE(container::RemoveContainer("wd", {.force = true, .volumes = false}).ok());
}

// As `docker run --stop-signal` and `docker stop --signal`.
TEST_F(LifecycleTest, StopSendsStopSignal) {
  ImportBusybox();
  const std::string script =
      "trap 'echo got INT; exit 5' INT; trap 'echo got TERM; exit 6' TERM; "
      "trap 'echo got USR1; exit 4' USR1; echo ready; while true; do sleep 0.05; done";
  CliResult run = RunCli({"run", "-d", "--name", "calm", "--stop-signal", "SIGINT", "busybox",
                          "sh", "-c", script});
  ASSERT_EQ(run.status, 0) << run.err;
  std::string id = run.out.substr(0, run.out.find('\n'));
  ids_.insert(id);
  absl::StatusOr<container::ManagedContainer> calm = container::ResolveContainer("calm");
  ASSERT_TRUE(calm.ok()) << calm.status();
  monitors_.insert(calm->state.monitor_pid());
  EXPECT_EQ(calm->config.stop_signal(), "SIGINT");
  ASSERT_TRUE(Eventually([] { return RunCli({"logs", "calm"}).out == "ready\n"; }));

  CliResult stop = RunCli({"stop", "calm"});
  EXPECT_EQ(stop.status, 0) << stop.err;
  absl::StatusOr<container::ManagedContainer> stopped = container::ResolveContainer("calm");
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->state.exit_code(), 5);
  EXPECT_THAT(Logs("calm"), Contains("stdout: got INT\n"));

  // stop -s overrides the container's stop signal.
  ASSERT_TRUE(container::StartContainer("calm").ok());
  absl::StatusOr<container::ManagedContainer> again = container::ResolveContainer("calm");
  ASSERT_TRUE(again.ok());
  monitors_.insert(again->state.monitor_pid());
  ASSERT_TRUE(Eventually([] { return RunCli({"logs", "--tail", "1", "calm"}).out == "ready\n"; }));
  CliResult stop_usr1 = RunCli({"stop", "-s", "USR1", "calm"});
  EXPECT_EQ(stop_usr1.status, 0) << stop_usr1.err;
  absl::StatusOr<container::ManagedState> ended = container::WaitContainer("calm");
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->exit_code(), 4);
  ASSERT_TRUE(container::RemoveContainer("calm", {}).ok());

  CliResult bad = RunCli({"run", "-d", "--stop-signal", "SIGNOPE", "busybox", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_THAT(bad.err, HasSubstr("invalid signal \"SIGNOPE\""));
  container::CreateOptions options;
  options.spec.set_image("busybox");
  options.spec.mutable_process()->add_args("true");
  options.stop_signal = "NOPE";
  EXPECT_EQ(container::CreateContainer(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The image's StopSignal applies unless the container sets its own.
TEST_F(LifecycleTest, ImageStopSignalApplies) {
  std::string tarball = dir_ + "/busybox.tar";
  std::string command = absl::StrCat("tar -cf ", tarball, " -C ", testing::BusyboxRoot(), " .");
  ASSERT_EQ(system(command.c_str()), 0) << command;
  image::ImportOptions import;
  import.names = {"quitter:1"};
  import.changes = {"STOPSIGNAL SIGQUIT"};
  ASSERT_TRUE(image::ImportTarball(*store_, tarball, import).ok());

  const std::string script =
      "trap 'exit 3' QUIT; trap 'exit 6' TERM; trap 'exit 4' USR2; echo ready; "
      "while true; do sleep 0.05; done";
  for (const auto& [name, stop_signal, code] :
       std::vector<std::tuple<std::string, std::string, int>>{{"image-signal", "", 3},
                                                             {"own-signal", "USR2", 4}}) {
    container::CreateOptions options;
    options.name = name;
    options.spec.set_image("quitter:1");
    for (const std::string& arg : {std::string("sh"), std::string("-c"), script}) {
      options.spec.mutable_process()->add_args(arg);
    }
    options.stop_signal = stop_signal;
    absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(options);
    ASSERT_TRUE(created.ok()) << created.status();
    ids_.insert(created->id());
    ASSERT_TRUE(container::StartContainer(name).ok());
    absl::StatusOr<container::ManagedContainer> running = container::ResolveContainer(name);
    ASSERT_TRUE(running.ok());
    monitors_.insert(running->state.monitor_pid());
    ASSERT_TRUE(Eventually([&] { return Logs(name).size() == 1; }));
    ASSERT_TRUE(container::StopContainer(name, absl::Seconds(10)).ok());
    absl::StatusOr<container::ManagedContainer> stopped = container::ResolveContainer(name);
    ASSERT_TRUE(stopped.ok());
    EXPECT_EQ(stopped->state.exit_code(), code) << name;
    ASSERT_TRUE(container::RemoveContainer(name, {}).ok());
  }
}

// Parses the numbers of "line N" log lines.
std::vector<int> LineNumbers(const std::string& text) {
  std::vector<int> numbers;
  std::istringstream in(text);
  std::string word;
  int number = 0;
  while (in >> word >> number) numbers.push_back(number);
  return numbers;
}

void ExpectConsecutive(const std::vector<int>& numbers, int last) {
  ASSERT_FALSE(numbers.empty());
  EXPECT_EQ(numbers.back(), last);
  for (size_t i = 1; i < numbers.size(); ++i) {
    EXPECT_EQ(numbers[i], numbers[i - 1] + 1) << "after line " << numbers[i - 1];
  }
}

int64_t FileSize(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 ? info.st_size : -1;
}

// As Docker's json-file driver with --log-opt max-size and max-file:
// rotated files are kept up to max-file, and logs reads across them.
TEST_F(LifecycleTest, LogRotatesAtMaxSize) {
  ImportBusybox();
  const std::string script =
      "i=1; while [ $i -le 200 ]; do echo line $i; i=$((i+1)); done";
  CliResult run = RunCli({"run", "-d", "--name", "chatty", "--log-opt", "max-size=1k",
                          "--log-opt", "max-file=3", "busybox", "sh", "-c", script});
  ASSERT_EQ(run.status, 0) << run.err;
  std::string id = run.out.substr(0, run.out.find('\n'));
  ids_.insert(id);
  absl::StatusOr<container::ManagedState> ended = container::WaitContainer(id);
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->exit_code(), 0);
  absl::StatusOr<container::ManagedContainer> chatty = container::ResolveContainer(id);
  ASSERT_TRUE(chatty.ok()) << chatty.status();
  monitors_.insert(chatty->state.monitor_pid());

  const std::string& log = chatty->log_path;
  for (const std::string& path : {log, log + ".1", log + ".2"}) {
    EXPECT_GT(FileSize(path), 0) << path;
    // A file passes 1 KiB by at most the one record that reached it.
    EXPECT_LT(FileSize(path), 1024 + 100) << path;
  }
  EXPECT_FALSE(Exists(log + ".3"));

  CliResult logs = RunCli({"logs", "chatty"});
  EXPECT_EQ(logs.status, 0) << logs.err;
  std::vector<int> numbers = LineNumbers(logs.out);
  ExpectConsecutive(numbers, 200);
  EXPECT_GT(numbers.front(), 1) << "the oldest lines were dropped";
  EXPECT_GT(numbers.size(), 20u) << "three files of 1 KiB hold more than one file";
  CliResult tail = RunCli({"logs", "--tail", "3", "chatty"});
  EXPECT_EQ(tail.out, "line 198\nline 199\nline 200\n");
  ASSERT_TRUE(container::RemoveContainer("chatty", {}).ok());

  // max-file 1 empties the one file instead.
  CliResult single = RunCli({"run", "-d", "--name", "single", "--log-opt", "max-size=1k",
                             "busybox", "sh", "-c", script});
  ASSERT_EQ(single.status, 0) << single.err;
  ids_.insert(single.out.substr(0, single.out.find('\n')));
  ASSERT_TRUE(container::WaitContainer("single").ok());
  absl::StatusOr<container::ManagedContainer> one = container::ResolveContainer("single");
  ASSERT_TRUE(one.ok());
  monitors_.insert(one->state.monitor_pid());
  EXPECT_LT(FileSize(one->log_path), 1024 + 100);
  EXPECT_FALSE(Exists(one->log_path + ".1"));
  ExpectConsecutive(LineNumbers(RunCli({"logs", "single"}).out), 200);
  ASSERT_TRUE(container::RemoveContainer("single", {}).ok());

  for (const std::string option : {"max-file=0", "max-size=big", "compress=true"}) {
    CliResult bad = RunCli({"run", "-d", "--log-opt", "max-size=1m", "--log-opt", option,
                            "busybox", "true"});
    EXPECT_EQ(bad.status, 125) << option;
    EXPECT_THAT(bad.err, HasSubstr(option.substr(0, option.find('=')))) << option;
  }
}

// logs -f goes on in the new file after each rotation.
TEST_F(LifecycleTest, LogFollowAcrossRotation) {
  ImportBusybox();
  container::CreateOptions options;
  options.name = "slow";
  options.spec.set_image("busybox");
  for (const char* arg :
       {"sh", "-c", "i=1; while [ $i -le 60 ]; do echo line $i; i=$((i+1)); sleep 0.02; done"}) {
    options.spec.mutable_process()->add_args(arg);
  }
  options.log_options = {{"max-size", "1k"}, {"max-file", "2"}};
  absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(options);
  ASSERT_TRUE(created.ok()) << created.status();
  ids_.insert(created->id());
  ASSERT_TRUE(container::StartContainer("slow").ok());
  absl::StatusOr<container::ManagedContainer> slow = container::ResolveContainer("slow");
  ASSERT_TRUE(slow.ok());
  monitors_.insert(slow->state.monitor_pid());

  std::string followed;
  container::LogOptions follow;
  follow.follow = true;
  absl::Status read = container::ReadContainerLogs("slow", follow, [&](const container::LogRecord& r) {
    followed += r.log();
    return true;
  });
  ASSERT_TRUE(read.ok()) << read;
  std::vector<int> numbers = LineNumbers(followed);
  ExpectConsecutive(numbers, 60);
  EXPECT_EQ(numbers.front(), 1);
  EXPECT_TRUE(Exists(slow->log_path + ".1")) << "the log never rotated";
  ASSERT_TRUE(container::RemoveContainer("slow", {}).ok());
}

// `pycontain --help` lists every command, as `docker --help` does.
TEST_F(LifecycleTest, CliHelpListsCommands) {
  CliResult help = RunCli({"--help"});
  EXPECT_EQ(help.status, 0) << help.err;
  for (const char* command :
       {"run", "ps", "start", "stop", "restart", "pause", "unpause", "kill", "rm", "exec", "logs",
        "wait", "diff", "commit", "export", "inspect", "image", "volume", "network", "compose",
        "gc"}) {
    EXPECT_THAT(help.out, HasSubstr(absl::StrCat("\n  ", command, " "))) << command;
  }
  EXPECT_THAT(RunCli({"run", "--help"}).out, HasSubstr("--workdir DIR"));
}

// Docker's exit codes: 1 when a command fails on a missing container, 125
// for a usage error.
TEST_F(LifecycleTest, CliMissingContainerExitsOne) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"exec", "ghost", "true"},
                                             {"logs", "ghost"},
                                             {"diff", "ghost"},
                                             {"wait", "ghost"},
                                             {"inspect", "ghost"},
                                             {"stop", "ghost"},
                                             {"export", "-o", dir_ + "/ghost.tar", "ghost"}}) {
    CliResult result = RunCli(args);
    EXPECT_EQ(result.status, 1) << args[0] << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr("no such container: ghost")) << args[0];
  }
  EXPECT_EQ(RunCli({"logs", "--tail", "x", "ghost"}).status, 125);
  EXPECT_EQ(RunCli({"exec", "ghost"}).status, 125);
}

// Errors name the flag the user typed, not the spec field it set.
TEST_F(LifecycleTest, CliErrorsNameFlags) {
  ImportBusybox();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"run", "-e", "=x", "busybox", "true"}, "-e =x: expected NAME=VALUE"},
      {{"run", "-w", "rel", "busybox", "true"}, "-w rel: the working directory must be"},
      {{"run", "--tmpfs", "rel", "busybox", "true"}, "--tmpfs rel (destination): must be"},
      {{"run", "--hostname", "bad!", "busybox", "true"}, "--hostname bad!: invalid character"},
      {{"run", "--cap-add", "NOPE", "busybox", "true"}, "--cap-add NOPE: unknown capability"},
      {{"run", "-d", "--tmpfs", "/t:size=x", "busybox", "true"}, "--tmpfs /t:size=x (options)"},
      {{"run", "-p", "8080:80", "busybox", "true"}, "-p 8080:80: needs --network NAME"},
  };
  for (const auto& [args, expected] : cases) {
    CliResult result = RunCli(args);
    EXPECT_EQ(result.status, 125) << absl::StrJoin(args, " ");
    EXPECT_THAT(result.err, HasSubstr(expected)) << absl::StrJoin(args, " ");
    EXPECT_THAT(result.err, Not(HasSubstr("process."))) << absl::StrJoin(args, " ");
    EXPECT_THAT(result.err, Not(HasSubstr("mounts["))) << absl::StrJoin(args, " ");
  }
  // As Docker's, a start that failed leaves the -d container created.
  absl::StatusOr<std::vector<container::ManagedContainer>> created =
      container::ListContainers({.all = true, .labels = {}});
  ASSERT_TRUE(created.ok()) << created.status();
  for (const container::ManagedContainer& c : *created) {
    EXPECT_TRUE(container::RemoveContainer(c.id(), {}).ok()) << c.name();
  }

  // As in Docker, -e NAME passes the caller's value, and nothing when it
  // is unset.
  setenv("LIFECYCLE_FROM_HOST", "host value", 1);
  unsetenv("LIFECYCLE_UNSET");
  CliResult passed = RunCli({"run", "-e", "LIFECYCLE_FROM_HOST", "-e", "LIFECYCLE_UNSET",
                             "busybox", "sh", "-c",
                             "echo \"$LIFECYCLE_FROM_HOST\"; echo ${LIFECYCLE_UNSET-unset}"});
  unsetenv("LIFECYCLE_FROM_HOST");
  EXPECT_EQ(passed.status, 0) << passed.err;
  EXPECT_EQ(passed.out, "host value\nunset\n");
}

// ps has Docker's PORTS column for running containers.
TEST_F(LifecycleTest, CliPsShowsPorts) {
  ImportBusybox();
  CliResult network = RunCli({"network", "create", "lifecycle-ports"});
  ASSERT_EQ(network.status, 0) << network.err;
  CliResult run = RunCli({"run", "-d", "--name", "porter", "--network", "lifecycle-ports", "-p",
                          "127.0.0.1:18089:80", "-p", "18090:53/udp", "busybox", "sleep",
                          "1000"});
  EXPECT_EQ(run.status, 0) << run.err;
  if (run.status == 0) {
    std::string id = run.out.substr(0, run.out.find('\n'));
    ids_.insert(id);
    absl::StatusOr<container::ManagedContainer> porter = container::ResolveContainer(id);
    ASSERT_TRUE(porter.ok()) << porter.status();
    monitors_.insert(porter->state.monitor_pid());
    CliResult ps = RunCli({"ps"});
    EXPECT_THAT(ps.out, HasSubstr("PORTS"));
    EXPECT_THAT(ps.out, HasSubstr("127.0.0.1:18089->80/tcp, 127.0.0.1:18090->53/udp"));
    EXPECT_TRUE(container::StopContainer("porter", absl::ZeroDuration()).ok());
    CliResult stopped = RunCli({"ps", "-a"});
    EXPECT_THAT(stopped.out, Not(HasSubstr("18089")));
    EXPECT_TRUE(container::RemoveContainer("porter", {}).ok());
  }
  CliResult removed = RunCli({"network", "rm", "lifecycle-ports"});
  EXPECT_EQ(removed.status, 0) << removed.err;
}

// ps cuts a long command with "…" and keeps the columns aligned: the
// CREATED column starts at the same character in the header and the row.
TEST_F(LifecycleTest, CliPsAlignsTruncatedColumns) {
  ImportBusybox();
  absl::StatusOr<container::ManagedContainer> talker =
      StartScript("talker", "echo a long command line that ps has to cut; exec sleep 1000");
  ASSERT_TRUE(talker.ok()) << talker.status();
  CliResult ps = RunCli({"ps"});
  ASSERT_EQ(ps.status, 0) << testing::Describe(ps);
  std::vector<std::string> lines = absl::StrSplit(ps.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << ps.out;
  EXPECT_THAT(lines[1], HasSubstr("…"));
  // Counts the characters, not bytes, before byte offset `byte`.
  auto column = [](const std::string& line, size_t byte) {
    size_t characters = 0;
    for (size_t i = 0; i < byte; ++i) {
      characters += (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
    }
    return characters;
  };
  size_t header = lines[0].find("CREATED");
  size_t created = lines[1].find("ago");
  ASSERT_NE(header, std::string::npos);
  ASSERT_NE(created, std::string::npos);
  size_t row = lines[1].rfind("   ", created);
  ASSERT_NE(row, std::string::npos);
  row = lines[1].find_first_not_of(' ', row);
  EXPECT_EQ(column(lines[1], row), column(lines[0], header)) << ps.out;
  ASSERT_TRUE(container::StopContainer("talker", absl::ZeroDuration()).ok());
  ASSERT_TRUE(container::RemoveContainer("talker", {}).ok());
}

// On the copy driver (no overlay upper directory), diff compares the
// root with the image and lists what an overlay root lists, and commit
// and export have the writes.
TEST_F(LifecycleTest, CopyDriverDiffMatchesOverlay) {
  ImportBusybox();
  const std::string script =
      "echo new > /added; echo changed >> /etc/group; rm /bin/sed; "
      "mkdir -p /made/deep; touch /made/deep/file";
  std::vector<std::string> lines[2];
  const char* const names[2] = {"layered", "copied"};
  for (int copy = 0; copy < 2; ++copy) {
    if (copy == 1) setenv("PYCONTAIN_ROOTFS_DRIVER", "copy", 1);
    absl::StatusOr<container::ManagedContainer> started = StartScript(names[copy], script);
    unsetenv("PYCONTAIN_ROOTFS_DRIVER");
    ASSERT_TRUE(started.ok()) << started.status();
    absl::StatusOr<container::ManagedState> ended = container::WaitContainer(names[copy]);
    ASSERT_TRUE(ended.ok()) << ended.status();
    ASSERT_EQ(ended->exit_code(), 0);
    absl::StatusOr<std::vector<overlay::Change>> changes =
        container::ContainerChanges(names[copy]);
    ASSERT_TRUE(changes.ok()) << names[copy] << ": " << changes.status();
    for (const overlay::Change& change : *changes) {
      lines[copy].push_back(overlay::FormatChange(change));
    }
  }
  absl::StatusOr<container::ManagedContainer> copied = container::ResolveContainer("copied");
  ASSERT_TRUE(copied.ok());
  ASSERT_TRUE(Exists(copied->directory + "/rootfs/added")) << "not on the copy driver";
  for (const char* expected :
       {"A /added", "C /bin", "D /bin/sed", "C /etc", "C /etc/group", "A /made",
        "A /made/deep", "A /made/deep/file"}) {
    EXPECT_THAT(lines[1], Contains(expected));
  }
  EXPECT_EQ(lines[1], lines[0]);
  EXPECT_THAT(Entries(copied->directory), Not(Contains(HasSubstr("diff-base"))));

  absl::StatusOr<std::string> committed = container::CommitContainer(
      "copied", {.names = {"copied:1"}, .comment = "", .pause = true});
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_THAT(Entries(copied->directory), Not(Contains(HasSubstr("commit-layer"))));
  spec::ContainerSpec from_commit;
  from_commit.set_image("copied:1");
  for (const char* arg : {"sh", "-c",
                          "cat /added /made/deep/file; tail -n 1 /etc/group; "
                          "[ -e /bin/sed ] && echo sed-present || echo sed-deleted"}) {
    from_commit.mutable_process()->add_args(arg);
  }
  absl::StatusOr<testing::Output> output = testing::RunCaptured(from_commit);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "new\nchanged\nsed-deleted\n");

  std::string tarball = dir_ + "/copied.tar";
  UniqueFd tar(open(tarball.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(tar.valid());
  ASSERT_TRUE(container::ExportContainer("copied", tar.get()).ok());
  tar.reset();
  std::string listing = dir_ + "/copied.list";
  ASSERT_EQ(system(absl::StrCat("tar -tf ", tarball, " > ", listing).c_str()), 0);
  EXPECT_THAT(ReadFile(listing), HasSubstr("made/deep/file\n"));
  EXPECT_THAT(ReadFile(listing), Not(HasSubstr("bin/sed\n")));

  ASSERT_TRUE(container::RemoveContainer("layered", {}).ok());
  ASSERT_TRUE(container::RemoveContainer("copied", {}).ok());
}

TEST_F(LifecycleTest, KilledMonitorThenGcAndRm) {
  ImportBusybox();
  absl::StatusOr<container::ManagedContainer> doomed = StartScript("doomed", "exec sleep 1000");
  ASSERT_TRUE(doomed.ok()) << doomed.status();
  pid_t monitor = doomed->state.monitor_pid();
  pid_t first = doomed->state.pid();
  ASSERT_TRUE(ProcessAlive(monitor));
  ASSERT_TRUE(ProcessAlive(first));
  ASSERT_FALSE(CgroupsOf(doomed->id()).empty());

  ASSERT_EQ(kill(monitor, SIGKILL), 0);
  // The first process dies with its monitor (PR_SET_PDEATHSIG).
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(first); }));
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(monitor); }));
  absl::StatusOr<container::ManagedContainer> dead = container::ResolveContainer("doomed");
  ASSERT_TRUE(dead.ok()) << dead.status();
  EXPECT_EQ(dead->state.status(), "exited");
  EXPECT_EQ(dead->state.exit_code(), 137);
  EXPECT_THAT(dead->state.error(), HasSubstr("monitor pid"));

  // Orphan cgroups are left out: they belong to no container of this test.
  container::GcOptions options;
  options.orphan_min_age = absl::Seconds(-1);
  absl::StatusOr<container::GcReport> report = container::CollectGarbage(options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->errors, IsEmpty());
  EXPECT_THAT(report->exited, Contains(HasSubstr("doomed")));
  EXPECT_THAT(CgroupsOf(doomed->id()), IsEmpty());
  EXPECT_FALSE(Exists(absl::StrCat(container::StateRoot(), "/", doomed->id())));
  // Like any exited container, it stays until removed, and starts again.
  ASSERT_TRUE(container::StartContainer("doomed").ok());
  absl::StatusOr<container::ManagedContainer> revived = container::ResolveContainer("doomed");
  ASSERT_TRUE(revived.ok());
  EXPECT_TRUE(revived->running());
  monitors_.insert(revived->state.monitor_pid());

  // Killed again, and removed without a gc in between.
  ASSERT_EQ(kill(revived->state.monitor_pid(), SIGKILL), 0);
  EXPECT_TRUE(Eventually([&] { return !ProcessAlive(revived->state.monitor_pid()); }));
  ASSERT_TRUE(container::RemoveContainer("doomed", {}).ok());
  EXPECT_THAT(CgroupsOf(doomed->id()), IsEmpty());
  EXPECT_FALSE(Exists(absl::StrCat(container::StateRoot(), "/", doomed->id())));
  EXPECT_FALSE(Exists(doomed->directory));
}

// As in Docker, an anonymous volume stays the same across starts, and
// prune keeps it while its stopped container exists. `rm -v` and
// auto_remove remove it, but plain `rm` keeps it.
TEST_F(LifecycleTest, AnonymousVolumesFollowContainer) {
  ImportBusybox();
  container::CreateOptions options;
  options.name = "vol";
  options.spec.set_image("busybox");
  spec::Mount* mount = options.spec.add_mounts();
  mount->set_type("volume");
  mount->set_destination("/data");
  for (const char* arg : {"sh", "-c", "cat /data/count 2>/dev/null; echo x >> /data/count"}) {
    options.spec.mutable_process()->add_args(arg);
  }
  absl::StatusOr<container::ManagedContainer> vol = container::CreateContainer(options);
  ASSERT_TRUE(vol.ok()) << vol.status();
  ids_.insert(vol->id());
  ASSERT_EQ(vol->config.anonymous_volumes_size(), 1);
  std::string volume = vol->config.anonymous_volumes(0);

  for (int run = 0; run < 2; ++run) {
    ASSERT_TRUE(container::StartContainer("vol").ok());
    absl::StatusOr<container::ManagedState> ended = container::WaitContainer("vol");
    ASSERT_TRUE(ended.ok()) << ended.status();
    EXPECT_EQ(ended->exit_code(), 0);
  }
  // The second run read what the first wrote.
  EXPECT_THAT(Logs("vol"), Contains("stdout: x\n"));

  absl::StatusOr<container::VolumeStore> volumes = container::VolumeStore::Open("");
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  absl::StatusOr<std::vector<std::string>> pruned = volumes->Prune(/*all=*/false);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_THAT(*pruned, IsEmpty());
  EXPECT_TRUE(volumes->Inspect(volume).ok());

  ASSERT_TRUE(container::RemoveContainer("vol", {}).ok());
  EXPECT_TRUE(volumes->Inspect(volume).ok()) << "plain rm keeps the volume";
  EXPECT_TRUE(volumes->Remove(volume, /*force=*/false).ok());

  options.name = "vol2";
  absl::StatusOr<container::ManagedContainer> vol2 = container::CreateContainer(options);
  ASSERT_TRUE(vol2.ok()) << vol2.status();
  ASSERT_EQ(vol2->config.anonymous_volumes_size(), 1);
  ASSERT_TRUE(container::RemoveContainer("vol2", {.force = false, .volumes = true}).ok());
  EXPECT_EQ(volumes->Inspect(vol2->config.anonymous_volumes(0)).status().code(),
            absl::StatusCode::kNotFound);

  options.name = "vol3";
  options.auto_remove = true;
  absl::StatusOr<container::ManagedContainer> vol3 = container::CreateContainer(options);
  ASSERT_TRUE(vol3.ok()) << vol3.status();
  ids_.insert(vol3->id());
  ASSERT_TRUE(container::StartContainer("vol3").ok());
  EXPECT_TRUE(Eventually([&] {
    return volumes->Inspect(vol3->config.anonymous_volumes(0)).status().code() ==
           absl::StatusCode::kNotFound;
  }));
  EXPECT_TRUE(Eventually([&] { return !Exists(vol3->directory); }));
}

TEST_F(LifecycleTest, NamesAreUniqueAndResolve) {
  ImportBusybox();
  container::CreateOptions options;
  options.name = "dup";
  options.spec.set_image("busybox");
  options.spec.mutable_process()->add_args("true");
  options.labels = {{"com.docker.compose.project", "shop"}, {"tier", "web"}};
  absl::StatusOr<container::ManagedContainer> first = container::CreateContainer(options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state.status(), "created");
  absl::StatusOr<container::ManagedContainer> second = container::CreateContainer(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr(first->short_id()));

  options.name = "";
  options.labels = {{"com.docker.compose.project", "other"}};
  absl::StatusOr<container::ManagedContainer> unnamed = container::CreateContainer(options);
  ASSERT_TRUE(unnamed.ok()) << unnamed.status();
  EXPECT_FALSE(unnamed->name().empty());

  for (const std::string& key : {first->id(), first->short_id(), std::string("dup")}) {
    absl::StatusOr<container::ManagedContainer> found = container::ResolveContainer(key);
    ASSERT_TRUE(found.ok()) << key << ": " << found.status();
    EXPECT_EQ(found->id(), first->id());
  }
  absl::StatusOr<std::vector<container::ManagedContainer>> shop =
      container::ListContainers({.all = true, .labels = {{"com.docker.compose.project", "shop"}}});
  ASSERT_TRUE(shop.ok());
  ASSERT_EQ(shop->size(), 1u);
  EXPECT_EQ((*shop)[0].id(), first->id());
  absl::StatusOr<std::vector<container::ManagedContainer>> any_project =
      container::ListContainers({.all = true, .labels = {{"com.docker.compose.project", ""}}});
  ASSERT_TRUE(any_project.ok());
  EXPECT_EQ(any_project->size(), 2u);

  options.name = "bad/name";
  EXPECT_EQ(container::CreateContainer(options).status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(container::RemoveContainer("dup", {}).ok());
  ASSERT_TRUE(container::RemoveContainer(unnamed->id(), {}).ok());
  // The name is free again once its container is gone.
  options.name = "dup";
  absl::StatusOr<container::ManagedContainer> reused = container::CreateContainer(options);
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_NE(reused->id(), first->id());
  ASSERT_TRUE(container::RemoveContainer("dup", {}).ok());
}

TEST_F(LifecycleTest, StartFailureIsRecorded) {
  ImportBusybox();
  container::CreateOptions options;
  options.name = "broken";
  options.spec.set_image("busybox");
  options.spec.mutable_process()->add_args("/no/such/command");
  absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(options);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::Status started = container::StartContainer("broken");
  EXPECT_FALSE(started.ok());
  absl::StatusOr<container::ManagedContainer> after = container::ResolveContainer("broken");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state.status(), "created");
  EXPECT_EQ(after->state.exit_code(), 127);
  EXPECT_THAT(after->state.error(), HasSubstr("/no/such/command"));
  ASSERT_TRUE(container::RemoveContainer("broken", {}).ok());
}

TEST_F(LifecycleTest, CliDetachedLifecycle) {
  ImportBusybox();
  CliResult run = RunCli({"run", "-d", "--name", "cli1", "-l", "tier=web", "busybox", "sh",
                          "-c", "echo started; exec sleep 1000"});
  ASSERT_EQ(run.status, 0) << run.err;
  std::string id = run.out.substr(0, run.out.find('\n'));
  ASSERT_EQ(id.size(), 64u) << run.out;
  ids_.insert(id);
  absl::StatusOr<container::ManagedContainer> found = container::ResolveContainer("cli1");
  ASSERT_TRUE(found.ok());
  monitors_.insert(found->state.monitor_pid());

  CliResult ps = RunCli({"ps", "--filter", "label=tier=web"});
  EXPECT_EQ(ps.status, 0) << ps.err;
  EXPECT_THAT(ps.out, HasSubstr("cli1"));
  EXPECT_THAT(ps.out, HasSubstr(id.substr(0, 12)));
  EXPECT_THAT(ps.out, HasSubstr("Up "));
  ASSERT_TRUE(Eventually([] { return RunCli({"logs", "cli1"}).out == "started\n"; }));
  CliResult exec = RunCli({"exec", "cli1", "sh", "-c", "echo exec-out; exit 4"});
  EXPECT_EQ(exec.status, 4) << exec.err;
  EXPECT_EQ(exec.out, "exec-out\n");
  CliResult inspect = RunCli({"inspect", "cli1"});
  EXPECT_EQ(inspect.status, 0);
  EXPECT_THAT(inspect.out, HasSubstr("\"Name\": \"/cli1\""));
  EXPECT_THAT(inspect.out, HasSubstr("\"Status\": \"running\""));

  CliResult rm_running = RunCli({"rm", "cli1"});
  EXPECT_EQ(rm_running.status, 1);
  EXPECT_THAT(rm_running.err, HasSubstr("is running"));
  CliResult stop = RunCli({"stop", "-t", "1", "cli1"});
  EXPECT_EQ(stop.status, 0) << stop.err;
  CliResult wait = RunCli({"wait", "cli1"});
  EXPECT_EQ(wait.out, "137\n");
  CliResult ps_all = RunCli({"ps", "-a"});
  EXPECT_THAT(ps_all.out, HasSubstr("Exited (137)"));
  CliResult rm = RunCli({"rm", "cli1"});
  EXPECT_EQ(rm.status, 0) << rm.err;
  CliResult missing = RunCli({"logs", "cli1"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_THAT(missing.err, HasSubstr("no such container: cli1"));
}

// The Debian image: a package removal with dpkg lands in the writable
// layer only, and the committed image has it.
TEST_F(LifecycleTest, DebianDpkgChangeCommits) {
  std::string tarball = dir_ + "/debian.tar";
  std::string command = absl::StrCat("tar -cf ", tarball, " -C ", testing::DebianRoot(), " .");
  ASSERT_EQ(system(command.c_str()), 0) << command;
  image::ImportOptions import;
  import.names = {"debian:test"};
  import.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  ASSERT_TRUE(image::ImportTarball(*store_, tarball, import).ok());
  unlink(tarball.c_str());

  container::CreateOptions options;
  options.name = "deb";
  options.spec.set_image("debian:test");
  for (const char* arg : {"sh", "-c",
                          "dpkg --remove --force-depends usr-is-merged >/dev/null 2>&1; "
                          "dpkg -s usr-is-merged >/dev/null 2>&1 && echo installed || "
                          "echo not-installed"}) {
    options.spec.mutable_process()->add_args(arg);
  }
  absl::StatusOr<container::ManagedContainer> deb = container::CreateContainer(options);
  ASSERT_TRUE(deb.ok()) << deb.status();
  ids_.insert(deb->id());
  ASSERT_TRUE(container::StartContainer("deb").ok());
  absl::StatusOr<container::ManagedState> ended = container::WaitContainer("deb");
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->exit_code(), 0);
  EXPECT_THAT(Logs("deb"), Contains("stdout: not-installed\n"));

  // The status file changed in the writable layer; the image's stays.
  std::string upper_status = deb->upper_directory + "/var/lib/dpkg/status";
  const char kInstalled[] = "Package: usr-is-merged\nStatus: install ok installed\n";
  EXPECT_THAT(ReadFile(upper_status), Not(HasSubstr(kInstalled)));
  EXPECT_THAT(ReadFile(testing::DebianRoot() + "/var/lib/dpkg/status"), HasSubstr(kInstalled));
  absl::StatusOr<std::vector<overlay::Change>> changes = container::ContainerChanges("deb");
  ASSERT_TRUE(changes.ok()) << changes.status();
  std::vector<std::string> lines;
  for (const overlay::Change& change : *changes) lines.push_back(overlay::FormatChange(change));
  EXPECT_THAT(lines, Contains("C /var/lib/dpkg/status"));

  absl::StatusOr<std::string> image =
      container::CommitContainer("deb", {.names = {"debian:removed"}, .comment = "", .pause = true});
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_TRUE(container::RemoveContainer("deb", {}).ok());

  spec::ContainerSpec check;
  check.set_image("debian:removed");
  for (const char* arg : {"sh", "-c",
                          "dpkg -s usr-is-merged >/dev/null 2>&1 && echo installed || "
                          "echo not-installed"}) {
    check.mutable_process()->add_args(arg);
  }
  absl::StatusOr<testing::Output> output = testing::RunCaptured(check);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "not-installed\n");
  // The original image is unchanged.
  check.set_image("debian:test");
  output = testing::RunCaptured(check);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "installed\n");
}


TEST_F(LifecycleTest, ImageOfContainerIsKeptUntilContainerGoes) {
  absl::StatusOr<std::string> id = ImportBusyboxAs({"busybox:latest", "busybox:second"});
  ASSERT_TRUE(id.ok()) << id.status();

  container::CreateOptions options;
  options.name = "keeper";
  options.spec.set_image("busybox");
  options.spec.mutable_process()->add_args("true");
  absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(options);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_EQ(created->config.image_id(), *id);

  // One of two names may go; the image stays under the other.
  EXPECT_TRUE(container::RemoveImageUnlessUsed(*store_, "busybox:latest").ok());
  // Its last name and its id may not, while the stopped container exists.
  for (const std::string& reference : {std::string("busybox:second"), *id}) {
    absl::Status removed = container::RemoveImageUnlessUsed(*store_, reference);
    EXPECT_EQ(removed.code(), absl::StatusCode::kFailedPrecondition) << reference;
    EXPECT_THAT(removed.message(), HasSubstr("container keeper")) << removed;
  }
  CliResult cli = RunCli({"image", "rm", "busybox:second"});
  EXPECT_EQ(cli.status, 125);
  EXPECT_THAT(cli.err, HasSubstr("remove the container first"));
  EXPECT_TRUE(store_->GetImage(*id).ok());

  // Once the container is gone, the CLI removes the image and its blobs.
  ASSERT_TRUE(container::RemoveContainer("keeper", {}).ok());
  CliResult removed = RunCli({"image", "rm", "busybox:second"});
  ASSERT_EQ(removed.status, 0) << testing::Describe(removed);
  EXPECT_THAT(removed.out, HasSubstr("Deleted: "));
  EXPECT_EQ(store_->GetImage(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(testing::Entries(store_->root() + "/blobs/sha256"), ::testing::IsEmpty());
}

// The target of a /proc/.../ns/... link, or "" when it cannot be read.
std::string NamespaceOf(const std::string& path) {
  char target[128];
  ssize_t n = readlink(path.c_str(), target, sizeof(target));
  return n > 0 ? std::string(target, n) : "";
}

// `run --ipc` and `--pid`: host keeps the caller's namespaces, and
// container:NAME joins those of a running container.
TEST_F(LifecycleTest, RunIpcAndPidModes) {
  ImportBusybox();
  absl::StatusOr<container::ManagedContainer> donor = StartScript("donor", "exec sleep 1000");
  ASSERT_TRUE(donor.ok()) << donor.status();
  std::string print = "readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid";

  CliResult host = RunCli({"run", "--rm", "--ipc", "host", "--pid=host", "busybox", "sh", "-c",
                           print});
  ASSERT_EQ(host.status, 0) << testing::Describe(host);
  EXPECT_EQ(host.out, absl::StrCat(NamespaceOf("/proc/self/ns/ipc"), "\n",
                                   NamespaceOf("/proc/self/ns/pid"), "\n"));

  // --ipc host shares the caller's /dev/shm too, as POSIX shared memory
  // lives there.
  std::string shared = absl::StrCat("/dev/shm/lifecycle-test-", getpid());
  testing::WriteFile(shared, "from-host");
  CliResult shm = RunCli({"run", "--rm", "--ipc", "host", "busybox", "cat", shared});
  unlink(shared.c_str());
  EXPECT_EQ(shm.out, "from-host") << testing::Describe(shm);

  CliResult joined = RunCli({"run", "--rm", "--ipc", "container:donor", "--pid",
                             "container:donor", "busybox", "sh", "-c", print});
  ASSERT_EQ(joined.status, 0) << testing::Describe(joined);
  std::string proc = absl::StrCat("/proc/", donor->state.pid(), "/ns/");
  EXPECT_EQ(joined.out, absl::StrCat(NamespaceOf(proc + "ipc"), "\n",
                                     NamespaceOf(proc + "pid"), "\n"));

  CliResult isolated = RunCli({"run", "--rm", "--ipc", "private", "busybox", "sh", "-c", print});
  ASSERT_EQ(isolated.status, 0) << testing::Describe(isolated);
  EXPECT_THAT(isolated.out, ::testing::Not(HasSubstr(NamespaceOf("/proc/self/ns/ipc"))));

  CliResult bad = RunCli({"run", "--ipc", "bogus", "busybox", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_THAT(bad.err, HasSubstr("--ipc: unknown mode \"bogus\""));

  ASSERT_TRUE(container::StopContainer("donor", absl::Seconds(1)).ok());
  ASSERT_TRUE(container::RemoveContainer("donor", {}).ok());
}

// `image prune` removes dangling images that no container uses, and with
// -a every image that no container uses.
TEST_F(LifecycleTest, ImagePruneSkipsImagesInUse) {
  absl::StatusOr<std::string> named = ImportBusyboxAs({"busybox:latest"});
  ASSERT_TRUE(named.ok()) << named.status();
  std::string upper = dir_ + "/upper";
  ASSERT_EQ(mkdir(upper.c_str(), 0755), 0);
  image::CommitOptions commit;
  commit.comment = "unused";
  absl::StatusOr<std::string> unused = image::CommitDirectory(*store_, *named, upper, commit);
  ASSERT_TRUE(unused.ok()) << unused.status();
  commit.comment = "used";
  absl::StatusOr<std::string> used = image::CommitDirectory(*store_, *named, upper, commit);
  ASSERT_TRUE(used.ok()) << used.status();
  ASSERT_NE(*unused, *used);
  container::CreateOptions options;
  options.name = "pruned-user";
  options.spec.set_image(*used);
  options.spec.mutable_process()->add_args("true");
  ASSERT_TRUE(container::CreateContainer(options).ok());

  CliResult pruned = RunCli({"image", "prune"});
  ASSERT_EQ(pruned.status, 0) << testing::Describe(pruned);
  EXPECT_THAT(pruned.out, HasSubstr(absl::StrCat("Deleted: ", *unused)));
  EXPECT_THAT(pruned.out, ::testing::Not(HasSubstr(*used)));
  EXPECT_EQ(store_->GetImage(*unused).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->GetImage(*used).ok()) << "in use by a container";
  EXPECT_TRUE(store_->GetImage("busybox:latest").ok()) << "named";

  ASSERT_TRUE(container::RemoveContainer("pruned-user", {}).ok());
  CliResult all = RunCli({"image", "prune", "-a"});
  ASSERT_EQ(all.status, 0) << testing::Describe(all);
  EXPECT_EQ(store_->GetImage(*used).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetImage(*named).status().code(), absl::StatusCode::kNotFound);

  CliResult bad = RunCli({"image", "prune", "--bogus"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_THAT(bad.err, HasSubstr("unexpected argument \"--bogus\""));
}

}  // namespace
}  // namespace pycontain
