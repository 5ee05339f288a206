// Shared helpers for pycontain's integration tests: the test root
// filesystems, running a container with its output captured, and the leak
// checks every test ends with.
#ifndef PYCONTAIN_TESTS_TESTING_H_
#define PYCONTAIN_TESTS_TESTING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
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

}  // namespace pycontain::testing

#endif  // PYCONTAIN_TESTS_TESTING_H_
