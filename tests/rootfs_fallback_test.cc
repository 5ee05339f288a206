// Container roots where overlayfs cannot be used, as root on the real
// kernel: a store inside an overlay mount (which overlayfs rejects as an
// upper directory), and each fallback driver forced by
// $PYCONTAIN_ROOTFS_DRIVER. The two-layer image has a replaced file, a
// whiteout and an opaque directory, which every driver must show alike.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/log.h"
#include "lib/container/container.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"
#include "lib/overlay/overlay.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using testing::WriteFile;
using testing::Entries;
using testing::WaitForLoopDevicesUnder;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

bool HasProgram(const char* name) {
  return system(absl::StrCat("command -v ", name, " >/dev/null 2>&1").c_str()) == 0;
}

class RootfsFallbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "image roots need root";
    std::string pattern = absl::StrCat(getenv("TEST_TMPDIR"), "/fallback-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    before_ = testing::TakeSnapshot();
    SetLogSink([this](LogLevel level, absl::string_view, absl::string_view message) {
      if (level == LogLevel::kWarning) warnings_.push_back(std::string(message));
    });
  }

  void TearDown() override {
    if (dir_.empty()) return;
    SetLogSink(nullptr);
    unsetenv("PYCONTAIN_ROOTFS_DRIVER");
    if (store_.has_value()) {
      EXPECT_TRUE(store_->UnmountLayers().ok());
      EXPECT_THAT(Entries(store_->root() + "/containers"), IsEmpty());
    }
    store_.reset();
    WaitForLoopDevicesUnder(dir_);
    if (!overlay_mount_.empty()) {
      EXPECT_EQ(umount2(overlay_mount_.c_str(), MNT_DETACH), 0) << strerror(errno);
    }
    testing::ExpectNothingLeaked(before_);
    unsetenv("PYCONTAIN_ROOT");
    EXPECT_TRUE(overlay::RemoveTree(dir_).ok());
  }

  // Opens the store at `root` and imports the two-layer image "two:1": the
  // busybox root with /lab/{replaced,deleted} and /opaque/old, then a
  // layer that replaces /lab/replaced, deletes /lab/deleted (a whiteout)
  // and makes /opaque opaque with only /opaque/new.
  void MakeImage(const std::string& root) {
    setenv("PYCONTAIN_ROOT", root.c_str(), 1);
    absl::StatusOr<image::Store> store = image::Store::Open({});
    ASSERT_TRUE(store.ok()) << store.status();
    store_.emplace(std::move(*store));

    std::string extra = dir_ + "/extra";
    ASSERT_EQ(system(absl::StrCat("mkdir -p ", extra, "/lab ", extra, "/opaque").c_str()), 0);
    WriteFile(extra + "/lab/replaced", "lower\n");
    WriteFile(extra + "/lab/deleted", "deleted\n");
    WriteFile(extra + "/opaque/old", "old\n");
    std::string tarball = dir_ + "/base.tar";
    std::string command = absl::StrCat("tar -cf ", tarball, " -C ", testing::BusyboxRoot(),
                                       " . -C ", extra, " .");
    ASSERT_EQ(system(command.c_str()), 0) << command;
    image::ImportOptions options;
    options.names = {"base:1"};
    options.cmd = {"/bin/sh"};
    options.env = {"PATH=/bin:/sbin:/usr/bin"};
    absl::StatusOr<std::string> base = image::ImportTarball(*store_, tarball, options);
    ASSERT_TRUE(base.ok()) << base.status();

    std::string layer = dir_ + "/layer";
    ASSERT_EQ(system(absl::StrCat("mkdir -p ", layer, "/lab ", layer, "/opaque").c_str()), 0);
    WriteFile(layer + "/lab/replaced", "upper\n");
    ASSERT_EQ(mknod((layer + "/lab/deleted").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
    ASSERT_EQ(setxattr((layer + "/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0)
        << strerror(errno);
    WriteFile(layer + "/opaque/new", "new\n");
    image::CommitOptions commit;
    commit.names = {"two:1"};
    absl::StatusOr<std::string> top = image::CommitDirectory(*store_, *base, layer, commit);
    ASSERT_TRUE(top.ok()) << top.status();
  }

  // Runs a container of "two:1" that prints what the layers show and
  // writes /lab/written, and checks its output and changes.
  void RunAndCheck(bool expect_changes) {
    int out = testing::MakeCaptureFile();
    spec::ContainerSpec spec;
    spec.set_image("two:1");
    spec.mutable_process()->mutable_stdio()->set_stdout_fd(out);
    for (const char* arg : {"sh", "-c", "cat /lab/replaced; ls /lab /opaque; echo x > /lab/written"}) {
      spec.mutable_process()->add_args(arg);
    }
    absl::StatusOr<container::Container> container = container::Container::Start(spec);
    ASSERT_TRUE(container.ok()) << container.status();
    absl::StatusOr<spec::RunResult> result = container->Wait();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->exit_code(), 0);
    EXPECT_EQ(testing::ReadCaptureFile(out), "upper\n/lab:\nreplaced\n\n/opaque:\nnew\n");
    close(out);

    absl::StatusOr<std::vector<overlay::Change>> changes = container->Changes();
    if (expect_changes) {
      ASSERT_TRUE(changes.ok()) << changes.status();
      std::vector<std::string> lines;
      for (const overlay::Change& change : *changes) lines.push_back(overlay::FormatChange(change));
      EXPECT_THAT(lines, ElementsAre("C /lab", "A /lab/written"));
    } else {
      EXPECT_EQ(changes.status().code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_THAT(changes.status().message(), HasSubstr("copy of its image"));
    }
  }

  std::string dir_;
  std::string overlay_mount_;
  std::optional<image::Store> store_;
  testing::HostSnapshot before_;
  std::vector<std::string> warnings_;
};

TEST_F(RootfsFallbackTest, CopyDriverShowsMergedLayers) {
  setenv("PYCONTAIN_ROOTFS_DRIVER", "copy", 1);
  MakeImage(dir_ + "/store");
  RunAndCheck(/*expect_changes=*/false);
  // The copy went with the container, and the layers are untouched.
  absl::StatusOr<image::Image> two = store_->GetImage("two:1");
  ASSERT_TRUE(two.ok()) << two.status();
  absl::StatusOr<std::string> top = store_->LayerLower(two->config.rootfs().diff_ids(1));
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_NE(access((*top + "/lab/written").c_str(), F_OK), 0);
}

TEST_F(RootfsFallbackTest, FuseOverlayfsDriverKeepsChanges) {
  if (!HasProgram("fuse-overlayfs")) {
    GTEST_SKIP() << "fuse-overlayfs is not installed (scripts/setup installs it)";
  }
  setenv("PYCONTAIN_ROOTFS_DRIVER", "fuse-overlayfs", 1);
  MakeImage(dir_ + "/store");
  RunAndCheck(/*expect_changes=*/true);
}

TEST_F(RootfsFallbackTest, StoreInsideOverlayFallsBack) {
  // overlayfs rejects an upper directory that is itself on overlayfs.
  overlay_mount_ = dir_ + "/merged";
  ASSERT_EQ(system(absl::StrCat("mkdir -p ", dir_, "/lower ", dir_, "/upper ", dir_, "/work ",
                                overlay_mount_)
                       .c_str()),
            0);
  std::string options = absl::StrCat("lowerdir=", dir_, "/lower,upperdir=", dir_,
                                     "/upper,workdir=", dir_, "/work");
  ASSERT_EQ(mount("overlay", overlay_mount_.c_str(), "overlay", 0, options.c_str()), 0)
      << strerror(errno);
  MakeImage(overlay_mount_ + "/store");
  bool fuse = HasProgram("fuse-overlayfs");
  RunAndCheck(/*expect_changes=*/fuse);
  ASSERT_EQ(warnings_.size(), 1u) << absl::StrJoin(warnings_, "\n");
  EXPECT_THAT(warnings_[0], HasSubstr("overlayfs failed"));
  EXPECT_THAT(warnings_[0], HasSubstr(fuse ? "using fuse-overlayfs" : "using a copy"));
}

}  // namespace
}  // namespace pycontain
