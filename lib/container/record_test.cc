#include "lib/container/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pycontain::container {
namespace {

std::string TemporaryDirectory() {
  std::string pattern = absl::StrCat(getenv("TEST_TMPDIR"), "/recordXXXXXX");
  return mkdtemp(pattern.data()) ? pattern : "";
}

TEST(RecordTest, WrittenRecordReadsBack) {
  std::string directory = TemporaryDirectory();
  ASSERT_FALSE(directory.empty());
  ContainerRecord record = NewRecord("c\"1\\\n\t");
  record.set_pid(4242);
  record.set_pid_start_time(18446744073709551615u);
  record.add_cgroup_directories("/sys/fs/cgroup/memory/pycontain/c1");
  record.add_cgroup_directories("/sys/fs/cgroup/unified/pycontain/c1");
  record.set_started(true);

  ASSERT_TRUE(WriteRecord(directory, record).ok());
  absl::StatusOr<ContainerRecord> read = ReadRecord(directory);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->SerializeAsString(), record.SerializeAsString()) << read->DebugString();
  EXPECT_EQ(read->owner_pid(), getpid());
  EXPECT_EQ(read->owner_start_time(), ProcessStartTime(getpid()));
  EXPECT_EQ(access(absl::StrCat(directory, "/", kRecordFile, ".tmp").c_str(), F_OK), -1);
}

TEST(RecordTest, RewrittenRecordLeavesOneFile) {
  std::string directory = TemporaryDirectory();
  ASSERT_FALSE(directory.empty());
  ContainerRecord record = NewRecord("c1");
  ASSERT_TRUE(WriteRecord(directory, record).ok());
  record.set_pid(7);
  ASSERT_TRUE(WriteRecord(directory, record).ok());

  absl::StatusOr<ContainerRecord> read = ReadRecord(directory);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->pid(), 7);
  std::string path = absl::StrCat(directory, "/", kRecordFile);
  EXPECT_EQ(access(absl::StrCat(path, kPreviousSuffix).c_str(), F_OK), -1);
}

TEST(RecordTest, MovedAsideRecordIsRead) {
  // A writer that died between its two renames.
  std::string directory = TemporaryDirectory();
  ASSERT_FALSE(directory.empty());
  ASSERT_TRUE(WriteRecord(directory, NewRecord("c1")).ok());
  std::string path = absl::StrCat(directory, "/", kRecordFile);
  ASSERT_EQ(rename(path.c_str(), absl::StrCat(path, kPreviousSuffix).c_str()), 0);

  absl::StatusOr<ContainerRecord> read = ReadRecord(directory);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->id(), "c1");
}

TEST(RecordTest, MissingRecordIsNotFound) {
  std::string directory = TemporaryDirectory();
  ASSERT_FALSE(directory.empty());
  absl::StatusOr<ContainerRecord> read = ReadRecord(directory);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
}

TEST(RecordTest, OwnerLivenessFromPidBootAndStartTime) {
  ContainerRecord record = NewRecord("c1");
  EXPECT_EQ(DeadOwnerReason(record), "");

  ContainerRecord reused = record;
  reused.set_owner_start_time(record.owner_start_time() + 1);
  EXPECT_NE(DeadOwnerReason(reused), "");

  ContainerRecord other_boot = record;
  other_boot.set_boot_id("00000000-0000-0000-0000-000000000000");
  EXPECT_NE(DeadOwnerReason(other_boot), "");

  ContainerRecord exited = record;
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  exited.set_owner_pid(child);
  EXPECT_NE(DeadOwnerReason(exited), "");
}

TEST(FindRunningContainerTest, ChecksRecordAndStartTime) {
  std::string root = TemporaryDirectory();
  ASSERT_NE(root, "");
  ASSERT_EQ(setenv("PYCONTAIN_STATE_DIR", root.c_str(), 1), 0);
  std::string directory = absl::StrCat(root, "/c1");
  ASSERT_EQ(mkdir(directory.c_str(), 0700), 0);

  // This process plays the container's first process.
  ContainerRecord record = NewRecord("c1");
  record.set_pid(getpid());
  record.set_pid_start_time(ProcessStartTime(getpid()));
  ASSERT_TRUE(WriteRecord(directory, record).ok());
  absl::StatusOr<pid_t> found = FindRunningContainer("c1");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, getpid());

  // A reused pid has another start time.
  record.set_pid_start_time(record.pid_start_time() + 1);
  ASSERT_TRUE(WriteRecord(directory, record).ok());
  found = FindRunningContainer("c1");
  EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(found.status().message().find("container c1 is not running"),
            absl::string_view::npos);

  record.set_pid(0);
  ASSERT_TRUE(WriteRecord(directory, record).ok());
  EXPECT_EQ(FindRunningContainer("c1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FindRunningContainer("c2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FindRunningContainer("../c1").status().code(), absl::StatusCode::kInvalidArgument);
  unsetenv("PYCONTAIN_STATE_DIR");
}

}  // namespace
}  // namespace pycontain::container
