// Helpers for the security tests: running tests/probe/seccomp_probe inside
// a container and reading its "NAME=ERRNO" lines.
#ifndef PYCONTAIN_TESTS_SECURITY_TESTING_H_
#define PYCONTAIN_TESTS_SECURITY_TESTING_H_

#include <map>
#include <string>
#include <vector>

#include "lib/spec/container.pb.h"

namespace pycontain::testing {

// The probe's host path, from the test's runfiles.
std::string ProbePath();

// A root filesystem holding only the probe, at /probe, made once per test
// binary under TEST_TMPDIR.
std::string ProbeRoot();

// Returns `spec` set to run the probe with `probes` in ProbeRoot().
spec::ContainerSpec ProbeSpec(const std::vector<std::string>& probes,
                              spec::ContainerSpec spec = {});

// Parses the probe's output into NAME -> errno (0: success, -1: read an
// empty file). Lines such as "sigsys=110" are included too.
std::map<std::string, long> ProbeResults(const std::string& output);

// Returns a profile JSON with `default_action` and the given syscalls
// entries (already JSON objects).
std::string Profile(const std::string& default_action,
                    const std::vector<std::string>& entries,
                    const std::string& extra = "");

// Runs the probe with `probes` in learning mode and returns the learned
// system call names except getppid, each quoted and comma-separated, for
// a profile's "names". Returns "" (and fails the test) on error.
std::string LearnProbe(const std::vector<std::string>& probes);

}  // namespace pycontain::testing

#endif  // PYCONTAIN_TESTS_SECURITY_TESTING_H_
