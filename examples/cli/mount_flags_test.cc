#include "examples/cli/mount_flags.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Options(const spec::Mount& mount) {
  return {mount.options().begin(), mount.options().end()};
}

TEST(ParseVolumeFlag, BindWithOptions) {
  absl::StatusOr<spec::Mount> mount = ParseVolumeFlag("/srv/data:/data:ro,rslave");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_EQ(mount->type(), "bind");
  EXPECT_EQ(mount->source(), "/srv/data");
  EXPECT_EQ(mount->destination(), "/data");
  EXPECT_THAT(Options(*mount), ElementsAre("rbind", "ro", "rslave"));
}

TEST(ParseVolumeFlag, NamedVolume) {
  absl::StatusOr<spec::Mount> mount = ParseVolumeFlag("cache:/var/cache:nocopy");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_EQ(mount->type(), "volume");
  EXPECT_EQ(mount->source(), "cache");
  EXPECT_THAT(Options(*mount), ElementsAre("nocopy"));
}

TEST(ParseVolumeFlag, AnonymousVolume) {
  absl::StatusOr<spec::Mount> mount = ParseVolumeFlag("/var/lib/x");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_EQ(mount->type(), "volume");
  EXPECT_EQ(mount->source(), "");
  EXPECT_EQ(mount->destination(), "/var/lib/x");

  mount = ParseVolumeFlag("/var/lib/x:ro");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_EQ(mount->type(), "volume");
  EXPECT_EQ(mount->destination(), "/var/lib/x");
  EXPECT_THAT(Options(*mount), ElementsAre("ro"));
}

TEST(ParseVolumeFlag, RejectsBadInput) {
  struct Case {
    const char* value;
    const char* message;
  };
  for (const Case& c : {
           Case{"data", "must be an absolute path"},
           Case{"./rel:/x", "neither an absolute host path nor a valid volume name"},
           Case{"/a:/b:/c:/d", "too many ':'"},
           Case{"/a:/b:bogus", "unknown option \"bogus\""},
           Case{"/a:/b:nocopy", "unknown option \"nocopy\" for a bind"},
           Case{"data:/b:rshared", "unknown option \"rshared\" for a volume"},
           Case{"/a:relative", "must be an absolute path"},
           Case{"/a:/b:", "empty options"},
       }) {
    absl::StatusOr<spec::Mount> mount = ParseVolumeFlag(c.value);
    ASSERT_FALSE(mount.ok()) << c.value;
    EXPECT_EQ(mount.status().code(), absl::StatusCode::kInvalidArgument) << c.value;
    EXPECT_THAT(mount.status().message(), HasSubstr(absl::StrCat("-v ", c.value, ":")));
    EXPECT_THAT(mount.status().message(), HasSubstr(c.message)) << c.value;
  }
}

TEST(SplitCsv, QuotedFields) {
  absl::StatusOr<std::vector<std::string>> fields =
      SplitCsv("type=bind,\"source=/a,b:c\",target=/x,\"say \"\"hi\"\"\"");
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_THAT(*fields, ElementsAre("type=bind", "source=/a,b:c", "target=/x", "say \"hi\""));
  EXPECT_FALSE(SplitCsv("\"source=/a").ok());
  EXPECT_FALSE(SplitCsv("\"source=/a\"x,target=/b").ok());
}

TEST(ParseMountFlag, BindWithCommaInSource) {
  absl::StatusOr<spec::Mount> mount = ParseMountFlag(
      "type=bind,\"source=/srv/a,b:c\",target=/data,readonly,bind-propagation=rslave");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_EQ(mount->type(), "bind");
  EXPECT_EQ(mount->source(), "/srv/a,b:c");
  EXPECT_EQ(mount->destination(), "/data");
  EXPECT_THAT(Options(*mount), ElementsAre("rbind", "rslave", "ro"));
}

TEST(ParseMountFlag, VolumeIsTheDefaultType) {
  absl::StatusOr<spec::Mount> mount = ParseMountFlag("src=data,dst=/var/lib/x,volume-nocopy");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_EQ(mount->type(), "volume");
  EXPECT_EQ(mount->source(), "data");
  EXPECT_THAT(Options(*mount), ElementsAre("nocopy"));

  mount = ParseMountFlag("target=/anon");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_EQ(mount->source(), "");
}

TEST(ParseMountFlag, TmpfsSizeAndMode) {
  absl::StatusOr<spec::Mount> mount =
      ParseMountFlag("type=tmpfs,target=/scratch,tmpfs-size=16m,tmpfs-mode=1770");
  ASSERT_TRUE(mount.ok()) << mount.status();
  EXPECT_EQ(mount->type(), "tmpfs");
  EXPECT_THAT(Options(*mount), ElementsAre("nosuid", "nodev", "size=16777216", "mode=1770"));
}

TEST(ParseMountFlag, RejectsBadInput) {
  struct Case {
    const char* value;
    const char* message;
  };
  for (const Case& c : {
           Case{"type=bind,source=/a,target=/b,colour=red", "unknown key \"colour\""},
           Case{"type=nfs,target=/b", "unknown type \"nfs\""},
           Case{"type=bind,source=/a", "target is required"},
           Case{"type=bind,source=rel,target=/b", "absolute source"},
           Case{"type=volume,target=/b,bind-propagation=shared", "applies only to type=bind"},
           Case{"type=bind,source=/a,target=/b,volume-nocopy", "applies only to type=volume"},
           Case{"type=volume,target=/b,tmpfs-size=1m", "applies only to type=tmpfs"},
           Case{"type=tmpfs,target=/b,tmpfs-mode=999", "not an octal file mode"},
           Case{"type=tmpfs,target=/b,tmpfs-size=12x", "tmpfs-size"},
           Case{"type=tmpfs,source=/a,target=/b", "takes no source"},
           Case{"type=bind,source=/a,target=/b,bind-propagation=up", "invalid bind-propagation"},
           Case{"type=bind,source=/a,target=/b,readonly=maybe", "invalid value \"maybe\""},
           Case{"type=volume,source=-x,target=/b", "not a valid volume name"},
           Case{"type=bind,\"source=/a,target=/b", "no closing quote"},
       }) {
    absl::StatusOr<spec::Mount> mount = ParseMountFlag(c.value);
    ASSERT_FALSE(mount.ok()) << c.value;
    EXPECT_EQ(mount.status().code(), absl::StatusCode::kInvalidArgument) << c.value;
    EXPECT_THAT(mount.status().message(), HasSubstr("--mount "));
    EXPECT_THAT(mount.status().message(), HasSubstr(c.message)) << c.value;
  }
}

TEST(CheckBindSource, MissingSourceIsNamed) {
  absl::StatusOr<spec::Mount> mount = ParseVolumeFlag("/nonexistent/pycontain-src:/data");
  ASSERT_TRUE(mount.ok());
  absl::Status status = CheckBindSource("-v /nonexistent/pycontain-src:/data", *mount);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("-v /nonexistent/pycontain-src:/data"));
  EXPECT_THAT(status.message(), HasSubstr("No such file or directory"));

  mount = ParseVolumeFlag("/tmp:/data");
  ASSERT_TRUE(mount.ok());
  EXPECT_TRUE(CheckBindSource("-v", *mount).ok());
}

}  // namespace
}  // namespace pycontain::cli
