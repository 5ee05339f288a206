// Converts a layer (a tar stream read through libarchive) straight into a
// squashfs image with libsquashfs, so that the layer is kept as one
// read-only file and mounted as an overlay lower instead of being unpacked
// into thousands of files.
//
//   absl::StatusOr<ApplyStats> stats =
//       WriteSquashfsLayer(stream->tar(), "/store/tmp/x/layer.squashfs", {});
//
// The image contains what ApplyLayer with WhiteoutMode::kOverlay and owners
// preserved would write into an empty directory: regular files (every
// 128 KiB block of zeros, such as a hole of a sparse file, is stored as a
// sparse block), directories, symlinks, hardlinks (also to
// symlinks), device nodes and FIFOs, owners, modes, mtimes (whole seconds:
// squashfs keeps no nanoseconds) and extended attributes in the user.,
// trusted. and security. namespaces. OCI whiteouts become overlayfs
// whiteouts: ".wh.NAME" a 0:0 character device NAME, and ".wh..wh..opq"
// the xattr trusted.overlay.opaque="y" on its directory. Those are the
// forms overlayfs reads from a lower layer when root mounts it.
//
// Safety: entry names are cleaned with CleanEntryPath (a leading "/" is
// dropped, ".." is rejected), and the tree is built in memory, so no entry
// touches the host's filesystem. Symlinked parents are followed inside the
// tree, as RESOLVE_IN_ROOT does, and hardlink targets must already be in
// the tree. A rejected entry fails the whole conversion with an
// InvalidArgument status naming it; the caller removes the partial image.
//
// Thread safety: WriteSquashfsLayer may run concurrently on different
// images; it starts `workers` compression threads of its own.
#ifndef PYCONTAIN_LIB_IMAGE_SQUASHFS_LAYER_H_
#define PYCONTAIN_LIB_IMAGE_SQUASHFS_LAYER_H_

#include <stdint.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/image/layer_apply.h"

struct archive;

namespace pycontain::image {

// kNone stores every block uncompressed (the superblock names gzip, which
// every kernel with squashfs reads, but no block uses it): no CPU spent on
// compression, an image about as large as the tar stream.
enum class SquashfsCompressor { kZstd, kLz4, kGzip, kNone };

// Parses "zstd", "lz4", "gzip" or "none". Errors: InvalidArgument naming
// the value and the accepted names.
absl::StatusOr<SquashfsCompressor> ParseSquashfsCompressor(absl::string_view name);

struct SquashfsOptions {
  // zstd at level 1: tar2sqfs with these settings turned a 217 MB Debian
  // root into 83 MB in 0.6 to 0.8 s on a 2-core VM (lz4: 0.5 to 0.9 s,
  // 107 MB). The kernel needs the matching CONFIG_SQUASHFS_* option.
  SquashfsCompressor compressor = SquashfsCompressor::kZstd;
  // Compression level; 0 takes the compressor's default.
  int level = 1;
  // Compression threads (none with kNone).
  unsigned workers = 2;
  // Limit on the holes of sparse files, which cost no input bytes but are
  // scanned as zeros; bigger holes fail with ResourceExhausted.
  uint64_t max_hole_bytes = uint64_t{16} << 30;
};

// Reads every entry of `tar` (positioned before its first header) and
// writes the squashfs image `path`, which must not exist. Returns the entry
// and byte counts (skipped_devices stays 0: device nodes are only recorded).
// Errors: InvalidArgument naming the entry for an unsafe name or hardlink
// target; DataLoss for a corrupt archive; ResourceExhausted for too large
// holes; Internal or the errno of a failed write for libsquashfs failures.
absl::StatusOr<ApplyStats> WriteSquashfsLayer(struct archive* tar,
                                              const std::string& path,
                                              const SquashfsOptions& options);

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_SQUASHFS_LAYER_H_
