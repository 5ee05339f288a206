// `pycontain volume create|ls|inspect|rm|prune`: the volumes of the store
// (lib/container/volume.h), like `docker volume`.
#ifndef PYCONTAIN_EXAMPLES_CLI_VOLUME_COMMAND_H_
#define PYCONTAIN_EXAMPLES_CLI_VOLUME_COMMAND_H_

#include <string>
#include <vector>

namespace pycontain::cli {

// Runs `pycontain volume SUBCOMMAND ...` with the words after "volume".
// Returns 0 on success, 1 when a volume could not be removed or found, and
// 125 for invalid usage or when the store cannot be opened.
int VolumeCommand(const std::vector<std::string>& args);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_VOLUME_COMMAND_H_
