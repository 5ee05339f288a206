#include "lib/image/image_io.h"

#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lib/image/digest.h"
#include "lib/image/fs_util.h"
#include "lib/image/layer_mount.h"
#include "lib/image/store.h"
#include "lib/image/testing/tar_builder.h"
#include "lib/image/testing/tree_snapshot.h"

namespace pycontain::image {
namespace {

using testing::ReadFile;
using testing::RunShell;
using testing::SnapshotTree;
using testing::TarBuilder;
using testing::WriteFile;

// The number of loop devices whose backing file is `path`.
int LoopDevicesBacking(const std::string& path) {
  int count = 0;
  DIR* dir = opendir("/sys/block");
  if (dir == nullptr) return 0;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (!absl::StartsWith(name, "loop")) continue;
    std::string backing = ReadFile(absl::StrCat("/sys/block/", name, "/loop/backing_file"));
    if (backing == path + "\n") ++count;
  }
  closedir(dir);
  return count;
}

int CountEntries(const std::string& directory) {
  absl::StatusOr<UniqueFd> fd = OpenAt(AT_FDCWD, directory, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return -1;
  int count = 0;
  std::string listing;
  RunShell(absl::StrCat("ls -A '", directory, "'"), &listing);
  for (char c : listing) count += c == '\n';
  return count;
}

std::string SampleTar(Compression compression = Compression::kNone) {
  testing::TarEntry tool;
  tool.name = "bin/tool";
  tool.content = "#!/bin/sh\necho hi\n";
  tool.mode = 0755;
  return TarBuilder(compression)
      .Directory("bin")
      .Add(tool)
      .Symlink("bin/sh", "tool")
      .Hardlink("bin/tool2", "bin/tool")
      .Directory("etc")
      .File("etc/hostname", "box\n")
      .Finish();
}

// Every case runs with both layer formats: directories and squashfs
// images. Reading a squashfs layer's files needs a loop mount (root).
class ImageIoTest : public ::testing::TestWithParam<LayerFormat> {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTestDirectory("image");
    ASSERT_FALSE(dir_.empty());
    StoreOptions options;
    options.root = dir_ + "/store";
    options.layer_format = GetParam();
    absl::StatusOr<Store> store = Store::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_.emplace(*std::move(store));
  }

  void TearDown() override {
    EXPECT_TRUE(store_->UnmountLayers().ok());
    ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, dir_).ok());
    struct stat st;
    EXPECT_NE(lstat(dir_.c_str(), &st), 0);
  }

  std::string Import(const std::string& tar, const std::string& name) {
    std::string path = absl::StrCat(dir_, "/", name, ".tar");
    path.erase(std::remove(path.begin() + dir_.size(), path.end(), ':'), path.end());
    EXPECT_TRUE(WriteFile(path, tar));
    ImportOptions options;
    options.names = {name};
    options.cmd = {"/bin/tool"};
    absl::StatusOr<std::string> id = ImportTarball(*store_, path, options);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  void ExpectStoreEmpty() {
    EXPECT_EQ(CountEntries(store_->root() + "/images"), 0);
    EXPECT_EQ(CountEntries(store_->root() + "/blobs/sha256"), 0);
    EXPECT_EQ(CountEntries(store_->root() + "/layers"), 0);
  }

  std::string dir_;
  std::optional<Store> store_;
};

TEST_P(ImageIoTest, ImportStoresOneLayerImage) {
  std::string id = Import(SampleTar(), "box:1");
  absl::StatusOr<Image> image = store_->GetImage("box:1");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->record.id(), id);
  ASSERT_EQ(image->manifest.layers_size(), 1);
  EXPECT_EQ(image->config.rootfs().diff_ids(0), DigestOf(SampleTar()));
  EXPECT_EQ(image->config.config().cmd(0), "/bin/tool");
  if (GetParam() == LayerFormat::kDirectory || LoopMountsAvailable()) {
    absl::StatusOr<std::string> layer =
        store_->LayerLower(image->config.rootfs().diff_ids(0));
    ASSERT_TRUE(layer.ok()) << layer.status();
    EXPECT_EQ(ReadFile(*layer + "/etc/hostname"), "box\n");
  }
  EXPECT_TRUE(store_->GetImage(id.substr(7, 12)).ok()) << "short id lookup";
}

TEST_P(ImageIoTest, CompressionDetectedByContent) {
  for (Compression compression : {Compression::kGzip, Compression::kZstd}) {
    std::string name = absl::StrCat("c", CompressionName(compression), ":1");
    Import(SampleTar(compression), name);
    absl::StatusOr<Image> image = store_->GetImage(name);
    ASSERT_TRUE(image.ok()) << image.status();
    EXPECT_EQ(image->manifest.layers(0).media_type(), LayerMediaType(compression));
    // The diff id is the digest of the uncompressed tar, whatever the blob.
    EXPECT_EQ(image->config.rootfs().diff_ids(0), DigestOf(SampleTar()));
  }
}

TEST_P(ImageIoTest, SameLayerStoredOnce) {
  Import(SampleTar(), "a:1");
  Import(SampleTar(), "b:1");
  EXPECT_EQ(CountEntries(store_->root() + "/layers"), 1);
  // Layer blob, two configs (different names give the same config only
  // when created in the same second), manifests.
  absl::StatusOr<std::vector<format::ImageRecord>> images = store_->ListImages();
  ASSERT_TRUE(images.ok());
  EXPECT_GE(images->size(), 1u);
}

TEST_P(ImageIoTest, RemoveAndPrune) {
  Import(SampleTar(), "a:1");
  ASSERT_TRUE(store_->RemoveImage("a:1").ok());
  EXPECT_FALSE(store_->GetImage("a:1").ok());
  absl::StatusOr<PruneStats> pruned = store_->Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->layers, 1);
  EXPECT_EQ(pruned->blobs, 3);  // layer, config, manifest
  ExpectStoreEmpty();
}

TEST_P(ImageIoTest, DockerArchiveRoundTripKeepsId) {
  std::string id = Import(SampleTar(Compression::kGzip), "box:1");
  std::string archive = dir_ + "/saved.tar";
  absl::Status saved = SaveDockerArchive(*store_, {"box:1"}, archive);
  ASSERT_TRUE(saved.ok()) << saved;

  ASSERT_TRUE(store_->RemoveImage("box:1").ok());
  ASSERT_TRUE(store_->Prune().ok());
  absl::StatusOr<LoadResult> loaded = LoadImages(*store_, archive, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->images.size(), 1u);
  EXPECT_EQ(loaded->images[0].id, id);
  EXPECT_EQ(loaded->images[0].names, std::vector<std::string>{"box:1"});
}

TEST_P(ImageIoTest, SkopeoReadsDockerArchive) {
  if (RunShell("skopeo --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "skopeo is not installed (scripts/setup installs it)";
  }
  Import(SampleTar(), "box:1");
  std::string archive = dir_ + "/saved.tar";
  ASSERT_TRUE(SaveDockerArchive(*store_, {"box:1"}, archive).ok());
  std::string output;
  ASSERT_EQ(RunShell(absl::StrCat("skopeo inspect docker-archive:", archive, " 2>&1"),
                     &output),
            0)
      << output;
  EXPECT_TRUE(absl::StrContains(output, DigestOf(SampleTar()))) << output;
}

TEST_P(ImageIoTest, UmociUnpacksOciLayoutLikeUs) {
  if (RunShell("umoci --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "umoci is not installed (scripts/setup installs it)";
  }
  Import(SampleTar(Compression::kGzip), "box:1");
  std::string layout = dir_ + "/layout";
  absl::Status saved = SaveOciLayout(*store_, {"box:1"}, layout);
  ASSERT_TRUE(saved.ok()) << saved;

  std::string bundle = dir_ + "/bundle";
  std::string output;
  std::string rootless = geteuid() == 0 ? "" : "--rootless ";
  ASSERT_EQ(RunShell(absl::StrCat("umoci unpack ", rootless, "--image ", layout,
                                  ":1 ", bundle, " 2>&1"),
                     &output),
            0)
      << output;
  std::string ours = dir_ + "/ours";
  ASSERT_TRUE(UnpackImage(*store_, "box:1", ours).ok());
  EXPECT_EQ(SnapshotTree(bundle + "/rootfs"), SnapshotTree(ours));

  // And skopeo reads the layout too.
  if (RunShell("skopeo --version >/dev/null 2>&1") == 0) {
    EXPECT_EQ(RunShell(absl::StrCat("skopeo inspect oci:", layout, ":1 >/dev/null 2>&1")), 0);
  }
  // Loading the saved layout gives the same image back.
  absl::StatusOr<LoadResult> loaded = LoadImages(*store_, layout, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->layers_reused, 1);
  EXPECT_EQ(loaded->layers_unpacked, 0);
}

TEST_P(ImageIoTest, WrongDigestLeavesNothing) {
  Import(SampleTar(), "box:1");
  std::string layout = dir_ + "/layout";
  ASSERT_TRUE(SaveOciLayout(*store_, {"box:1"}, layout).ok());
  ASSERT_TRUE(store_->RemoveImage("box:1").ok());
  ASSERT_TRUE(store_->Prune().ok());

  // Corrupt the layer blob: same size, one byte changed.
  absl::StatusOr<Image> unused = store_->GetImage("box:1");
  EXPECT_FALSE(unused.ok());
  std::string listing;
  RunShell(absl::StrCat("ls -S ", layout, "/blobs/sha256 | head -1"), &listing);
  std::string blob = absl::StrCat(layout, "/blobs/sha256/", listing.substr(0, 64));
  std::string data = ReadFile(blob);
  ASSERT_FALSE(data.empty());
  data[600] ^= 1;
  ASSERT_EQ(chmod(blob.c_str(), 0644), 0);
  ASSERT_EQ(unlink(blob.c_str()), 0);  // the store's copy is hardlinked
  ASSERT_TRUE(WriteFile(blob, data));

  absl::StatusOr<LoadResult> loaded = LoadImages(*store_, layout, {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << loaded.status();
  EXPECT_TRUE(absl::StrContains(loaded.status().message(), "digest mismatch"));
  ExpectStoreEmpty();
}

// A docker-archive whose layer tries to write outside its root.
std::string HostileDockerArchive(const std::string& layer_tar) {
  std::string config = absl::StrCat(
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
      "\"diff_ids\":[\"", DigestOf(layer_tar), "\"]}}");
  return TarBuilder()
      .File("manifest.json",
            "[{\"Config\":\"config.json\",\"RepoTags\":[\"evil:1\"],"
            "\"Layers\":[\"l/layer.tar\"]}]")
      .File("config.json", config)
      .File("l/layer.tar", layer_tar)
      .Finish();
}

TEST_P(ImageIoTest, HostileArchiveLeavesNothing) {
  std::vector<std::string> layers = {
      TarBuilder().File("ok", "1").File("../../escape", "x").Finish(),
      TarBuilder().Symlink("up", "..").Hardlink("h", "up/etc/passwd").Finish(),
  };
  for (const std::string& layer : layers) {
    std::string archive = dir_ + "/evil.tar";
    ASSERT_TRUE(WriteFile(archive, HostileDockerArchive(layer)));
    absl::StatusOr<LoadResult> loaded = LoadImages(*store_, archive, {});
    EXPECT_FALSE(loaded.ok());
    ExpectStoreEmpty();
    EXPECT_EQ(CountEntries(store_->root() + "/tmp"), 0);
  }
  struct stat st;
  EXPECT_NE(lstat((dir_ + "/escape").c_str(), &st), 0);
  EXPECT_NE(lstat((store_->root() + "/escape").c_str(), &st), 0);
}

TEST_P(ImageIoTest, DockerArchiveWithSymlinkedLayer) {
  std::string layer = SampleTar();
  std::string config = absl::StrCat(
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
      "\"diff_ids\":[\"", DigestOf(layer), "\"]}}");
  std::string archive = TarBuilder()
                            .File("manifest.json",
                                  absl::StrCat("[{\"Config\":\"", DigestOf(config).substr(7),
                                               ".json\",\"RepoTags\":[\"s:1\"],",
                                               "\"Layers\":[\"a/layer.tar\"]}]"))
                            .File(DigestOf(config).substr(7) + ".json", config)
                            .File("shared/layer.tar", layer)
                            .Directory("a")
                            .Symlink("a/layer.tar", "../shared/layer.tar")
                            .Finish();
  ASSERT_TRUE(WriteFile(dir_ + "/sym.tar", archive));
  absl::StatusOr<LoadResult> loaded = LoadImages(*store_, dir_ + "/sym.tar", {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->images[0].id, DigestOf(config));
}

TEST_P(ImageIoTest, DecompressionLimitRejectsBomb) {
  StoreOptions options;
  options.root = store_->root();
  options.max_layer_bytes = 1 << 20;
  absl::StatusOr<Store> limited = Store::Open(options);
  ASSERT_TRUE(limited.ok());
  std::string bomb = TarBuilder(Compression::kGzip)
                         .File("zeros", std::string(8 << 20, '\0'))
                         .Finish();
  ASSERT_LT(bomb.size(), 100000u);
  ASSERT_TRUE(WriteFile(dir_ + "/bomb.tar.gz", bomb));
  absl::StatusOr<std::string> id = ImportTarball(*limited, dir_ + "/bomb.tar.gz", {});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kResourceExhausted) << id.status();
  ExpectStoreEmpty();
}

TEST_P(ImageIoTest, TruncatedGzipIsAnError) {
  std::string gz = SampleTar(Compression::kGzip);
  ASSERT_TRUE(WriteFile(dir_ + "/cut.tar.gz", gz.substr(0, gz.size() / 2)));
  absl::StatusOr<std::string> id = ImportTarball(*store_, dir_ + "/cut.tar.gz", {});
  EXPECT_FALSE(id.ok());
  ExpectStoreEmpty();
}

TEST_P(ImageIoTest, InterruptedLoadShowsNoImage) {
  ASSERT_TRUE(WriteFile(dir_ + "/a.tar", SampleTar()));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<Transaction>> transaction = store_->Begin();
    if (!transaction.ok()) _exit(1);
    absl::StatusOr<UniqueFd> fd = OpenAt(AT_FDCWD, dir_ + "/a.tar", O_RDONLY);
    absl::StatusOr<std::string> digest = (*transaction)->AddBlob(fd->get(), "");
    if (!digest.ok() || !(*transaction)->AddLayer(*digest, "").ok()) _exit(2);
    _exit(0);  // killed before Commit: no destructor runs
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);

  EXPECT_EQ(CountEntries(store_->root() + "/tmp"), 1) << "staging left, as after a crash";
  ExpectStoreEmpty();
  absl::StatusOr<std::unique_ptr<Transaction>> next = store_->Begin();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(CountEntries(store_->root() + "/tmp"), 1) << "stale staging not removed";
}

TEST_P(ImageIoTest, InterruptedOnePassLoadShowsNoImage) {
  ASSERT_TRUE(WriteFile(dir_ + "/a.tar", SampleTar(Compression::kGzip)));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<Transaction>> transaction = store_->Begin();
    if (!transaction.ok()) _exit(1);
    absl::StatusOr<UniqueFd> fd = OpenAt(AT_FDCWD, dir_ + "/a.tar", O_RDONLY);
    if (!fd.ok() || !(*transaction)->AddLayerBlob(fd->get(), "", "").ok()) _exit(2);
    _exit(0);  // killed before Commit: no destructor runs
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);

  EXPECT_EQ(CountEntries(store_->root() + "/tmp"), 1) << "staging left, as after a crash";
  ExpectStoreEmpty();
}

TEST_P(ImageIoTest, DockerArchiveWrongDiffIdLeavesNothing) {
  std::string layer = SampleTar(Compression::kGzip);
  std::string config = absl::StrCat(
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
      "\"diff_ids\":[\"", DigestOf("not this layer"), "\"]}}");
  std::string archive = dir_ + "/wrong.tar";
  ASSERT_TRUE(WriteFile(archive, TarBuilder()
                                     .File("manifest.json",
                                           "[{\"Config\":\"config.json\",\"RepoTags\":"
                                           "[\"wrong:1\"],\"Layers\":[\"l/layer.tar\"]}]")
                                     .File("config.json", config)
                                     .File("l/layer.tar", layer)
                                     .Finish()));
  absl::StatusOr<LoadResult> loaded = LoadImages(*store_, archive, {});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss) << loaded.status();
  EXPECT_TRUE(absl::StrContains(loaded.status().message(), "digest mismatch"));
  ExpectStoreEmpty();
}

TEST_P(ImageIoTest, ConcurrentLoadsFromTwoProcesses) {
  Import(SampleTar(Compression::kGzip), "box:1");
  std::string archive = dir_ + "/saved.tar";
  ASSERT_TRUE(SaveDockerArchive(*store_, {"box:1"}, archive).ok());
  ASSERT_TRUE(store_->RemoveImage("box:1").ok());
  ASSERT_TRUE(store_->Prune().ok());

  pid_t children[2];
  for (pid_t& child : children) {
    child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      absl::StatusOr<Store> store = Store::Open({store_->root(), 0, GetParam()});
      _exit(store.ok() && LoadImages(*store, archive, {}).ok() ? 0 : 1);
    }
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  absl::StatusOr<std::vector<format::ImageRecord>> images = store_->ListImages();
  ASSERT_TRUE(images.ok());
  EXPECT_EQ(images->size(), 1u);
  EXPECT_EQ(CountEntries(store_->root() + "/layers"), 1);
}

TEST_P(ImageIoTest, CommitTurnsUpperDirIntoLayer) {
  Import(SampleTar(), "base:1");
  std::string upper = dir_ + "/upper";
  ASSERT_EQ(mkdir(upper.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((upper + "/etc").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(upper + "/etc/new", "n"));
  ASSERT_EQ(mknod((upper + "/etc/hostname").c_str(), S_IFCHR, 0), 0) << "whiteout";
  CommitOptions options;
  options.names = {"derived:1"};
  absl::StatusOr<std::string> id = CommitDirectory(*store_, "base:1", upper, options);
  ASSERT_TRUE(id.ok()) << id.status();

  std::string tree = dir_ + "/tree";
  ASSERT_TRUE(UnpackImage(*store_, "derived:1", tree).ok());
  EXPECT_EQ(ReadFile(tree + "/etc/new"), "n");
  struct stat st;
  EXPECT_NE(lstat((tree + "/etc/hostname").c_str(), &st), 0) << "whiteout not applied";
  EXPECT_EQ(ReadFile(tree + "/bin/tool"), "#!/bin/sh\necho hi\n");
  absl::StatusOr<Image> image = store_->GetImage("derived:1");
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->config.rootfs().diff_ids_size(), 2);
  EXPECT_EQ(image->config.history_size(), 2);
  EXPECT_EQ(image->config.config().cmd(0), "/bin/tool") << "base config kept";
}

TEST_P(ImageIoTest, CommitAppliesChanges) {
  Import(SampleTar(), "base:1");
  std::string upper = dir_ + "/upper";
  ASSERT_EQ(mkdir(upper.c_str(), 0755), 0);
  CommitOptions options;
  options.names = {"derived:1"};
  options.changes = {"ENV A=1", "WORKDIR /srv", "LABEL stage=two", "EXPOSE 8080"};
  absl::StatusOr<std::string> id = CommitDirectory(*store_, "base:1", upper, options);
  ASSERT_TRUE(id.ok()) << id.status();

  absl::StatusOr<Image> image = store_->GetImage("derived:1");
  ASSERT_TRUE(image.ok()) << image.status();
  const format::RunConfig& config = image->config.config();
  ASSERT_EQ(config.cmd_size(), 1);
  EXPECT_EQ(config.cmd(0), "/bin/tool") << "a field no change sets is kept";
  ASSERT_EQ(config.env_size(), 1);
  EXPECT_EQ(config.env(0), "A=1");
  EXPECT_EQ(config.working_dir(), "/srv");
  EXPECT_EQ(config.labels().at("stage"), "two");
  EXPECT_EQ(config.exposed_ports().count("8080/tcp"), 1u);
  EXPECT_EQ(image->config.history_size(), 2);

  options.names = {"derived:2"};
  options.changes = {"CMD [\"/bin/sh\", \"-c\", \"true\"]"};
  id = CommitDirectory(*store_, "derived:1", upper, options);
  ASSERT_TRUE(id.ok()) << id.status();
  image = store_->GetImage("derived:2");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->config.config().cmd_size(), 3);
  EXPECT_EQ(image->config.config().working_dir(), "/srv");
}

TEST_P(ImageIoTest, CommitRejectsInvalidChange) {
  Import(SampleTar(), "base:1");
  int blobs = CountEntries(store_->root() + "/blobs/sha256");
  std::string upper = dir_ + "/upper";
  ASSERT_EQ(mkdir(upper.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(upper + "/new", "n"));
  CommitOptions options;
  options.names = {"derived:1"};
  options.changes = {"ENV A=1", "RUN make"};
  absl::StatusOr<std::string> id = CommitDirectory(*store_, "base:1", upper, options);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(id.status().message(), "RUN make")) << id.status();
  EXPECT_EQ(CountEntries(store_->root() + "/blobs/sha256"), blobs) << "nothing written";
  absl::StatusOr<std::vector<format::ImageRecord>> images = store_->ListImages();
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_EQ(images->size(), 1u);
}

TEST_P(ImageIoTest, LayerFormatRecordedByName) {
  std::string diff_id = DigestOf(SampleTar());
  Import(SampleTar(), "box:1");
  struct stat st;
  bool squashfs = GetParam() == LayerFormat::kSquashfs;
  EXPECT_EQ(lstat(store_->LayerImagePath(diff_id).c_str(), &st) == 0, squashfs);
  EXPECT_EQ(lstat(store_->LayerPath(diff_id).c_str(), &st) == 0, !squashfs);
  EXPECT_TRUE(store_->HasLayer(diff_id));
}

TEST_P(ImageIoTest, StoredLayersNotConvertedAgain) {
  Import(SampleTar(Compression::kGzip), "box:1");
  std::string archive = dir_ + "/saved.tar";
  ASSERT_TRUE(SaveDockerArchive(*store_, {"box:1"}, archive).ok());
  absl::StatusOr<LoadResult> loaded = LoadImages(*store_, archive, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->layers_unpacked, 0);
  EXPECT_EQ(loaded->layers_reused, 1);
}

// The layer's file (squashfs) or directory, as the store keeps it.
std::string StoredLayer(const Store& store, const std::string& diff_id) {
  struct stat st;
  std::string image = store.LayerImagePath(diff_id);
  return lstat(image.c_str(), &st) == 0 ? image : store.LayerPath(diff_id);
}

ino_t InodeOf(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST_P(ImageIoTest, ReimportKeepsStoredLayer) {
  for (Compression compression : {Compression::kNone, Compression::kGzip}) {
    SCOPED_TRACE(CompressionName(compression));
    std::string diff_id = DigestOf(SampleTar());
    Import(SampleTar(compression), "a:1");
    std::string layer = StoredLayer(*store_, diff_id);
    ino_t before = InodeOf(layer);
    ASSERT_NE(before, 0u);

    Import(SampleTar(compression), "b:1");
    EXPECT_EQ(InodeOf(layer), before) << "the layer was written again";
    EXPECT_EQ(CountEntries(store_->root() + "/tmp"), 0);
    ASSERT_TRUE(store_->RemoveImage("a:1").ok());
    ASSERT_TRUE(store_->RemoveImage("b:1").ok());
    ASSERT_TRUE(store_->Prune().ok());
  }
}

TEST_P(ImageIoTest, ImportRejectsInvalidName) {
  std::string path = dir_ + "/layer.tar";
  ASSERT_TRUE(WriteFile(path, SampleTar()));
  ImportOptions options;
  options.names = {"ok:1", "Bad/Name:1"};
  absl::StatusOr<std::string> id = ImportTarball(*store_, path, options);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(id.status().message(), "\"Bad/Name:1\"")) << id.status();
  ExpectStoreEmpty();
}

TEST_P(ImageIoTest, ImportAppliesChanges) {
  std::string path = dir_ + "/layer.tar";
  ASSERT_TRUE(WriteFile(path, SampleTar()));
  ImportOptions options;
  options.names = {"changed:1"};
  options.changes = {"ENTRYPOINT [\"/bin/tool\", \"--\"]", "CMD [\"a\", \"b c\"]",
                     "WORKDIR /srv", "ENV A=1", "EXPOSE 8080", "USER 1000"};
  absl::StatusOr<std::string> id = ImportTarball(*store_, path, options);
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<Image> image = store_->GetImage("changed:1");
  ASSERT_TRUE(image.ok()) << image.status();
  const format::RunConfig& config = image->config.config();
  EXPECT_EQ(std::vector<std::string>(config.entrypoint().begin(), config.entrypoint().end()),
            (std::vector<std::string>{"/bin/tool", "--"}));
  EXPECT_EQ(std::vector<std::string>(config.cmd().begin(), config.cmd().end()),
            (std::vector<std::string>{"a", "b c"}));
  EXPECT_EQ(config.working_dir(), "/srv");
  EXPECT_EQ(std::vector<std::string>(config.env().begin(), config.env().end()),
            (std::vector<std::string>{"A=1"}));
  EXPECT_TRUE(config.exposed_ports().contains("8080/tcp"));
  EXPECT_EQ(config.user(), "1000");
}

TEST_P(ImageIoTest, ImportRejectsInvalidChange) {
  std::string path = dir_ + "/layer.tar";
  ASSERT_TRUE(WriteFile(path, SampleTar()));
  ImportOptions options;
  options.changes = {"RUN make"};
  absl::StatusOr<std::string> id = ImportTarball(*store_, path, options);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(id.status().message(), "RUN make")) << id.status();
  ExpectStoreEmpty();
}

TEST_P(ImageIoTest, CommitRejectsInvalidName) {
  Import(SampleTar(), "base:1");
  std::string upper = dir_ + "/upper";
  ASSERT_EQ(mkdir(upper.c_str(), 0755), 0);
  CommitOptions options;
  options.names = {"base:bad tag"};
  absl::StatusOr<std::string> id = CommitDirectory(*store_, "base:1", upper, options);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(id.status().message(), "tag \"bad tag\"")) << id.status();
  absl::StatusOr<std::vector<format::ImageRecord>> images = store_->ListImages();
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_EQ(images->size(), 1u);
}

TEST_P(ImageIoTest, OtherCompressionReusesLayer) {
  std::string diff_id = DigestOf(SampleTar());
  Import(SampleTar(Compression::kNone), "plain:1");
  ino_t before = InodeOf(StoredLayer(*store_, diff_id));
  Import(SampleTar(Compression::kGzip), "gzip:1");
  EXPECT_EQ(InodeOf(StoredLayer(*store_, diff_id)), before);
  EXPECT_EQ(CountEntries(store_->root() + "/blobs/sha256"), 2 + 2 * 2)
      << "two layer blobs, and a config and a manifest per image";
}

TEST(LayerFormatOptionTest, EnvironmentOverridesAutomaticChoice) {
  std::string root = testing::MakeTestDirectory("format");
  StoreOptions options;
  options.root = root;
  absl::StatusOr<Store> automatic = Store::Open(options);
  ASSERT_TRUE(automatic.ok()) << automatic.status();
  options.layer_format = LayerFormat::kSquashfs;
  absl::StatusOr<Store> explicit_squashfs = Store::Open(options);
  ASSERT_TRUE(explicit_squashfs.ok()) << explicit_squashfs.status();

  EXPECT_EQ(automatic->NewLayerFormat(),
            LoopMountsAvailable() ? LayerFormat::kSquashfs : LayerFormat::kDirectory);
  setenv("PYCONTAIN_LAYER_FORMAT", "directory", 1);
  EXPECT_EQ(automatic->NewLayerFormat(), LayerFormat::kDirectory);
  EXPECT_EQ(explicit_squashfs->NewLayerFormat(), LayerFormat::kSquashfs)
      << "an explicit option wins over the environment";
  setenv("PYCONTAIN_LAYER_FORMAT", "squashfs", 1);
  EXPECT_EQ(automatic->NewLayerFormat(), LayerFormat::kSquashfs);
  unsetenv("PYCONTAIN_LAYER_FORMAT");
  EXPECT_TRUE(RemoveTreeAt(AT_FDCWD, root).ok());
}

// Mounts of squashfs layers, which directory layers do not have.
class SquashfsStoreTest : public ImageIoTest {};

TEST_P(SquashfsStoreTest, RemovingImageDetachesLayerMount) {
  if (!LoopMountsAvailable()) GTEST_SKIP() << "mounting squashfs needs root and loop devices";
  std::string diff_id = DigestOf(SampleTar());
  Import(SampleTar(), "a:1");
  Import(SampleTar(), "b:1");
  absl::StatusOr<std::string> lower = store_->LayerLower(diff_id);
  ASSERT_TRUE(lower.ok()) << lower.status();
  EXPECT_EQ(*lower, store_->LayerMountPath(diff_id));
  EXPECT_TRUE(IsMountPoint(*lower));
  EXPECT_EQ(ReadFile(*lower + "/bin/tool"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(LoopDevicesBacking(store_->LayerImagePath(diff_id)), 1);
  absl::StatusOr<std::string> again = store_->LayerLower(diff_id);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(LoopDevicesBacking(store_->LayerImagePath(diff_id)), 1) << "mounted once";

  // The layer stays mounted while an image uses it.
  ASSERT_TRUE(store_->RemoveImage("a:1").ok());
  EXPECT_TRUE(IsMountPoint(*lower));
  ASSERT_TRUE(store_->RemoveImage("b:1").ok());
  EXPECT_FALSE(IsMountPoint(*lower));
  EXPECT_EQ(LoopDevicesBacking(store_->LayerImagePath(diff_id)), 0);

  absl::StatusOr<PruneStats> pruned = store_->Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->layers, 1);
  ExpectStoreEmpty();
}

TEST_P(SquashfsStoreTest, ConcurrentFirstUsesMountOnce) {
  if (!LoopMountsAvailable()) GTEST_SKIP() << "mounting squashfs needs root and loop devices";
  std::string diff_id = DigestOf(SampleTar());
  Import(SampleTar(), "a:1");
  pid_t children[4];
  for (pid_t& child : children) {
    child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      absl::StatusOr<Store> store = Store::Open({store_->root(), 0, GetParam()});
      _exit(store.ok() && store->LayerLower(diff_id).ok() ? 0 : 1);
    }
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_TRUE(IsMountPoint(store_->LayerMountPath(diff_id)));
  EXPECT_EQ(LoopDevicesBacking(store_->LayerImagePath(diff_id)), 1);
}

TEST_P(SquashfsStoreTest, ReimportLeavesMountedLayerAlone) {
  if (!LoopMountsAvailable()) GTEST_SKIP() << "mounting squashfs needs root and loop devices";
  std::string diff_id = DigestOf(SampleTar());
  Import(SampleTar(Compression::kGzip), "a:1");
  absl::StatusOr<std::string> lower = store_->LayerLower(diff_id);
  ASSERT_TRUE(lower.ok()) << lower.status();

  // A loop device whose file was replaced reports "<path> (deleted)".
  Import(SampleTar(Compression::kGzip), "a:2");
  Import(SampleTar(Compression::kNone), "a:3");
  EXPECT_EQ(LoopDevicesBacking(store_->LayerImagePath(diff_id)), 1);
  EXPECT_EQ(ReadFile(*lower + "/bin/tool"), "#!/bin/sh\necho hi\n");
}

// The compressor id (offset 20) and flags (offset 24) of a squashfs
// superblock, both little-endian 16-bit.
std::pair<int, int> SuperblockCompression(const std::string& image) {
  std::string data = ReadFile(image);
  if (data.size() < 26) return {-1, -1};
  auto word = [&](size_t offset) {
    return static_cast<unsigned char>(data[offset]) |
           (static_cast<unsigned char>(data[offset + 1]) << 8);
  };
  return {word(20), word(24)};
}

TEST_P(SquashfsStoreTest, CompressorFromEnvironment) {
  if (!LoopMountsAvailable()) GTEST_SKIP() << "mounting squashfs needs root and loop devices";
  std::string plain_diff_id = DigestOf(SampleTar());
  Import(SampleTar(), "plain:1");
  auto [plain_id, plain_flags] = SuperblockCompression(store_->LayerImagePath(plain_diff_id));
  EXPECT_EQ(plain_id, 1) << "gzip named in the superblock";
  EXPECT_EQ(plain_flags & 0x0002, 0x0002) << "data blocks flagged uncompressed by default";

  setenv("PYCONTAIN_SQUASHFS_COMPRESSOR", "zstd", 1);
  std::string other = TarBuilder().File("other", "zstd\n").Finish();
  Import(other, "zstd:1");
  unsetenv("PYCONTAIN_SQUASHFS_COMPRESSOR");
  auto [zstd_id, zstd_flags] = SuperblockCompression(store_->LayerImagePath(DigestOf(other)));
  EXPECT_EQ(zstd_id, 6);
  EXPECT_EQ(zstd_flags & 0x0002, 0);

  for (const std::string& diff_id : {plain_diff_id, DigestOf(other)}) {
    absl::StatusOr<std::string> lower = store_->LayerLower(diff_id);
    ASSERT_TRUE(lower.ok()) << lower.status();
  }
  EXPECT_EQ(ReadFile(store_->LayerMountPath(plain_diff_id) + "/bin/tool"),
            "#!/bin/sh\necho hi\n");
  EXPECT_EQ(ReadFile(store_->LayerMountPath(DigestOf(other)) + "/other"), "zstd\n");
}

TEST_P(SquashfsStoreTest, InvalidCompressorRejected) {
  setenv("PYCONTAIN_SQUASHFS_COMPRESSOR", "brotli", 1);
  std::string path = dir_ + "/layer.tar";
  ASSERT_TRUE(WriteFile(path, SampleTar()));
  absl::StatusOr<std::string> id = ImportTarball(*store_, path, {});
  unsetenv("PYCONTAIN_SQUASHFS_COMPRESSOR");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(id.status().message(), "brotli")) << id.status();
  ExpectStoreEmpty();
}

TEST_P(SquashfsStoreTest, PruneDetachesMountOfUnusedLayer) {
  if (!LoopMountsAvailable()) GTEST_SKIP() << "mounting squashfs needs root and loop devices";
  std::string diff_id = DigestOf(SampleTar());
  Import(SampleTar(), "a:1");
  ASSERT_TRUE(store_->LayerLower(diff_id).ok());
  // Mounted again after the image went, as a container started just
  // before `image rm` would leave it.
  ASSERT_TRUE(store_->RemoveImage("a:1").ok());
  ASSERT_EQ(MountSquashfsImage(store_->LayerImagePath(diff_id), store_->LayerMountPath(diff_id)),
            absl::OkStatus());
  absl::StatusOr<PruneStats> pruned = store_->Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(LoopDevicesBacking(store_->LayerImagePath(diff_id)), 0);
  ExpectStoreEmpty();
}

INSTANTIATE_TEST_SUITE_P(Formats, ImageIoTest,
                         ::testing::Values(LayerFormat::kDirectory, LayerFormat::kSquashfs),
                         [](const ::testing::TestParamInfo<LayerFormat>& info) {
                           return info.param == LayerFormat::kSquashfs ? "Squashfs"
                                                                       : "Directory";
                         });
INSTANTIATE_TEST_SUITE_P(Squashfs, SquashfsStoreTest,
                         ::testing::Values(LayerFormat::kSquashfs));

}  // namespace
}  // namespace pycontain::image
