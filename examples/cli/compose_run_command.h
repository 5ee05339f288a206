// The commands of `pycontain compose` that run a project: up, down, ps,
// logs, exec, run, start, stop, restart, and pull and build, which report
// that they are not available.
#ifndef PYCONTAIN_EXAMPLES_CLI_COMPOSE_RUN_COMMAND_H_
#define PYCONTAIN_EXAMPLES_CLI_COMPOSE_RUN_COMMAND_H_

#include <string>
#include <vector>

#include "lib/compose/project.h"

namespace pycontain::cli {

// Whether `command` is one of the commands above.
bool IsComposeRunCommand(const std::string& command);

// Runs `command` with its arguments `args` on the project that `options`
// loads. Returns 0, the exit code of the command of exec and run, or 125
// after printing the error.
int ComposeRunCommand(compose::LoadOptions options, const std::string& command,
                      const std::vector<std::string>& args);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_COMPOSE_RUN_COMMAND_H_
