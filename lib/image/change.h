// Dockerfile instructions that change an image's config, as
// `docker import --change` takes them:
//
//   format::RunConfig config;
//   absl::Status changed =
//       ApplyChanges({"CMD [\"sh\", \"-c\", \"echo hi\"]", "ENV A=1 B=2"}, &config);
//
// Supported: CMD and ENTRYPOINT (JSON array, or shell form run through
// "/bin/sh -c"), ENV (NAME=value pairs, or "NAME value"), EXPOSE
// (PORT[-PORT][/PROTOCOL], "tcp" when missing), LABEL (key=value pairs, or
// "key value"), USER, VOLUME (JSON array or words), WORKDIR (relative to
// the previous one) and STOPSIGNAL. As in Docker, instruction names are
// case-insensitive, a shell-form CMD or ENTRYPOINT is passed to the shell
// as one string, and double quotes group words and are removed.
// NOTE: ENTRYPOINT leaves CMD as it is. Docker's builder resets a CMD
// inherited from a base image, which an imported image does not have.
//
// Thread safety: thread-safe (pure functions).
#ifndef PYCONTAIN_LIB_IMAGE_CHANGE_H_
#define PYCONTAIN_LIB_IMAGE_CHANGE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/image/formats.pb.h"

namespace pycontain::image {

// Applies the instructions to `config` in order. Errors: InvalidArgument
// quoting the instruction for an unknown or unsupported one (such as RUN or
// COPY, which need a build), a missing argument, an invalid port or a
// relative volume. `config` is unchanged after an error.
absl::Status ApplyChanges(const std::vector<std::string>& instructions,
                          format::RunConfig* config);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_CHANGE_H_
