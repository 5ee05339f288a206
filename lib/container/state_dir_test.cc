#include "lib/container/state_dir.h"

#include <stdlib.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pycontain::container {
namespace {

// Fixture with a new directory in /dev/shm (in memory) and $TEST_TMPDIR
// (on disk).
class ChooseStateRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "the choice is made for root only";
    std::string pattern = "/dev/shm/pycontain-state-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    memory_ = pattern;
    disk_ = getenv("TEST_TMPDIR");
    struct statfs info;
    ASSERT_EQ(statfs(disk_.c_str(), &info), 0);
    if (info.f_type == TMPFS_MAGIC) GTEST_SKIP() << "TEST_TMPDIR is on tmpfs, not on a disk";
  }

  void TearDown() override {
    if (memory_.empty()) return;
    rmdir((memory_ + "/pycontain").c_str());
    rmdir(memory_.c_str());
  }

  std::string memory_;
  std::string disk_;
};

TEST_F(ChooseStateRootTest, RunInMemoryIsKept) {
  EXPECT_EQ(ChooseRootStateRoot(memory_, memory_), memory_ + "/pycontain");
}

TEST_F(ChooseStateRootTest, RunOnDiskMovesToShm) {
  EXPECT_EQ(ChooseRootStateRoot(disk_, memory_), memory_ + "/pycontain");
  struct stat info;
  ASSERT_EQ(lstat((memory_ + "/pycontain").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0711u);
  EXPECT_EQ(info.st_uid, 0u);
}

TEST_F(ChooseStateRootTest, WritableShmDirectoryIsRejected) {
  std::string planted = memory_ + "/pycontain";
  ASSERT_EQ(mkdir(planted.c_str(), 0777), 0);
  ASSERT_EQ(chmod(planted.c_str(), 0777), 0);
  EXPECT_EQ(ChooseRootStateRoot(disk_, memory_), disk_ + "/pycontain");
}

TEST_F(ChooseStateRootTest, ShmSymlinkIsRejected) {
  std::string planted = memory_ + "/pycontain";
  ASSERT_EQ(symlink(disk_.c_str(), planted.c_str()), 0);
  EXPECT_EQ(ChooseRootStateRoot(disk_, memory_), disk_ + "/pycontain");
  unlink(planted.c_str());
}

}  // namespace
}  // namespace pycontain::container
