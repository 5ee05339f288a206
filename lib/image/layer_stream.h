// Reading a layer blob: detects the compression by content (none, gzip,
// zstd, bzip2, xz), decompresses it, and hashes both the blob as stored and
// the uncompressed tar stream, in one pass through libarchive.
//
//   absl::StatusOr<std::unique_ptr<LayerStream>> stream =
//       LayerStream::Open(std::move(fd), "sha256:ab..", {});
//   while (archive_read_next_header((*stream)->tar(), &entry) == ARCHIVE_OK)
//     ...
//   absl::Status done = (*stream)->Finish();
//   (*stream)->diff_id();  // digest of the uncompressed tar
//
// The digest of an uncompressed layer is its "diff id" in OCI terms; the
// digest of the blob as stored is the one manifests list.
//
// Thread safety: a LayerStream is used by one thread at a time.
#ifndef PYCONTAIN_LIB_IMAGE_LAYER_STREAM_H_
#define PYCONTAIN_LIB_IMAGE_LAYER_STREAM_H_

#include <stdint.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/image/digest.h"

struct archive;

namespace pycontain::image {

enum class Compression { kNone, kGzip, kZstd, kBzip2, kXz };

absl::string_view CompressionName(Compression compression);

// The OCI media type of a layer with `compression`
// ("application/vnd.oci.image.layer.v1.tar+gzip", ...).
std::string LayerMediaType(Compression compression);

// Detects the compression of the file open at `fd` from its first bytes
// (magic numbers), without moving its offset. Uncompressed data is kNone.
absl::StatusOr<Compression> DetectCompression(int fd);

struct LayerStreamOptions {
  // Reject the layer once its uncompressed size exceeds this many bytes
  // (a decompression bomb). 0: no limit.
  uint64_t max_uncompressed_bytes = 0;
  // Parse the stream as tar (tar()); false for callers that only ReadRaw.
  bool parse_tar = true;
  // The blob's digest when the caller has verified it already, such as a
  // blob in the store: the blob is then not hashed again, and blob_digest()
  // returns this value. Empty: hash it.
  std::string verified_blob_digest;
  // A descriptor that receives a copy of every blob byte read, such as
  // the store's staged copy of the blob, so that one pass over the input
  // hashes, copies and unpacks it. A second thread hashes and writes the
  // copy while the caller's thread unpacks. Borrowed; -1: no copy.
  int copy_blob_to = -1;
};

class LayerStream {
 public:
  // Starts reading the blob open at `fd` (owned from now on). `name`
  // appears in error messages. Errors: InvalidArgument when libarchive
  // cannot recognize the compression.
  static absl::StatusOr<std::unique_ptr<LayerStream>> Open(
      UniqueFd fd, absl::string_view name, const LayerStreamOptions& options);

  ~LayerStream();
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;

  // The tar reader over the uncompressed stream, owned by this object.
  struct archive* tar() { return tar_; }

  // Reads the uncompressed bytes directly, for callers that copy the tar
  // stream instead of parsing it. Returns 0 at the end. Only when opened
  // with parse_tar false.
  absl::StatusOr<size_t> ReadRaw(void* buffer, size_t size);

  // Reads what the tar reader left (the padding after the end-of-archive
  // blocks) so that both digests cover the whole blob. Call once, after the
  // last header or ReadRaw.
  absl::Status Finish();

  Compression compression() const { return compression_; }
  // Valid after Finish. An uncompressed blob is its own tar stream, so its
  // diff id is its digest and the stream is hashed once.
  const std::string& blob_digest() const { return blob_digest_; }
  const std::string& diff_id() const { return diff_id_; }
  uint64_t uncompressed_bytes() const { return uncompressed_bytes_; }
  // Whether reading stopped at max_uncompressed_bytes.
  bool limit_exceeded() const { return limit_exceeded_; }
  const std::string& name() const { return name_; }

  // Returns a status for the last libarchive error of `reader`.
  absl::Status ArchiveError(struct archive* reader,
                            absl::string_view operation) const;

 private:
  LayerStream() = default;
  absl::Status OpenReaders();
  static ssize_t ReadBlob(struct archive*, void* self, const void** buffer);
  static ssize_t ReadUncompressed(struct archive*, void* self,
                                  const void** buffer);

  // Reads the next chunk of the blob into a buffer that stays valid until
  // the next call. Hashes the chunk here, or hands it to copier_.
  ssize_t ReadChunk(struct archive* reader, const void** buffer);

  class Copier;
  std::unique_ptr<Copier> copier_;
  UniqueFd fd_;
  std::string name_;
  LayerStreamOptions options_;
  struct archive* raw_ = nullptr;  // decompressor, "raw" format
  struct archive* tar_ = nullptr;  // tar parser over raw_'s output
  Compression compression_ = Compression::kNone;
  Sha256 blob_hasher_;
  Sha256 diff_hasher_;
  std::string blob_buffer_;
  std::string tar_buffer_;
  uint64_t uncompressed_bytes_ = 0;
  bool limit_exceeded_ = false;
  std::string blob_digest_;
  std::string diff_id_;
};

}  // namespace pycontain::image

#endif  // PYCONTAIN_LIB_IMAGE_LAYER_STREAM_H_
