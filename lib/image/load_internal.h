// Helpers shared by the docker-archive and OCI layout loaders.
#ifndef PYCONTAIN_LIB_IMAGE_LOAD_INTERNAL_H_
#define PYCONTAIN_LIB_IMAGE_LOAD_INTERNAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/image/formats.pb.h"
#include "lib/image/image_io.h"

namespace pycontain::image::internal {

// Opens the regular file `member` of an unpacked archive or layout, with
// symlinks resolved inside `directory_fd` (a docker-archive may make
// layer.tar a symlink to a shared blob). Errors: NotFound, or
// InvalidArgument when it is not a regular file.
absl::StatusOr<UniqueFd> OpenMember(int directory_fd, absl::string_view member);

// Reads a small member (a manifest or config), at most 64 MiB.
absl::StatusOr<std::string> ReadMember(int directory_fd, absl::string_view member);

// Returns the size of the open file.
absl::StatusOr<int64_t> FileSize(int fd);

// Returns the descriptor of the config blob or layer that `transaction`
// holds, with its media type and size filled in.
absl::StatusOr<format::Descriptor> DescribeBlob(Transaction& transaction,
                                                absl::string_view digest,
                                                absl::string_view media_type);

// Reports a line through options.progress when it is set.
void Report(const LoadOptions& options, absl::string_view line);

inline constexpr absl::string_view kOciConfigType =
    "application/vnd.oci.image.config.v1+json";
inline constexpr absl::string_view kOciManifestType =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr absl::string_view kOciIndexType =
    "application/vnd.oci.image.index.v1+json";
inline constexpr absl::string_view kDockerManifestType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr absl::string_view kDockerListType =
    "application/vnd.docker.distribution.manifest.list.v2+json";

}  // namespace pycontain::image::internal

#endif  // PYCONTAIN_LIB_IMAGE_LOAD_INTERNAL_H_
