// `pycontain compose ...`: Compose projects from the command line.
#ifndef PYCONTAIN_EXAMPLES_CLI_COMPOSE_COMMAND_H_
#define PYCONTAIN_EXAMPLES_CLI_COMPOSE_COMMAND_H_

#include <string>
#include <vector>

namespace pycontain::cli {

// Runs `pycontain compose [OPTIONS] COMMAND [ARGS...]` with the words after
// "compose". Returns 0, the exit code of the command of exec and run, or
// 125 after printing the error. Docker compose commands that pycontain
// lacks (kill, rm, pause, ...) report that they are not implemented yet.
int ComposeCommand(const std::vector<std::string>& args);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_COMPOSE_COMMAND_H_
