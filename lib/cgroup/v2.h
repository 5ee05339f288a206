// V2Cgroup: one cgroup v2 directory, as a whole backend on unified hosts and
// as the tracking cgroup of hybrid hosts. Internal to lib/cgroup.
//
// Minimum kernel: 4.5; cgroup.freeze needs 5.2, CLONE_INTO_CGROUP 5.7 and
// cgroup.kill 5.14 (without it, KillAll freezes and kills each process).
//
// Thread safety: thread-compatible.
#ifndef PYCONTAIN_LIB_CGROUP_V2_H_
#define PYCONTAIN_LIB_CGROUP_V2_H_

#include <memory>
#include <string>
#include <vector>

#include "lib/cgroup/backend.h"
#include "lib/cgroup/files.h"

namespace pycontain::cgroup {

class V2Cgroup : public Backend {
 public:
  // Creates <mount>/<parent>/<id> with `controllers` enabled for it (each
  // level above passes them down through cgroup.subtree_control).
  static absl::StatusOr<std::unique_ptr<V2Cgroup>> Create(
      const std::string& mount, const std::string& parent, const std::string& id,
      const std::vector<std::string>& controllers);
  ~V2Cgroup() override;

  const std::string& path() const { return path_; }
  const std::string& relative_path() const { return relative_; }
  const CgroupDir& dir() const { return dir_; }

  ControllerDirs dirs() const override;
  int clone_fd() const override { return dir_.fd(); }
  bool NeedsAttach() const override { return false; }
  absl::Status Attach(pid_t pid, bool with_clone_cgroup) override;
  absl::Status Freeze() override { return SetFrozen(true); }
  absl::Status Thaw() override { return SetFrozen(false); }
  absl::Status KillAll() override;
  absl::StatusOr<bool> Populated() const override;
  absl::Status Remove() override;
  void Describe(spec::EnforcementReceipt* receipt) const override;
  std::vector<std::string> Directories() const override {
    return removed_ ? std::vector<std::string>{} : std::vector<std::string>{path_};
  }

 private:
  V2Cgroup() = default;
  bool Has(absl::string_view controller) const;
  absl::Status SetFrozen(bool frozen);

  std::string id_;
  std::string path_;
  std::string relative_;
  std::vector<std::string> controllers_;
  CgroupDir dir_;
  bool removed_ = false;
};

// Sends SIGKILL to each process listed in dir's cgroup.procs.
absl::Status KillListed(const CgroupDir& dir);

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_V2_H_
