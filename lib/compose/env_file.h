// Env files: the format docker compose reads for the project's `.env`,
// `--env-file` and a service's `env_file:`.
//
//   # a comment line
//   export PATH_PREFIX=/opt          `export ` is optional
//   PLAIN = some value # comment     trimmed, interpolated; ` #` starts a comment
//   HASH=a#b                         "a#b": `#` without whitespace before it is text
//   SINGLE='$literal \n'             as written, except \' for a quote
//   DOUBLE="line\none ${PLAIN}"      escapes \n \r \t \\ \" \$ \a \b \f \v,
//                                    interpolated, may span lines
//   EMPTY=                           ""
//   FROM_ENVIRONMENT                 the lookup's value; skipped when unset
//   YAML_STYLE: value                `:` works like `=`, as in docker compose
//
// That is the default format. A service's `env_file:` entry may instead set
// `format: raw`, which takes each `NAME=value` line as written, like
// `docker run --env-file`: no quotes, escapes, interpolation or inline
// comments, and whitespace kept around the value.
//
// Names contain ASCII letters, digits and `_ . - [ ]`. Interpolation (see
// interpolate.h) resolves a variable through the lookup first and then
// through the variables defined earlier in the same file, like docker
// compose, so the environment wins over the file.
//
//   absl::StatusOr<std::vector<EnvVar>> vars = ReadEnvFile("/srv/ctf/.env", lookup);
//
// Thread safety: the functions are thread-safe when `lookup` is.
#ifndef PYCONTAIN_LIB_COMPOSE_ENV_FILE_H_
#define PYCONTAIN_LIB_COMPOSE_ENV_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/compose/interpolate.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose {

enum class EnvFileFormat {
  // docker compose's format, described above.
  kCompose,
  // `format: raw`: `NAME=value` lines as written (value up to the line end),
  // `#` comment lines, blank lines, and names alone taken from the lookup.
  kRaw,
};

// One variable from an env file.
struct EnvVar {
  std::string name;
  std::string value;
  // The position of the name in the file.
  yaml::Mark mark;
};

// Parses `text`, the content of `file_name` (used in marks and messages).
// Returns the variables in the order of their first definition; a name
// defined again keeps its first position and takes the last value and
// mark. A UTF-8 byte order mark at the start is skipped, and CRLF line ends
// are accepted. Interpolation calls `lookup` (which may be empty: nothing is
// set), and a name alone on its line takes the lookup's value.
// The file's own values are returned as written; giving the environment
// precedence over them (as docker compose does for `.env`) is the caller's
// choice.
// Errors: InvalidArgument "FILE:LINE: what" for an invalid name, an
// unterminated quoted value, or text after a closing quote, and the
// errors of Interpolate ("FILE:LINE:COLUMN: required variable ...").
// In the raw format, only a missing name or one with whitespace is an
// error.
absl::StatusOr<std::vector<EnvVar>> ParseEnvFile(
    absl::string_view text, absl::string_view file_name, const Lookup& lookup,
    EnvFileFormat format = EnvFileFormat::kCompose);

// Reads the env file at `path` and parses it with ParseEnvFile (marks name
// `path`). Errors: NotFound "open env file PATH: No such file or
// directory" and the other errno errors of open and read (with the errno
// as a payload, see lib/base/status.h), and those of ParseEnvFile.
absl::StatusOr<std::vector<EnvVar>> ReadEnvFile(const std::string& path, const Lookup& lookup,
                                                EnvFileFormat format = EnvFileFormat::kCompose);

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_ENV_FILE_H_
