// The cpuset controller: allowed CPUs and memory nodes. The file names are
// the same on v1 and v2.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/cgroup/controllers.h"
#include "lib/cgroup/machine.h"

namespace pycontain::cgroup {
namespace {

// Returns the list in `name` normalized ("0-1"), or "" when unreadable.
std::string ReadList(const CgroupDir& dir, absl::string_view name) {
  absl::StatusOr<std::string> text = dir.Read(name);
  if (!text.ok()) return "";
  absl::StatusOr<std::set<int>> numbers = ParseCpuList(*text);
  if (!numbers.ok()) return std::string(absl::StripAsciiWhitespace(*text));
  return FormatCpuList(*numbers);
}

}  // namespace

absl::Status ApplyCpuset(const ControllerDirs& dirs, const spec::Resources& r) {
  if (dirs.cpuset == nullptr) return absl::OkStatus();
  if (!r.cpuset_cpus().empty()) {
    absl::Status status = dirs.cpuset->Write("cpuset.cpus", r.cpuset_cpus());
    if (!status.ok()) return FieldStatus(status, "cpuset_cpus");
  }
  if (!r.cpuset_mems().empty()) {
    absl::Status status = dirs.cpuset->Write("cpuset.mems", r.cpuset_mems());
    if (!status.ok()) return FieldStatus(status, "cpuset_mems");
  }
  return absl::OkStatus();
}

void ReadCpusetReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt) {
  if (dirs.cpuset == nullptr) return;
  // The effective lists are what the scheduler uses; on v2 an empty
  // cpuset.cpus means "the parent's".
  const char* cpus = dirs.cpuset->Has("cpuset.effective_cpus") ? "cpuset.effective_cpus"
                                                               : "cpuset.cpus";
  const char* mems = dirs.cpuset->Has("cpuset.effective_mems") ? "cpuset.effective_mems"
                                                               : "cpuset.mems";
  receipt->set_cpuset_cpus(ReadList(*dirs.cpuset, cpus));
  receipt->set_cpuset_mems(ReadList(*dirs.cpuset, mems));
}

}  // namespace pycontain::cgroup
