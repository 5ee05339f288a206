// Cgroup layout detection: which cgroup hierarchies a host mounts, and where.
//
// Hosts come in three layouts:
//   - unified: one cgroup2 mount that contains every controller (cgroup v2);
//   - legacy: only cgroup v1 hierarchies, one or more controllers each;
//   - hybrid: v1 hierarchies hold the controllers and a cgroup2 mount without
//     controllers sits beside them (systemd's /sys/fs/cgroup/unified).
// pycontain applies limits through v1 on hybrid hosts and uses the v2 mount
// only to track, freeze and kill the container's processes.
//
//   absl::StatusOr<CgroupLayout> layout = DetectLayout();
//   if (layout.ok() && layout->kind == LayoutKind::kUnified) ...
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_CGROUP_LAYOUT_H_
#define PYCONTAIN_LIB_CGROUP_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pycontain::cgroup {

enum class LayoutKind { kUnified, kLegacy, kHybrid };

// Returns "unified", "legacy" or "hybrid".
absl::string_view LayoutKindName(LayoutKind kind);

// One mounted cgroup v1 hierarchy.
struct V1Hierarchy {
  // The mount point, such as "/sys/fs/cgroup/memory".
  std::string mount_point;
  // Controllers bound to it, such as {"cpu", "cpuacct"}. Named hierarchies
  // without controllers ("name=systemd") are not listed at all.
  std::vector<std::string> controllers;
};

struct CgroupLayout {
  LayoutKind kind = LayoutKind::kUnified;
  // The cgroup2 mount point; empty on legacy hosts.
  std::string unified_mount;
  // Controllers the v2 root offers (its cgroup.controllers); filled by
  // DetectLayout, not by ParseMountinfo.
  std::vector<std::string> unified_controllers;
  std::vector<V1Hierarchy> v1;

  // Returns the v1 hierarchy that contains `controller`, or nullptr.
  const V1Hierarchy* FindV1(absl::string_view controller) const;
};

// Parses /proc/self/mountinfo text. A cgroup2 mount with v1 hierarchies
// beside it makes the layout hybrid. When a hierarchy is mounted twice, the
// first mount counts. Errors: NotFound when no cgroup hierarchy is mounted;
// InvalidArgument for a line that is not mountinfo.
absl::StatusOr<CgroupLayout> ParseMountinfo(absl::string_view mountinfo);

// Reads /proc/self/mountinfo, then the v2 root's cgroup.controllers.
// statfs on /sys/fs/cgroup confirms the kind: a cgroup2 filesystem there
// means unified even when stray v1 mounts exist elsewhere.
absl::StatusOr<CgroupLayout> DetectLayout();

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_LAYOUT_H_
