// Transaction: staging and committing images into the store (store.h).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/image/digest.h"
#include "lib/image/fs_util.h"
#include "lib/image/json.h"
#include "lib/image/layer_apply.h"
#include "lib/image/squashfs_layer.h"
#include "lib/image/store.h"

namespace pycontain::image {

namespace {

bool PathExists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

absl::Status CheckDigest(absl::string_view actual, absl::string_view expected,
                         absl::string_view what) {
  if (expected.empty() || actual == expected) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("digest mismatch for ", what,
                                          ": expected ", expected, ", got ",
                                          actual));
}

}  // namespace

Transaction::~Transaction() {
  absl::Status removed = RemoveTreeAt(AT_FDCWD, staging_path_);
  if (!removed.ok()) {
    // The next transaction removes what is left; nothing refers to it.
    Logf(LogLevel::kWarning, "", "image store: %s", removed.message());
  }
}

absl::StatusOr<std::string> Transaction::AddBlob(int fd,
                                                 absl::string_view expected) {
  if (!expected.empty()) {
    absl::Status valid = ValidateDigest(expected);
    if (!valid.ok()) return valid;
    std::string key(expected);
    if (staged_blobs_.contains(key) || PathExists(store_->BlobPath(key))) {
      return key;  // verified when it came in
    }
  }

  // Hash first: a blob already in the store is then not copied again,
  // which makes loading known layers cheap. The copy below is hashed again,
  // since the file may change in between.
  off_t start = lseek(fd, 0, SEEK_CUR);
  if (expected.empty() && start >= 0) {
    absl::StatusOr<std::string> digest = DigestOfFd(fd);
    if (!digest.ok()) return digest.status();
    if (staged_blobs_.contains(*digest) || PathExists(store_->BlobPath(*digest))) {
      return *digest;
    }
    if (lseek(fd, start, SEEK_SET) < 0) return ErrnoError(errno, "seek blob");
  }

  std::string temporary = absl::StrCat("blob-", staged_blobs_.size(), ".part");
  absl::StatusOr<UniqueFd> out =
      OpenAt(staging_.get(), temporary, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!out.ok()) return out.status();
  Sha256 hasher;
  std::string buffer(1 << 20, '\0');
  while (true) {
    ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read blob");
    if (n == 0) break;
    hasher.Update(buffer.data(), static_cast<size_t>(n));
    absl::Status written = WriteAll(
        out->get(), absl::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!written.ok()) return written;
  }
  std::string digest = hasher.Finish();
  absl::Status matches = CheckDigest(digest, expected, "blob");
  if (!matches.ok()) return matches;
  if (fsync(out->get()) != 0) return ErrnoError(errno, "fsync", temporary);

  std::string staged = DigestHex(digest);
  if (renameat(staging_.get(), temporary.c_str(), staging_.get(),
               staged.c_str()) != 0) {
    return ErrnoError(errno, "rename staged blob", staged);
  }
  staged_blobs_[digest] = absl::StrCat(staging_path_, "/", staged);
  return digest;
}

absl::StatusOr<std::string> Transaction::AddBlobData(absl::string_view data,
                                                     absl::string_view expected) {
  std::string digest = DigestOf(data);
  absl::Status matches = CheckDigest(digest, expected, "blob");
  if (!matches.ok()) return matches;
  if (staged_blobs_.contains(digest) || PathExists(store_->BlobPath(digest))) {
    return digest;
  }
  std::string staged = DigestHex(digest);
  absl::Status written = WriteFileAtomic(staging_.get(), staged, data);
  if (!written.ok()) return written;
  staged_blobs_[digest] = absl::StrCat(staging_path_, "/", staged);
  return digest;
}

absl::StatusOr<std::string> Transaction::MakeScratchDirectory() {
  absl::StatusOr<std::string> name = MakeTempDirAt(staging_.get(), "scratch-");
  if (!name.ok()) return name.status();
  return absl::StrCat(staging_path_, "/", *name);
}

absl::StatusOr<std::string> Transaction::BlobPath(absl::string_view digest) const {
  absl::Status valid = ValidateDigest(digest);
  if (!valid.ok()) return valid;
  auto staged = staged_blobs_.find(std::string(digest));
  if (staged != staged_blobs_.end()) return staged->second;
  std::string stored = store_->BlobPath(digest);
  if (PathExists(stored)) return stored;
  return absl::NotFoundError(absl::StrCat("blob ", digest, " not found"));
}

absl::StatusOr<std::string> Transaction::KnownDiffId(
    absl::string_view digest, absl::string_view expected_diff_id) const {
  auto stored = [&](const std::string& diff_id) {
    return staged_layers_.contains(diff_id) || store_->HasLayer(diff_id);
  };
  if (!expected_diff_id.empty()) {
    std::string key(expected_diff_id);
    return stored(key) ? key : "";
  }
  auto staged = staged_diff_ids_.find(std::string(digest));
  if (staged != staged_diff_ids_.end()) return staged->second;
  // A layer whose diff id is the blob's digest has this blob as its tar
  // stream: the blob is uncompressed.
  std::string same(digest);
  if (stored(same)) return same;
  absl::StatusOr<std::string> recorded = store_->RecordedDiffId(digest);
  if (!recorded.ok()) return recorded.status();
  if (!recorded->empty() && stored(*recorded)) return *recorded;
  return std::string();
}

absl::StatusOr<Transaction::LayerResult> Transaction::AddLayer(
    absl::string_view digest, absl::string_view expected_diff_id) {
  if (!expected_diff_id.empty()) {
    absl::Status valid = ValidateDigest(expected_diff_id);
    if (!valid.ok()) return valid;
  }
  absl::StatusOr<std::string> known = KnownDiffId(digest, expected_diff_id);
  if (!known.ok()) return known.status();
  if (!known->empty()) {
    LayerResult result;
    result.diff_id = *known;
    result.reused = true;
    return result;
  }

  absl::StatusOr<std::string> blob_path = BlobPath(digest);
  if (!blob_path.ok()) return blob_path.status();
  absl::StatusOr<UniqueFd> blob = OpenAt(AT_FDCWD, *blob_path, O_RDONLY);
  if (!blob.ok()) return blob.status();
  LayerStreamOptions stream_options;
  stream_options.max_uncompressed_bytes = store_->options().max_layer_bytes;
  // Staged blobs were hashed by AddBlob and stored ones when they came in.
  stream_options.verified_blob_digest = std::string(digest);
  absl::StatusOr<std::unique_ptr<LayerStream>> stream = LayerStream::Open(
      *std::move(blob), absl::StrCat("layer ", digest), stream_options);
  if (!stream.ok()) return stream.status();
  return ConvertLayer(**stream, digest, expected_diff_id, stream_options);
}

absl::StatusOr<Transaction::LayerResult> Transaction::ConvertLayer(
    LayerStream& stream, absl::string_view digest, absl::string_view expected_diff_id,
    const LayerStreamOptions& options) {
  absl::StatusOr<std::string> directory = MakeTempDirAt(staging_.get(), "layer-");
  if (!directory.ok()) return directory.status();
  bool squashfs = store_->NewLayerFormat() == LayerFormat::kSquashfs;
  absl::StatusOr<ApplyStats> applied;
  std::string unpacked = *directory;  // what moves into the store
  if (squashfs) {
    absl::StatusOr<SquashfsOptions> squashfs_options = store_->NewSquashfsOptions();
    if (!squashfs_options.ok()) return squashfs_options.status();
    unpacked = absl::StrCat(*directory, "/layer.squashfs");
    applied = WriteSquashfsLayer(stream.tar(), absl::StrCat(staging_path_, "/", unpacked),
                                 *squashfs_options);
  } else {
    absl::StatusOr<UniqueFd> root =
        OpenAt(staging_.get(), *directory, O_PATH | O_DIRECTORY);
    if (!root.ok()) return root.status();
    ApplyOptions apply;
    apply.whiteouts = WhiteoutMode::kOverlay;
    applied = ApplyLayer(stream.tar(), root->get(), apply);
  }
  std::string name = digest.empty() ? stream.name() : absl::StrCat("layer ", digest);
  if (!applied.ok() && stream.limit_exceeded()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        name, " is larger than the limit of ", options.max_uncompressed_bytes,
        " bytes uncompressed"));
  }
  if (!applied.ok()) return Annotate(applied.status(), name);
  absl::Status finished = stream.Finish();
  if (!finished.ok()) return finished;
  absl::Status matches = CheckDigest(stream.blob_digest(), digest, "layer blob");
  if (matches.ok()) {
    matches = CheckDigest(stream.diff_id(), expected_diff_id,
                          absl::StrCat("uncompressed layer ", stream.blob_digest()));
  }
  if (!matches.ok()) return matches;

  LayerResult result;
  result.diff_id = stream.diff_id();
  result.compression = stream.compression();
  if (staged_layers_.contains(result.diff_id) || store_->HasLayer(result.diff_id)) {
    // The same tree from another blob (such as another compression): keep
    // the layer already there, which containers may have mounted.
    result.reused = true;
    return result;
  }
  if (squashfs) {
    // The image is published by rename in Commit; it must be on disk
    // before a record can name it.
    absl::StatusOr<UniqueFd> image = OpenAt(staging_.get(), unpacked, O_RDONLY);
    if (!image.ok()) return image.status();
    if (fsync(image->get()) != 0) return ErrnoError(errno, "fsync", unpacked);
  }
  // NOTE: an unpacked directory layer is not fsynced file by file, so
  // after a power loss it may lack data that its record promises.
  std::string staged = absl::StrCat("diff-", DigestHex(result.diff_id),
                                    squashfs ? ".squashfs" : "");
  if (renameat(staging_.get(), unpacked.c_str(), staging_.get(), staged.c_str()) != 0) {
    return ErrnoError(errno, "rename staged layer", staged);
  }
  staged_layers_[result.diff_id] = absl::StrCat(staging_path_, "/", staged);
  Logf(LogLevel::kDebug, "", "image: %s layer %s (%s, %d entries)",
       squashfs ? "converted to squashfs" : "unpacked", result.diff_id,
       CompressionName(result.compression), applied->entries);
  return result;
}

bool Transaction::HasBlobOfSize(off_t size) const {
  struct stat st;
  for (const auto& [digest, path] : staged_blobs_) {
    if (stat(path.c_str(), &st) == 0 && st.st_size == size) return true;
  }
  std::string directory = absl::StrCat(store_->root(), "/blobs/sha256");
  DIR* blobs = opendir(directory.c_str());
  if (blobs == nullptr) return false;
  bool found = false;
  while (struct dirent* entry = readdir(blobs)) {
    if (fstatat(dirfd(blobs), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode) && st.st_size == size) {
      found = true;
      break;
    }
  }
  closedir(blobs);
  return found;
}

absl::StatusOr<Transaction::LayerBlobResult> Transaction::AddLayerBlob(
    int fd, absl::string_view expected_digest, absl::string_view expected_diff_id) {
  for (absl::string_view digest : {expected_digest, expected_diff_id}) {
    if (digest.empty()) continue;
    absl::Status valid = ValidateDigest(digest);
    if (!valid.ok()) return valid;
  }
  LayerBlobResult result;
  auto reuse = [&](const std::string& digest,
                   const std::string& diff_id) -> absl::StatusOr<LayerBlobResult> {
    absl::StatusOr<Compression> compression = DetectCompression(fd);
    if (!compression.ok()) return compression.status();
    result.digest = digest;
    result.layer.diff_id = diff_id;
    result.layer.compression = *compression;
    result.layer.reused = true;
    return result;
  };

  // Both known: nothing to read.
  std::string digest(expected_digest);
  if (!digest.empty() && BlobPath(digest).ok()) {
    absl::StatusOr<std::string> known = KnownDiffId(digest, expected_diff_id);
    if (!known.ok()) return known.status();
    if (!known->empty()) return reuse(digest, *known);
  }

  // A blob of the same size may be this one: hash first, and reuse it
  // when it is. The pass below hashes again, since the file may change.
  off_t start = lseek(fd, 0, SEEK_CUR);
  struct stat st;
  if (digest.empty() && start >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      HasBlobOfSize(st.st_size - start)) {
    absl::StatusOr<std::string> hashed = DigestOfFd(fd);
    if (!hashed.ok()) return hashed.status();
    if (BlobPath(*hashed).ok()) {
      absl::StatusOr<std::string> known = KnownDiffId(*hashed, expected_diff_id);
      if (!known.ok()) return known.status();
      if (!known->empty()) return reuse(*hashed, *known);
    }
    if (lseek(fd, start, SEEK_SET) < 0) return ErrnoError(errno, "seek blob");
  }

  // One pass: hash, copy into staging and unpack.
  std::string temporary = absl::StrCat("blob-", staged_blobs_.size(), ".part");
  absl::StatusOr<UniqueFd> copy =
      OpenAt(staging_.get(), temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!copy.ok()) return copy.status();
  int input = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (input < 0) return ErrnoError(errno, "duplicate blob descriptor");
  LayerStreamOptions options;
  options.max_uncompressed_bytes = store_->options().max_layer_bytes;
  options.copy_blob_to = copy->get();
  absl::StatusOr<std::unique_ptr<LayerStream>> stream = LayerStream::Open(
      UniqueFd(input), digest.empty() ? "layer" : absl::StrCat("layer ", digest), options);
  if (!stream.ok()) return stream.status();
  absl::StatusOr<LayerResult> layer = ConvertLayer(**stream, digest, expected_diff_id, options);
  if (!layer.ok() && !digest.empty() && start >= 0 && lseek(fd, start, SEEK_SET) == start) {
    // The layer was parsed before its digest was known. A blob that does
    // not match its digest is reported as such, not by what broke first.
    absl::StatusOr<std::string> actual = DigestOfFd(fd);
    if (actual.ok() && *actual != digest) return CheckDigest(*actual, digest, "layer blob");
  }
  if (!layer.ok()) return layer.status();
  result.digest = (*stream)->blob_digest();
  result.layer = *std::move(layer);

  if (BlobPath(result.digest).ok()) {
    // Discarded: a staged or stored blob has these bytes already.
    unlinkat(staging_.get(), temporary.c_str(), 0);
  } else {
    if (fsync(copy->get()) != 0) return ErrnoError(errno, "fsync", temporary);
    std::string staged = DigestHex(result.digest);
    if (renameat(staging_.get(), temporary.c_str(), staging_.get(), staged.c_str()) != 0) {
      return ErrnoError(errno, "rename staged blob", staged);
    }
    staged_blobs_[result.digest] = absl::StrCat(staging_path_, "/", staged);
  }
  staged_diff_ids_[result.digest] = result.layer.diff_id;
  return result;
}

absl::StatusOr<std::string> Transaction::AddImage(
    absl::string_view manifest_digest, const std::vector<std::string>& names) {
  absl::StatusOr<std::string> manifest_path = BlobPath(manifest_digest);
  if (!manifest_path.ok()) return manifest_path.status();
  absl::StatusOr<std::string> manifest_json = ReadFileAt(AT_FDCWD, *manifest_path);
  if (!manifest_json.ok()) return manifest_json.status();
  format::Manifest manifest;
  absl::Status parsed = ParseJson(
      *manifest_json, absl::StrCat("manifest ", manifest_digest), &manifest);
  if (!parsed.ok()) return parsed;

  absl::StatusOr<std::string> config_path = BlobPath(manifest.config().digest());
  if (!config_path.ok()) return config_path.status();
  absl::StatusOr<std::string> config_json = ReadFileAt(AT_FDCWD, *config_path);
  if (!config_json.ok()) return config_json.status();
  format::ImageConfig config;
  parsed = ParseJson(*config_json, "image config", &config);
  if (!parsed.ok()) return parsed;

  if (config.rootfs().diff_ids_size() != manifest.layers_size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "manifest ", manifest_digest, " lists ", manifest.layers_size(),
        " layers but its config lists ", config.rootfs().diff_ids_size()));
  }
  for (const std::string& diff_id : config.rootfs().diff_ids()) {
    if (!staged_layers_.contains(diff_id) && !store_->HasLayer(diff_id)) {
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", diff_id, " was not unpacked"));
    }
  }

  format::ImageRecord record;
  record.set_id(manifest.config().digest());
  record.set_manifest(std::string(manifest_digest));
  for (const std::string& name : names) {
    record.add_names(NormalizeReference(name));
  }
  record.set_loaded(time(nullptr));
  for (format::ImageRecord& earlier : records_) {
    if (earlier.id() != record.id()) continue;
    for (const std::string& name : record.names()) {
      if (std::find(earlier.names().begin(), earlier.names().end(), name) ==
          earlier.names().end()) {
        earlier.add_names(name);
      }
    }
    return record.id();
  }
  records_.push_back(record);
  return record.id();
}

absl::Status Transaction::Commit() {
  // Blobs and layers first: a record must never name a missing one.
  for (const auto& [digest, path] : staged_blobs_) {
    std::string target = store_->BlobPath(digest);
    if (rename(path.c_str(), target.c_str()) != 0) {
      return ErrnoError(errno, "store blob", target);
    }
  }
  for (const auto& [diff_id, path] : staged_layers_) {
    std::string target = absl::EndsWith(path, ".squashfs")
                             ? store_->LayerImagePath(diff_id)
                             : store_->LayerPath(diff_id);
    // Never over a layer that is there already: it may be mounted, and
    // its image file must stay the one the loop device reads.
    if (renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0 &&
        errno != EEXIST && errno != ENOTEMPTY) {
      return ErrnoError(errno, "store layer", target);
    }
  }

  absl::StatusOr<std::vector<format::ImageRecord>> existing =
      store_->ReadRecords();
  if (!existing.ok()) return existing.status();
  absl::flat_hash_set<std::string> claimed;
  for (const format::ImageRecord& record : records_) {
    claimed.insert(record.names().begin(), record.names().end());
  }

  // Names move to the new images, as `docker load` moves a tag.
  for (format::ImageRecord& old : *existing) {
    auto* names = old.mutable_names();
    size_t before = names->size();
    names->erase(std::remove_if(names->begin(), names->end(),
                                [&](const std::string& name) {
                                  return claimed.contains(name);
                                }),
                 names->end());
    bool replaced = std::any_of(records_.begin(), records_.end(),
                                [&](const format::ImageRecord& record) {
                                  return record.id() == old.id();
                                });
    if (static_cast<size_t>(names->size()) != before && !replaced) {
      absl::Status written = store_->WriteRecord(old);
      if (!written.ok()) return written;
    }
  }
  for (format::ImageRecord& record : records_) {
    for (const format::ImageRecord& old : *existing) {
      if (old.id() != record.id()) continue;
      for (const std::string& name : old.names()) {
        if (std::find(record.names().begin(), record.names().end(), name) ==
            record.names().end()) {
          record.add_names(name);
        }
      }
    }
    absl::Status written = store_->WriteRecord(record);
    if (!written.ok()) return written;
    Logf(LogLevel::kDebug, "", "image: stored %s", record.id());
  }
  committed_ = true;
  return absl::OkStatus();
}

}  // namespace pycontain::image
