#include "lib/image/layer_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <unistd.h>

#include <string.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status.h"

namespace pycontain::image {

namespace {

constexpr size_t kBufferSize = 1 << 20;

}  // namespace

absl::string_view CompressionName(Compression compression) {
  switch (compression) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kBzip2: return "bzip2";
    case Compression::kXz: return "xz";
  }
  return "unknown";
}

std::string LayerMediaType(Compression compression) {
  std::string type = "application/vnd.oci.image.layer.v1.tar";
  switch (compression) {
    case Compression::kNone: return type;
    case Compression::kGzip: return type + "+gzip";
    case Compression::kZstd: return type + "+zstd";
    // Not in the OCI specification; Docker and the OCI tools read bzip2 and
    // xz layers only through the plain tar media type and detection.
    case Compression::kBzip2:
    case Compression::kXz: return type;
  }
  return type;
}

absl::StatusOr<Compression> DetectCompression(int fd) {
  unsigned char magic[6] = {};
  ssize_t n = pread(fd, magic, sizeof(magic), 0);
  if (n < 0) return ErrnoError(errno, "read to detect compression");
  auto starts = [&](std::initializer_list<unsigned char> prefix) {
    if (static_cast<size_t>(n) < prefix.size()) return false;
    return std::equal(prefix.begin(), prefix.end(), magic);
  };
  if (starts({0x1f, 0x8b})) return Compression::kGzip;
  if (starts({0x28, 0xb5, 0x2f, 0xfd})) return Compression::kZstd;
  if (starts({'B', 'Z', 'h'})) return Compression::kBzip2;
  if (starts({0xfd, '7', 'z', 'X', 'Z', 0x00})) return Compression::kXz;
  return Compression::kNone;
}

absl::StatusOr<std::unique_ptr<LayerStream>> LayerStream::Open(
    UniqueFd fd, absl::string_view name, const LayerStreamOptions& options) {
  std::unique_ptr<LayerStream> stream(new LayerStream());
  stream->fd_ = std::move(fd);
  stream->name_ = std::string(name);
  stream->options_ = options;
  stream->blob_buffer_.resize(kBufferSize);
  stream->tar_buffer_.resize(kBufferSize);
  absl::Status opened = stream->OpenReaders();
  if (!opened.ok()) return opened;
  return stream;
}

LayerStream::~LayerStream() {
  if (tar_ != nullptr) archive_read_free(tar_);
  if (raw_ != nullptr) archive_read_free(raw_);
}

absl::Status LayerStream::ArchiveError(struct archive* reader,
                                       absl::string_view operation) const {
  const char* text = archive_error_string(reader);
  std::string message = absl::StrCat(operation, " ", name_, ": ",
                                     text != nullptr ? text : "unknown error");
  if (limit_exceeded_) {
    message = absl::StrFormat(
        "%s %s: uncompressed size exceeds the limit of %d bytes", operation,
        name_, options_.max_uncompressed_bytes);
    return absl::ResourceExhaustedError(message);
  }
  int err = archive_errno(reader);
  if (err == ENOMEM) return absl::ResourceExhaustedError(message);
  return absl::DataLossError(message);
}

absl::Status LayerStream::OpenReaders() {
  // Only the compressions that layers use; "all" would also try uuencode and
  // RPM, which a tar's first file name could resemble.
  raw_ = archive_read_new();
  archive_read_support_filter_gzip(raw_);
  archive_read_support_filter_zstd(raw_);
  archive_read_support_filter_bzip2(raw_);
  archive_read_support_filter_xz(raw_);
  archive_read_support_format_raw(raw_);
  if (archive_read_open(raw_, this, nullptr, &LayerStream::ReadBlob,
                        nullptr) != ARCHIVE_OK) {
    return ArchiveError(raw_, "open layer");
  }
  struct archive_entry* entry = nullptr;
  if (archive_read_next_header(raw_, &entry) != ARCHIVE_OK) {
    return ArchiveError(raw_, "read layer");
  }
  switch (archive_filter_code(raw_, 0)) {
    case ARCHIVE_FILTER_GZIP: compression_ = Compression::kGzip; break;
    case ARCHIVE_FILTER_ZSTD: compression_ = Compression::kZstd; break;
    case ARCHIVE_FILTER_BZIP2: compression_ = Compression::kBzip2; break;
    case ARCHIVE_FILTER_XZ: compression_ = Compression::kXz; break;
    default: compression_ = Compression::kNone; break;
  }

  if (!options_.parse_tar) return absl::OkStatus();
  tar_ = archive_read_new();
  archive_read_support_format_tar(tar_);
  archive_read_support_format_gnutar(tar_);
  if (archive_read_open(tar_, this, nullptr, &LayerStream::ReadUncompressed,
                        nullptr) != ARCHIVE_OK) {
    return ArchiveError(tar_, "open tar stream of layer");
  }
  return absl::OkStatus();
}

ssize_t LayerStream::ReadBlob(struct archive* reader, void* self,
                              const void** buffer) {
  auto* stream = static_cast<LayerStream*>(self);
  while (true) {
    ssize_t n = read(stream->fd_.get(), stream->blob_buffer_.data(),
                     stream->blob_buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      archive_set_error(reader, errno, "read failed");
      return -1;
    }
    if (stream->options_.verified_blob_digest.empty()) {
      stream->blob_hasher_.Update(stream->blob_buffer_.data(), static_cast<size_t>(n));
    }
    *buffer = stream->blob_buffer_.data();
    return n;
  }
}

ssize_t LayerStream::ReadUncompressed(struct archive* reader, void* self,
                                      const void** buffer) {
  auto* stream = static_cast<LayerStream*>(self);
  la_ssize_t n = archive_read_data(stream->raw_, stream->tar_buffer_.data(),
                                   stream->tar_buffer_.size());
  if (n < 0) {
    archive_set_error(reader, archive_errno(stream->raw_), "%s",
                      archive_error_string(stream->raw_));
    return -1;
  }
  stream->uncompressed_bytes_ += static_cast<uint64_t>(n);
  uint64_t limit = stream->options_.max_uncompressed_bytes;
  if (limit != 0 && stream->uncompressed_bytes_ > limit) {
    stream->limit_exceeded_ = true;
    archive_set_error(reader, EFBIG, "uncompressed size limit exceeded");
    return -1;
  }
  if (stream->compression_ != Compression::kNone) {
    stream->diff_hasher_.Update(stream->tar_buffer_.data(), static_cast<size_t>(n));
  }
  *buffer = stream->tar_buffer_.data();
  return n;
}

absl::StatusOr<size_t> LayerStream::ReadRaw(void* buffer, size_t size) {
  const void* data = nullptr;
  if (tar_ != nullptr) {
    return absl::FailedPreconditionError("ReadRaw on a stream parsed as tar");
  }
  ssize_t n = ReadUncompressed(raw_, this, &data);
  if (n < 0) return ArchiveError(raw_, "read layer");
  size_t copied = std::min(size, static_cast<size_t>(n));
  // ReadUncompressed fills tar_buffer_ with at most its size; callers pass
  // buffers of at least that size, checked here to keep the copy whole.
  if (copied < static_cast<size_t>(n)) {
    return absl::InvalidArgumentError("ReadRaw buffer smaller than 1 MiB");
  }
  memcpy(buffer, data, copied);
  return copied;
}

absl::Status LayerStream::Finish() {
  const void* data = nullptr;
  struct archive* reader = tar_ != nullptr ? tar_ : raw_;
  while (true) {
    ssize_t n = ReadUncompressed(reader, this, &data);
    if (n < 0) return ArchiveError(reader, "read layer");
    if (n == 0) break;
  }
  // Drain the blob itself: a gzip stream may be followed by bytes that the
  // decompressor never asked for, and the blob digest covers them too.
  while (true) {
    ssize_t n = ReadBlob(raw_, this, &data);
    if (n < 0) return ArchiveError(raw_, "read layer");
    if (n == 0) break;
  }
  blob_digest_ = options_.verified_blob_digest.empty() ? blob_hasher_.Finish()
                                                      : options_.verified_blob_digest;
  diff_id_ = compression_ == Compression::kNone ? blob_digest_ : diff_hasher_.Finish();
  return absl::OkStatus();
}

}  // namespace pycontain::image
