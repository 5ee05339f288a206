// Containers from images whose layers are squashfs images, as root on the
// real kernel. OCI whiteouts and opaque directories work through overlayfs
// with squashfs lowers, and layers are mounted once and shared. Removing
// the image detaches the mount and frees the loop device. A hostile layer
// leaves no file, mount or loop device behind. Every case also runs on a
// store whose layers are directories, which must behave the same.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/image/digest.h"
#include "lib/image/image_io.h"
#include "lib/image/layer_mount.h"
#include "lib/image/store.h"
#include "lib/image/testing/tar_builder.h"
#include "lib/overlay/overlay.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using testing::ReadFile;
using testing::WriteFile;
using testing::Entries;

using ::testing::HasSubstr;
using image::testing::TarBuilder;

class LayerFormatTest : public ::testing::TestWithParam<image::LayerFormat> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "overlay roots need root";
    if (GetParam() == image::LayerFormat::kSquashfs && !image::LoopMountsAvailable()) {
      GTEST_SKIP() << "squashfs layers need loop devices and squashfs in the kernel";
    }
    std::string pattern = absl::StrCat(getenv("TEST_TMPDIR"), "/layers-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    // Containers find the store through the variable; the format is set
    // for this process's loads through the store's options.
    setenv("PYCONTAIN_ROOT", (dir_ + "/store").c_str(), 1);
    image::StoreOptions options;
    options.layer_format = GetParam();
    absl::StatusOr<image::Store> store = image::Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_.emplace(std::move(*store));
    before_ = testing::TakeSnapshot();
  }

  void TearDown() override {
    if (!store_.has_value()) return;
    // The store's layer mounts outlive containers by design; the test's
    // store goes now, so its mounts go first.
    EXPECT_TRUE(store_->UnmountLayers().ok());
    testing::ExpectNothingLeaked(before_);
    EXPECT_TRUE(overlay::RemoveTree(dir_).ok());
    unsetenv("PYCONTAIN_ROOT");
  }

  // Loads a docker-archive directory with two layers: busybox plus /lab
  // files, and a layer that deletes /lab/gone, makes /lab/opaque opaque
  // and adds /lab/opaque/upper.
  void LoadWhiteoutImage() {
    std::string archive = dir_ + "/archive";
    std::string extra = dir_ + "/extra";
    for (const std::string& path : {archive, extra, extra + "/lab", extra + "/lab/opaque"}) {
      ASSERT_EQ(mkdir(path.c_str(), 0755), 0) << path;
    }
    WriteFile(extra + "/lab/gone", "deleted above\n");
    WriteFile(extra + "/lab/kept", "kept\n");
    WriteFile(extra + "/lab/opaque/lower", "hidden by the opaque directory\n");
    std::string command = absl::StrCat("tar -cf ", archive, "/base.tar -C ",
                                       testing::BusyboxRoot(), " . -C ", extra, " .");
    ASSERT_EQ(system(command.c_str()), 0) << command;
    ASSERT_TRUE(image::testing::WriteFile(archive + "/upper.tar",
                                          TarBuilder()
                                              .File("lab/.wh.gone", "")
                                              .File("lab/opaque/.wh..wh..opq", "")
                                              .File("lab/opaque/upper", "from the upper layer\n")
                                              .Finish()));

    std::vector<std::string> diff_ids;
    for (const char* layer : {"/base.tar", "/upper.tar"}) {
      diff_ids.push_back(
          absl::StrCat("\"", image::DigestOf(ReadFile(archive + layer)), "\""));
    }
    WriteFile(archive + "/config.json",
              absl::StrCat("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
                           "\"Cmd\":[\"/bin/sh\"],\"Env\":[\"PATH=/bin:/usr/bin\"]},"
                           "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[",
                           absl::StrJoin(diff_ids, ","), "]}}"));
    WriteFile(archive + "/manifest.json",
              "[{\"Config\":\"config.json\",\"RepoTags\":[\"wh:1\"],"
              "\"Layers\":[\"base.tar\",\"upper.tar\"]}]");
    absl::StatusOr<image::LoadResult> loaded = image::LoadImages(*store_, archive, {});
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_EQ(loaded->layers_unpacked, 2);
  }

  absl::StatusOr<testing::Output> RunImage(const std::string& name,
                                           std::vector<std::string> args) {
    spec::ContainerSpec spec;
    spec.set_image(name);
    for (std::string& arg : args) spec.mutable_process()->add_args(std::move(arg));
    return testing::RunCaptured(spec);
  }

  std::vector<std::string> DiffIds(const std::string& name) {
    absl::StatusOr<image::Image> found = store_->GetImage(name);
    EXPECT_TRUE(found.ok()) << found.status();
    if (!found.ok()) return {};
    return {found->config.rootfs().diff_ids().begin(), found->config.rootfs().diff_ids().end()};
  }

  bool IsSquashfs() const { return GetParam() == image::LayerFormat::kSquashfs; }

  std::string dir_;
  std::optional<image::Store> store_;
  testing::HostSnapshot before_;
};

TEST_P(LayerFormatTest, WhiteoutHidesLowerFile) {
  LoadWhiteoutImage();
  absl::StatusOr<testing::Output> output =
      RunImage("wh:1", {"sh", "-c", "ls /lab; if test -e /lab/gone; then echo gone-visible; fi"});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_EQ(output->stdout_text, "kept\nopaque\n");
}

TEST_P(LayerFormatTest, OpaqueDirectoryHidesLowerContents) {
  LoadWhiteoutImage();
  absl::StatusOr<testing::Output> output =
      RunImage("wh:1", {"sh", "-c", "ls /lab/opaque; cat /lab/opaque/upper"});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_EQ(output->stdout_text, "upper\nfrom the upper layer\n");
}

TEST_P(LayerFormatTest, LayersKeptInChosenFormat) {
  LoadWhiteoutImage();
  for (const std::string& diff_id : DiffIds("wh:1")) {
    struct stat st;
    EXPECT_EQ(lstat(store_->LayerImagePath(diff_id).c_str(), &st) == 0, IsSquashfs());
    EXPECT_EQ(lstat(store_->LayerPath(diff_id).c_str(), &st) == 0, !IsSquashfs());
  }
}

TEST_P(LayerFormatTest, LayerMountedOnceAndShared) {
  LoadWhiteoutImage();
  ASSERT_TRUE(RunImage("wh:1", {"true"}).ok());
  ASSERT_TRUE(RunImage("wh:1", {"true"}).ok());
  std::vector<std::string> diff_ids = DiffIds("wh:1");
  ASSERT_EQ(diff_ids.size(), 2u);
  testing::HostSnapshot now = testing::TakeSnapshot();
  size_t new_loops = now.loop_devices.size() - before_.loop_devices.size();
  EXPECT_EQ(new_loops, IsSquashfs() ? 2u : 0u) << "one loop device per layer";
  for (const std::string& diff_id : diff_ids) {
    EXPECT_EQ(image::IsMountPoint(store_->LayerMountPath(diff_id)), IsSquashfs());
  }
}

TEST_P(LayerFormatTest, RemovingImageFreesLoopDevices) {
  LoadWhiteoutImage();
  ASSERT_TRUE(RunImage("wh:1", {"true"}).ok());
  std::vector<std::string> diff_ids = DiffIds("wh:1");
  ASSERT_TRUE(store_->RemoveImage("wh:1").ok());
  for (const std::string& diff_id : diff_ids) {
    EXPECT_FALSE(image::IsMountPoint(store_->LayerMountPath(diff_id)));
  }
  EXPECT_EQ(testing::TakeSnapshot().loop_devices, before_.loop_devices);
  absl::StatusOr<image::PruneStats> pruned = store_->Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->layers, 2);
}

TEST_P(LayerFormatTest, HostileLayerLeavesNothing) {
  std::string tarball = dir_ + "/hostile.tar";
  ASSERT_TRUE(image::testing::WriteFile(
      tarball, TarBuilder().File("ok", "fine\n").File("../../escaped", "x\n").Finish()));
  absl::StatusOr<std::string> imported = image::ImportTarball(*store_, tarball, {});
  ASSERT_FALSE(imported.ok());
  EXPECT_THAT(std::string(imported.status().message()), HasSubstr("../../escaped"));
  struct stat st;
  EXPECT_NE(lstat((dir_ + "/escaped").c_str(), &st), 0);
  for (const char* sub : {"/store/tmp", "/store/layers", "/store/images", "/store/blobs/sha256"}) {
    EXPECT_THAT(Entries(dir_ + sub), ::testing::IsEmpty()) << sub;
  }
  EXPECT_EQ(testing::TakeSnapshot().loop_devices, before_.loop_devices);
}

INSTANTIATE_TEST_SUITE_P(Formats, LayerFormatTest,
                         ::testing::Values(image::LayerFormat::kSquashfs,
                                           image::LayerFormat::kDirectory),
                         [](const ::testing::TestParamInfo<image::LayerFormat>& info) {
                           return info.param == image::LayerFormat::kSquashfs ? "Squashfs"
                                                                              : "Directory";
                         });

}  // namespace
}  // namespace pycontain
