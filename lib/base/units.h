// Units: byte sizes and durations as users write them in container configs
// and on the command line, with the spellings Docker accepts.
//
//   absl::StatusOr<int64_t> limit = pycontain::ParseByteSize("512m");
//   if (!limit.ok()) return limit.status();  // quotes the text, suggests a fix
//   ...
//   absl::StatusOr<absl::Duration> timeout = pycontain::ParseDuration("1m30s");
//   std::string message =
//       absl::StrCat("memory limit ", pycontain::FormatByteSize(*limit));
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_BASE_UNITS_H_
#define PYCONTAIN_LIB_BASE_UNITS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pycontain {

// Parses a byte size in binary multiples, as Docker's `--memory` does: a
// non-negative number, integer or decimal ("16", "1.5"), then an optional
// case-insensitive unit b, k, m, g, t or p (bytes, KiB, MiB, GiB, TiB, PiB).
// A multiplier letter may be followed by "b" or "ib", so "16m", "16mb",
// "16MiB" and "16777216" are all 16 MiB. One space between the number and the
// unit is accepted ("16 MiB"), but no other whitespace.
//
// Decimal values are rounded down to whole bytes ("0.1k" is 102).
//
// Errors: InvalidArgument for empty text, a negative number, an unknown unit,
// a value above INT64_MAX bytes or any other text. The message quotes `text`
// and suggests a fix, for example:
//   invalid size "12x": unknown unit "x" (use b, k, m, g, t or p)
absl::StatusOr<int64_t> ParseByteSize(absl::string_view text);

// Formats `bytes` in the largest unit that divides it exactly, so the result
// is short and ParseByteSize reads back the same value: 16777216 is "16m",
// 1572864 is "1536k", 100 is "100b", 0 is "0b". A negative value gets a
// leading "-", which ParseByteSize rejects.
std::string FormatByteSize(int64_t bytes);

// Parses a duration in Go's syntax, which Docker uses for health check
// intervals and stop timeouts: one or more decimal numbers, each with a unit
// ns, us (or µs), ms, s, m or h, such as "300ms", "1.5s" or "1m30s". A leading
// "+" is accepted. The result is truncated to whole nanoseconds, as Go does.
//
// Unlike Go, a bare "0" is rejected like any number without a unit, so every
// value in a config states its unit.
//
// Errors: InvalidArgument for empty text, a number without a unit (the
// message suggests the fix: `invalid duration "10": missing unit, for example
// 10s`), a negative or infinite duration, a duration longer than Go's maximum
// (INT64_MAX nanoseconds, about 292 years) or any other text.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text);

// Formats `duration` in the syntax ParseDuration reads: "1m30s", "1.5s",
// "300ms", "2h". Zero is "0s". Infinite durations are "inf" and "-inf", and
// negative ones start with "-". ParseDuration rejects both.
//
// Call it as pycontain::FormatDuration: argument-dependent lookup also finds
// absl::FormatDuration, so an unqualified call is ambiguous.
std::string FormatDuration(absl::Duration duration);

}  // namespace pycontain

#endif  // PYCONTAIN_LIB_BASE_UNITS_H_
