// Variable interpolation in Compose files and env files, as the Compose
// Specification defines it:
//
//   $VAR  ${VAR}             the value, or "" when VAR is unset
//   ${VAR:-default}          default when VAR is unset or empty
//   ${VAR-default}           default when VAR is unset
//   ${VAR:?message}          error when VAR is unset or empty
//   ${VAR?message}           error when VAR is unset
//   ${VAR:+alternative}      alternative when VAR is set and not empty, else ""
//   ${VAR+alternative}       alternative when VAR is set, else ""
//   $$                       a literal $
//
// A name matches [A-Za-z_][A-Za-z0-9_]*. Defaults, messages and
// alternatives are interpolated themselves, so `${A:-${B:-x}}` nests; they
// are only looked up when used (`${A:-${B?}}` with A set needs no B).
// A `$` followed by anything else is an error, like in docker compose.
//
//   Lookup lookup = [&](absl::string_view name) { return environment.Get(name); };
//   absl::StatusOr<std::string> image = Interpolate("app:${TAG:-latest}", lookup, mark);
//   absl::Status status = InterpolateTree(document, lookup);
//
// Thread safety: the functions are thread-safe when `lookup` is.
#ifndef PYCONTAIN_LIB_COMPOSE_INTERPOLATE_H_
#define PYCONTAIN_LIB_COMPOSE_INTERPOLATE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose {

// Returns the value of variable `name`, or nullopt when it is unset (which
// differs from set to "").
using Lookup = std::function<std::optional<std::string>(absl::string_view name)>;

// A `$VAR` or `${VAR}` without a default whose variable was unset, so it
// became "". docker compose warns about each ("The "VAR" variable is not
// set. Defaulting to a blank string.").
struct UnsetVariable {
  std::string name;
  yaml::Mark mark;
};

// Interpolates `text`, which comes from `mark` (used only in messages).
// Appends each unset variable that became "" to `unset` when it is not null.
// Errors: InvalidArgument
//   - "MARK: required variable DB_PASSWORD is missing a value: MESSAGE" for
//     `${VAR:?MESSAGE}` and `${VAR?MESSAGE}`.
//   - "MARK: invalid interpolation format for \"TEXT\": WHAT" for an
//     unterminated `${`, a `$` that starts no expression, `${` without a
//     valid name and operator, or expressions nested deeper than 64. TEXT
//     is cut after 200 bytes.
absl::StatusOr<std::string> Interpolate(absl::string_view text, const Lookup& lookup,
                                        const yaml::Mark& mark,
                                        std::vector<UnsetVariable>* unset = nullptr);

// Interpolates every scalar value in `node` in place (mapping keys, nulls
// and the scalars' marks, tags and `quoted` stay as they are). Stops at the
// first error, whose message adds the path of the value after its mark:
// "compose.yaml:4:12: services.web.image: required variable ...". List
// items appear as `ports[0]`.
absl::Status InterpolateTree(yaml::Node& node, const Lookup& lookup,
                             std::vector<UnsetVariable>* unset = nullptr);

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_INTERPOLATE_H_
