#include "lib/image/layer_apply.h"

#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/base/status.h"
#include "lib/image/fs_util.h"
#include "lib/image/layer_stream.h"
#include "lib/image/testing/tar_builder.h"

namespace pycontain::image {
namespace {

using testing::TarBuilder;
using testing::TarEntry;

class LayerApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string base = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/applyXXXXXX");
    ASSERT_NE(mkdtemp(base.data()), nullptr);
    dir_ = base;
    root_ = dir_ + "/root";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
  }

  void TearDown() override {
    ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, dir_).ok());
    struct stat st;
    EXPECT_NE(lstat(dir_.c_str(), &st), 0) << dir_ << " left behind";
  }

  absl::StatusOr<ApplyStats> Apply(const std::string& tar,
                                   WhiteoutMode mode = WhiteoutMode::kApply) {
    std::string path = dir_ + "/layer.tar";
    if (!testing::WriteFile(path, tar)) return absl::InternalError("write");
    absl::StatusOr<UniqueFd> fd = OpenAt(AT_FDCWD, path, O_RDONLY);
    if (!fd.ok()) return fd.status();
    absl::StatusOr<std::unique_ptr<LayerStream>> stream =
        LayerStream::Open(*std::move(fd), "test layer", {});
    if (!stream.ok()) return stream.status();
    absl::StatusOr<UniqueFd> root = OpenAt(AT_FDCWD, root_, O_PATH | O_DIRECTORY);
    if (!root.ok()) return root.status();
    ApplyOptions options;
    options.whiteouts = mode;
    absl::StatusOr<ApplyStats> stats =
        ApplyLayer((*stream)->tar(), root->get(), options);
    unlink(path.c_str());
    return stats;
  }

  std::string InRoot(const std::string& path) { return root_ + "/" + path; }

  bool Exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
  }

  std::string dir_;
  std::string root_;
};

TEST_F(LayerApplyTest, RegularFileContentModeAndTime) {
  TarEntry entry;
  entry.name = "bin/tool";
  entry.content = std::string("#!/bin/sh\0binary", 16);
  entry.mode = 04755;
  entry.mtime = 1234567890;
  ASSERT_TRUE(Apply(TarBuilder().Add(entry).Finish()).ok());

  EXPECT_EQ(testing::ReadFile(InRoot("bin/tool")), entry.content);
  struct stat st;
  ASSERT_EQ(stat(InRoot("bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_mtime, 1234567890);
  ASSERT_EQ(stat(InRoot("bin").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode)) << "missing parent not created";
}

TEST_F(LayerApplyTest, DirectoryModeAndTimeSetAfterChildren) {
  TarEntry directory;
  directory.name = "ro";
  directory.type = AE_IFDIR;
  directory.mode = 0555;
  directory.mtime = 1000;
  ASSERT_TRUE(
      Apply(TarBuilder().Add(directory).File("ro/inside", "x").Finish()).ok());

  struct stat st;
  ASSERT_EQ(stat(InRoot("ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0555u);
  EXPECT_EQ(st.st_mtime, 1000);
  EXPECT_EQ(testing::ReadFile(InRoot("ro/inside")), "x");
}

TEST_F(LayerApplyTest, SymlinksAndHardlinks) {
  std::string tar = TarBuilder()
                        .File("bin/busybox", "bb")
                        .Symlink("bin/sh", "busybox")
                        .Hardlink("bin/ls", "bin/busybox")
                        .Hardlink("bin/sh2", "bin/sh")
                        .Finish();
  ASSERT_TRUE(Apply(tar).ok());

  char target[64] = {};
  ASSERT_GT(readlink(InRoot("bin/sh").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "busybox");
  struct stat original, link, symlink, symlink_link;
  ASSERT_EQ(lstat(InRoot("bin/busybox").c_str(), &original), 0);
  ASSERT_EQ(lstat(InRoot("bin/ls").c_str(), &link), 0);
  EXPECT_EQ(original.st_ino, link.st_ino);
  ASSERT_EQ(lstat(InRoot("bin/sh").c_str(), &symlink), 0);
  ASSERT_EQ(lstat(InRoot("bin/sh2").c_str(), &symlink_link), 0);
  EXPECT_TRUE(S_ISLNK(symlink_link.st_mode)) << "hardlink to symlink followed it";
  EXPECT_EQ(symlink.st_ino, symlink_link.st_ino);
}

TEST_F(LayerApplyTest, BinaryXattrKeptByteForByte) {
  TarEntry entry;
  entry.name = "file";
  entry.content = "data";
  std::string value("a\0b\xff\0", 5);
  entry.xattrs["user.binary"] = value;
  ASSERT_TRUE(Apply(TarBuilder().Add(entry).Finish()).ok());

  char buffer[16];
  ssize_t size = lgetxattr(InRoot("file").c_str(), "user.binary", buffer,
                           sizeof(buffer));
  if (size < 0 && errno == ENOTSUP) GTEST_SKIP() << "no user xattrs on this filesystem";
  ASSERT_EQ(size, 5);
  EXPECT_EQ(std::string(buffer, 5), value);
}

TEST_F(LayerApplyTest, LaterEntryReplacesOtherType) {
  std::string tar = TarBuilder()
                        .File("a", "file")
                        .Directory("a")
                        .File("a/child", "c")
                        .Directory("b")
                        .File("b/x", "x")
                        .Symlink("b", "a")
                        .Finish();
  ASSERT_TRUE(Apply(tar).ok());
  struct stat st;
  ASSERT_EQ(lstat(InRoot("a").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(testing::ReadFile(InRoot("a/child")), "c");
  ASSERT_EQ(lstat(InRoot("b").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(LayerApplyTest, WhiteoutsRemoveLowerFiles) {
  ASSERT_TRUE(Apply(TarBuilder()
                        .File("etc/gone", "1")
                        .File("etc/kept", "2")
                        .File("opaque/lower", "3")
                        .Finish())
                  .ok());
  ASSERT_TRUE(Apply(TarBuilder()
                        .File("opaque/upper", "4")
                        .File("etc/.wh.gone", "")
                        .File("opaque/.wh..wh..opq", "")
                        .Finish())
                  .ok());

  EXPECT_FALSE(Exists(InRoot("etc/gone")));
  EXPECT_TRUE(Exists(InRoot("etc/kept")));
  EXPECT_FALSE(Exists(InRoot("opaque/lower")));
  EXPECT_TRUE(Exists(InRoot("opaque/upper"))) << "opaque removed this layer's file";
  EXPECT_FALSE(Exists(InRoot("etc/.wh.gone")));
}

TEST_F(LayerApplyTest, OverlayWhiteoutsBecomeDevicesAndXattrs) {
  ASSERT_TRUE(Apply(TarBuilder()
                        .File("etc/.wh.gone", "")
                        .File("opaque/.wh..wh..opq", "")
                        .Finish(),
                    WhiteoutMode::kOverlay)
                  .ok());
  struct stat st;
  ASSERT_EQ(lstat(InRoot("etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  const char* key = geteuid() == 0 ? "trusted.overlay.opaque" : "user.overlay.opaque";
  char value[4] = {};
  EXPECT_EQ(lgetxattr(InRoot("opaque").c_str(), key, value, sizeof(value)), 1);
  EXPECT_EQ(value[0], 'y');
}

TEST_F(LayerApplyTest, WhiteoutUnderReplacedDirectoryIgnored) {
  ASSERT_TRUE(Apply(TarBuilder().File("etc/group", "g").Finish()).ok());
  for (WhiteoutMode mode : {WhiteoutMode::kApply, WhiteoutMode::kOverlay}) {
    absl::StatusOr<ApplyStats> stats = Apply(
        TarBuilder().File("etc", "now a file").File("etc/.wh.group", "").Finish(),
        mode);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(testing::ReadFile(InRoot("etc")), "now a file");
  }
}

TEST_F(LayerApplyTest, DotDotRejectedWithName) {
  absl::StatusOr<ApplyStats> stats =
      Apply(TarBuilder().File("../../etc/x", "evil").Finish());
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(stats.status().message().find("../../etc/x"), absl::string_view::npos);
  EXPECT_FALSE(Exists(dir_ + "/etc"));
}

TEST_F(LayerApplyTest, AbsoluteNameConfinedToRoot) {
  ASSERT_TRUE(Apply(TarBuilder().File("/abs/x", "in").Finish()).ok());
  EXPECT_EQ(testing::ReadFile(InRoot("abs/x")), "in");
}

TEST_F(LayerApplyTest, SymlinkedParentStaysInside) {
  std::string tar = TarBuilder()
                        .Symlink("up", "../..")
                        .File("up/escaped", "x")
                        .Symlink("etc", "/")
                        .File("etc/abs-escaped", "y")
                        .Finish();
  ASSERT_TRUE(Apply(tar).ok());
  EXPECT_FALSE(Exists(dir_ + "/escaped"));
  EXPECT_EQ(testing::ReadFile(InRoot("escaped")), "x");
  EXPECT_EQ(testing::ReadFile(InRoot("abs-escaped")), "y");
  EXPECT_FALSE(Exists("/abs-escaped"));
}

TEST_F(LayerApplyTest, EscapingHardlinkRejected) {
  ASSERT_TRUE(testing::WriteFile(dir_ + "/secret", "s"));
  absl::StatusOr<ApplyStats> stats =
      Apply(TarBuilder().Hardlink("link", "../secret").Finish());
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("link"), absl::string_view::npos);
  EXPECT_FALSE(Exists(InRoot("link")));

  // An absolute target is looked up inside the root, where it is missing.
  stats = Apply(TarBuilder().Hardlink("passwd", "/etc/passwd").Finish());
  ASSERT_FALSE(stats.ok());
  EXPECT_FALSE(Exists(InRoot("passwd")));

  // Through a symlinked parent, the target is still inside the root.
  stats = Apply(TarBuilder()
                    .Symlink("out", "..")
                    .Hardlink("link2", "out/secret")
                    .Finish());
  ASSERT_FALSE(stats.ok());
  EXPECT_FALSE(Exists(InRoot("link2")));
}

TEST_F(LayerApplyTest, WhiteoutOfDotDotRejected) {
  ASSERT_TRUE(testing::WriteFile(dir_ + "/keep", "k"));
  absl::StatusOr<ApplyStats> stats =
      Apply(TarBuilder().File("sub/.wh...", "").Finish());
  EXPECT_FALSE(stats.ok());
  EXPECT_TRUE(Exists(dir_ + "/keep"));
}

TEST_F(LayerApplyTest, BogusHeaderIsDataLoss) {
  std::string tar = TarBuilder().File("a", "x").Finish();
  tar[148] = 'Z';  // break the header checksum
  absl::StatusOr<ApplyStats> stats = Apply(tar);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(LayerApplyTest, HugeSizeHeaderFailsCleanly) {
  // A header that claims an 8 GiB file in a 2 KiB archive.
  std::string tar = TarBuilder().File("big", "x").Finish();
  size_t header = tar.find("big");
  ASSERT_NE(header, std::string::npos);
  // In a pax archive the ustar header of "big" follows the pax header.
  size_t ustar = tar.rfind("big");
  std::string size_field = "77777777777";
  tar.replace(ustar - (ustar % 512) + 124, size_field.size(), size_field);
  absl::StatusOr<ApplyStats> stats = Apply(tar);
  EXPECT_FALSE(stats.ok());
}

TEST_F(LayerApplyTest, FifoAndDevicesAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "device nodes need root";
  TarEntry fifo;
  fifo.name = "run/fifo";
  fifo.type = AE_IFIFO;
  TarEntry null_device;
  null_device.name = "dev/null";
  null_device.type = AE_IFCHR;
  null_device.mode = 0666;
  null_device.device_major = 1;
  null_device.device_minor = 3;
  null_device.uid = 12;
  null_device.gid = 34;
  ASSERT_TRUE(Apply(TarBuilder().Add(fifo).Add(null_device).Finish()).ok());
  struct stat st;
  ASSERT_EQ(lstat(InRoot("run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ASSERT_EQ(lstat(InRoot("dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  EXPECT_EQ(st.st_uid, 12u);
  EXPECT_EQ(st.st_gid, 34u);
}

TEST_F(LayerApplyTest, OwnersAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "chown needs root";
  TarEntry file;
  file.name = "owned";
  file.uid = 1000;
  file.gid = 2000;
  file.mode = 02755;
  ASSERT_TRUE(Apply(TarBuilder().Add(file).Symlink("link", "owned").Finish()).ok());
  struct stat st;
  ASSERT_EQ(lstat(InRoot("owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 2000u);
  EXPECT_EQ(st.st_mode & 07777, 02755u) << "chown after chmod cleared setgid";
}

TEST(CleanEntryPathTest, Cases) {
  EXPECT_EQ(*CleanEntryPath("./a/./b/"), "a/b");
  EXPECT_EQ(*CleanEntryPath("/abs//x"), "abs/x");
  EXPECT_EQ(*CleanEntryPath("./"), "");
  EXPECT_FALSE(CleanEntryPath("a/../b").ok());
  EXPECT_FALSE(CleanEntryPath("..").ok());
  EXPECT_TRUE(CleanEntryPath("a..b/..c").ok());
}

}  // namespace
}  // namespace pycontain::image
