#include "lib/base/units.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace pycontain {
namespace {

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

// The multiplier letters in order: k is 2^10, m is 2^20, ... p is 2^50.
constexpr absl::string_view kMultiplierLetters = "kmgtp";
constexpr int kMaxShift = 10 * kMultiplierLetters.size();

constexpr absl::string_view kSizeFormatHint =
    "expected a number with an optional unit, for example 64m or 1.5g";

absl::Status InvalidSize(absl::string_view text, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid size \"", absl::CHexEscape(text), "\": ", reason));
}

absl::Status InvalidDuration(absl::string_view text, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid duration \"", absl::CHexEscape(text), "\": ", reason));
}

// Removes the leading ASCII digits of `*text` and returns them.
absl::string_view ConsumeDigits(absl::string_view* text) {
  size_t end = 0;
  while (end < text->size() && absl::ascii_isdigit((*text)[end])) ++end;
  absl::string_view digits = text->substr(0, end);
  text->remove_prefix(end);
  return digits;
}

// Returns the power of two that `unit` multiplies by ("" and "b" are 0, "k",
// "kb" and "KiB" are 10, ...), or nullopt for an unknown unit.
std::optional<int> UnitShift(absl::string_view unit) {
  std::string lower = absl::AsciiStrToLower(unit);
  if (lower.empty() || lower == "b") return 0;

  size_t index = kMultiplierLetters.find(lower[0]);
  if (index == absl::string_view::npos) return std::nullopt;
  absl::string_view suffix = absl::string_view(lower).substr(1);
  if (!suffix.empty() && suffix != "b" && suffix != "ib") return std::nullopt;
  return 10 * static_cast<int>(index + 1);
}

// Returns floor(0.<digits> * 2^shift) without rounding error. Doubling a
// decimal fraction carries at most 1 into the whole part, so `shift`
// doublings of the digit string build the whole part bit by bit.
uint64_t ScaleFraction(absl::string_view digits, int shift) {
  // Digits past the shift-th cannot change the result. The kept digits times
  // 2^shift are a multiple of 5^-shift, and the dropped tail (below
  // 10^-shift) adds less than 5^-shift, so the floor stays the same.
  digits = digits.substr(0, shift);

  std::vector<int> fraction;
  for (char digit : digits) fraction.push_back(digit - '0');
  uint64_t whole = 0;
  for (int i = 0; i < shift; ++i) {
    int carry = 0;
    for (size_t j = fraction.size(); j-- > 0;) {
      int doubled = fraction[j] * 2 + carry;
      fraction[j] = doubled % 10;
      carry = doubled / 10;
    }
    whole = whole * 2 + carry;
  }
  return whole;
}

}  // namespace

absl::StatusOr<int64_t> ParseByteSize(absl::string_view text) {
  if (text.empty()) return InvalidSize(text, kSizeFormatHint);
  if (text[0] == '-') {
    return InvalidSize(text, "negative sizes are not allowed (use 0 or more)");
  }

  // The number: digits, then an optional "." and more digits.
  absl::string_view rest = text;
  absl::string_view whole_digits = ConsumeDigits(&rest);
  absl::string_view fraction_digits;
  if (whole_digits.empty()) return InvalidSize(text, kSizeFormatHint);
  if (absl::ConsumePrefix(&rest, ".")) {
    fraction_digits = ConsumeDigits(&rest);
    if (fraction_digits.empty()) return InvalidSize(text, kSizeFormatHint);
  }

  // The unit: what remains after one optional space, starting with a letter.
  absl::string_view unit = rest;
  bool spaced = absl::ConsumePrefix(&unit, " ");
  if ((spaced && unit.empty()) ||
      (!unit.empty() && !absl::ascii_isalpha(unit[0]))) {
    return InvalidSize(text, kSizeFormatHint);
  }
  std::optional<int> shift = UnitShift(unit);
  if (!shift.has_value()) {
    return InvalidSize(text,
                       absl::StrCat("unknown unit \"", absl::CHexEscape(unit),
                                    "\" (use b, k, m, g, t or p)"));
  }

  // whole << shift plus a fraction below 1 << shift fits in int64 exactly
  // when whole <= kMaxInt64 >> shift.
  std::string out_of_range =
      absl::StrCat("larger than the maximum of ", kMaxInt64, " bytes");
  uint64_t whole = 0;
  if (!absl::SimpleAtoi(whole_digits, &whole)) {
    return InvalidSize(text, out_of_range);
  }
  if (whole > static_cast<uint64_t>(kMaxInt64 >> *shift)) {
    return InvalidSize(text, out_of_range);
  }
  uint64_t bytes = (whole << *shift) + ScaleFraction(fraction_digits, *shift);
  return static_cast<int64_t>(bytes);
}

std::string FormatByteSize(int64_t bytes) {
  static constexpr absl::string_view kUnits = "bkmgtp";

  // Negate in unsigned arithmetic so that INT64_MIN has a magnitude too.
  uint64_t magnitude = static_cast<uint64_t>(bytes);
  if (bytes < 0) magnitude = 0 - magnitude;

  size_t unit = 0;
  while (unit + 1 < kUnits.size() && magnitude != 0 && magnitude % 1024 == 0) {
    magnitude /= 1024;
    ++unit;
  }
  return absl::StrCat(bytes < 0 ? "-" : "", magnitude, kUnits.substr(unit, 1));
}

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  if (text.empty()) {
    return InvalidDuration(text,
                           "expected a number with a unit, for example 30s");
  }

  // Go spells microseconds "us", "µs" (micro sign) or "μs" (Greek mu), but
  // absl::ParseDuration reads only "us".
  std::string normalized =
      absl::StrReplaceAll(text, {{"\u00b5s", "us"}, {"\u03bcs", "us"}});

  char last = normalized.back();
  if (absl::ascii_isdigit(last) || last == '.') {
    return InvalidDuration(
        text, absl::StrCat("missing unit, for example ", text, "s"));
  }

  absl::Duration duration;
  if (!absl::ParseDuration(normalized, &duration)) {
    return InvalidDuration(text,
                           "expected numbers with units ns, us, ms, s, m or h, "
                           "for example 1m30s");
  }
  if (duration == absl::InfiniteDuration() ||
      duration == -absl::InfiniteDuration()) {
    return InvalidDuration(text, "infinite durations are not allowed");
  }
  if (duration < absl::ZeroDuration()) {
    return InvalidDuration(
        text, "negative durations are not allowed (use 0s or more)");
  }

  // Go's time.Duration is int64 nanoseconds, so Docker rejects longer values
  // too. absl::Duration has a much wider range.
  absl::Duration max = absl::Nanoseconds(std::numeric_limits<int64_t>::max());
  if (duration > max) {
    return InvalidDuration(text, absl::StrCat("longer than the maximum of ",
                                              pycontain::FormatDuration(max)));
  }
  return absl::Trunc(duration, absl::Nanoseconds(1));
}

std::string FormatDuration(absl::Duration duration) {
  if (duration == absl::ZeroDuration()) return "0s";
  return absl::FormatDuration(duration);
}

}  // namespace pycontain
