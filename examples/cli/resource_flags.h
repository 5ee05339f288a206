// The cgroup flags of `pycontain run`, spelled and read as `docker run`
// spells and reads them, and the --stats report.
#ifndef PYCONTAIN_EXAMPLES_CLI_RESOURCE_FLAGS_H_
#define PYCONTAIN_EXAMPLES_CLI_RESOURCE_FLAGS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cli {

// The help text lines for the flags below.
extern const char kResourceFlagsHelp[];

// Returns whether `flag` ("--memory") is one of the cgroup flags.
bool IsResourceFlag(absl::string_view flag);

// Sets the field of `resources` that `flag` stands for from `value`.
// Returns an error message naming the flag, or "" on success.
std::string ApplyResourceFlag(absl::string_view flag, absl::string_view value,
                              spec::Resources* resources);

// Returns the spec field that `flag` sets ("resources.memory_bytes" for
// --memory), for errors that name the field. For a repeated one it names
// the entry that `flag` added last to `resources`
// ("resources.device_read_bps[1]").
std::string ResourceFieldOf(absl::string_view flag, const spec::Resources& resources);

// Formats the accounting and the enforcement receipt of `result`, one
// "name: value" per line, for --stats.
std::string FormatStats(const spec::RunResult& result);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_RESOURCE_FLAGS_H_
