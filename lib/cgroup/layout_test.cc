#include "lib/cgroup/layout.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace pycontain::cgroup {
namespace {

// Bazel runs tests in the runfiles tree, where data files keep their
// workspace paths.
std::string ReadFixture(const std::string& name) {
  std::ifstream file("lib/cgroup/testdata/" + name);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string> ControllersAt(const CgroupLayout& layout, const std::string& mount) {
  for (const V1Hierarchy& hierarchy : layout.v1) {
    if (hierarchy.mount_point == mount) return hierarchy.controllers;
  }
  return {};
}

TEST(ParseMountinfoTest, HybridHost) {
  std::string text = ReadFixture("hybrid.mountinfo");
  ASSERT_FALSE(text.empty());
  absl::StatusOr<CgroupLayout> layout = ParseMountinfo(text);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->kind, LayoutKind::kHybrid);
  EXPECT_EQ(layout->unified_mount, "/sys/fs/cgroup/unified");
  // Eight controllers, each in its own hierarchy; name=systemd is no
  // controller.
  EXPECT_EQ(layout->v1.size(), 8u);
  ASSERT_NE(layout->FindV1("memory"), nullptr);
  EXPECT_EQ(layout->FindV1("memory")->mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(layout->FindV1("systemd"), nullptr);
  EXPECT_EQ(layout->FindV1("hugetlb"), nullptr);
}

TEST(ParseMountinfoTest, LegacyHostWithCoMountedControllers) {
  absl::StatusOr<CgroupLayout> layout = ParseMountinfo(ReadFixture("legacy.mountinfo"));
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->kind, LayoutKind::kLegacy);
  EXPECT_TRUE(layout->unified_mount.empty());
  EXPECT_EQ(ControllersAt(*layout, "/sys/fs/cgroup/cpu,cpuacct"),
            (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(layout->FindV1("cpu"), layout->FindV1("cpuacct"));
  // "clone_children" is a mount option, not a controller.
  EXPECT_EQ(ControllersAt(*layout, "/sys/fs/cgroup/cpuset"),
            std::vector<std::string>{"cpuset"});
  // The second mount of the memory hierarchy does not replace the first.
  EXPECT_EQ(layout->FindV1("memory")->mount_point, "/sys/fs/cgroup/memory");
}

TEST(ParseMountinfoTest, UnifiedHost) {
  absl::StatusOr<CgroupLayout> layout = ParseMountinfo(ReadFixture("unified.mountinfo"));
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->kind, LayoutKind::kUnified);
  EXPECT_EQ(layout->unified_mount, "/sys/fs/cgroup");
  EXPECT_TRUE(layout->v1.empty());
}

TEST(ParseMountinfoTest, EscapedMountPoint) {
  absl::StatusOr<CgroupLayout> layout = ParseMountinfo(
      "41 31 0:38 / /srv/my\\040cgroup rw,relatime - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->unified_mount, "/srv/my cgroup");
}

TEST(ParseMountinfoTest, NoCgroupMounted) {
  absl::StatusOr<CgroupLayout> layout =
      ParseMountinfo("28 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n");
  EXPECT_EQ(layout.status().code(), absl::StatusCode::kNotFound);
}

TEST(ParseMountinfoTest, GarbageLine) {
  absl::StatusOr<CgroupLayout> layout = ParseMountinfo("not mountinfo at all\n");
  EXPECT_EQ(layout.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DetectLayoutTest, ThisHostHasCgroups) {
  absl::StatusOr<CgroupLayout> layout = DetectLayout();
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_TRUE(!layout->v1.empty() || !layout->unified_mount.empty());
}

}  // namespace
}  // namespace pycontain::cgroup
