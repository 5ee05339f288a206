// The log sink: pycontain prints nothing unless the embedder asks.
//
// By default warnings and errors go to stderr, and the environment variable
// PYCONTAIN_LOG (debug, info, warning, error) sets the threshold, so
// PYCONTAIN_LOG=debug prints one line per kernel action: a transcript of
// each mount, namespace and cgroup write, with the container id. An embedder
// replaces the output with SetLogSink:
//
//   pycontain::SetLogSink([](pycontain::LogLevel level, absl::string_view id,
//                            absl::string_view message) { ... });
//
// Thread safety: every function here may be called from any thread. The sink
// is called from the thread that logs, and must itself be thread-safe.
#ifndef PYCONTAIN_LIB_BASE_LOG_H_
#define PYCONTAIN_LIB_BASE_LOG_H_

#include <functional>
#include <optional>
#include "absl/strings/string_view.h"

#include "absl/strings/str_format.h"

namespace pycontain {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Returns "debug", "info", "warning" or "error".
absl::string_view LogLevelName(LogLevel level);

// Parses a level name as LogLevelName spells it; nullopt when unknown.
std::optional<LogLevel> ParseLogLevel(absl::string_view name);

// Receives each log line at or above the threshold. `container_id` is empty
// for lines that concern no container.
using LogSink = std::function<void(LogLevel level, absl::string_view container_id,
                                   absl::string_view message)>;

// Installs `sink` for all later lines; an empty function restores the
// default stderr output.
void SetLogSink(LogSink sink);

// Sets the lowest level that reaches the sink. Overrides PYCONTAIN_LOG.
void SetLogThreshold(LogLevel level);

// Returns whether a line at `level` would reach the sink. Callers check this
// before building an expensive message.
bool LogEnabled(LogLevel level);

// Sends one line to the sink when `level` is enabled.
void Log(LogLevel level, absl::string_view container_id,
         absl::string_view message);

// Formats with absl::StrFormat and logs, skipping the formatting when the
// level is disabled.
template <typename... Args>
void Logf(LogLevel level, absl::string_view container_id,
          const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (!LogEnabled(level)) return;
  Log(level, container_id, absl::StrFormat(format, args...));
}

}  // namespace pycontain

#endif  // PYCONTAIN_LIB_BASE_LOG_H_
