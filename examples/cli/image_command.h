// `pycontain image ...`: load, save, import, ls, inspect, history, rm and
// prune on the image store (lib/image).
#ifndef PYCONTAIN_EXAMPLES_CLI_IMAGE_COMMAND_H_
#define PYCONTAIN_EXAMPLES_CLI_IMAGE_COMMAND_H_

#include <string>
#include <vector>

namespace pycontain::cli {

// Runs `pycontain image SUBCOMMAND ...` with the words after "image";
// returns the exit status (0, or 125 after printing the error).
int ImageCommand(const std::vector<std::string>& args);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_IMAGE_COMMAND_H_
