// The commands on managed containers (lib/container/managed.h): `run -d`,
// ps, start, stop, restart, pause, unpause, kill, rm, exec, logs, wait,
// diff, commit, export and inspect, with Docker's flags where pycontain has the feature.
#ifndef PYCONTAIN_EXAMPLES_CLI_CONTAINER_COMMAND_H_
#define PYCONTAIN_EXAMPLES_CLI_CONTAINER_COMMAND_H_

#include <map>
#include <string>
#include <vector>

#include "examples/cli/cli_text.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cli {

// The `run` flags that make a managed container.
struct DetachFlags {
  // -d, --detach. `--rm` (spec.remove_anonymous_volumes) then also
  // removes the container once it exits.
  bool detach = false;
  // -l, --label KEY=VALUE (repeatable)
  std::map<std::string, std::string> labels;
  // --stop-signal SIGNAL
  std::string stop_signal;
  // --log-opt KEY=VALUE (repeatable)
  std::map<std::string, std::string> log_options;
  // The flag behind each spec field it set, so that errors name the flag.
  FlagOrigins flag_origins;

  // Whether a flag that only a managed container uses was given.
  bool HasManagedOnlyFlags() const { return !stop_signal.empty() || !log_options.empty(); }
};

// Help text of those flags, for `run --help`.
extern const char kDetachFlagsHelp[];

// Applies "-l"/"--label" with `value` to `flags`. Returns an error
// message, or "".
std::string ApplyLabelFlag(const std::string& value, DetachFlags& flags);

// Whether `flag` is --stop-signal or --log-opt, which ApplyDetachFlag
// applies.
bool IsDetachFlag(const std::string& flag);
// Applies `flag` with `value` to `flags`. Returns an error message, or "".
std::string ApplyDetachFlag(const std::string& flag, const std::string& value,
                            DetachFlags& flags);

// `run -d`: creates a managed container of `spec` (spec.id, from --name,
// becomes its name), starts it and prints its id. Returns the exit status:
// 0, or 125 (126, 127) when it could not be created or started.
int RunDetached(pycontain::spec::ContainerSpec spec, const DetachFlags& flags);

// Whether `command` is one of the commands of this file.
bool IsContainerCommand(const std::string& command);

// Runs `pycontain COMMAND ARGS...` for one of those commands and returns
// Docker's exit status for it. That is 0 on success, 1 when the command
// failed (for example, on a missing container) and 125 for a usage error.
// exec returns the command's own status, or 126 when the command could not
// be run and 127 when it was not found.
int ContainerCommand(const std::string& command, const std::vector<std::string>& args);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_CONTAINER_COMMAND_H_
