#include "lib/base/units.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace pycontain {
namespace {

constexpr int64_t kKiB = int64_t{1} << 10;
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kTiB = int64_t{1} << 40;
constexpr int64_t kPiB = int64_t{1} << 50;
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

struct SizeCase {
  const char* text;
  int64_t bytes;
};

TEST(ParseByteSize, AcceptsDockerSpellings) {
  const SizeCase cases[] = {
      {"0", 0},
      {"100", 100},
      {"100b", 100},
      {"100B", 100},
      {"512k", 512 * kKiB},
      {"512K", 512 * kKiB},
      {"512kb", 512 * kKiB},
      {"512KiB", 512 * kKiB},
      {"16m", 16 * kMiB},
      {"16mb", 16 * kMiB},
      {"16MB", 16 * kMiB},
      {"16MiB", 16 * kMiB},
      {"16mib", 16 * kMiB},
      {"16 MiB", 16 * kMiB},
      {"2g", 2 * kGiB},
      {"3t", 3 * kTiB},
      {"4p", 4 * kPiB},
      {"0016m", 16 * kMiB},
      {"0g", 0},
  };
  for (const SizeCase& c : cases) {
    absl::StatusOr<int64_t> bytes = ParseByteSize(c.text);
    ASSERT_TRUE(bytes.ok()) << c.text << ": " << bytes.status();
    EXPECT_EQ(*bytes, c.bytes) << c.text;
  }
}

TEST(ParseByteSize, DecimalsRoundDown) {
  const SizeCase cases[] = {
      {"1.5g", 3 * kGiB / 2},
      {"1.5k", 1536},
      {"0.1k", 102},  // 102.4
      {"0.999b", 0},
      {"2.0m", 2 * kMiB},
      {"0.5", 0},
      // 2^-50 pebibytes is exactly one byte, which a double-based parser
      // can miss. One digit less is just under one byte.
      {"0.00000000000000088817841970012523233890533447265625p", 1},
      {"0.0000000000000008881784197001252323389053344726562p", 0},
      {"1.00000000000000000000000000000000000000000000000000001k", kKiB},
  };
  for (const SizeCase& c : cases) {
    absl::StatusOr<int64_t> bytes = ParseByteSize(c.text);
    ASSERT_TRUE(bytes.ok()) << c.text << ": " << bytes.status();
    EXPECT_EQ(*bytes, c.bytes) << c.text;
  }
}

TEST(ParseByteSize, AcceptsInt64Maximum) {
  absl::StatusOr<int64_t> bytes = ParseByteSize(absl::StrCat(kMaxInt64));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, kMaxInt64);

  // 8192p is 2^63, so a fraction just below it still fits.
  bytes = ParseByteSize("8191.9999999999999999p");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_LE(*bytes, kMaxInt64);
  EXPECT_GT(*bytes, 8191 * kPiB);
}

TEST(ParseByteSize, UnknownUnitNamesUnitAndChoices) {
  absl::StatusOr<int64_t> bytes = ParseByteSize("12x");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      bytes.status().message(),
      "invalid size \"12x\": unknown unit \"x\" (use b, k, m, g, t or p)");
}

TEST(ParseByteSize, RejectsUnknownUnits) {
  for (const char* text : {"12x", "1e3", "16mx", "16mbb", "16bb", "16ib",
                           "16bib", "16kbi", "5 kb b", "1m1"}) {
    absl::StatusOr<int64_t> bytes = ParseByteSize(text);
    ASSERT_FALSE(bytes.ok()) << text << " parsed as " << *bytes;
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument)
        << text;
    EXPECT_NE(bytes.status().message().find("unknown unit"),
              absl::string_view::npos)
        << text << ": " << bytes.status();
  }
}

TEST(ParseByteSize, RejectsEmpty) {
  absl::StatusOr<int64_t> bytes = ParseByteSize("");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bytes.status().message(),
            "invalid size \"\": expected a number with an optional unit, "
            "for example 64m or 1.5g");
}

TEST(ParseByteSize, RejectsNegative) {
  for (const char* text : {"-1", "-16m", "-0.5g"}) {
    absl::StatusOr<int64_t> bytes = ParseByteSize(text);
    ASSERT_FALSE(bytes.ok()) << text;
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(
        bytes.status().message(),
        absl::StrCat("invalid size \"", text,
                     "\": negative sizes are not allowed (use 0 or more)"));
  }
}

TEST(ParseByteSize, RejectsOverflow) {
  for (const char* text : {"8192p", "9223372036854775808", "9007199254740992k",
                           "99999999999999999999999", "8192.0p"}) {
    absl::StatusOr<int64_t> bytes = ParseByteSize(text);
    ASSERT_FALSE(bytes.ok()) << text << " parsed as " << *bytes;
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(bytes.status().message(),
              absl::StrCat(
                  "invalid size \"", text,
                  "\": larger than the maximum of 9223372036854775807 bytes"));
  }
}

TEST(ParseByteSize, RejectsMalformedNumbers) {
  for (const char* text : {"m", "abc", ".5g", "1.g", "1..5g", "1.2.3", "+1m",
                           " 1m", "1m ", "1  m", "16 ", "1,5g", "0x10"}) {
    absl::StatusOr<int64_t> bytes = ParseByteSize(text);
    ASSERT_FALSE(bytes.ok()) << "\"" << text << "\" parsed as " << *bytes;
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument)
        << text;
  }
}

TEST(ParseByteSize, MalformedNumberMessageGivesExample) {
  absl::StatusOr<int64_t> bytes = ParseByteSize("1.2.3");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().message(),
            "invalid size \"1.2.3\": expected a number with an optional unit, "
            "for example 64m or 1.5g");
}

TEST(ParseByteSize, EscapesControlCharacters) {
  absl::StatusOr<int64_t> bytes = ParseByteSize("1\nm");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().message(),
            "invalid size \"1\\nm\": expected a number with an optional unit, "
            "for example 64m or 1.5g");
}

TEST(FormatByteSize, PicksLargestExactUnit) {
  EXPECT_EQ(FormatByteSize(0), "0b");
  EXPECT_EQ(FormatByteSize(1), "1b");
  EXPECT_EQ(FormatByteSize(100), "100b");
  EXPECT_EQ(FormatByteSize(1023), "1023b");
  EXPECT_EQ(FormatByteSize(kKiB), "1k");
  EXPECT_EQ(FormatByteSize(kKiB + 1), "1025b");
  EXPECT_EQ(FormatByteSize(1536 * kKiB), "1536k");
  EXPECT_EQ(FormatByteSize(16 * kMiB), "16m");
  EXPECT_EQ(FormatByteSize(kGiB), "1g");
  EXPECT_EQ(FormatByteSize(5 * kTiB), "5t");
  EXPECT_EQ(FormatByteSize(kPiB), "1p");
  EXPECT_EQ(FormatByteSize(2048 * kPiB), "2048p");
  EXPECT_EQ(FormatByteSize(kMaxInt64), "9223372036854775807b");
}

TEST(FormatByteSize, NegativeValues) {
  EXPECT_EQ(FormatByteSize(-16 * kMiB), "-16m");
  EXPECT_EQ(FormatByteSize(-1), "-1b");
  EXPECT_EQ(FormatByteSize(std::numeric_limits<int64_t>::min()), "-8192p");
}

TEST(FormatByteSize, ParsesBackToSameValue) {
  for (int64_t bytes :
       {int64_t{0}, int64_t{7}, kKiB, 3 * kKiB + 512, 1536 * kKiB, 16 * kMiB,
        3 * kGiB / 2, kTiB, 8191 * kPiB, kMaxInt64}) {
    std::string text = FormatByteSize(bytes);
    absl::StatusOr<int64_t> parsed = ParseByteSize(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, bytes) << text;
  }
}

struct DurationCase {
  const char* text;
  absl::Duration duration;
};

TEST(ParseDuration, AcceptsGoSyntax) {
  const DurationCase cases[] = {
      {"0s", absl::ZeroDuration()},
      {"-0s", absl::ZeroDuration()},
      {"2h", absl::Hours(2)},
      {"1m30s", absl::Seconds(90)},
      {"1.5s", absl::Milliseconds(1500)},
      {"300ms", absl::Milliseconds(300)},
      {"10us", absl::Microseconds(10)},
      {"10\u00b5s", absl::Microseconds(10)},  // micro sign
      {"10\u03bcs", absl::Microseconds(10)},  // Greek mu
      {"5ns", absl::Nanoseconds(5)},
      {"1h2m3s4ms", absl::Hours(1) + absl::Minutes(2) + absl::Seconds(3) +
                        absl::Milliseconds(4)},
      {"1.5h", absl::Minutes(90)},
      {".5s", absl::Milliseconds(500)},
      {"+3s", absl::Seconds(3)},
      {"2562047h47m16.854775807s",
       absl::Nanoseconds(std::numeric_limits<int64_t>::max())},
  };
  for (const DurationCase& c : cases) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(c.text);
    ASSERT_TRUE(duration.ok()) << c.text << ": " << duration.status();
    EXPECT_EQ(*duration, c.duration) << c.text;
  }
}

TEST(ParseDuration, TruncatesToNanoseconds) {
  absl::StatusOr<absl::Duration> duration = ParseDuration("1.75ns");
  ASSERT_TRUE(duration.ok()) << duration.status();
  EXPECT_EQ(*duration, absl::Nanoseconds(1));
}

TEST(ParseDuration, BareNumberAsksForUnit) {
  absl::StatusOr<absl::Duration> duration = ParseDuration("10");
  ASSERT_FALSE(duration.ok());
  EXPECT_EQ(duration.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(duration.status().message(),
            "invalid duration \"10\": missing unit, for example 10s");
}

TEST(ParseDuration, MissingUnitAfterLastNumber) {
  for (const char* text : {"0", "1.5", "1m30", "3."}) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(text);
    ASSERT_FALSE(duration.ok()) << text;
    EXPECT_EQ(duration.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(duration.status().message(),
              absl::StrCat("invalid duration \"", text,
                           "\": missing unit, for example ", text, "s"));
  }
}

TEST(ParseDuration, RejectsNegative) {
  absl::StatusOr<absl::Duration> duration = ParseDuration("-1s");
  ASSERT_FALSE(duration.ok());
  EXPECT_EQ(duration.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(duration.status().message(),
            "invalid duration \"-1s\": negative durations are not allowed "
            "(use 0s or more)");
}

TEST(ParseDuration, RejectsInfinite) {
  for (const char* text : {"inf", "-inf"}) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(text);
    ASSERT_FALSE(duration.ok()) << text;
    EXPECT_EQ(duration.status().message(),
              absl::StrCat("invalid duration \"", text,
                           "\": infinite durations are not allowed"));
  }
}

TEST(ParseDuration, RejectsBeyondInt64Nanoseconds) {
  for (const char* text :
       {"2562048h", "2562047h47m16.854775808s", "10000000000000h"}) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(text);
    ASSERT_FALSE(duration.ok()) << text;
    EXPECT_EQ(duration.status().message(),
              absl::StrCat(
                  "invalid duration \"", text,
                  "\": longer than the maximum of 2562047h47m16.854775807s"));
  }
}

TEST(ParseDuration, RejectsEmpty) {
  absl::StatusOr<absl::Duration> duration = ParseDuration("");
  ASSERT_FALSE(duration.ok());
  EXPECT_EQ(
      duration.status().message(),
      "invalid duration \"\": expected a number with a unit, for example 30s");
}

TEST(ParseDuration, RejectsGarbage) {
  for (const char* text : {"abc", "1x", "1S", "1 s", " 1s", "1s ", "1e3s", "1d",
                           "s", "--1s", "1.2.3s"}) {
    absl::StatusOr<absl::Duration> duration = ParseDuration(text);
    ASSERT_FALSE(duration.ok()) << "\"" << text << "\" parsed as " << *duration;
    EXPECT_EQ(duration.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(
        duration.status().message(),
        absl::StrCat("invalid duration \"", text,
                     "\": expected numbers with units ns, us, ms, s, m or h, "
                     "for example 1m30s"));
  }
}

TEST(FormatDuration, GoStyleText) {
  EXPECT_EQ(pycontain::FormatDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(pycontain::FormatDuration(absl::Seconds(90)), "1m30s");
  EXPECT_EQ(pycontain::FormatDuration(absl::Milliseconds(1500)), "1.5s");
  EXPECT_EQ(pycontain::FormatDuration(absl::Milliseconds(300)), "300ms");
  EXPECT_EQ(pycontain::FormatDuration(absl::Hours(2)), "2h");
  EXPECT_EQ(pycontain::FormatDuration(absl::Microseconds(10)), "10us");
  EXPECT_EQ(pycontain::FormatDuration(-absl::Seconds(1)), "-1s");
  EXPECT_EQ(pycontain::FormatDuration(absl::InfiniteDuration()), "inf");
}

TEST(FormatDuration, ParsesBackToSameValue) {
  for (absl::Duration duration :
       {absl::ZeroDuration(), absl::Nanoseconds(1), absl::Microseconds(10),
        absl::Milliseconds(300), absl::Milliseconds(1500), absl::Seconds(90),
        absl::Hours(49) + absl::Nanoseconds(7),
        absl::Nanoseconds(std::numeric_limits<int64_t>::max())}) {
    std::string text = pycontain::FormatDuration(duration);
    absl::StatusOr<absl::Duration> parsed = ParseDuration(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_EQ(*parsed, duration) << text;
  }
}

}  // namespace
}  // namespace pycontain
