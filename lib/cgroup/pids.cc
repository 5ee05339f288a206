// The pids controller: the task limit and its peak. The file names are the
// same on v1 and v2.
#include "absl/strings/str_cat.h"
#include "lib/cgroup/controllers.h"

namespace pycontain::cgroup {

absl::Status ApplyPids(const ControllerDirs& dirs, const spec::Resources& r) {
  if (dirs.pids == nullptr || r.pids_limit() <= 0) return absl::OkStatus();
  absl::Status status = dirs.pids->Write("pids.max", absl::StrCat(r.pids_limit()));
  if (!status.ok()) return FieldStatus(status, "pids_limit");
  return absl::OkStatus();
}

void ReadPidsReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt) {
  if (dirs.pids == nullptr) return;
  absl::StatusOr<int64_t> limit = dirs.pids->ReadInt("pids.max");
  if (limit.ok()) receipt->set_pids_limit(*limit);
}

void ReadPidsAccounting(const ControllerDirs& dirs, spec::Accounting* accounting) {
  if (dirs.pids == nullptr) return;
  // Older kernels have no pids.peak, so the read fails and the peak stays
  // unset.
  absl::StatusOr<int64_t> peak = dirs.pids->ReadInt("pids.peak");
  if (peak.ok()) accounting->set_pids_peak(*peak);
}

void KeepPidsAccountingOpen(const ControllerDirs& dirs) {
  if (dirs.pids != nullptr) dirs.pids->KeepOpen("pids.peak");
}

}  // namespace pycontain::cgroup
