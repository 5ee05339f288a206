// Moving images in and out of the store: `docker save` archives
// (docker-archive), OCI image layouts (directories) and OCI archives (a tar
// of a layout), flat root filesystem tarballs (`docker import`).
//
//   absl::StatusOr<Store> store = Store::Open({});
//   absl::StatusOr<LoadResult> loaded =
//       LoadImages(*store, "busybox.tar", LoadOptions{});
//   absl::Status saved =
//       SaveOciLayout(*store, {"busybox:latest"}, "/tmp/layout");
//
// Loads verify every digest they are given: blobs of an OCI layout against
// their descriptors, uncompressed layers against the config's diff ids, and
// a docker-archive's config against its file name when that is a digest.
// A load that fails leaves the store as it was.
//
// Thread safety: all functions are safe to call concurrently, also from
// several processes; the store's lock orders them.
#ifndef PYCONTAIN_LIB_IMAGE_IMAGE_IO_H_
#define PYCONTAIN_LIB_IMAGE_IMAGE_IO_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/image/formats.pb.h"
#include "lib/image/store.h"

namespace pycontain::image {

// The running machine's architecture in the OCI (Go) spelling: "amd64",
// "arm64", "386", "arm", "ppc64le", "s390x", "riscv64", else uname's.
std::string HostArchitecture();

struct LoadOptions {
  // Manifests of an index that name another platform are skipped. Empty
  // fields match anything. Default: linux on HostArchitecture().
  std::string os = "linux";
  std::string architecture = HostArchitecture();
  std::string variant;
  // The repository for OCI references that are only a tag (umoci and
  // skopeo store "latest", not "busybox:latest"). Default: the base name of
  // the layout directory or archive, less ".tar".
  std::string repository;
  // Called with one line per image and per layer, for progress output.
  std::function<void(absl::string_view)> progress;
};

struct LoadedImage {
  std::string id;
  std::vector<std::string> names;
};

struct LoadResult {
  std::vector<LoadedImage> images;
  int layers_unpacked = 0;
  int layers_reused = 0;
};

// Loads every image in `path`: a docker-archive or OCI archive file (plain
// or compressed), or an OCI layout directory. Errors: InvalidArgument for
// a path that is neither; DataLoss for a digest mismatch or a corrupt
// archive; NotFound when no manifest matches the platform.
absl::StatusOr<LoadResult> LoadImages(const Store& store, absl::string_view path,
                                      const LoadOptions& options);

// Loads from an unpacked docker-archive or OCI layout in `directory`,
// within an open transaction. Members are opened inside `directory` only.
absl::StatusOr<LoadResult> LoadDockerArchive(Transaction& transaction,
                                             const std::string& directory,
                                             const LoadOptions& options);
absl::StatusOr<LoadResult> LoadOciLayout(Transaction& transaction,
                                         const std::string& directory,
                                         const LoadOptions& options);

// Writes the images named by `references` as a docker-archive tar file at
// `path`, with uncompressed layers ("<diff hex>/layer.tar"), manifest.json
// and repositories, as `docker save` does.
absl::Status SaveDockerArchive(const Store& store,
                               const std::vector<std::string>& references,
                               absl::string_view path);

// Writes the images as an OCI image layout in `directory` (created; must
// be empty or missing). Each name becomes an index entry annotated with
// org.opencontainers.image.ref.name (the tag, as umoci and skopeo expect)
// and io.containerd.image.name (the full name).
absl::Status SaveOciLayout(const Store& store,
                           const std::vector<std::string>& references,
                           absl::string_view directory);

struct ImportOptions {
  // Names for the new image ("name:tag"). Default: none (a dangling image).
  std::vector<std::string> names;
  // Recorded in the image's history.
  std::string comment;
  // Default command and environment of the new image.
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  // VOLUME paths of the new image (absolute paths in the container), as
  // `docker import --change "VOLUME /data"` sets them. Default: none.
  std::vector<std::string> volumes;
  // Dockerfile instructions applied after the fields above, as
  // `docker import --change` takes them ("CMD [\"sh\"]", "ENV A=1",
  // "WORKDIR /srv"; change.h lists the supported ones).
  std::vector<std::string> changes;
};

// Imports the tarball at `path` (plain or compressed) as a one-layer image,
// like `docker import`. Returns the image id. Errors: InvalidArgument for a
// name that ValidateReference (reference.h) rejects or an invalid change,
// before any write.
absl::StatusOr<std::string> ImportTarball(const Store& store,
                                          absl::string_view path,
                                          const ImportOptions& options);

struct CommitOptions {
  std::vector<std::string> names;
  std::string comment;
  // The history entry's created_by ("pycontain commit" by default).
  std::string created_by;
  // Dockerfile instructions applied to the base image's config, as
  // `docker commit --change` takes them (change.h lists the supported ones).
  std::vector<std::string> changes;
};

// Adds the changes in `upper_directory` (an overlayfs upper directory:
// whiteout devices for deletions, overlay.opaque for replaced directories)
// as a new layer on top of the image `base_reference`, like `docker
// commit`. The new config keeps every field of the base config that no
// change sets. Returns the new image's id. Names and changes are checked as
// ImportTarball checks them, before any write.
absl::StatusOr<std::string> CommitDirectory(const Store& store,
                                            absl::string_view base_reference,
                                            absl::string_view upper_directory,
                                            const CommitOptions& options);

// Applies every layer of the image, whiteouts applied, into `directory`
// (created when missing): the image's root filesystem as one tree.
absl::Status UnpackImage(const Store& store, absl::string_view reference,
                         absl::string_view directory);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_IMAGE_IO_H_
