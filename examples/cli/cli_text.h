// Pure text functions of the pycontain CLI: errors that name the flag a
// user typed instead of the spec field it set, and the PORTS column of
// `ps`.
#ifndef PYCONTAIN_EXAMPLES_CLI_CLI_TEXT_H_
#define PYCONTAIN_EXAMPLES_CLI_CLI_TEXT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "lib/spec/container.pb.h"

namespace pycontain::cli {

// Spec fields ("process.env[0]", "mounts[2]", "process.cwd") paired with
// the flag that set each one as the user typed it ("-e FOO", "--tmpfs x").
using FlagOrigins = std::vector<std::pair<std::string, std::string>>;

// The `docker run` flag that sets a single-valued spec::Resources field:
// "--memory" for "memory_bytes". Returns "" for other fields.
absl::string_view ResourceFlagOf(absl::string_view field);

// The single-valued spec::Resources field that `flag` sets: "memory_bytes"
// for "--memory" and "-m". Returns "" for other flags.
absl::string_view ResourceFieldSetBy(absl::string_view flag);

// Rewrites the spec::Resources fields that `message` still names, with or
// without "resources.", as the flags that set them ("is below memory_bytes
// 64m" becomes "is below --memory 64m"). It also drops the library's hint
// to set resources.strict_limits, which no flag sets. For the text after
// NameFlagInError has named the flag at the start.
std::string ResourceFieldsAsFlags(absl::string_view message);

// Rewrites an error that names a field of `origins`, at its start or
// after a "context: " prefix, so that it names the flag instead:
// "process.env[0]: must be NAME=value" becomes "-e =x: must be
// NAME=value", and "start c1: mounts[0].destination: must be ..."
// becomes "start c1: --tmpfs rel (destination): must be ...". Other
// messages are returned as they are.
std::string NameFlagInError(absl::string_view message, const FlagOrigins& origins);

// Returns the PORTS column of `ps` for the -p values of a container, as
// Docker prints it: "127.0.0.1:8080->80/tcp, [::]:53->53/udp". A value
// that does not parse is shown as it is.
std::string FormatPorts(const google::protobuf::RepeatedPtrField<std::string>& ports);

}  // namespace pycontain::cli

#endif  // PYCONTAIN_EXAMPLES_CLI_CLI_TEXT_H_
