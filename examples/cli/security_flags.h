// The security flags of `pycontain run`, spelled as `docker run` spells
// them: --seccomp, --seccomp-learn, --cap-add, --cap-drop, --ulimit and
// --security-opt.
#ifndef PYCONTAIN_EXAMPLES_CLI_SECURITY_FLAGS_H_
#define PYCONTAIN_EXAMPLES_CLI_SECURITY_FLAGS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cli {

// The help text lines for the flags below.
extern const char kSecurityFlagsHelp[];

// Returns whether `flag` ("--cap-add") is one of the security flags.
bool IsSecurityFlag(absl::string_view flag);

// Sets the fields of `security` that `flag` stands for from `value`
// (reading the profile file of --seccomp FILE). Returns an error message
// naming the flag, or "" on success.
std::string ApplySecurityFlag(absl::string_view flag, absl::string_view value,
                              spec::Security* security);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_SECURITY_FLAGS_H_
