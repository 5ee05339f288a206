// Checking image references ("debian:12", "registry.example:5000/team/app:v1",
// "app@sha256:<64 hex digits>") against the grammar that Docker and the OCI
// distribution specification use:
//
//   reference  := name [":" tag] ["@" digest]
//   name       := [host [":" port] "/"] component ("/" component)*
//   component  := [a-z0-9]+ (separator [a-z0-9]+)*
//   separator  := "." | "_" | "__" | "-"+
//   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//   digest     := "sha256:" 64 lowercase hex digits
//
// The first part of a name is a registry host when it contains "." or ":"
// or is "localhost", as Docker decides. A host may contain upper-case
// letters and "-", and its port is decimal. A name is at most 255
// characters.
//
//   absl::Status valid = ValidateReference("Debian:12");
//   // InvalidArgument: invalid image reference "Debian:12": repository
//   // name component "Debian" must be lower-case ...
//
// Thread safety: thread-safe (pure functions).
#ifndef PYCONTAIN_LIB_IMAGE_REFERENCE_H_
#define PYCONTAIN_LIB_IMAGE_REFERENCE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace pycontain::image {

// Checks that `reference` is a valid image reference by the grammar above.
// Errors: InvalidArgument quoting the reference and naming the part that
// is wrong; Unimplemented for a digest algorithm other than sha256.
absl::Status ValidateReference(absl::string_view reference);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_REFERENCE_H_
