// `pycontain gc`: removes what containers of dead owners left behind.
#ifndef PYCONTAIN_EXAMPLES_CLI_GC_COMMAND_H_
#define PYCONTAIN_EXAMPLES_CLI_GC_COMMAND_H_

#include <string>
#include <vector>

namespace pycontain::cli {

// Runs `pycontain gc [OPTIONS]` with the words after "gc" and prints one
// line per object removed. Returns 0, 1 when something could not be
// removed, or 125 when gc could not run.
int GcCommand(const std::vector<std::string>& args);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_GC_COMMAND_H_
