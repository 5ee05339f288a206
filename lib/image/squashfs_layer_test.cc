// WriteSquashfsLayer against ApplyLayer: the same tar converted to a
// squashfs image and mounted through a loop device must show the tree that
// ApplyLayer (overlay whiteouts, owners kept) writes into a directory.
// Mounting needs root; the tests skip elsewhere.
#include "lib/image/squashfs_layer.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/status.h"
#include "lib/image/fs_util.h"
#include "lib/image/layer_mount.h"
#include "lib/image/layer_stream.h"
#include "lib/image/testing/tar_builder.h"
#include "lib/image/testing/tree_snapshot.h"

namespace pycontain::image {
namespace {

using testing::TarBuilder;
using testing::TarEntry;

// Backing files of attached loop devices that lie under `prefix`.
std::vector<std::string> LoopBackingFilesUnder(const std::string& prefix) {
  std::vector<std::string> found;
  DIR* dir = opendir("/sys/block");
  if (dir == nullptr) return found;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (!absl::StartsWith(name, "loop")) continue;
    std::string backing =
        testing::ReadFile(absl::StrCat("/sys/block/", name, "/loop/backing_file"));
    if (absl::StartsWith(backing, prefix)) found.push_back(name + " " + backing);
  }
  closedir(dir);
  return found;
}

class SquashfsLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!LoopMountsAvailable()) GTEST_SKIP() << "mounting squashfs needs root and loop devices";
    dir_ = testing::MakeTestDirectory("squashfs");
    ASSERT_FALSE(dir_.empty());
    mountpoint_ = dir_ + "/mnt";
    directory_ = dir_ + "/directory";
    ASSERT_EQ(mkdir(mountpoint_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(directory_.c_str(), 0755), 0);
  }

  void TearDown() override {
    if (dir_.empty()) return;
    EXPECT_TRUE(DetachMount(mountpoint_).ok());
    EXPECT_FALSE(IsMountPoint(mountpoint_));
    ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, dir_).ok());
    EXPECT_THAT(LoopBackingFilesUnder(dir_), ::testing::IsEmpty());
  }

  absl::StatusOr<std::unique_ptr<LayerStream>> Stream(const std::string& tar) {
    std::string path = absl::StrCat(dir_, "/layer-", ++layers_, ".tar");
    if (!testing::WriteFile(path, tar)) return absl::InternalError("write " + path);
    absl::StatusOr<UniqueFd> fd = OpenAt(AT_FDCWD, path, O_RDONLY);
    if (!fd.ok()) return fd.status();
    return LayerStream::Open(*std::move(fd), path, {});
  }

  // Converts `tar` into a new image under dir_, image_ from then on.
  absl::StatusOr<ApplyStats> Convert(const std::string& tar) {
    absl::StatusOr<std::unique_ptr<LayerStream>> stream = Stream(tar);
    if (!stream.ok()) return stream.status();
    image_ = absl::StrCat(dir_, "/layer-", layers_, ".squashfs");
    return WriteSquashfsLayer((*stream)->tar(), image_, options_);
  }

  // Converts and mounts `tar`, and applies it to directory_ as the store's
  // directory format does.
  void ConvertMountAndApply(const std::string& tar) {
    absl::StatusOr<ApplyStats> converted = Convert(tar);
    ASSERT_TRUE(converted.ok()) << converted.status();
    absl::Status mounted = MountSquashfsImage(image_, mountpoint_);
    ASSERT_TRUE(mounted.ok()) << mounted;
    ASSERT_TRUE(IsMountPoint(mountpoint_));

    absl::StatusOr<std::unique_ptr<LayerStream>> stream = Stream(tar);
    ASSERT_TRUE(stream.ok()) << stream.status();
    absl::StatusOr<UniqueFd> root = OpenAt(AT_FDCWD, directory_, O_PATH | O_DIRECTORY);
    ASSERT_TRUE(root.ok()) << root.status();
    ApplyOptions options;
    options.whiteouts = WhiteoutMode::kOverlay;
    options.preserve_owners = true;
    absl::StatusOr<ApplyStats> applied = ApplyLayer((*stream)->tar(), root->get(), options);
    ASSERT_TRUE(applied.ok()) << applied.status();
  }

  std::string Mounted(const std::string& path) const { return mountpoint_ + "/" + path; }

  std::string Xattr(const std::string& path, const std::string& key) {
    char value[256];
    ssize_t size = lgetxattr(path.c_str(), key.c_str(), value, sizeof(value));
    return size < 0 ? "<none>" : std::string(value, static_cast<size_t>(size));
  }

  std::string dir_;
  std::string mountpoint_;
  std::string directory_;
  std::string image_;
  int layers_ = 0;
  SquashfsOptions options_;
};

// A VFS_CAP_REVISION_2 security.capability value granting
// CAP_NET_BIND_SERVICE (bit 10) as permitted, as `setcap` writes it.
std::string FileCapability() {
  std::string value(20, '\0');
  value[0] = 0x01;  // VFS_CAP_FLAGS_EFFECTIVE
  value[3] = 0x02;  // revision 2, little-endian
  value[5] = 0x04;  // permitted, bit 10
  return value;
}

std::string RichLayer() {
  TarEntry tool;
  tool.name = "usr/bin/tool";
  tool.content = "#!/bin/sh\necho tool\n";
  tool.mode = 04755;
  tool.uid = 1000;
  tool.gid = 50;
  tool.mtime = 1234567890;
  TarEntry big;
  big.name = "data/big";
  big.content = std::string(300 * 1024, 'x') + "end";
  TarEntry tagged;
  tagged.name = "data/tagged";
  tagged.content = "tagged\n";
  tagged.xattrs["user.binary"] = std::string("a\0b\xff", 4);
  tagged.xattrs["security.capability"] = FileCapability();
  TarEntry fifo;
  fifo.name = "dev/fifo";
  fifo.type = S_IFIFO;
  TarEntry null_device;
  null_device.name = "dev/null";
  null_device.type = S_IFCHR;
  null_device.mode = 0666;
  null_device.device_major = 1;
  null_device.device_minor = 3;
  TarEntry big_minor;
  big_minor.name = "dev/block";
  big_minor.type = S_IFBLK;
  big_minor.device_major = 259;
  big_minor.device_minor = 70000;
  return TarBuilder()
      .Directory("usr")
      .Directory("usr/bin")
      .Add(tool)
      .Hardlink("usr/bin/tool-link", "usr/bin/tool")
      .Symlink("usr/bin/sh", "tool")
      .Hardlink("usr/bin/sh-link", "usr/bin/sh")
      .Add(big)
      .Add(tagged)
      .File("data/empty", "")
      .Add(fifo)
      .Add(null_device)
      .Add(big_minor)
      .File("missing/parents/file", "deep\n")
      .File("replaced", "a file first\n")
      .Directory("replaced")
      .File("replaced/child", "then a directory\n")
      .Directory("etc", 0700)
      .File("etc/.wh.gone", "")
      .File("opaque/.wh..wh..opq", "")
      .File("opaque/kept", "same layer\n")
      .Symlink("link-to-etc", "/etc")
      .File("link-to-etc/through-link", "resolved inside\n")
      .Finish();
}

TEST_F(SquashfsLayerTest, MountedTreeMatchesDirectoryApply) {
  ConvertMountAndApply(RichLayer());
  std::map<std::string, std::string> mounted = testing::SnapshotTree(mountpoint_);
  EXPECT_EQ(mounted, testing::SnapshotTree(directory_));
  EXPECT_TRUE(mounted.count("usr/bin/tool")) << "the snapshot saw the tree";
}

TEST_F(SquashfsLayerTest, UncompressedImageMatchesDirectoryApply) {
  options_.compressor = SquashfsCompressor::kNone;
  ConvertMountAndApply(RichLayer());
  std::map<std::string, std::string> mounted = testing::SnapshotTree(mountpoint_);
  EXPECT_EQ(mounted, testing::SnapshotTree(directory_));
  EXPECT_TRUE(mounted.count("usr/bin/tool")) << "the snapshot saw the tree";
  // data/big is 300 KiB of one byte, which any compressor shrinks.
  struct stat image;
  ASSERT_EQ(stat(image_.c_str(), &image), 0);
  EXPECT_GT(image.st_size, 300 << 10) << "blocks were compressed";
}

TEST(SquashfsCompressorTest, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(ParseSquashfsCompressor("zstd").value(), SquashfsCompressor::kZstd);
  EXPECT_EQ(ParseSquashfsCompressor("lz4").value(), SquashfsCompressor::kLz4);
  EXPECT_EQ(ParseSquashfsCompressor("gzip").value(), SquashfsCompressor::kGzip);
  EXPECT_EQ(ParseSquashfsCompressor("none").value(), SquashfsCompressor::kNone);
  absl::StatusOr<SquashfsCompressor> invalid = ParseSquashfsCompressor("xz");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(invalid.status().message()), ::testing::HasSubstr("\"xz\""));
}

TEST_F(SquashfsLayerTest, FilesKeepContentOwnersModesAndTimes) {
  ConvertMountAndApply(RichLayer());
  EXPECT_EQ(testing::ReadFile(Mounted("usr/bin/tool")), "#!/bin/sh\necho tool\n");
  struct stat st;
  ASSERT_EQ(lstat(Mounted("usr/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFREG | 04755);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 50u);
  EXPECT_EQ(st.st_mtime, 1234567890);
  EXPECT_EQ(st.st_nlink, 2u);
  struct stat link;
  ASSERT_EQ(lstat(Mounted("usr/bin/tool-link").c_str(), &link), 0);
  EXPECT_EQ(link.st_ino, st.st_ino);
  ASSERT_EQ(lstat(Mounted("usr/bin/sh-link").c_str(), &link), 0);
  EXPECT_TRUE(S_ISLNK(link.st_mode)) << "a hardlink to a symlink is the symlink";
  EXPECT_EQ(testing::ReadFile(Mounted("data/big")).size(), 300u * 1024 + 3);
  EXPECT_EQ(testing::ReadFile(Mounted("etc/through-link")), "resolved inside\n");
}

TEST_F(SquashfsLayerTest, XattrsKeptByteForByte) {
  ConvertMountAndApply(RichLayer());
  EXPECT_EQ(Xattr(Mounted("data/tagged"), "user.binary"), std::string("a\0b\xff", 4));
  EXPECT_EQ(Xattr(Mounted("data/tagged"), "security.capability"), FileCapability());
}

TEST_F(SquashfsLayerTest, DevicesKeepNumbers) {
  ConvertMountAndApply(RichLayer());
  struct stat st;
  ASSERT_EQ(lstat(Mounted("dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  ASSERT_EQ(lstat(Mounted("dev/block").c_str(), &st), 0);
  EXPECT_TRUE(S_ISBLK(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(259, 70000));
  ASSERT_EQ(lstat(Mounted("dev/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_F(SquashfsLayerTest, WhiteoutsBecomeOverlayForms) {
  ConvertMountAndApply(RichLayer());
  struct stat st;
  ASSERT_EQ(lstat(Mounted("etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_NE(lstat(Mounted("etc/.wh.gone").c_str(), &st), 0);
  EXPECT_EQ(Xattr(Mounted("opaque"), "trusted.overlay.opaque"), "y");
  EXPECT_EQ(testing::ReadFile(Mounted("opaque/kept")), "same layer\n");
}

TEST_F(SquashfsLayerTest, ManyEntriesInOneDirectory) {
  // More entries than one directory header or metadata block holds.
  TarBuilder builder;
  for (int i = 0; i < 3000; ++i) {
    builder.File(absl::StrCat("many/file-with-a-longer-name-", i), absl::StrCat(i));
  }
  ConvertMountAndApply(builder.Finish());
  EXPECT_EQ(testing::SnapshotTree(mountpoint_), testing::SnapshotTree(directory_));
  EXPECT_EQ(testing::ReadFile(Mounted("many/file-with-a-longer-name-2999")), "2999");
}

TEST_F(SquashfsLayerTest, ZeroBlocksStoredSparse) {
  ConvertMountAndApply(TarBuilder().File("zeros", std::string(4 << 20, '\0')).Finish());
  struct stat image;
  ASSERT_EQ(stat(image_.c_str(), &image), 0);
  EXPECT_LT(image.st_size, 64 << 10) << "4 MiB of zeros took space in the image";
  EXPECT_EQ(testing::ReadFile(Mounted("zeros")), std::string(4 << 20, '\0'));
}

TEST_F(SquashfsLayerTest, DotDotRejectedWithName) {
  absl::StatusOr<ApplyStats> converted =
      Convert(TarBuilder().File("ok", "1").File("a/../../escape", "x").Finish());
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(converted.status().message()), ::testing::HasSubstr("a/../../escape"));
}

TEST_F(SquashfsLayerTest, EscapingHardlinkRejected) {
  absl::StatusOr<ApplyStats> converted =
      Convert(TarBuilder().Hardlink("passwd", "../../etc/passwd").Finish());
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), absl::StatusCode::kInvalidArgument);
  converted = Convert(TarBuilder().Hardlink("shadow", "/etc/shadow").Finish());
  EXPECT_FALSE(converted.ok()) << "a target not in the layer";
}

TEST_F(SquashfsLayerTest, BogusHeaderIsDataLoss) {
  absl::StatusOr<ApplyStats> converted = Convert(std::string(1024, 'x'));
  ASSERT_FALSE(converted.ok());
  EXPECT_EQ(converted.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace pycontain::image
