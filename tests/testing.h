// Shared helpers for pycontain's integration tests: the test root
// filesystems, running a container with its output captured, and the leak
// checks every test ends with.
#ifndef PYCONTAIN_TESTS_TESTING_H_
#define PYCONTAIN_TESTS_TESTING_H_

#include <sys/types.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/spec/container.pb.h"

namespace pycontain::testing {

// The busybox and Debian root filesystems that scripts/make-test-rootfs
// builds, from PYCONTAIN_TEST_BUSYBOX_ROOTFS and PYCONTAIN_TEST_DEBIAN_ROOTFS.
// Fails the calling test (and returns "") when the variable is unset.
std::string BusyboxRoot();
std::string DebianRoot();

// Returns a spec that runs `args` in `root` (empty: the embedded default).
spec::ContainerSpec SpecFor(const std::string& root, std::vector<std::string> args);

struct Output {
  spec::RunResult result;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `spec` with stdout and stderr captured in memory files.
absl::StatusOr<Output> RunCaptured(spec::ContainerSpec spec);

// Returns a descriptor whose contents a container may write (a memfd), and
// reads it back.
int MakeCaptureFile();
std::string ReadCaptureFile(int fd);

// What a test must leave as it found it: the host's mount table, the
// state directory's entries, the test process's children, and loop
// devices backed by files under $TEST_TMPDIR (such as a test store's
// squashfs layers).
struct HostSnapshot {
  std::vector<std::string> mounts;
  std::vector<std::string> state_entries;
  std::vector<std::string> loop_devices;
};
HostSnapshot TakeSnapshot();

// Adds a test failure for each mount, state entry or loop device that
// `before` lacks, and for each child process left unreaped. Squashfs layer
// mounts of image stores under $TEST_TMPDIR are store-owned, not leaks:
// they are detached first, and their loop devices must go with them.
// Mounts in other test binaries' temporary directories are theirs.
void ExpectNothingLeaked(const HostSnapshot& before);

// Returns the whole text of `path`, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

// Writes `text` to `path` and sets its mode.
void WriteFile(const std::string& path, const std::string& text, mode_t mode = 0644);

// Returns the names in directory `path` other than "." and "..", or none
// when it cannot be opened.
std::vector<std::string> Entries(const std::string& path);
std::set<std::string> EntrySet(const std::string& path);

// Returns whether `path` exists. A dangling symlink counts.
bool Exists(const std::string& path);

// Returns the cgroup directories of container `id` in every hierarchy.
std::vector<std::string> CgroupsOf(const std::string& id);

// Returns whether process `pid` runs and is not a zombie.
bool ProcessAlive(pid_t pid);

// Checks `condition` every 20 ms until it is true or `timeout` passes, and
// returns its last value.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(15));

// Waits up to two seconds for the loop devices backed by files under `dir`
// to be detached. The kernel frees a container's mount namespace, and with
// it the last mount of a layer, asynchronously after the container exits.
void WaitForLoopDevicesUnder(const std::string& dir);

// The outcome of one run of the `pycontain` CLI. `status` is -1 when the
// CLI did not exit normally.
struct CliResult {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs the CLI with `args`. The test target needs //examples/cli:pycontain
// in its data.
CliResult RunCli(const std::vector<std::string>& args);

// Formats the exit status and both outputs for a failure message.
std::string Describe(const CliResult& result);

}  // namespace pycontain::testing

#endif  // PYCONTAIN_TESTS_TESTING_H_
