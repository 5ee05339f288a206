#include "lib/security/rlimits.h"

#include <sys/resource.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::security {
namespace {

using ::testing::HasSubstr;

TEST(RlimitsTest, ParseUlimit) {
  absl::StatusOr<spec::Rlimit> limit = ParseUlimit("nofile=1024:2048");
  ASSERT_TRUE(limit.ok()) << limit.status();
  EXPECT_EQ(limit->type(), "nofile");
  EXPECT_EQ(limit->soft(), 1024u);
  EXPECT_EQ(limit->hard(), 2048u);
  limit = ParseUlimit("core=unlimited");
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(limit->soft(), RLIM_INFINITY);
  EXPECT_EQ(limit->hard(), RLIM_INFINITY);
  EXPECT_FALSE(ParseUlimit("nofile").ok());
  EXPECT_FALSE(ParseUlimit("nofile=ten").ok());
  EXPECT_THAT(ParseUlimit("files=1").status().message(), HasSubstr("unknown ulimit type"));
}

TEST(RlimitsTest, Names) {
  EXPECT_EQ(RlimitFromName("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(RlimitFromName("nproc"), RLIMIT_NPROC);
  EXPECT_FALSE(RlimitFromName("RLIMIT_FUN").has_value());
  EXPECT_EQ(RlimitName(RLIMIT_MEMLOCK), "RLIMIT_MEMLOCK");
}

TEST(RlimitsTest, ValidationNamesTheField) {
  google::protobuf::RepeatedPtrField<spec::Rlimit> limits;
  spec::Rlimit* limit = limits.Add();
  limit->set_type("RLIMIT_NOFILE");
  limit->set_soft(2048);
  limit->set_hard(1024);
  EXPECT_THAT(ValidateRlimits(limits).message(),
              HasSubstr("security.rlimits[0]: soft limit 2048 is above the hard limit 1024"));
  limit->set_soft(10);
  spec::Rlimit* twice = limits.Add();
  *twice = *limit;
  twice->set_type("nofile");
  EXPECT_THAT(ValidateRlimits(limits).message(),
              HasSubstr("security.rlimits[1].type: RLIMIT_NOFILE is given twice"));
  twice->set_type("bogus");
  EXPECT_THAT(ValidateRlimits(limits).message(),
              HasSubstr("security.rlimits[1].type: unknown type \"bogus\""));
}

TEST(RlimitsTest, HardLimitAboveCeilingIsRejected) {
  struct rlimit current;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &current), 0);
  google::protobuf::RepeatedPtrField<spec::Rlimit> limits;
  spec::Rlimit* limit = limits.Add();
  limit->set_type("nofile");
  limit->set_soft(16);
  limit->set_hard(current.rlim_max);
  absl::StatusOr<RlimitChildData> data = PlanRlimits(limits);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->count, 1);
  EXPECT_EQ(data->limits[0].rlim_max, current.rlim_max);

  // The hard limit of nofile can never exceed fs.nr_open, so this fails
  // for any caller.
  limit->set_hard(uint64_t{1} << 40);
  data = PlanRlimits(limits);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(data.status().message(), HasSubstr("rlimit RLIMIT_NOFILE: hard limit"));
}

}  // namespace
}  // namespace pycontain::security
