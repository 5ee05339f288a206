// Runs as root: mounts real, detached overlays under TEST_TMPDIR.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/overlay/diff.h"
#include "lib/overlay/overlay.h"

namespace pycontain::overlay {
namespace {

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class OverlayTest : public ::testing::TestWithParam<MountApi> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mounting overlayfs needs root";
    std::string pattern = absl::StrCat(getenv("TEST_TMPDIR"), "/overlay-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ASSERT_EQ(mkdir((dir_ + "/staging").c_str(), 0755), 0);
  }
  void TearDown() override { EXPECT_TRUE(RemoveTree(dir_).ok()); }

  // Makes `count` layers, each with file<i>, and "shared" saying its index.
  std::vector<std::string> MakeLayers(int count) {
    std::vector<std::string> lowers;
    for (int i = count - 1; i >= 0; --i) {
      // Long names: 130 of them exceed a page as plain paths.
      std::string layer = absl::StrCat(dir_, "/layer-", std::string(60, 'x'), "-", i);
      EXPECT_EQ(mkdir(layer.c_str(), 0755), 0);
      WriteFile(absl::StrCat(layer, "/file", i), absl::StrCat(i));
      WriteFile(layer + "/shared", absl::StrCat(i));
      lowers.push_back(layer);
    }
    return lowers;
  }

  OverlayOptions Options(std::vector<std::string> lowers, const WritableLayer& layer) {
    OverlayOptions options;
    options.lowers = std::move(lowers);
    options.upper = layer.upper();
    options.work = layer.work();
    options.staging_mountpoint = dir_ + "/staging";
    options.api = GetParam();
    return options;
  }

  std::string dir_;
};

TEST_P(OverlayTest, ManyLayersAllVisible) {
  std::vector<std::string> lowers = MakeLayers(130);
  absl::StatusOr<WritableLayer> layer = WritableLayer::Create(dir_ + "/rw");
  ASSERT_TRUE(layer.ok()) << layer.status();
  absl::StatusOr<OverlayMount> mount = OverlayMount::Create(Options(lowers, *layer));
  ASSERT_TRUE(mount.ok()) << mount.status();

  for (int i = 0; i < 130; ++i) {
    EXPECT_EQ(ReadFile(absl::StrCat(mount->path(), "/file", i)), absl::StrCat(i));
  }
  EXPECT_EQ(ReadFile(mount->path() + "/shared"), "129");
}

TEST_P(OverlayTest, DiffListsUpperChanges) {
  std::vector<std::string> lowers = MakeLayers(2);
  absl::StatusOr<WritableLayer> layer = WritableLayer::Create(dir_ + "/rw");
  ASSERT_TRUE(layer.ok()) << layer.status();
  absl::StatusOr<OverlayMount> mount = OverlayMount::Create(Options(lowers, *layer));
  ASSERT_TRUE(mount.ok()) << mount.status();

  WriteFile(mount->path() + "/new", "n");
  WriteFile(mount->path() + "/shared", "changed");
  ASSERT_EQ(unlink((mount->path() + "/file0").c_str()), 0);

  absl::StatusOr<std::vector<Change>> changes = ListChanges(layer->upper(), lowers);
  ASSERT_TRUE(changes.ok()) << changes.status();
  std::vector<std::string> lines;
  for (const Change& change : *changes) lines.push_back(FormatChange(change));
  EXPECT_EQ(lines, (std::vector<std::string>{"D /file0", "A /new", "C /shared"}));
  EXPECT_EQ(ReadFile(lowers[1] + "/file0"), "0");
}

TEST_P(OverlayTest, WritableLayerRemovedWhenDropped) {
  std::vector<std::string> lowers = MakeLayers(1);
  std::string rw = dir_ + "/rw";
  {
    absl::StatusOr<WritableLayer> layer = WritableLayer::Create(rw);
    ASSERT_TRUE(layer.ok()) << layer.status();
    absl::StatusOr<OverlayMount> mount = OverlayMount::Create(Options(lowers, *layer));
    ASSERT_TRUE(mount.ok()) << mount.status();
    ASSERT_EQ(mkdir((mount->path() + "/d").c_str(), 0755), 0);
    WriteFile(mount->path() + "/d/f", "x");
  }
  EXPECT_NE(access(rw.c_str(), F_OK), 0);
}

TEST(OverlayOptionsTest, RejectsBadOptions) {
  OverlayOptions none;
  EXPECT_EQ(OverlayMount::Create(none).status().code(), absl::StatusCode::kInvalidArgument);
  OverlayOptions too_many;
  too_many.lowers.assign(kMaxLowers + 1, "/");
  EXPECT_EQ(OverlayMount::Create(too_many).status().code(),
            absl::StatusCode::kInvalidArgument);
  OverlayOptions upper_only;
  upper_only.lowers = {"/"};
  upper_only.upper = "/tmp";
  EXPECT_EQ(OverlayMount::Create(upper_only).status().code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Apis, OverlayTest,
                         ::testing::Values(MountApi::kAuto, MountApi::kLegacy));

}  // namespace
}  // namespace pycontain::overlay
