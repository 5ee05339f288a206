// Volumes and bind mounts, as root on the real kernel. Covers named volumes
// that outlive containers, seeding from the image, anonymous volumes and
// --rm, and `pycontain volume`. Also read-only and symlinked bind
// destinations, and bad input that must fail before anything is mounted.
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "lib/container/gc.h"
#include "lib/container/volume.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"
#include "lib/overlay/overlay.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using testing::ReadFile;
using testing::WriteFile;
using testing::Entries;
using testing::Exists;
using testing::WaitForLoopDevicesUnder;
using testing::RunCli;
using testing::CliResult;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using testing::BusyboxRoot;
using testing::Output;

class VolumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "volumes on overlay roots need root";
    std::string pattern = absl::StrCat(getenv("TEST_TMPDIR"), "/volume-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    // Every test gets its own store, through the variable the CLI reads too.
    setenv("PYCONTAIN_ROOT", (dir_ + "/store").c_str(), 1);
    absl::StatusOr<image::Store> store = image::Store::Open({});
    ASSERT_TRUE(store.ok()) << store.status();
    store_.emplace(std::move(*store));
    absl::StatusOr<container::VolumeStore> volumes = container::VolumeStore::Open("");
    ASSERT_TRUE(volumes.ok()) << volumes.status();
    volumes_.emplace(std::move(*volumes));
    before_ = testing::TakeSnapshot();
  }

  void TearDown() override {
    if (!store_.has_value()) return;
    // Squashfs layer mounts belong to the store and outlive containers;
    // this test's store goes now, and its mounts with it.
    EXPECT_TRUE(store_->UnmountLayers().ok());
    WaitForLoopDevicesUnder(dir_);
    testing::ExpectNothingLeaked(before_);
    // No staging directory of a volume creation or removal is left.
    for (const std::string& name : Entries(volumes_->path())) {
      EXPECT_NE(name[0], '.') << name;
    }
    EXPECT_THAT(Entries(store_->root() + "/containers"), IsEmpty());
    EXPECT_TRUE(overlay::RemoveTree(dir_).ok());
    unsetenv("PYCONTAIN_ROOT");
  }

  std::vector<std::string> VolumeNames() {
    std::vector<std::string> names;
    absl::StatusOr<std::vector<container::VolumeRecord>> list = volumes_->List();
    EXPECT_TRUE(list.ok()) << list.status();
    if (list.ok()) {
      for (const container::VolumeRecord& volume : *list) names.push_back(volume.name());
    }
    return names;
  }

  // Imports the busybox root plus the tree `extra` (under dir_, may be
  // empty) as the one-layer image `name`, with VOLUME paths `volumes`.
  void ImportImage(const std::string& name, const std::string& extra,
                   const std::vector<std::string>& volumes = {}) {
    std::string tarball = absl::StrCat(dir_, "/", name.substr(0, name.find(':')), ".tar");
    std::string command = absl::StrCat("tar --xattrs --xattrs-include='*' -cf ", tarball,
                                       " -C ", BusyboxRoot(), " .");
    if (!extra.empty()) absl::StrAppend(&command, " -C ", extra, " .");
    ASSERT_EQ(system(command.c_str()), 0) << command;
    image::ImportOptions options;
    options.names = {name};
    options.cmd = {"/bin/sh"};
    options.env = {"PATH=/bin:/sbin:/usr/bin"};
    options.volumes = volumes;
    absl::StatusOr<std::string> id = image::ImportTarball(*store_, tarball, options);
    ASSERT_TRUE(id.ok()) << id.status();
  }

  // An image with /seed (mode 0750), which holds a file owned by 1234:5678
  // with mode 0640 and an extended attribute, a hard link to it, a symlink
  // and a nested directory. It also has /cache/prefilled and VOLUME /cache.
  void MakeSeedImage() {
    std::string extra = dir_ + "/extra";
    ASSERT_EQ(mkdir(extra.c_str(), 0755), 0);
    std::string seed = extra + "/seed";
    ASSERT_EQ(mkdir(seed.c_str(), 0750), 0);
    ASSERT_EQ(chmod(seed.c_str(), 0750), 0);
    WriteFile(seed + "/file", "from the image\n");
    ASSERT_EQ(chown((seed + "/file").c_str(), 1234, 5678), 0);
    ASSERT_EQ(chmod((seed + "/file").c_str(), 0640), 0);
    ASSERT_EQ(setxattr((seed + "/file").c_str(), "user.colour", "blue", 4, 0), 0)
        << strerror(errno);
    ASSERT_EQ(link((seed + "/file").c_str(), (seed + "/hardlink").c_str()), 0);
    ASSERT_EQ(symlink("file", (seed + "/symlink").c_str()), 0);
    ASSERT_EQ(mkdir((seed + "/sub").c_str(), 0755), 0);
    WriteFile(seed + "/sub/deep", "deep\n");
    ASSERT_EQ(mkdir((extra + "/cache").c_str(), 0755), 0);
    WriteFile(extra + "/cache/prefilled", "prefilled\n");
    ImportImage("seed:1", extra, {"/cache"});
  }

  spec::ContainerSpec ImageSpec(const std::string& image, const std::string& script) {
    spec::ContainerSpec spec;
    spec.set_image(image);
    for (const char* arg : {"/bin/sh", "-c"}) spec.mutable_process()->add_args(arg);
    spec.mutable_process()->add_args(script);
    return spec;
  }

  static spec::Mount VolumeMount(const std::string& name, const std::string& destination) {
    spec::Mount mount;
    mount.set_type("volume");
    mount.set_source(name);
    mount.set_destination(destination);
    return mount;
  }

  std::string dir_;
  std::optional<image::Store> store_;
  std::optional<container::VolumeStore> volumes_;
  testing::HostSnapshot before_;
};

TEST_F(VolumeTest, NamedVolumeKeepsDataForNextContainer) {
  ImportImage("base:1", "");
  spec::ContainerSpec first = ImageSpec("base:1", "echo kept > /data/file");
  *first.add_mounts() = VolumeMount("data", "/data");
  absl::StatusOr<Output> written = testing::RunCaptured(first);
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ(written->result.exit_code(), 0) << written->stderr_text;

  spec::ContainerSpec second = ImageSpec("base:1", "cat /data/file");
  *second.add_mounts() = VolumeMount("data", "/data");
  absl::StatusOr<Output> read = testing::RunCaptured(second);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->stdout_text, "kept\n");

  absl::StatusOr<container::VolumeRecord> volume = volumes_->Inspect("data");
  ASSERT_TRUE(volume.ok()) << volume.status();
  EXPECT_EQ(ReadFile(volume->mountpoint() + "/file"), "kept\n");
  EXPECT_FALSE(container::IsAnonymous(*volume));
  // The containers are gone, so nothing uses the volume any more.
  EXPECT_THAT(volumes_->Users("data"), IsEmpty());
}

TEST_F(VolumeTest, NewVolumeSeededFromImage) {
  MakeSeedImage();
  spec::ContainerSpec spec =
      ImageSpec("seed:1", "stat -c '%u:%g %a' /seed/file; cat /seed/file; rm /seed/file");
  *spec.add_mounts() = VolumeMount("seeded", "/seed");
  absl::StatusOr<Output> output = testing::RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "1234:5678 640\nfrom the image\n") << output->stderr_text;

  absl::StatusOr<container::VolumeRecord> volume = volumes_->Inspect("seeded");
  ASSERT_TRUE(volume.ok()) << volume.status();
  std::string data = volume->mountpoint();
  struct stat root;
  ASSERT_EQ(stat(data.c_str(), &root), 0);
  EXPECT_EQ(root.st_mode & 07777, 0750u) << "the volume takes the mode of /seed";
  struct stat link, deep;
  ASSERT_EQ(stat((data + "/hardlink").c_str(), &link), 0);
  EXPECT_EQ(link.st_uid, 1234u);
  EXPECT_EQ(link.st_gid, 5678u);
  EXPECT_EQ(link.st_mode & 07777, 0640u);
  char colour[16] = {};
  EXPECT_EQ(getxattr((data + "/hardlink").c_str(), "user.colour", colour, sizeof(colour)), 4);
  EXPECT_STREQ(colour, "blue");
  char target[16] = {};
  EXPECT_EQ(readlink((data + "/symlink").c_str(), target, sizeof(target)), 4);
  EXPECT_STREQ(target, "file");
  ASSERT_EQ(stat((data + "/sub/deep").c_str(), &deep), 0);
  EXPECT_EQ(ReadFile(data + "/sub/deep"), "deep\n");

  // A volume that is not empty is never seeded again: the file removed
  // inside the container stays removed.
  EXPECT_FALSE(Exists(data + "/file"));
  spec::ContainerSpec again = ImageSpec("seed:1", "ls /seed");
  *again.add_mounts() = VolumeMount("seeded", "/seed");
  output = testing::RunCaptured(again);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "hardlink\nsub\nsymlink\n");
}

TEST_F(VolumeTest, NocopyLeavesNewVolumeEmpty) {
  MakeSeedImage();
  spec::ContainerSpec spec = ImageSpec("seed:1", "ls -A /seed | wc -l");
  spec::Mount* mount = spec.add_mounts();
  *mount = VolumeMount("empty", "/seed");
  mount->add_options("nocopy");
  absl::StatusOr<Output> output = testing::RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "0\n") << output->stderr_text;
}

TEST_F(VolumeTest, AnonymousVolumeRemovedWithRm) {
  MakeSeedImage();
  spec::ContainerSpec spec =
      ImageSpec("seed:1", "cat /cache/prefilled; grep -c ' /cache ' /proc/mounts");
  spec.set_remove_anonymous_volumes(true);
  absl::StatusOr<Output> output = testing::RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  // The image's VOLUME /cache is a mount of its own, seeded from the image.
  EXPECT_EQ(output->stdout_text, "prefilled\n1\n") << output->stderr_text;
  EXPECT_THAT(VolumeNames(), IsEmpty());
}

TEST_F(VolumeTest, AnonymousVolumeKeptWithoutRm) {
  MakeSeedImage();
  absl::StatusOr<container::VolumeRecord> named = volumes_->Create({.name = "named"});
  ASSERT_TRUE(named.ok()) << named.status();
  absl::StatusOr<Output> output =
      testing::RunCaptured(ImageSpec("seed:1", "echo written > /cache/new"));
  ASSERT_TRUE(output.ok()) << output.status();
  ASSERT_EQ(output->result.exit_code(), 0) << output->stderr_text;

  absl::StatusOr<std::vector<container::VolumeRecord>> list = volumes_->List();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  const container::VolumeRecord& anonymous = (*list)[0].name() == "named" ? (*list)[1] : (*list)[0];
  EXPECT_TRUE(container::IsAnonymous(anonymous));
  EXPECT_EQ(anonymous.name().size(), 64u);
  EXPECT_EQ(ReadFile(anonymous.mountpoint() + "/new"), "written\n");
  EXPECT_EQ(ReadFile(anonymous.mountpoint() + "/prefilled"), "prefilled\n");

  // Prune without -a takes unused anonymous volumes only.
  absl::StatusOr<std::vector<std::string>> pruned = volumes_->Prune(/*all=*/false);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_THAT(*pruned, ElementsAre(anonymous.name()));
  EXPECT_THAT(VolumeNames(), ElementsAre("named"));
}

TEST_F(VolumeTest, MountBelowImageVolumeLandsOnIt) {
  MakeSeedImage();
  spec::ContainerSpec spec = ImageSpec("seed:1", "echo inner > /cache/inner/file");
  *spec.add_mounts() = VolumeMount("inner", "/cache/inner");
  spec.set_remove_anonymous_volumes(true);
  absl::StatusOr<Output> output = testing::RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  ASSERT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  absl::StatusOr<container::VolumeRecord> inner = volumes_->Inspect("inner");
  ASSERT_TRUE(inner.ok()) << inner.status();
  EXPECT_EQ(ReadFile(inner->mountpoint() + "/file"), "inner\n");

  // Errors count the caller's mounts, not those the image adds.
  spec = ImageSpec("seed:1", "true");
  spec.mutable_root()->set_readonly(true);
  spec::Mount* tmpfs = spec.add_mounts();
  tmpfs->set_type("tmpfs");
  tmpfs->set_destination("/scratch");
  tmpfs->add_options("colour=red");
  output = testing::RunCaptured(spec);
  ASSERT_FALSE(output.ok());
  EXPECT_THAT(output.status().message(), HasSubstr("mounts[0].options"));
  EXPECT_THAT(VolumeNames(), ElementsAre("inner"));
}

TEST_F(VolumeTest, EarlierUserRecordOutlivesRun) {
  // A managed container records itself as a user for as long as it
  // exists; a run under its id must leave that record in place.
  ImportImage("base:1", "");
  absl::StatusOr<container::VolumeRecord> volume = volumes_->Create({.name = "kept"});
  ASSERT_TRUE(volume.ok()) << volume.status();
  ASSERT_TRUE(volumes_->AddUser("kept", "volume-test-owner").ok());
  spec::ContainerSpec spec = ImageSpec("base:1", "true");
  spec.set_id("volume-test-owner");
  *spec.add_mounts() = VolumeMount("kept", "/kept");
  *spec.add_mounts() = VolumeMount("added-by-run", "/added");
  absl::StatusOr<Output> output = testing::RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_TRUE(volumes_->HasUserRecord("kept", "volume-test-owner"));
  EXPECT_FALSE(volumes_->HasUserRecord("added-by-run", "volume-test-owner"));
  volumes_->RemoveUser("kept", "volume-test-owner");
}

TEST_F(VolumeTest, GcRemovesVolumesOfGoneRmContainers) {
  // As if a `run --rm` owner was killed: its anonymous volume is marked
  // for removal with the container, and the container is gone.
  container::VolumeOptions orphaned;
  orphaned.container_id = "volume-test-killed";
  orphaned.remove_with_container = true;
  absl::StatusOr<container::VolumeRecord> gone = volumes_->Create(orphaned);
  ASSERT_TRUE(gone.ok()) << gone.status();
  // Without --rm the anonymous volume stays, as Docker keeps it.
  container::VolumeOptions kept;
  kept.container_id = "volume-test-killed";
  absl::StatusOr<container::VolumeRecord> stays = volumes_->Create(kept);
  ASSERT_TRUE(stays.ok()) << stays.status();

  container::GcOptions options;
  options.orphan_min_age = absl::Seconds(-1);
  absl::StatusOr<container::GcReport> report = container::CollectGarbage(options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->volumes, ElementsAre(gone->name()));
  EXPECT_THAT(VolumeNames(), ElementsAre(stays->name()));
}

TEST_F(VolumeTest, CliCreateListInspectRemovePrune) {
  ImportImage("base:1", "");
  CliResult created = RunCli({"volume", "create", "--label", "team=db", "cli-data"});
  ASSERT_EQ(created.status, 0) << created.err;
  EXPECT_EQ(created.out, "cli-data\n");
  CliResult anonymous = RunCli({"volume", "create"});
  ASSERT_EQ(anonymous.status, 0) << anonymous.err;
  std::string anonymous_name = anonymous.out.substr(0, anonymous.out.size() - 1);
  EXPECT_EQ(anonymous_name.size(), 64u);

  CliResult listed = RunCli({"volume", "ls", "-q"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("cli-data\n"));
  EXPECT_THAT(listed.out, HasSubstr(anonymous_name + "\n"));
  CliResult filtered = RunCli({"volume", "ls", "-q", "--filter", "label=team=db"});
  EXPECT_EQ(filtered.out, "cli-data\n");

  CliResult inspected = RunCli({"volume", "inspect", "cli-data"});
  ASSERT_EQ(inspected.status, 0) << inspected.err;
  EXPECT_THAT(inspected.out, HasSubstr("\"Name\": \"cli-data\""));
  EXPECT_THAT(inspected.out, HasSubstr(absl::StrCat("\"Mountpoint\": \"", volumes_->path(),
                                                    "/cli-data/_data\"")));
  EXPECT_THAT(inspected.out, HasSubstr("\"team\": \"db\""));
  CliResult missing = RunCli({"volume", "inspect", "no-such-volume"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_THAT(missing.err, HasSubstr("volume \"no-such-volume\" not found"));

  // run -v with --rm: the anonymous volume goes with the container; the
  // named one is made on first use and stays.
  CliResult run = RunCli({"run", "--rm", "-v", "/scratch", "-v", "made-by-run:/made", "base:1",
                          "sh", "-c", "touch /scratch/x /made/y"});
  ASSERT_EQ(run.status, 0) << run.err;
  listed = RunCli({"volume", "ls", "-q"});
  std::vector<std::string> names = absl::StrSplit(listed.out, '\n', absl::SkipEmpty());
  EXPECT_THAT(names, UnorderedElementsAre(anonymous_name, "cli-data", "made-by-run"));

  CliResult pruned = RunCli({"volume", "prune"});
  ASSERT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_EQ(pruned.out, absl::StrCat("Deleted Volumes:\n", anonymous_name, "\n"));
  CliResult removed = RunCli({"volume", "rm", "cli-data"});
  ASSERT_EQ(removed.status, 0) << removed.err;
  pruned = RunCli({"volume", "prune", "-a"});
  ASSERT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_EQ(pruned.out, "Deleted Volumes:\nmade-by-run\n");
  EXPECT_THAT(VolumeNames(), IsEmpty());
}

TEST_F(VolumeTest, VolumeInUseIsNotRemoved) {
  ImportImage("base:1", "");
  spec::ContainerSpec spec;
  spec.set_image("base:1");
  for (const char* arg : {"sleep", "60"}) spec.mutable_process()->add_args(arg);
  *spec.add_mounts() = VolumeMount("busy", "/busy");
  absl::StatusOr<container::Container> running = container::Container::Start(spec);
  ASSERT_TRUE(running.ok()) << running.status();

  CliResult removed = RunCli({"volume", "rm", "busy"});
  EXPECT_EQ(removed.status, 1);
  EXPECT_THAT(removed.err, HasSubstr(absl::StrCat("in use by container ", running->id())));
  CliResult pruned = RunCli({"volume", "prune", "-a"});
  EXPECT_EQ(pruned.status, 0) << pruned.err;
  EXPECT_THAT(VolumeNames(), ElementsAre("busy"));

  ASSERT_TRUE(running->Kill(SIGKILL).ok());
  ASSERT_TRUE(running->Wait().ok());
  running = absl::CancelledError("dropped");
  removed = RunCli({"volume", "rm", "busy"});
  EXPECT_EQ(removed.status, 0) << removed.err;
  EXPECT_THAT(VolumeNames(), IsEmpty());
}

TEST_F(VolumeTest, ReadOnlyBindIsReadOnlyWithSubmounts) {
  ImportImage("base:1", "");
  std::string source = dir_ + "/ro";
  ASSERT_EQ(mkdir(source.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((source + "/sub").c_str(), 0755), 0);
  // A writable filesystem below the source, which rbind copies along.
  ASSERT_EQ(mount("tmpfs", (source + "/sub").c_str(), "tmpfs", 0, "size=1m"), 0)
      << strerror(errno);

  spec::ContainerSpec spec = ImageSpec(
      "base:1", "touch /ro/top; echo top=$?; touch /ro/sub/below; echo below=$?");
  spec::Mount* bind = spec.add_mounts();
  bind->set_type("bind");
  bind->set_source(source);
  bind->set_destination("/ro");
  bind->add_options("rbind");
  bind->add_options("ro");
  absl::StatusOr<Output> output = testing::RunCaptured(spec);
  EXPECT_EQ(umount2((source + "/sub").c_str(), MNT_DETACH), 0);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "top=1\nbelow=1\n");
  EXPECT_THAT(output->stderr_text, HasSubstr("/ro/top: Read-only file system"));
  EXPECT_THAT(output->stderr_text, HasSubstr("/ro/sub/below: Read-only file system"));
  EXPECT_FALSE(Exists(source + "/top"));
}

TEST_F(VolumeTest, BindPropagationFollowsOption) {
  ImportImage("base:1", "");
  std::string source = dir_ + "/shared";
  ASSERT_EQ(mkdir(source.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((source + "/sub").c_str(), 0755), 0);
  // The source becomes a shared mount of its own, whatever the host's
  // propagation is, so that the host's mounts below it have peers to reach.
  ASSERT_EQ(mount(source.c_str(), source.c_str(), nullptr, MS_BIND, nullptr), 0);
  ASSERT_EQ(mount(nullptr, source.c_str(), nullptr, MS_SHARED, nullptr), 0);

  int out = testing::MakeCaptureFile();
  spec::ContainerSpec spec = ImageSpec(
      "base:1",
      "i=0; while [ ! -f /slave/sub/marker ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); "
      "done; cat /slave/sub/marker; ls /private/sub | wc -l");
  spec.mutable_process()->mutable_stdio()->set_stdout_fd(out);
  for (const char* destination : {"/slave", "/private"}) {
    spec::Mount* bind = spec.add_mounts();
    bind->set_type("bind");
    bind->set_source(source);
    bind->set_destination(destination);
    bind->add_options("rbind");
    if (std::string(destination) == "/slave") bind->add_options("rslave");
  }
  absl::StatusOr<container::Container> running = container::Container::Start(spec);
  ASSERT_TRUE(running.ok()) << running.status();
  // Mounted on the host after the container started: only the slave sees it.
  EXPECT_EQ(mount("tmpfs", (source + "/sub").c_str(), "tmpfs", 0, "size=1m"), 0)
      << strerror(errno);
  WriteFile(source + "/sub/marker", "from the host\n");
  absl::StatusOr<spec::RunResult> result = running->Wait();
  running = absl::CancelledError("dropped");
  EXPECT_EQ(umount2((source + "/sub").c_str(), MNT_DETACH), 0);
  EXPECT_EQ(umount2(source.c_str(), MNT_DETACH), 0);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(testing::ReadCaptureFile(out), "from the host\n0\n");
  close(out);
}

TEST_F(VolumeTest, BindUnderSymlinkStaysInsideRoot) {
  // /escape points at the root and /dangling at a path that does not
  // exist; both must resolve inside the container's root.
  std::string extra = dir_ + "/extra";
  ASSERT_EQ(mkdir(extra.c_str(), 0755), 0);
  ASSERT_EQ(symlink("/", (extra + "/escape").c_str()), 0);
  std::string unique = absl::StrCat("pycontain-volume-test-", getpid());
  ASSERT_EQ(symlink(absl::StrCat("/", unique, "/made/by/bind").c_str(),
                    (extra + "/dangling").c_str()),
            0);
  ImportImage("links:1", extra);
  std::string source = dir_ + "/source";
  ASSERT_EQ(mkdir(source.c_str(), 0755), 0);
  WriteFile(source + "/marker", "marker\n");

  spec::ContainerSpec spec = ImageSpec(
      "links:1", absl::StrCat("cat /", unique, "/under-escape/marker /", unique,
                              "/made/by/bind/marker"));
  for (const std::string& destination :
       {absl::StrCat("/escape/", unique, "/under-escape"), std::string("/dangling")}) {
    spec::Mount* bind = spec.add_mounts();
    bind->set_type("bind");
    bind->set_source(source);
    bind->set_destination(destination);
  }
  absl::StatusOr<Output> output = testing::RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "marker\nmarker\n") << output->stderr_text;
  EXPECT_FALSE(Exists("/" + unique)) << "a destination was created on the host";
}

TEST_F(VolumeTest, BadInputFailsBeforeMounting) {
  ImportImage("base:1", "");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"-v", "/nonexistent/pycontain-src:/data"},
            "-v /nonexistent/pycontain-src:/data: bind source /nonexistent/pycontain-src: No "
            "such file or directory"},
           {{"--mount", "type=bind,source=/tmp,target=/data,colour=red"},
            "unknown key \"colour\""},
           {{"-v", "/tmp:/data/../../etc"},
            "-v /tmp:/data/../../etc (destination): \"/data/../../etc\" contains \"..\""},
           {{"--tmpfs", "/scratch:colour=red"},
            "--tmpfs /scratch:colour=red (options): invalid tmpfs option \"colour=red\""},
           {{"--mount", "type=tmpfs,target=/scratch,tmpfs-size=1m", "--tmpfs", "/x:size=oops"},
            "--tmpfs /x:size=oops (options): invalid tmpfs option \"size=oops\""},
           {{"-v", "fresh-volume:/data", "-v", "/tmp:/a/../b"}, "contains \"..\""},
       }) {
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"base:1", "true"});
    CliResult run = RunCli(args);
    EXPECT_EQ(run.status, 125) << c.message;
    EXPECT_THAT(run.err, HasSubstr(c.message));
  }
  EXPECT_THAT(VolumeNames(), IsEmpty());
}

TEST_F(VolumeTest, FailedStartRemovesVolumesItCreated) {
  ImportImage("base:1", "");
  absl::StatusOr<container::VolumeRecord> existing = volumes_->Create({.name = "existing"});
  ASSERT_TRUE(existing.ok()) << existing.status();
  spec::ContainerSpec spec = ImageSpec("base:1", "true");
  *spec.add_mounts() = VolumeMount("existing", "/existing");
  *spec.add_mounts() = VolumeMount("new-volume", "/new");
  *spec.add_mounts() = VolumeMount("", "/anonymous");
  // Found missing only while planning, after the volumes are attached.
  spec::Mount* bind = spec.add_mounts();
  bind->set_type("bind");
  bind->set_source(dir_ + "/missing");
  bind->set_destination("/missing");

  absl::StatusOr<container::Container> started = container::Container::Start(spec);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.status().message(), HasSubstr(dir_ + "/missing"));
  EXPECT_THAT(VolumeNames(), ElementsAre("existing"));
  EXPECT_THAT(volumes_->Users("existing"), IsEmpty());
}

}  // namespace
}  // namespace pycontain
