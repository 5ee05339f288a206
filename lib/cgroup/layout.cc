#include "lib/cgroup/layout.h"

#include <errno.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/status.h"
#include "lib/cgroup/files.h"

namespace pycontain::cgroup {
namespace {

// The v1 controllers of Linux. Other superblock options ("rw",
// "clone_children", "name=systemd") are not controllers.
constexpr absl::string_view kV1Controllers[] = {
    "blkio",   "cpu",      "cpuacct", "cpuset", "devices", "freezer", "hugetlb",
    "memory",  "misc",     "net_cls", "net_prio", "perf_event", "pids", "rdma"};

bool IsV1Controller(absl::string_view option) {
  return std::find(std::begin(kV1Controllers), std::end(kV1Controllers), option) !=
         std::end(kV1Controllers);
}

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
std::string Unescape(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && absl::ascii_isdigit(text[i + 1])) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 +
                                      (text[i + 2] - '0') * 8 + (text[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

struct MountLine {
  std::string mount_point;
  std::string fstype;
  std::string super_options;
};

absl::StatusOr<MountLine> ParseLine(absl::string_view line) {
  std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
  auto separator = std::find(fields.begin(), fields.end(), "-");
  if (fields.size() < 10 || separator == fields.end() ||
      fields.end() - separator < 4 || separator - fields.begin() < 6) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a mountinfo line: \"", absl::CEscape(line), "\""));
  }
  MountLine mount;
  mount.mount_point = Unescape(fields[4]);
  mount.fstype = std::string(separator[1]);
  mount.super_options = std::string(separator[3]);
  return mount;
}

}  // namespace

absl::string_view LayoutKindName(LayoutKind kind) {
  switch (kind) {
    case LayoutKind::kUnified:
      return "unified";
    case LayoutKind::kLegacy:
      return "legacy";
    case LayoutKind::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

const V1Hierarchy* CgroupLayout::FindV1(absl::string_view controller) const {
  for (const V1Hierarchy& hierarchy : v1) {
    for (const std::string& name : hierarchy.controllers) {
      if (name == controller) return &hierarchy;
    }
  }
  return nullptr;
}

absl::StatusOr<CgroupLayout> ParseMountinfo(absl::string_view mountinfo) {
  CgroupLayout layout;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    absl::StatusOr<MountLine> mount = ParseLine(line);
    if (!mount.ok()) return mount.status();
    if (mount->fstype == "cgroup2") {
      if (layout.unified_mount.empty()) layout.unified_mount = mount->mount_point;
      continue;
    }
    if (mount->fstype != "cgroup") continue;
    V1Hierarchy hierarchy;
    hierarchy.mount_point = mount->mount_point;
    for (absl::string_view option : absl::StrSplit(mount->super_options, ',')) {
      if (IsV1Controller(option)) hierarchy.controllers.emplace_back(option);
    }
    // The first mount of a controller counts; a bind mount of the same
    // hierarchy elsewhere adds nothing.
    if (hierarchy.controllers.empty() ||
        layout.FindV1(hierarchy.controllers[0]) != nullptr) {
      continue;
    }
    layout.v1.push_back(std::move(hierarchy));
  }
  if (layout.v1.empty() && layout.unified_mount.empty()) {
    return absl::NotFoundError("no cgroup hierarchy is mounted (checked mountinfo)");
  }
  if (layout.v1.empty()) {
    layout.kind = LayoutKind::kUnified;
  } else {
    layout.kind = layout.unified_mount.empty() ? LayoutKind::kLegacy : LayoutKind::kHybrid;
  }
  return layout;
}

absl::StatusOr<CgroupLayout> DetectLayout() {
  absl::StatusOr<std::string> mountinfo = ReadWholeFile("/proc/self/mountinfo");
  if (!mountinfo.ok()) return mountinfo.status();
  absl::StatusOr<CgroupLayout> layout = ParseMountinfo(*mountinfo);
  if (!layout.ok()) return layout.status();

  // A cgroup2 file system at the standard place is a unified host, whatever
  // v1 hierarchies a tool may have mounted elsewhere.
  struct statfs info;
  if (statfs("/sys/fs/cgroup", &info) == 0 && info.f_type == CGROUP2_SUPER_MAGIC) {
    layout->kind = LayoutKind::kUnified;
    layout->unified_mount = "/sys/fs/cgroup";
    layout->v1.clear();
  }

  if (!layout->unified_mount.empty()) {
    absl::StatusOr<std::string> controllers =
        ReadWholeFile(absl::StrCat(layout->unified_mount, "/cgroup.controllers"));
    if (!controllers.ok()) return controllers.status();
    layout->unified_controllers =
        absl::StrSplit(absl::StripAsciiWhitespace(*controllers), ' ', absl::SkipEmpty());
  }
  return layout;
}

}  // namespace pycontain::cgroup
