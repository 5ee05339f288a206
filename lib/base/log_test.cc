#include "lib/base/log.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace pycontain {
namespace {

struct Line {
  LogLevel level;
  std::string id;
  std::string message;
};

class LogTest : public testing::Test {
 protected:
  void SetUp() override {
    SetLogSink([this](LogLevel level, absl::string_view id, absl::string_view message) {
      lines_.push_back({level, std::string(id), std::string(message)});
    });
  }
  void TearDown() override {
    SetLogSink(nullptr);
    SetLogThreshold(LogLevel::kWarning);
  }
  std::vector<Line> lines_;
};

TEST_F(LogTest, ThresholdFiltersLowerLevels) {
  SetLogThreshold(LogLevel::kWarning);
  Log(LogLevel::kDebug, "c1", "mount proc");
  Log(LogLevel::kWarning, "c1", "no cgroup");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].level, LogLevel::kWarning);
  EXPECT_EQ(lines_[0].id, "c1");
  EXPECT_EQ(lines_[0].message, "no cgroup");
}

TEST_F(LogTest, DebugThresholdPassesTranscript) {
  SetLogThreshold(LogLevel::kDebug);
  Logf(LogLevel::kDebug, "c2", "mount %s on %s", "proc", "/proc");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].message, "mount proc on /proc");
}

TEST_F(LogTest, EnabledFollowsThreshold) {
  SetLogThreshold(LogLevel::kError);
  EXPECT_FALSE(LogEnabled(LogLevel::kWarning));
  EXPECT_TRUE(LogEnabled(LogLevel::kError));
}

TEST(ParseLogLevel, KnownAndUnknownNames) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("WARNING"), LogLevel::kWarning);
  EXPECT_FALSE(ParseLogLevel("verbose").has_value());
}

}  // namespace
}  // namespace pycontain
