#include "tests/testing.h"

#include <dirent.h>
#include <glob.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "lib/container/record.h"
#include "lib/container/state_dir.h"

namespace pycontain::testing {
namespace {

std::string RootFromEnvironment(const char* variable) {
  const char* value = getenv(variable);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << variable
                  << " is not set: run the tests with scripts/test, which builds "
                     "the test root filesystems";
    return "";
  }
  return value;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  return lines;
}

// Mount table lines without the mount ids, which change between reads.
std::vector<std::string> MountPoints() {
  std::vector<std::string> points;
  for (const std::string& line : ReadLines("/proc/self/mountinfo")) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 4) points.push_back(fields[4]);
  }
  std::sort(points.begin(), points.end());
  return points;
}

std::vector<std::string> StateEntries() {
  std::vector<std::string> entries;
  DIR* dir = opendir(container::StateRoot().c_str());
  if (dir == nullptr) return entries;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    // Names that are no container id ("_networks", "_seccomp") hold state
    // shared by all containers, not a container's own.
    if (name[0] != '.' && name[0] != '_') entries.push_back(name);
  }
  closedir(dir);
  std::sort(entries.begin(), entries.end());
  return entries;
}

// Attached loop devices ("loop3 /path/to/file") whose backing file lies
// under this test's $TEST_TMPDIR; other tests' devices are theirs.
std::vector<std::string> OwnLoopDevices() {
  std::vector<std::string> devices;
  const char* tmpdir = getenv("TEST_TMPDIR");
  if (tmpdir == nullptr || tmpdir[0] == '\0') return devices;
  DIR* dir = opendir("/sys/block");
  if (dir == nullptr) return devices;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name.rfind("loop", 0) != 0) continue;
    std::vector<std::string> lines =
        ReadLines(absl::StrCat("/sys/block/", name, "/loop/backing_file"));
    if (!lines.empty() && lines[0].rfind(tmpdir, 0) == 0) {
      devices.push_back(absl::StrCat(name, " ", lines[0]));
    }
  }
  closedir(dir);
  std::sort(devices.begin(), devices.end());
  return devices;
}

// Whether `path` lies in the temporary directory of another test binary:
// Bazel gives each its own $TEST_TMPDIR under one parent, and a test's
// image store there mounts squashfs layers in the shared mount table.
bool InOtherTestsDirectory(const std::string& path) {
  const char* tmpdir = getenv("TEST_TMPDIR");
  if (tmpdir == nullptr || tmpdir[0] == '\0') return false;
  std::string own = tmpdir;
  while (own.size() > 1 && own.back() == '/') own.pop_back();
  std::string parent = own.substr(0, own.rfind('/') + 1);
  return parent.size() > 1 && path.rfind(parent, 0) == 0 && path.rfind(own + "/", 0) != 0;
}

// Bazel runs test binaries side by side; each gets its own state root, so
// one binary's running containers never look like another's leftovers.
const bool kStateRootIsolated = [] {
  const char* tmpdir = getenv("TEST_TMPDIR");
  if (tmpdir != nullptr && getenv("PYCONTAIN_STATE_DIR") == nullptr) {
    setenv("PYCONTAIN_STATE_DIR", (std::string(tmpdir) + "/pycontain-state").c_str(), 1);
  }
  return true;
}();

}  // namespace

std::string BusyboxRoot() { return RootFromEnvironment("PYCONTAIN_TEST_BUSYBOX_ROOTFS"); }
std::string DebianRoot() { return RootFromEnvironment("PYCONTAIN_TEST_DEBIAN_ROOTFS"); }

spec::ContainerSpec SpecFor(const std::string& root, std::vector<std::string> args) {
  spec::ContainerSpec spec;
  if (!root.empty()) spec.mutable_root()->set_path(root);
  for (std::string& arg : args) spec.mutable_process()->add_args(std::move(arg));
  return spec;
}

int MakeCaptureFile() { return memfd_create("pycontain-test-output", MFD_CLOEXEC); }

std::string ReadCaptureFile(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  off_t offset = 0;
  while ((n = pread(fd, buffer, sizeof(buffer), offset)) > 0) {
    text.append(buffer, n);
    offset += n;
  }
  return text;
}

absl::StatusOr<Output> RunCaptured(spec::ContainerSpec spec) {
  int out = MakeCaptureFile();
  int err = MakeCaptureFile();
  spec.mutable_process()->mutable_stdio()->set_stdout_fd(out);
  spec.mutable_process()->mutable_stdio()->set_stderr_fd(err);
  absl::StatusOr<spec::RunResult> result = container::Run(spec);
  Output output;
  output.stdout_text = ReadCaptureFile(out);
  output.stderr_text = ReadCaptureFile(err);
  close(out);
  close(err);
  if (!result.ok()) return result.status();
  output.result = *result;
  return output;
}

HostSnapshot TakeSnapshot() { return {MountPoints(), StateEntries(), OwnLoopDevices()}; }

// Detaches the squashfs layer mounts of image stores under this test's
// $TEST_TMPDIR ("<store>/layers/<64 hex>.mnt"). The store owns them and
// keeps them after its containers end; the test's store is about to be
// removed, so its mounts go first, and with them their loop devices.
void DetachOwnStoreMounts() {
  const char* tmpdir = getenv("TEST_TMPDIR");
  if (tmpdir == nullptr || tmpdir[0] == '\0') return;
  std::string own = absl::StrCat(tmpdir, "/");
  for (const std::string& mount : MountPoints()) {
    if (mount.rfind(own, 0) != 0 || !absl::EndsWith(mount, ".mnt")) continue;
    size_t slash = mount.rfind('/');
    std::string name = mount.substr(slash + 1);
    bool layer_name = name.size() == 64 + 4 &&
                      name.find_first_not_of("0123456789abcdef") == 64;
    if (layer_name && absl::EndsWith(mount.substr(0, slash), "/layers")) {
      umount2(mount.c_str(), MNT_DETACH);
    }
  }
}

void ExpectNothingLeaked(const HostSnapshot& before) {
  DetachOwnStoreMounts();
  HostSnapshot after = TakeSnapshot();
  for (const std::string& mount : after.mounts) {
    if (InOtherTestsDirectory(mount)) continue;
    EXPECT_TRUE(std::count(before.mounts.begin(), before.mounts.end(), mount) >=
                std::count(after.mounts.begin(), after.mounts.end(), mount))
        << "mount left behind: " << mount;
  }
  for (const std::string& entry : after.state_entries) {
    EXPECT_TRUE(std::find(before.state_entries.begin(), before.state_entries.end(),
                          entry) != before.state_entries.end())
        << "state directory left behind: " << container::StateRoot() << "/" << entry;
  }
  for (const std::string& device : after.loop_devices) {
    EXPECT_TRUE(std::find(before.loop_devices.begin(), before.loop_devices.end(), device) !=
                before.loop_devices.end())
        << "loop device left attached: " << device;
  }
  siginfo_t info = {};
  int result = waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  int err = errno;
  EXPECT_EQ(result, -1) << "a child process is left: pid " << info.si_pid;
  if (result == -1) EXPECT_EQ(err, ECHILD) << "waitid failed: " << strerror(err);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream out(path);
  out << text;
  out.close();
  chmod(path.c_str(), mode);
}

std::vector<std::string> Entries(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return names;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(dir);
  return names;
}

std::set<std::string> EntrySet(const std::string& path) {
  std::vector<std::string> names = Entries(path);
  return std::set<std::string>(names.begin(), names.end());
}

bool Exists(const std::string& path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0;
}

std::vector<std::string> CgroupsOf(const std::string& id) {
  std::vector<std::string> found;
  for (const std::string& pattern : {absl::StrCat("/sys/fs/cgroup/*/pycontain/", id),
                                     absl::StrCat("/sys/fs/cgroup/pycontain/", id)}) {
    glob_t matches;
    if (glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) found.push_back(matches.gl_pathv[i]);
    }
    globfree(&matches);
  }
  return found;
}

bool ProcessAlive(pid_t pid) { return pid > 0 && kill(pid, 0) == 0 && !container::IsZombie(pid); }

bool Eventually(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return condition();
}

void WaitForLoopDevicesUnder(const std::string& dir) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    bool attached = false;
    for (const std::string& name : Entries("/sys/block")) {
      if (!absl::StartsWith(name, "loop")) continue;
      std::string backing = ReadFile(absl::StrCat("/sys/block/", name, "/loop/backing_file"));
      if (absl::StartsWith(backing, dir)) attached = true;
    }
    if (!attached) return;
    usleep(10000);
  }
}

CliResult RunCli(const std::vector<std::string>& args) {
  std::string binary = absl::StrCat(getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"),
                                    "/examples/cli/pycontain");
  int out = MakeCaptureFile();
  int err = MakeCaptureFile();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
  std::vector<std::string> copies = args;
  std::vector<char*> argv = {binary.data()};
  for (std::string& arg : copies) argv.push_back(arg.data());
  argv.push_back(nullptr);
  CliResult result;
  pid_t pid;
  if (posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  result.out = ReadCaptureFile(out);
  result.err = ReadCaptureFile(err);
  close(out);
  close(err);
  return result;
}

std::string Describe(const CliResult& result) {
  return absl::StrCat("exit ", result.status, "\nstdout:\n", result.out, "\nstderr:\n",
                      result.err);
}

}  // namespace pycontain::testing
