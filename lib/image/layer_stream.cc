#include "lib/image/layer_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <unistd.h>

#include <string.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/base/status.h"
#include "lib/image/fs_util.h"

namespace pycontain::image {

namespace {

constexpr size_t kBufferSize = 1 << 20;

}  // namespace

// Hashes the blob and writes its copy on a thread of its own, from a ring
// of buffers that ReadChunk fills. A buffer is refilled only after the
// copier is done with it. libarchive reads the newest buffer at the same
// time as the copier, which is safe because neither side writes to it.
class LayerStream::Copier {
 public:
  static constexpr size_t kSlots = 4;

  Copier(int out, bool hash) : out_(out), hash_(hash) {
    for (std::string& buffer : buffers_) buffer.resize(kBufferSize);
    thread_ = std::thread([this] { Run(); });
  }

  ~Copier() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // Returns the buffer for the next chunk, waiting until the copier has
  // finished with its previous contents. Null after a copy error.
  char* NextBuffer() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !error_.ok() || produced_ - consumed_ < kSlots; });
    if (!error_.ok()) return nullptr;
    return buffers_[produced_ % kSlots].data();
  }

  // Queues the `size` bytes just read into NextBuffer().
  void Push(size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sizes_[produced_ % kSlots] = size;
      ++produced_;
    }
    changed_.notify_all();
  }

  // Waits for every queued chunk; returns the digest (when hashing) or
  // the copy's error.
  absl::StatusOr<std::string> Finish() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !error_.ok() || consumed_ == produced_; });
    if (!error_.ok()) return error_;
    return hash_ ? hasher_.Finish() : std::string();
  }

  absl::Status error() {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      changed_.wait(lock, [&] { return closed_ || consumed_ < produced_; });
      if (consumed_ == produced_ || !error_.ok()) return;
      const std::string& buffer = buffers_[consumed_ % kSlots];
      size_t size = sizes_[consumed_ % kSlots];
      lock.unlock();
      if (hash_) hasher_.Update(buffer.data(), size);
      absl::Status written = WriteAll(out_, absl::string_view(buffer.data(), size));
      lock.lock();
      if (!written.ok()) error_ = written;
      ++consumed_;
      changed_.notify_all();
    }
  }

  const int out_;
  const bool hash_;
  Sha256 hasher_;  // used by the copier's thread only, until Finish
  std::string buffers_[kSlots];
  size_t sizes_[kSlots] = {};
  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t produced_ = 0;  // chunks queued
  uint64_t consumed_ = 0;  // chunks hashed and written
  bool closed_ = false;
  absl::Status error_;
  std::thread thread_;
};

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
  if (options.copy_blob_to >= 0) {
    stream->copier_ = std::make_unique<Copier>(options.copy_blob_to,
                                               options.verified_blob_digest.empty());
  }
  absl::Status opened = stream->OpenReaders();
  if (!opened.ok()) return opened;
  return stream;
}

LayerStream::~LayerStream() {
  if (tar_ != nullptr) archive_read_free(tar_);
  if (raw_ != nullptr) archive_read_free(raw_);
  copier_.reset();
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
    return ArchiveError(tar_, "open tar stream of");
  }
  return absl::OkStatus();
}

ssize_t LayerStream::ReadBlob(struct archive* reader, void* self,
                              const void** buffer) {
  return static_cast<LayerStream*>(self)->ReadChunk(reader, buffer);
}

ssize_t LayerStream::ReadChunk(struct archive* reader, const void** buffer) {
  char* data = blob_buffer_.data();
  if (copier_ != nullptr) {
    data = copier_->NextBuffer();
    if (data == nullptr) {
      absl::Status error = copier_->error();
      archive_set_error(reader, ErrnoOf(error).value_or(EIO), "copy blob: %s",
                        std::string(error.message()).c_str());
      return -1;
    }
  }
  ssize_t n = 0;
  do {
    n = read(fd_.get(), data, kBufferSize);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(reader, errno, "read failed");
    return -1;
  }
  if (copier_ != nullptr) {
    if (n > 0) copier_->Push(static_cast<size_t>(n));
  } else if (options_.verified_blob_digest.empty()) {
    blob_hasher_.Update(data, static_cast<size_t>(n));
  }
  *buffer = data;
  return n;
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
  std::string hashed;
  if (copier_ != nullptr) {
    absl::StatusOr<std::string> copied = copier_->Finish();
    if (!copied.ok()) return Annotate(copied.status(), absl::StrCat("copy ", name_));
    hashed = *std::move(copied);
  } else if (options_.verified_blob_digest.empty()) {
    hashed = blob_hasher_.Finish();
  }
  blob_digest_ = options_.verified_blob_digest.empty() ? hashed : options_.verified_blob_digest;
  diff_id_ = compression_ == Compression::kNone ? blob_digest_ : diff_hasher_.Finish();
  return absl::OkStatus();
}

}  // namespace pycontain::image
