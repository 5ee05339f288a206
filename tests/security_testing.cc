#include "tests/security_testing.h"

#include <limits.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "lib/security/seccomp_profile.h"
#include "tests/testing.h"

namespace pycontain::testing {

std::string ProbePath() {
  char resolved[PATH_MAX];
  if (realpath("tests/probe/seccomp_probe", resolved) == nullptr) {
    ADD_FAILURE() << "tests/probe/seccomp_probe is missing from the runfiles";
    return "";
  }
  return resolved;
}

std::string ProbeRoot() {
  static const std::string* const root = [] {
    const char* tmpdir = getenv("TEST_TMPDIR");
    auto* path = new std::string(absl::StrCat(tmpdir != nullptr ? tmpdir : "/tmp",
                                              "/probe-root"));
    std::string command = absl::StrCat("mkdir -p ", *path, "/tmp && cp ", ProbePath(), " ",
                                       *path, "/probe");
    if (system(command.c_str()) != 0) ADD_FAILURE() << "failed: " << command;
    return path;
  }();
  return *root;
}

spec::ContainerSpec ProbeSpec(const std::vector<std::string>& probes, spec::ContainerSpec spec) {
  spec.mutable_root()->set_path(ProbeRoot());
  spec.mutable_process()->clear_args();
  spec.mutable_process()->add_args("/probe");
  for (const std::string& probe : probes) spec.mutable_process()->add_args(probe);
  return spec;
}

std::map<std::string, long> ProbeResults(const std::string& output) {
  std::map<std::string, long> results;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    size_t equals = line.rfind('=');
    long value = 0;
    if (equals == absl::string_view::npos ||
        !absl::SimpleAtoi(line.substr(equals + 1), &value)) {
      continue;
    }
    results[std::string(line.substr(0, equals))] = value;
  }
  return results;
}

std::string Profile(const std::string& default_action, const std::vector<std::string>& entries,
                    const std::string& extra) {
  return absl::StrCat(R"({"defaultAction": ")", default_action, "\"", extra,
                      R"(, "syscalls": [)", absl::StrJoin(entries, ", "), "]}");
}

std::string LearnProbe(const std::vector<std::string>& probes) {
  std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/probe-learned.json");
  spec::ContainerSpec spec;
  spec.mutable_security()->mutable_seccomp()->set_mode(spec::Seccomp::LEARN);
  spec.mutable_security()->mutable_seccomp()->set_learn_output_path(path);
  absl::StatusOr<Output> output = RunCaptured(ProbeSpec(probes, spec));
  if (!output.ok()) {
    ADD_FAILURE() << output.status();
    return "";
  }
  std::ifstream file(path);
  std::stringstream json;
  json << file.rdbuf();
  absl::StatusOr<security::SeccompProfileJson> profile =
      security::ParseSeccompProfile(json.str());
  if (!profile.ok() || profile->syscalls_size() != 1) {
    ADD_FAILURE() << "unexpected learned profile: " << json.str();
    return "";
  }
  std::vector<std::string> names;
  for (const std::string& name : profile->syscalls(0).names()) {
    if (name != "getppid") names.push_back(absl::StrCat("\"", name, "\""));
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace pycontain::testing
