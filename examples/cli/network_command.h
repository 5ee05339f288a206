// `pycontain network ...`: named networks from the command line, and the
// `run` options that attach a container to one.
#ifndef PYCONTAIN_EXAMPLES_CLI_NETWORK_COMMAND_H_
#define PYCONTAIN_EXAMPLES_CLI_NETWORK_COMMAND_H_

#include <string>
#include <vector>

#include "lib/spec/container.pb.h"

namespace pycontain::cli {

// Runs `pycontain network SUBCOMMAND ...` with the words after "network";
// returns the exit status (0, or 125 after printing the error).
int NetworkCommand(const std::vector<std::string>& args);

// Applies `run --network VALUE`: none, host, container:ID, or the name of
// a network (its driver picks BRIDGE, MACVLAN or IPVLAN). Returns an error
// message, or "".
std::string ApplyNetworkOption(const std::string& value, spec::ContainerSpec& spec);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_NETWORK_COMMAND_H_
