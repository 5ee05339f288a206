// JSON for image documents. Reading goes through protobuf's JSON parser
// into the messages of formats.proto, ignoring unknown fields. Writing is by
// hand, because protobuf writes int64 values as strings, which the OCI
// specification does not allow for "size".
#ifndef PYCONTAIN_LIB_IMAGE_JSON_H_
#define PYCONTAIN_LIB_IMAGE_JSON_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "lib/image/formats.pb.h"

namespace pycontain::image {

// Parses `json` into `message`. `what` names the document in errors
// ("manifest sha256:ab..."). Errors: InvalidArgument with the parser's
// message.
absl::Status ParseJson(absl::string_view json, absl::string_view what,
                       google::protobuf::Message* message);

// Returns `text` as a JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

// Returns a JSON array of strings.
std::string JsonStringArray(const std::vector<std::string>& values);

// Returns a JSON object of string values, keys in sorted order.
std::string JsonStringMap(const std::map<std::string, std::string>& values);

// Writes `descriptor` as an OCI descriptor object.
std::string DescriptorJson(const format::Descriptor& descriptor);

// Writes an OCI image manifest (schemaVersion 2) for `config` and `layers`.
std::string ManifestJson(const format::Descriptor& config,
                         const std::vector<format::Descriptor>& layers);

// Writes an image configuration with the fields of `config`. Only for
// configurations lib/image makes itself: fields formats.proto does not
// list would be lost.
// Returns the "config" object of an image config: only the members that
// are set.
std::string RunConfigJson(const format::RunConfig& config);

std::string ImageConfigJson(const format::ImageConfig& config);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_JSON_H_
