// Images made by third-party tools from the busybox test root filesystem:
// a tarball from GNU tar imported by us, and a multi-layer OCI layout made
// by umoci (with a deletion and a directory replaced by a file), loaded by
// us and compared with umoci's own unpacking; skopeo converts it to a
// docker-archive that we load too.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/image/fs_util.h"
#include "lib/image/image_io.h"
#include "lib/image/layer_mount.h"
#include "lib/image/store.h"
#include "lib/image/testing/tree_snapshot.h"

namespace pycontain::image {
namespace {

using testing::RunShell;
using testing::SnapshotTree;

class RealImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* busybox = getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS");
    if (busybox == nullptr || busybox[0] == '\0') {
      GTEST_SKIP() << "PYCONTAIN_TEST_BUSYBOX_ROOTFS is not set (scripts/test sets it)";
    }
    busybox_ = busybox;
    dir_ = testing::MakeTestDirectory("real");
    ASSERT_FALSE(dir_.empty());
    StoreOptions options;
    options.root = dir_ + "/store";
    absl::StatusOr<Store> store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_.emplace(*std::move(store));
  }

  void TearDown() override {
    if (dir_.empty()) return;
    ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, dir_).ok());
    struct stat st;
    EXPECT_NE(lstat(dir_.c_str(), &st), 0);
  }

  void Run(const std::string& command) {
    std::string output;
    ASSERT_EQ(RunShell(command + " 2>&1", &output), 0) << command << "\n" << output;
  }

  // Makes the OCI layout `layout` with umoci, using `bundle` as scratch.
  // Its image "v1" is the busybox root as one layer, and "v2" adds a layer
  // with a deletion, a directory replaced by a file and a new file.
  void MakeUmociLayout(const std::string& layout, const std::string& bundle) {
    Run(absl::StrCat("umoci init --layout ", layout));
    Run(absl::StrCat("umoci new --image ", layout, ":base"));
    Run(absl::StrCat("umoci unpack --image ", layout, ":base ", bundle));
    Run(absl::StrCat("cp -a ", busybox_, "/. ", bundle, "/rootfs/"));
    Run(absl::StrCat("umoci repack --image ", layout, ":v1 ", bundle));
    Run(absl::StrCat("rm -rf ", bundle));

    // Second layer: a deletion, a directory replaced by a file, a new file.
    Run(absl::StrCat("umoci unpack --image ", layout, ":v1 ", bundle));
    Run(absl::StrCat("rm -f ", bundle, "/rootfs/bin/ls"));
    Run(absl::StrCat("rm -rf ", bundle, "/rootfs/etc && echo file > ", bundle,
                     "/rootfs/etc"));
    Run(absl::StrCat("mkdir -p ", bundle, "/rootfs/new && echo n > ", bundle,
                     "/rootfs/new/file"));
    Run(absl::StrCat("umoci repack --image ", layout, ":v2 ", bundle));
    Run(absl::StrCat("umoci config --image ", layout, ":v2 --config.cmd /bin/sh"));
    Run(absl::StrCat("rm -rf ", bundle));
  }

  std::string busybox_;
  std::string dir_;
  std::optional<Store> store_;
};

TEST_F(RealImageTest, GnuTarBusyboxImportMatchesTree) {
  std::string tarball = dir_ + "/busybox.tar.gz";
  Run(absl::StrCat("tar --xattrs -C ", busybox_, " -czf ", tarball, " ."));
  ImportOptions options;
  options.names = {"busybox:gnu"};
  absl::StatusOr<std::string> id = ImportTarball(*store_, tarball, options);
  ASSERT_TRUE(id.ok()) << id.status();

  std::string tree = dir_ + "/tree";
  ASSERT_TRUE(UnpackImage(*store_, "busybox:gnu", tree).ok());
  EXPECT_EQ(SnapshotTree(tree), SnapshotTree(busybox_));
}

TEST_F(RealImageTest, UmociLayersMatchUmociUnpack) {
  if (RunShell("umoci --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "umoci is not installed (scripts/setup installs it)";
  }
  if (geteuid() != 0) GTEST_SKIP() << "umoci repack keeps owners only as root";
  std::string layout = dir_ + "/layout";
  std::string bundle = dir_ + "/bundle";
  MakeUmociLayout(layout, bundle);
  ASSERT_FALSE(HasFatalFailure());

  LoadOptions options;
  options.repository = "umoci";
  absl::StatusOr<LoadResult> loaded = LoadImages(*store_, layout, options);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  absl::StatusOr<Image> image = store_->GetImage("umoci:v2");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->manifest.layers_size(), 2);
  EXPECT_EQ(image->config.config().cmd(0), "/bin/sh");

  std::string ours = dir_ + "/ours";
  ASSERT_TRUE(UnpackImage(*store_, "umoci:v2", ours).ok());
  Run(absl::StrCat("umoci unpack --image ", layout, ":v2 ", bundle));
  EXPECT_EQ(SnapshotTree(ours), SnapshotTree(bundle + "/rootfs"));
  struct stat st;
  ASSERT_EQ(lstat((ours + "/etc").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_NE(lstat((ours + "/bin/ls").c_str(), &st), 0);

  // skopeo's docker-archive of the same image loads to the same layers.
  if (RunShell("skopeo --version >/dev/null 2>&1") != 0) return;
  std::string archive = dir_ + "/docker.tar";
  Run(absl::StrCat("skopeo copy oci:", layout, ":v2 docker-archive:", archive,
                   ":umoci:docker"));
  absl::StatusOr<LoadResult> from_docker = LoadImages(*store_, archive, {});
  ASSERT_TRUE(from_docker.ok()) << from_docker.status();
  ASSERT_EQ(from_docker->images.size(), 1u);
  // skopeo writes the full name, "docker.io/library/umoci:docker".
  absl::StatusOr<Image> docker = store_->GetImage(from_docker->images[0].id);
  ASSERT_TRUE(docker.ok()) << docker.status();
  EXPECT_EQ(docker->config.rootfs().diff_ids_size(), 2);
  EXPECT_EQ(docker->config.rootfs().diff_ids(0), image->config.rootfs().diff_ids(0));
  EXPECT_EQ(docker->config.rootfs().diff_ids(1), image->config.rootfs().diff_ids(1));
}

TEST_F(RealImageTest, UmociLayersSameInBothFormats) {
  if (RunShell("umoci --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "umoci is not installed (scripts/setup installs it)";
  }
  if (geteuid() != 0) GTEST_SKIP() << "umoci repack keeps owners only as root";
  if (!LoopMountsAvailable()) GTEST_SKIP() << "mounting squashfs needs loop devices";
  std::string layout = dir_ + "/layout";
  MakeUmociLayout(layout, dir_ + "/bundle");
  ASSERT_FALSE(HasFatalFailure());

  std::vector<Store> stores;
  for (LayerFormat format : {LayerFormat::kDirectory, LayerFormat::kSquashfs}) {
    StoreOptions options;
    options.root = absl::StrCat(dir_, "/store-", static_cast<int>(format));
    options.layer_format = format;
    absl::StatusOr<Store> store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<LoadResult> loaded = LoadImages(*store, layout, {});
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    stores.push_back(*std::move(store));
  }
  // Before TearDown removes the stores, also after a failed assertion.
  absl::Cleanup unmount = [&stores] { EXPECT_TRUE(stores[1].UnmountLayers().ok()); };
  absl::StatusOr<Image> image = stores[0].GetImage("layout:v2");
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ(image->config.rootfs().diff_ids_size(), 2);
  for (const std::string& diff_id : image->config.rootfs().diff_ids()) {
    absl::StatusOr<std::string> directory = stores[0].LayerLower(diff_id);
    absl::StatusOr<std::string> squashfs = stores[1].LayerLower(diff_id);
    ASSERT_TRUE(directory.ok()) << directory.status();
    ASSERT_TRUE(squashfs.ok()) << squashfs.status();
    EXPECT_TRUE(IsMountPoint(*squashfs));
    EXPECT_EQ(SnapshotTree(*squashfs), SnapshotTree(*directory)) << diff_id;
  }
  // The upper layer's deletion is a whiteout in both.
  absl::StatusOr<std::string> upper = stores[1].LayerLower(image->config.rootfs().diff_ids(1));
  ASSERT_TRUE(upper.ok());
  struct stat st;
  ASSERT_EQ(lstat((*upper + "/bin/ls").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

}  // namespace
}  // namespace pycontain::image
