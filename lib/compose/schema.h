// Validation of one Compose file against the Compose Specification's schema,
// and the table of which fields pycontain applies.
//
//   std::vector<compose::Warning> warnings;
//   absl::Status status = compose::ValidateFile(*doc, &warnings);
//   // status: "compose.yaml:7:5: services.web: unknown field \"imgae\""
//   // warnings[0]: compose.yaml:9:5: services.web.logging: parsed but not
//   //              applied by pycontain (containers write to their own stdout)
//
// ValidateFile runs on the tree of a single file after interpolation and
// before anything converts or merges it, so every message names the file,
// line and field that the user wrote. It checks:
//   - field names against the specification (`x-` extension keys are
//     allowed in every mapping that has fixed fields, and are ignored),
//   - the shape of each value (scalar, list or mapping, per the schema's
//     oneOf alternatives),
//   - scalar contents where the field has a type: booleans (true, false,
//     yes, no, on, off, y, n in any case), integers, numbers, byte sizes
//     ("16m", or an integer count of bytes) and durations ("1m30s").
//
// Every field has a support level (see Support) that the runner must honour:
// kApplied fields are applied by pycontain, kNotApplied fields are parsed
// and produce a warning naming file, line and field, kObsolete is `version`.
// Nothing is dropped without a warning.
//
// Thread safety: the functions are thread-safe.
#ifndef PYCONTAIN_LIB_COMPOSE_SCHEMA_H_
#define PYCONTAIN_LIB_COMPOSE_SCHEMA_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose {

// A problem that does not stop loading: a field pycontain parses but does
// not apply, or an obsolete field.
struct Warning {
  yaml::Mark mark;
  // The field's path, such as "services.web.logging".
  std::string field;
  std::string message;
};

// "FILE:LINE:COLUMN: FIELD: MESSAGE".
std::string ToString(const Warning& warning);

enum class Support {
  // pycontain applies the field.
  kApplied,
  // Parsed and kept in the model, but pycontain does not apply it: a
  // warning names the field and the reason.
  kNotApplied,
  // Accepted for compatibility and otherwise ignored, with a warning
  // (the top-level `version`).
  kObsolete,
};

// Validates `root`, the interpolated tree of one Compose file (a kNull tree
// is an empty file and valid). Appends a warning to `warnings` for each
// kNotApplied or kObsolete field present.
// Errors: InvalidArgument "FILE:LINE:COLUMN: PATH: what" for the first
// unknown field, wrong shape, unreadable scalar or invalid name.
absl::Status ValidateFile(const yaml::Node& root, std::vector<Warning>* warnings);

// Reads a boolean as Compose does: true, yes, on, y and false, no, off, n,
// in any case. Returns false in `*ok` for other text.
bool ParseComposeBool(absl::string_view text, bool* ok);

// Whether `text` is a decimal integer with an optional sign.
bool IsInteger(absl::string_view text);

// Whether `text` is a decimal number (integer or with a fraction/exponent).
bool IsNumber(absl::string_view text);

// Whether `name` may name a service, network, volume, secret or config:
// one or more of [a-zA-Z0-9._-].
bool IsValidResourceName(absl::string_view name);

}  // namespace pycontain::compose

#endif  // PYCONTAIN_LIB_COMPOSE_SCHEMA_H_
