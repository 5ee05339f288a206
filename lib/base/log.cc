#include "lib/base/log.h"

#include <stdio.h>
#include <stdlib.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace pycontain {
namespace {

LogLevel ThresholdFromEnvironment() {
  const char* value = getenv("PYCONTAIN_LOG");
  if (value == nullptr || *value == '\0') return LogLevel::kWarning;
  std::optional<LogLevel> level = ParseLogLevel(value);
  if (!level.has_value()) {
    fprintf(stderr,
            "pycontain: warning: PYCONTAIN_LOG=%s is not a log level (use "
            "debug, info, warning or error); using warning\n",
            value);
    return LogLevel::kWarning;
  }
  return *level;
}

std::atomic<int>& Threshold() {
  static std::atomic<int> threshold{static_cast<int>(ThresholdFromEnvironment())};
  return threshold;
}

struct SinkSlot {
  absl::Mutex mutex;
  std::shared_ptr<const LogSink> sink ABSL_GUARDED_BY(mutex);
};

SinkSlot& Slot() {
  static SinkSlot* slot = new SinkSlot;
  return *slot;
}

void WriteToStderr(LogLevel level, absl::string_view container_id,
                   absl::string_view message) {
  std::string line =
      container_id.empty()
          ? absl::StrCat("pycontain: ", LogLevelName(level), ": ", message, "\n")
          : absl::StrCat("pycontain: ", LogLevelName(level), ": ", container_id,
                         ": ", message, "\n");
  // One write per line, so lines from several threads do not interleave.
  fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

std::optional<LogLevel> ParseLogLevel(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning,
                         LogLevel::kError}) {
    if (lower == LogLevelName(level)) return level;
  }
  return std::nullopt;
}

void SetLogSink(LogSink sink) {
  SinkSlot& slot = Slot();
  absl::MutexLock lock(&slot.mutex);
  if (sink) {
    slot.sink = std::make_shared<const LogSink>(std::move(sink));
  } else {
    slot.sink.reset();
  }
}

void SetLogThreshold(LogLevel level) {
  Threshold().store(static_cast<int>(level), std::memory_order_relaxed);
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >=
         Threshold().load(std::memory_order_relaxed);
}

void Log(LogLevel level, absl::string_view container_id,
         absl::string_view message) {
  if (!LogEnabled(level)) return;
  std::shared_ptr<const LogSink> sink;
  {
    SinkSlot& slot = Slot();
    absl::MutexLock lock(&slot.mutex);
    sink = slot.sink;
  }
  // The sink runs outside the lock, so it may itself log or swap sinks.
  if (sink) {
    (*sink)(level, container_id, message);
  } else {
    WriteToStderr(level, container_id, message);
  }
}

}  // namespace pycontain
