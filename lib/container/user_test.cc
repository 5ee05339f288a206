#include "lib/container/user.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::container {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "broken line\n"
    "app:x:1000:1000:App:/home/app:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";

constexpr char kGroup[] =
    "root:x:0:\n"
    "tty:x:5:app\n"
    "app:x:1000:\n"
    "staff:x:50:app,other\n"
    "nogroup:x:65534:\n";

TEST(ParsePasswd, SkipsCommentsAndMalformedLines) {
  std::vector<PasswdEntry> entries = ParsePasswd(kPasswd);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1].name, "app");
  EXPECT_EQ(entries[1].uid, 1000u);
  EXPECT_EQ(entries[1].home, "/home/app");
}

TEST(ParseGroup, ReadsMembers) {
  std::vector<GroupEntry> entries = ParseGroup(kGroup);
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_THAT(entries[3].members, ElementsAre("app", "other"));
}

TEST(ResolveUser, DefaultIsRoot) {
  absl::StatusOr<ResolvedUser> user = ResolveUser("", "", kPasswd, kGroup);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 0u);
  EXPECT_EQ(user->gid, 0u);
  EXPECT_EQ(user->home, "/root");
}

TEST(ResolveUser, NameGivesPrimaryAndSupplementaryGroups) {
  absl::StatusOr<ResolvedUser> user = ResolveUser("app", "", kPasswd, kGroup);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 1000u);
  EXPECT_THAT(user->additional_gids, ElementsAre(5u, 50u));
}

TEST(ResolveUser, GroupByNameOrNumber) {
  absl::StatusOr<ResolvedUser> by_name = ResolveUser("app", "staff", kPasswd, kGroup);
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->gid, 50u);
  EXPECT_THAT(by_name->additional_gids, ElementsAre(5u));
  absl::StatusOr<ResolvedUser> by_number = ResolveUser("app", "77", kPasswd, kGroup);
  ASSERT_TRUE(by_number.ok());
  EXPECT_EQ(by_number->gid, 77u);
}

TEST(ResolveUser, NumericUidWithoutEntry) {
  absl::StatusOr<ResolvedUser> user = ResolveUser("4242", "", kPasswd, kGroup);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->uid, 4242u);
  EXPECT_EQ(user->gid, 0u);
  EXPECT_EQ(user->home, "/");
}

TEST(ResolveUser, UnknownNamesAreNotFound) {
  absl::StatusOr<ResolvedUser> user = ResolveUser("ghost", "", kPasswd, kGroup);
  EXPECT_EQ(user.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(user.status().message(), HasSubstr("\"ghost\""));
  absl::StatusOr<ResolvedUser> group = ResolveUser("app", "ghosts", kPasswd, kGroup);
  EXPECT_EQ(group.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(group.status().message(), HasSubstr("/etc/group"));
}

TEST(ResolveUser, MissingFilesStillAllowNumericIds) {
  absl::StatusOr<ResolvedUser> user = ResolveUser("7", "8", "", "");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->uid, 7u);
  EXPECT_EQ(user->gid, 8u);
}

}  // namespace
}  // namespace pycontain::container
