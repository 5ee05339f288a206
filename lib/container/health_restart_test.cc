// The pure parts of health checks (health.h) and restart policies
// (restart.h): the health state machine, check commands, timing defaults,
// policy parsing, restart decisions and the back-off.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/container/health.h"
#include "lib/container/restart.h"

namespace pycontain::container {
namespace {

using ::testing::ElementsAre;

HealthcheckResult ResultWithCode(int exit_code) {
  HealthcheckResult result;
  result.set_exit_code(exit_code);
  return result;
}

Health Starting() {
  Health health;
  health.set_status(kHealthStarting);
  return health;
}

TEST(HealthTest, FailuresInStartPeriodDoNotCount) {
  Health health = Starting();
  for (int i = 0; i < 5; ++i) {
    health = AddHealthResult(health, ResultWithCode(1), /*in_start_period=*/true, 3);
  }
  EXPECT_EQ(health.status(), kHealthStarting);
  EXPECT_EQ(health.failing_streak(), 0);
  EXPECT_EQ(health.log_size(), 5);
}

TEST(HealthTest, RetriesFailuresMakeUnhealthy) {
  Health health = Starting();
  health = AddHealthResult(health, ResultWithCode(1), false, 3);
  health = AddHealthResult(health, ResultWithCode(1), false, 3);
  EXPECT_EQ(health.status(), kHealthStarting);
  health = AddHealthResult(health, ResultWithCode(-1), false, 3);
  EXPECT_EQ(health.status(), kHealthUnhealthy);
  EXPECT_EQ(health.failing_streak(), 3);
  health = AddHealthResult(health, ResultWithCode(0), false, 3);
  EXPECT_EQ(health.status(), kHealthHealthy);
  EXPECT_EQ(health.failing_streak(), 0);
}

TEST(HealthTest, FailureAfterSuccessCountsInStartPeriod) {
  Health health = AddHealthResult(Starting(), ResultWithCode(0), true, 1);
  health = AddHealthResult(health, ResultWithCode(1), true, 1);
  EXPECT_EQ(health.status(), kHealthUnhealthy);
}

TEST(HealthTest, LogKeepsLastFive) {
  Health health = Starting();
  for (int code = 0; code < 7; ++code) health = AddHealthResult(health, ResultWithCode(code), false, 100);
  ASSERT_EQ(health.log_size(), 5);
  EXPECT_EQ(health.log(0).exit_code(), 2);
  EXPECT_EQ(health.log(4).exit_code(), 6);
}

TEST(HealthTest, CommandForms) {
  HealthcheckConfig config;
  EXPECT_FALSE(HasHealthcheck(config));
  config.add_test("NONE");
  EXPECT_FALSE(HasHealthcheck(config));

  config.Clear();
  for (const char* word : {"CMD", "test", "-f", "/ready"}) config.add_test(word);
  EXPECT_TRUE(HasHealthcheck(config));
  EXPECT_THAT(*HealthcheckCommand(config), ElementsAre("test", "-f", "/ready"));

  config.Clear();
  for (const char* word : {"CMD-SHELL", "curl -f localhost || exit 1"}) config.add_test(word);
  EXPECT_THAT(*HealthcheckCommand(config),
              ElementsAre("/bin/sh", "-c", "curl -f localhost || exit 1"));

  config.Clear();
  config.add_test("CMD");
  EXPECT_FALSE(HealthcheckCommand(config).ok());
}

TEST(HealthTest, TimingDefaults) {
  HealthcheckTiming timing = TimingOf(HealthcheckConfig());
  EXPECT_EQ(timing.interval, absl::Seconds(30));
  EXPECT_EQ(timing.timeout, absl::Seconds(30));
  EXPECT_EQ(timing.start_period, absl::ZeroDuration());
  EXPECT_EQ(timing.retries, 3);
}

TEST(RestartTest, ParsePolicies) {
  EXPECT_EQ(ParseRestartPolicy("")->name(), "no");
  EXPECT_EQ(ParseRestartPolicy("always")->name(), "always");
  EXPECT_EQ(ParseRestartPolicy("unless-stopped")->name(), "unless-stopped");
  absl::StatusOr<RestartPolicy> limited = ParseRestartPolicy("on-failure:5");
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->name(), "on-failure");
  EXPECT_EQ(limited->maximum_retry_count(), 5);
  EXPECT_FALSE(ParseRestartPolicy("on-failure:x").ok());
  EXPECT_FALSE(ParseRestartPolicy("sometimes").ok());
}

TEST(RestartTest, PolicyDecisions) {
  EXPECT_FALSE(PolicyRestarts(*ParseRestartPolicy("no"), 1, 0));
  EXPECT_TRUE(PolicyRestarts(*ParseRestartPolicy("always"), 0, 100));
  EXPECT_TRUE(PolicyRestarts(*ParseRestartPolicy("unless-stopped"), 0, 0));
  EXPECT_FALSE(PolicyRestarts(*ParseRestartPolicy("on-failure"), 0, 0));
  EXPECT_TRUE(PolicyRestarts(*ParseRestartPolicy("on-failure"), 1, 1000));
  EXPECT_TRUE(PolicyRestarts(*ParseRestartPolicy("on-failure:2"), 1, 1));
  EXPECT_FALSE(PolicyRestarts(*ParseRestartPolicy("on-failure:2"), 1, 2));
}

TEST(RestartTest, BackOffDoublesAndResets) {
  EXPECT_EQ(RestartDelay(0, absl::Seconds(1)), absl::Milliseconds(100));
  EXPECT_EQ(RestartDelay(3, absl::Seconds(1)), absl::Milliseconds(800));
  EXPECT_EQ(RestartDelay(30, absl::Seconds(1)), absl::Minutes(1));
  EXPECT_EQ(RestartDelay(30, absl::Seconds(10)), absl::Milliseconds(100));
}

}  // namespace
}  // namespace pycontain::container
