// Loading a ContainerSpec from JSON or protobuf text format.
//
//   absl::StatusOr<spec::ContainerSpec> spec = spec::SpecFromJson(
//       R"({"process": {"args": ["/bin/true"]}, "root": {"path": "/r"}})");
//
// Both loaders reject unknown fields and values of the wrong type with
// InvalidArgument, naming the field (and, for text format, line and column).
// They do not validate the spec's meaning: see validate.h.
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_SPEC_LOAD_H_
#define PYCONTAIN_LIB_SPEC_LOAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/spec/container.pb.h"

namespace pycontain::spec {

// Parses JSON in protobuf's mapping: field names in lowerCamelCase or as in
// container.proto, durations as strings like "1.5s".
absl::StatusOr<ContainerSpec> SpecFromJson(absl::string_view json);

// Parses protobuf text format ("process { args: \"/bin/true\" }").
absl::StatusOr<ContainerSpec> SpecFromText(absl::string_view text);

// Serializes to JSON with field names in lowerCamelCase, the inverse of
// SpecFromJson. Also used for RunResult.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace pycontain::spec

#endif  // PYCONTAIN_LIB_SPEC_LOAD_H_
