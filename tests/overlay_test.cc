// Containers from images, as root on the real kernel. Covers the overlay
// root (upper wins, writes land in the upper directory, layers stay
// untouched) and images with more layers than mount(2) options can name.
// Also read-only roots, `pycontain run IMAGE`, bad input, and that nothing
// is left behind.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/container.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"
#include "lib/overlay/diff.h"
#include "lib/overlay/overlay.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using testing::ReadFile;
using testing::WriteFile;
using testing::Entries;
using testing::RunCli;
using testing::CliResult;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::BusyboxRoot;
using testing::Output;

class OverlayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "overlay roots need root";
    std::string pattern = absl::StrCat(getenv("TEST_TMPDIR"), "/overlay-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    // Every test gets its own store, through the variable the CLI reads too.
    setenv("PYCONTAIN_ROOT", (dir_ + "/store").c_str(), 1);
    absl::StatusOr<image::Store> store = image::Store::Open({});
    ASSERT_TRUE(store.ok()) << store.status();
    store_.emplace(std::move(*store));
    before_ = testing::TakeSnapshot();
  }

  void TearDown() override {
    if (!store_.has_value()) return;
    // Squashfs layer mounts belong to the store and outlive containers;
    // this test's store goes now, and its mounts with it.
    EXPECT_TRUE(store_->UnmountLayers().ok());
    // The kernel detaches the layers' loop devices some time after the
    // last container's mount namespace is gone.
    testing::WaitForLoopDevicesUnder(dir_);
    testing::ExpectNothingLeaked(before_);
    EXPECT_THAT(Entries(store_->root() + "/containers"), ElementsAre());
    EXPECT_TRUE(overlay::RemoveTree(dir_).ok());
    unsetenv("PYCONTAIN_ROOT");
  }

  // Imports the busybox root, plus the files of `extra` (a directory
  // under dir_, may be empty), as the one-layer image `name`, whose Cmd
  // prints "default command".
  std::string ImportBase(const std::string& name, const std::string& extra) {
    std::string tarball = absl::StrCat(dir_, "/", name.substr(0, name.find(':')), ".tar");
    std::string command = absl::StrCat("tar -cf ", tarball, " -C ", BusyboxRoot(), " .");
    if (!extra.empty()) absl::StrAppend(&command, " -C ", extra, " .");
    EXPECT_EQ(system(command.c_str()), 0) << command;
    image::ImportOptions options;
    options.names = {name};
    options.cmd = {"/bin/sh", "-c", "echo default command"};
    options.env = {"PATH=/bin:/sbin:/usr/bin", "FROM_IMAGE=yes"};
    absl::StatusOr<std::string> id = image::ImportTarball(*store_, tarball, options);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  // Adds a layer with `files` (path -> contents) on top of `base`.
  std::string AddLayer(const std::string& base,
                       const std::vector<std::pair<std::string, std::string>>& files,
                       const std::vector<std::string>& names = {}) {
    std::string layer = absl::StrCat(dir_, "/layer-", ++layers_);
    EXPECT_EQ(mkdir(layer.c_str(), 0755), 0);
    for (const auto& [path, text] : files) {
      std::string host = layer + path;
      mkdir(host.substr(0, host.rfind('/')).c_str(), 0755);
      WriteFile(host, text);
    }
    image::CommitOptions options;
    options.names = names;
    absl::StatusOr<std::string> id = image::CommitDirectory(*store_, base, layer, options);
    EXPECT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(overlay::RemoveTree(layer).ok());
    return id.ok() ? *id : "";
  }

  // The course's lab image: a bottom layer with /lab/shared and
  // /lab/lower-only, and a top layer that replaces /lab/shared.
  void MakeLabImage() {
    std::string extra = dir_ + "/extra";
    ASSERT_EQ(mkdir(extra.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((extra + "/lab").c_str(), 0755), 0);
    WriteFile(extra + "/lab/shared", "from the lower layer\n");
    WriteFile(extra + "/lab/lower-only", "lower only\n");
    std::string base = ImportBase("lab-base:1", extra);
    AddLayer(base, {{"/lab/shared", "from the upper layer\n"}}, {"lab:1"});
  }

  absl::StatusOr<Output> RunImage(const std::string& name, std::vector<std::string> args,
                                  bool readonly = false) {
    spec::ContainerSpec spec;
    spec.set_image(name);
    spec.mutable_root()->set_readonly(readonly);
    for (std::string& arg : args) spec.mutable_process()->add_args(std::move(arg));
    return testing::RunCaptured(spec);
  }

  std::string dir_;
  std::optional<image::Store> store_;
  testing::HostSnapshot before_;
  int layers_ = 0;
};

TEST_F(OverlayTest, LabUpperWinsWritesLandInUpper) {
  MakeLabImage();
  int out = testing::MakeCaptureFile();
  spec::ContainerSpec spec;
  spec.set_image("lab:1");
  spec.mutable_process()->mutable_stdio()->set_stdout_fd(out);
  for (const char* arg : {"sh", "-c",
                          "cat /lab/shared /lab/lower-only; echo new > /lab/written; "
                          "echo changed > /lab/lower-only; rm /lab/shared"}) {
    spec.mutable_process()->add_args(arg);
  }
  absl::StatusOr<container::Container> container = container::Container::Start(spec);
  ASSERT_TRUE(container.ok()) << container.status();
  absl::StatusOr<spec::RunResult> result = container->Wait();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code(), 0);
  EXPECT_EQ(testing::ReadCaptureFile(out), "from the upper layer\nlower only\n");
  close(out);

  // The writes are in the upper directory, as files and a whiteout.
  std::string upper = container->upper_directory();
  EXPECT_EQ(ReadFile(upper + "/lab/written"), "new\n");
  EXPECT_EQ(ReadFile(upper + "/lab/lower-only"), "changed\n");
  struct stat whiteout;
  ASSERT_EQ(lstat((upper + "/lab/shared").c_str(), &whiteout), 0);
  EXPECT_TRUE(S_ISCHR(whiteout.st_mode));

  absl::StatusOr<std::vector<overlay::Change>> changes = container->Changes();
  ASSERT_TRUE(changes.ok()) << changes.status();
  std::vector<std::string> lines;
  for (const overlay::Change& change : *changes) lines.push_back(overlay::FormatChange(change));
  EXPECT_THAT(lines, ElementsAre("C /lab", "C /lab/lower-only", "D /lab/shared",
                                 "A /lab/written"));

  // The layers are as the image made them.
  absl::StatusOr<image::Image> lab = store_->GetImage("lab:1");
  ASSERT_TRUE(lab.ok()) << lab.status();
  ASSERT_EQ(lab->config.rootfs().diff_ids_size(), 2);
  absl::StatusOr<std::string> bottom_lower = store_->LayerLower(lab->config.rootfs().diff_ids(0));
  absl::StatusOr<std::string> top_lower = store_->LayerLower(lab->config.rootfs().diff_ids(1));
  ASSERT_TRUE(bottom_lower.ok()) << bottom_lower.status();
  ASSERT_TRUE(top_lower.ok()) << top_lower.status();
  std::string bottom = *bottom_lower;
  std::string top = *top_lower;
  EXPECT_EQ(ReadFile(bottom + "/lab/lower-only"), "lower only\n");
  EXPECT_EQ(ReadFile(bottom + "/lab/shared"), "from the lower layer\n");
  EXPECT_EQ(ReadFile(top + "/lab/shared"), "from the upper layer\n");
  EXPECT_NE(access((bottom + "/lab/written").c_str(), F_OK), 0);
  EXPECT_NE(access((top + "/lab/written").c_str(), F_OK), 0);

  // The next container starts from the image again.
  absl::StatusOr<Output> next = RunImage("lab:1", {"cat", "/lab/shared", "/lab/lower-only"});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->stdout_text, "from the upper layer\nlower only\n");
}

TEST_F(OverlayTest, ImageConfigGivesDefaults) {
  ImportBase("base:1", "");
  absl::StatusOr<Output> output = RunImage("base:1", {});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "default command\n");

  output = RunImage("base:1", {"sh", "-c", "echo $FROM_IMAGE"});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "yes\n");
}

// A start from an image reuses what an earlier start read from the store
// (ResolveImage's cache). A name moved to another image and a removed
// image must show at once.
TEST_F(OverlayTest, RetaggedImageRunsNewImage) {
  for (const char* text : {"first\n", "second\n"}) {
    std::string extra = absl::StrCat(dir_, "/extra-", absl::string_view(text, 1));
    ASSERT_EQ(mkdir(extra.c_str(), 0755), 0);
    WriteFile(extra + "/which", text);
    ImportBase("tagged:1", extra);
    // Past the cache's margin for a store changed moments ago, so that
    // the runs below are served from the cache where it may.
    absl::SleepFor(absl::Milliseconds(100));
    for (int run = 0; run < 2; ++run) {
      absl::StatusOr<Output> output = RunImage("tagged:1", {"cat", "/which"});
      ASSERT_TRUE(output.ok()) << output.status();
      EXPECT_EQ(output->stdout_text, text) << "run " << run;
    }
  }

  ASSERT_TRUE(store_->RemoveImage("tagged:1").ok());
  absl::StatusOr<Output> removed = RunImage("tagged:1", {"cat", "/which"});
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.status().code(), absl::StatusCode::kNotFound) << removed.status();
}

TEST_F(OverlayTest, ManyLayersAllVisible) {
  constexpr int kLayers = 130;
  std::string image = ImportBase("many-base:1", "");
  for (int i = 0; i < kLayers; ++i) {
    image = AddLayer(image, {{absl::StrCat("/layers/file", i), absl::StrCat(i, "\n")}},
                     i == kLayers - 1 ? std::vector<std::string>{"many:1"}
                                      : std::vector<std::string>{});
  }
  absl::StatusOr<image::Image> many = store_->GetImage("many:1");
  ASSERT_TRUE(many.ok()) << many.status();
  ASSERT_EQ(many->config.rootfs().diff_ids_size(), kLayers + 1);

  absl::StatusOr<Output> output = RunImage(
      "many:1", {"sh", "-c", "ls /layers | wc -l; cat /layers/file0 /layers/file129"});
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_EQ(output->stdout_text, "130\n0\n129\n");
}

TEST_F(OverlayTest, ReadOnlyRootKeepsTmpWritable) {
  MakeLabImage();
  absl::StatusOr<Output> output = RunImage(
      "lab:1",
      {"sh", "-c",
       "echo t > /tmp/t && cat /tmp/t && echo r > /run/r && cat /run/r; echo x > /lab/x"},
      /*readonly=*/true);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->stdout_text, "t\nr\n");
  EXPECT_NE(output->result.exit_code(), 0);
  EXPECT_THAT(output->stderr_text, HasSubstr("Read-only file system"));
}

TEST_F(OverlayTest, CliRunsImageDefaultCommand) {
  ImportBase("base:1", "");
  CliResult result = RunCli({"run", "base:1"});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, "default command\n");

  // The root is an overlay, named so in the container's mount table.
  result = RunCli({"run", "base:1", "sh", "-c", "grep '^overlay / overlay ' /proc/mounts"});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("lowerdir+="));

  result = RunCli({"run", "base:1", "echo", "given"});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, "given\n");

  // After "--" the first word is the command on the embedded default.
  result = RunCli({"run", "--", "sh", "-c", "test -d /usr && echo host"});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, "host\n");
}

TEST_F(OverlayTest, CliReadOnlyWithTmpfsOption) {
  ImportBase("base:1", "");
  CliResult result = RunCli({"run", "--read-only", "--tmpfs", "/scratch:size=16m", "--image",
                             "base:1", "sh", "-c",
                             "grep ' /scratch ' /proc/mounts; echo s > /scratch/s && cat "
                             "/scratch/s; touch /nope"});
  EXPECT_EQ(result.status, 1) << result.err;
  EXPECT_THAT(result.out, HasSubstr("size=16384k"));
  EXPECT_THAT(result.out, HasSubstr("\ns\n"));
  EXPECT_THAT(result.err, HasSubstr("Read-only file system"));
}

TEST_F(OverlayTest, UnknownImageIsClearError) {
  absl::StatusOr<Output> output = RunImage("no-such-image:1", {"true"});
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(output.status().message(), HasSubstr("image \"no-such-image:1\" not found"));

  CliResult result = RunCli({"run", "--image", "no-such-image", "true"});
  EXPECT_EQ(result.status, 125);
  EXPECT_THAT(result.err, HasSubstr("no-such-image:latest\" not found"));
}

TEST_F(OverlayTest, MissingBindSourceLeavesNothing) {
  ImportBase("base:1", "");
  spec::ContainerSpec spec;
  spec.set_image("base:1");
  spec.mutable_process()->add_args("true");
  spec::Mount* mount = spec.add_mounts();
  mount->set_type("bind");
  mount->set_source(dir_ + "/missing");
  mount->set_destination("/data");
  absl::StatusOr<Output> output = testing::RunCaptured(spec);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(output.status().message(), HasSubstr(dir_ + "/missing"));
}

TEST_F(OverlayTest, ImageAndRootPathRejected) {
  ImportBase("base:1", "");
  spec::ContainerSpec spec;
  spec.set_image("base:1");
  spec.mutable_root()->set_path(BusyboxRoot());
  spec.mutable_process()->add_args("true");
  EXPECT_EQ(testing::RunCaptured(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pycontain
