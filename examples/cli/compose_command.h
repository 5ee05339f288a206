// `pycontain compose ...`: Compose projects from the command line.
#ifndef PYCONTAIN_EXAMPLES_CLI_COMPOSE_COMMAND_H_
#define PYCONTAIN_EXAMPLES_CLI_COMPOSE_COMMAND_H_

#include <string>
#include <vector>

namespace pycontain::cli {

// Runs `pycontain compose [OPTIONS] COMMAND [ARGS...]` with the words after
// "compose". Returns 0, or 125 after printing the error. Only `config` is
// implemented; the other docker compose commands report that they are not
// implemented yet.
int ComposeCommand(const std::vector<std::string>& args);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_COMPOSE_COMMAND_H_
