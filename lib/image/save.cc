// SaveDockerArchive and SaveOciLayout.
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/status.h"
#include "lib/image/digest.h"
#include "lib/image/fs_util.h"
#include "lib/image/image_io.h"
#include "lib/image/json.h"
#include "lib/image/layer_stream.h"
#include "lib/image/load_internal.h"

namespace pycontain::image {

namespace {

// A libarchive writer that owns its handle and reports errors by path.
class TarWriter {
 public:
  explicit TarWriter(std::string path) : path_(std::move(path)) {}
  ~TarWriter() {
    if (writer_ != nullptr) archive_write_free(writer_);
  }

  absl::Status Open() {
    writer_ = archive_write_new();
    archive_write_set_format_pax_restricted(writer_);
    if (archive_write_open_filename(writer_, path_.c_str()) != ARCHIVE_OK) {
      return Error("open");
    }
    return absl::OkStatus();
  }

  absl::Status AddDirectory(const std::string& name) {
    struct archive_entry* entry = NewEntry(name, AE_IFDIR, 0755, 0);
    int result = archive_write_header(writer_, entry);
    archive_entry_free(entry);
    return result == ARCHIVE_OK ? absl::OkStatus() : Error(name);
  }

  absl::Status AddData(const std::string& name, absl::string_view data) {
    struct archive_entry* entry =
        NewEntry(name, AE_IFREG, 0644, static_cast<int64_t>(data.size()));
    int result = archive_write_header(writer_, entry);
    archive_entry_free(entry);
    if (result != ARCHIVE_OK) return Error(name);
    if (archive_write_data(writer_, data.data(), data.size()) < 0) return Error(name);
    return absl::OkStatus();
  }

  // Copies the regular file `fd` from offset 0.
  absl::Status AddFile(const std::string& name, int fd) {
    absl::StatusOr<int64_t> size = internal::FileSize(fd);
    if (!size.ok()) return size.status();
    struct archive_entry* entry = NewEntry(name, AE_IFREG, 0644, *size);
    int result = archive_write_header(writer_, entry);
    archive_entry_free(entry);
    if (result != ARCHIVE_OK) return Error(name);
    std::string buffer(1 << 20, '\0');
    off_t offset = 0;
    while (true) {
      ssize_t n = pread(fd, buffer.data(), buffer.size(), offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError(errno, "read", name);
      if (n == 0) return absl::OkStatus();
      offset += n;
      if (archive_write_data(writer_, buffer.data(), static_cast<size_t>(n)) < 0) {
        return Error(name);
      }
    }
  }

  absl::Status Close() {
    if (archive_write_close(writer_) != ARCHIVE_OK) return Error("close");
    return absl::OkStatus();
  }

 private:
  struct archive_entry* NewEntry(const std::string& name, mode_t type,
                                 mode_t mode, int64_t size) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_copy_pathname(entry, name.c_str());
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, mode);
    archive_entry_set_size(entry, size);
    return entry;
  }

  absl::Status Error(absl::string_view what) {
    const char* text = archive_error_string(writer_);
    return absl::InternalError(absl::StrCat("write ", path_, " (", what, "): ",
                                            text != nullptr ? text : "unknown error"));
  }

  std::string path_;
  struct archive* writer_ = nullptr;
};

absl::StatusOr<std::vector<Image>> GetImages(const Store& store,
                                             const std::vector<std::string>& references) {
  if (references.empty()) return absl::InvalidArgumentError("no image to save");
  std::vector<Image> images;
  for (const std::string& reference : references) {
    absl::StatusOr<Image> image = store.GetImage(reference);
    if (!image.ok()) return image.status();
    images.push_back(*std::move(image));
  }
  return images;
}

// Returns a descriptor of the uncompressed layer, in an unnamed temporary
// file when the blob is compressed (O_TMPFILE, gone when closed).
absl::StatusOr<UniqueFd> OpenUncompressedLayer(const Store& store,
                                               absl::string_view blob,
                                               absl::string_view diff_id) {
  absl::StatusOr<UniqueFd> fd = OpenAt(AT_FDCWD, store.BlobPath(blob), O_RDONLY);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<Compression> compression = DetectCompression(fd->get());
  if (!compression.ok()) return compression.status();
  if (*compression == Compression::kNone) return fd;

  absl::StatusOr<UniqueFd> out = OpenAt(
      AT_FDCWD, absl::StrCat(store.root(), "/tmp"), O_TMPFILE | O_RDWR, 0600);
  if (!out.ok()) return out.status();
  LayerStreamOptions options;
  options.parse_tar = false;
  absl::StatusOr<std::unique_ptr<LayerStream>> stream =
      LayerStream::Open(*std::move(fd), absl::StrCat("layer ", blob), options);
  if (!stream.ok()) return stream.status();
  std::string buffer(1 << 20, '\0');
  while (true) {
    absl::StatusOr<size_t> n = (*stream)->ReadRaw(buffer.data(), buffer.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    absl::Status written = WriteAll(out->get(), absl::string_view(buffer.data(), *n));
    if (!written.ok()) return written;
  }
  absl::Status finished = (*stream)->Finish();
  if (!finished.ok()) return finished;
  if ((*stream)->diff_id() != diff_id) {
    return absl::DataLossError(absl::StrCat("stored layer ", blob,
                                            " does not match diff id ", diff_id));
  }
  return out;
}

absl::Status WriteDockerImage(const Store& store, const Image& image,
                              TarWriter& writer,
                              absl::flat_hash_set<std::string>& written,
                              std::vector<std::string>& entries,
                              std::map<std::string, std::map<std::string, std::string>>&
                                  repositories) {
  std::string config_member = absl::StrCat(DigestHex(image.record.id()), ".json");
  if (written.insert(config_member).second) {
    absl::Status added = writer.AddData(config_member, image.config_json);
    if (!added.ok()) return added;
  }
  std::vector<std::string> layers;
  for (int i = 0; i < image.manifest.layers_size(); ++i) {
    const std::string& diff_id = image.config.rootfs().diff_ids(i);
    std::string directory = DigestHex(diff_id);
    std::string member = absl::StrCat(directory, "/layer.tar");
    layers.push_back(member);
    if (!written.insert(member).second) continue;
    absl::StatusOr<UniqueFd> layer =
        OpenUncompressedLayer(store, image.manifest.layers(i).digest(), diff_id);
    if (!layer.ok()) return layer.status();
    absl::Status added = writer.AddDirectory(directory);
    if (added.ok()) added = writer.AddFile(member, layer->get());
    if (!added.ok()) return added;
  }

  std::vector<std::string> names(image.record.names().begin(),
                                 image.record.names().end());
  entries.push_back(absl::StrCat("{\"Config\":", JsonQuote(config_member),
                                 ",\"RepoTags\":", JsonStringArray(names),
                                 ",\"Layers\":", JsonStringArray(layers), "}"));
  for (const std::string& name : names) {
    auto [repository, tag] = SplitReference(name);
    if (!layers.empty()) {
      repositories[repository][tag] =
          DigestHex(image.config.rootfs().diff_ids(layers.size() - 1));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SaveDockerArchive(const Store& store,
                               const std::vector<std::string>& references,
                               absl::string_view path) {
  absl::StatusOr<UniqueFd> lock = store.LockShared();
  if (!lock.ok()) return lock.status();
  absl::StatusOr<std::vector<Image>> images = GetImages(store, references);
  if (!images.ok()) return images.status();

  // Written beside the target and renamed, so a failed save leaves no
  // truncated archive under the requested name.
  std::string temporary = absl::StrCat(path, ".partial");
  TarWriter writer(temporary);
  absl::Status status = writer.Open();
  absl::flat_hash_set<std::string> written;
  std::vector<std::string> entries;
  std::map<std::string, std::map<std::string, std::string>> repositories;
  for (const Image& image : *images) {
    if (!status.ok()) break;
    status = WriteDockerImage(store, image, writer, written, entries, repositories);
  }
  if (status.ok()) {
    status = writer.AddData("manifest.json",
                            absl::StrCat("[", absl::StrJoin(entries, ","), "]"));
  }
  if (status.ok()) {
    std::vector<std::string> members;
    for (const auto& [repository, tags] : repositories) {
      members.push_back(absl::StrCat(JsonQuote(repository), ":", JsonStringMap(tags)));
    }
    status = writer.AddData("repositories",
                            absl::StrCat("{", absl::StrJoin(members, ","), "}"));
  }
  if (status.ok()) status = writer.Close();
  if (status.ok() && rename(temporary.c_str(), std::string(path).c_str()) != 0) {
    status = ErrnoError(errno, "rename", temporary);
  }
  if (!status.ok()) unlink(temporary.c_str());
  return status;
}

namespace {

// Copies a stored blob into the layout: a hardlink when both are on one
// filesystem (blobs are never modified in place), else a copy.
absl::Status CopyBlob(const Store& store, absl::string_view digest,
                      const std::string& layout) {
  std::string from = store.BlobPath(digest);
  std::string to = absl::StrCat(layout, "/blobs/sha256/", DigestHex(digest));
  if (link(from.c_str(), to.c_str()) == 0 || errno == EEXIST) {
    return absl::OkStatus();
  }
  absl::StatusOr<UniqueFd> in = OpenAt(AT_FDCWD, from, O_RDONLY);
  if (!in.ok()) return in.status();
  absl::StatusOr<UniqueFd> out = OpenAt(AT_FDCWD, to, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!out.ok()) return out.status();
  return CopyFd(in->get(), out->get());
}

std::string IndexEntry(const Image& image, int64_t manifest_size,
                       const std::string& name) {
  format::Descriptor descriptor;
  descriptor.set_media_type(image.manifest.media_type().empty()
                                ? std::string(internal::kOciManifestType)
                                : image.manifest.media_type());
  descriptor.set_digest(image.record.manifest());
  descriptor.set_size(manifest_size);
  if (!name.empty()) {
    auto [repository, tag] = SplitReference(name);
    (*descriptor.mutable_annotations())["org.opencontainers.image.ref.name"] = tag;
    (*descriptor.mutable_annotations())["io.containerd.image.name"] = name;
  }
  descriptor.mutable_platform()->set_architecture(image.config.architecture());
  descriptor.mutable_platform()->set_os(image.config.os());
  return DescriptorJson(descriptor);
}

}  // namespace

absl::Status SaveOciLayout(const Store& store,
                           const std::vector<std::string>& references,
                           absl::string_view directory) {
  absl::StatusOr<UniqueFd> lock = store.LockShared();
  if (!lock.ok()) return lock.status();
  absl::StatusOr<std::vector<Image>> images = GetImages(store, references);
  if (!images.ok()) return images.status();

  std::string layout(directory);
  absl::Status made = MakeDirectories(absl::StrCat(layout, "/blobs/sha256"));
  if (!made.ok()) return made;
  struct stat st;
  if (stat(absl::StrCat(layout, "/index.json").c_str(), &st) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat(layout, " already holds an OCI layout; choose an empty directory"));
  }

  std::vector<std::string> manifests;
  for (const Image& image : *images) {
    std::vector<std::string> digests = {image.record.manifest(),
                                        image.manifest.config().digest()};
    for (const format::Descriptor& layer : image.manifest.layers()) {
      digests.push_back(layer.digest());
    }
    for (const std::string& digest : digests) {
      absl::Status copied = CopyBlob(store, digest, layout);
      if (!copied.ok()) return copied;
    }
    absl::StatusOr<std::string> manifest = store.ReadBlob(image.record.manifest());
    if (!manifest.ok()) return manifest.status();
    int64_t size = static_cast<int64_t>(manifest->size());
    if (image.record.names().empty()) manifests.push_back(IndexEntry(image, size, ""));
    for (const std::string& name : image.record.names()) {
      manifests.push_back(IndexEntry(image, size, name));
    }
  }

  absl::StatusOr<UniqueFd> layout_fd = OpenAt(AT_FDCWD, layout, O_PATH | O_DIRECTORY);
  if (!layout_fd.ok()) return layout_fd.status();
  absl::Status written = WriteFileAtomic(layout_fd->get(), "oci-layout",
                                         "{\"imageLayoutVersion\":\"1.0.0\"}");
  if (!written.ok()) return written;
  // index.json last: until it exists the directory is no layout at all.
  return WriteFileAtomic(
      layout_fd->get(), "index.json",
      absl::StrCat("{\"schemaVersion\":2,\"mediaType\":", JsonQuote(internal::kOciIndexType),
                   ",\"manifests\":[", absl::StrJoin(manifests, ","), "]}"));
}

}  // namespace pycontain::image
