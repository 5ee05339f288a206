// LoadImages and the docker-archive loader.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "lib/base/path.h"
#include "lib/base/status.h"
#include "lib/image/digest.h"
#include "lib/image/fs_util.h"
#include "lib/image/image_io.h"
#include "lib/image/json.h"
#include "lib/image/layer_apply.h"
#include "lib/image/layer_stream.h"
#include "lib/image/load_internal.h"

namespace pycontain::image {

namespace internal {

absl::StatusOr<UniqueFd> OpenMember(int directory_fd, absl::string_view member) {
  absl::StatusOr<UniqueFd> fd = OpenInRoot(directory_fd, member, O_RDONLY);
  if (!fd.ok()) return Annotate(fd.status(), absl::StrCat("archive member ", member));
  struct stat st;
  if (fstat(fd->get(), &st) != 0) return ErrnoError(errno, "stat", member);
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("archive member ", member, " is not a regular file"));
  }
  return fd;
}

absl::StatusOr<std::string> ReadMember(int directory_fd, absl::string_view member) {
  absl::StatusOr<UniqueFd> fd = OpenMember(directory_fd, member);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<std::string> data = ReadFd(fd->get());
  if (!data.ok()) return Annotate(data.status(), member);
  return data;
}

absl::StatusOr<int64_t> FileSize(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError(errno, "stat");
  return static_cast<int64_t>(st.st_size);
}

absl::StatusOr<format::Descriptor> DescribeBlob(Transaction& transaction,
                                                absl::string_view digest,
                                                absl::string_view media_type) {
  absl::StatusOr<std::string> path = transaction.BlobPath(digest);
  if (!path.ok()) return path.status();
  struct stat st;
  if (stat(path->c_str(), &st) != 0) return ErrnoError(errno, "stat", *path);
  format::Descriptor descriptor;
  descriptor.set_media_type(std::string(media_type));
  descriptor.set_digest(std::string(digest));
  descriptor.set_size(st.st_size);
  return descriptor;
}

void Report(const LoadOptions& options, absl::string_view line) {
  if (options.progress) options.progress(line);
}

}  // namespace internal

namespace {

using internal::OpenMember;
using internal::ReadMember;

// The digest a docker-archive member's name promises: "<hex>.json" (Docker
// before 25) or "blobs/sha256/<hex>" (Docker 25 and later). "" otherwise.
std::string DigestFromMemberName(absl::string_view member) {
  absl::string_view name = member;
  if (absl::ConsumePrefix(&name, "blobs/sha256/") ||
      absl::ConsumeSuffix(&name, ".json")) {
    std::string digest = absl::StrCat(kSha256Prefix, name);
    if (ValidateDigest(digest).ok()) return digest;
  }
  return "";
}

absl::StatusOr<LoadedImage> LoadDockerEntry(Transaction& transaction, int dir_fd,
                                            const format::DockerManifestEntry& entry,
                                            const LoadOptions& options,
                                            LoadResult& result) {
  absl::StatusOr<UniqueFd> config_fd = OpenMember(dir_fd, entry.config());
  if (!config_fd.ok()) return config_fd.status();
  absl::StatusOr<std::string> config_digest =
      transaction.AddBlob(config_fd->get(), DigestFromMemberName(entry.config()));
  if (!config_digest.ok()) return Annotate(config_digest.status(), entry.config());
  absl::StatusOr<std::string> config_json = ReadMember(dir_fd, entry.config());
  if (!config_json.ok()) return config_json.status();
  format::ImageConfig config;
  absl::Status parsed = ParseJson(*config_json, entry.config(), &config);
  if (!parsed.ok()) return parsed;
  if (config.rootfs().diff_ids_size() != entry.layers_size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "manifest.json lists ", entry.layers_size(), " layers but config ",
        entry.config(), " lists ", config.rootfs().diff_ids_size()));
  }

  std::vector<format::Descriptor> layers;
  for (int i = 0; i < entry.layers_size(); ++i) {
    const std::string& member = entry.layers(i);
    internal::Report(options, absl::StrCat("layer ", member));
    absl::StatusOr<UniqueFd> layer_fd = OpenMember(dir_fd, member);
    if (!layer_fd.ok()) return layer_fd.status();
    absl::StatusOr<Transaction::LayerBlobResult> layer = transaction.AddLayerBlob(
        layer_fd->get(), DigestFromMemberName(member), config.rootfs().diff_ids(i));
    if (!layer.ok()) return Annotate(layer.status(), member);
    layer->layer.reused ? ++result.layers_reused : ++result.layers_unpacked;

    // The compression decides the media type.
    absl::StatusOr<format::Descriptor> descriptor = internal::DescribeBlob(
        transaction, layer->digest, LayerMediaType(layer->layer.compression));
    if (!descriptor.ok()) return descriptor.status();
    layers.push_back(*std::move(descriptor));
  }

  absl::StatusOr<format::Descriptor> config_descriptor =
      internal::DescribeBlob(transaction, *config_digest, internal::kOciConfigType);
  if (!config_descriptor.ok()) return config_descriptor.status();
  absl::StatusOr<std::string> manifest =
      transaction.AddBlobData(ManifestJson(*config_descriptor, layers));
  if (!manifest.ok()) return manifest.status();
  std::vector<std::string> names(entry.repo_tags().begin(), entry.repo_tags().end());
  absl::StatusOr<std::string> id = transaction.AddImage(*manifest, names);
  if (!id.ok()) return id.status();
  return LoadedImage{*id, names};
}

// Unpacks the archive file `path` into a scratch directory of the
// transaction: members are untrusted names, so they go through ApplyLayer.
absl::StatusOr<std::string> ExtractArchive(Transaction& transaction,
                                           const std::string& path) {
  absl::StatusOr<std::string> scratch = transaction.MakeScratchDirectory();
  if (!scratch.ok()) return scratch.status();
  absl::StatusOr<UniqueFd> file = OpenAt(AT_FDCWD, path, O_RDONLY);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::unique_ptr<LayerStream>> stream =
      LayerStream::Open(*std::move(file), path, {});
  if (!stream.ok()) return stream.status();
  absl::StatusOr<UniqueFd> root = OpenAt(AT_FDCWD, *scratch, O_PATH | O_DIRECTORY);
  if (!root.ok()) return root.status();
  ApplyOptions apply;
  apply.preserve_owners = false;
  absl::StatusOr<ApplyStats> applied = ApplyLayer((*stream)->tar(), root->get(), apply);
  if (!applied.ok()) return Annotate(applied.status(), path);
  return *scratch;
}

std::string RepositoryFromPath(absl::string_view path) {
  while (absl::ConsumeSuffix(&path, "/")) {
  }
  size_t slash = path.rfind('/');
  if (slash != absl::string_view::npos) path.remove_prefix(slash + 1);
  absl::ConsumeSuffix(&path, ".tar");
  return std::string(path);
}

}  // namespace

std::string HostArchitecture() {
  struct utsname name;
  if (uname(&name) != 0) return "amd64";
  std::string machine = name.machine;
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine == "i686" || machine == "i386") return "386";
  if (absl::StartsWith(machine, "arm")) return "arm";
  return machine;  // ppc64le, s390x, riscv64 match already
}

absl::StatusOr<LoadResult> LoadDockerArchive(Transaction& transaction,
                                             const std::string& directory,
                                             const LoadOptions& options) {
  absl::StatusOr<UniqueFd> dir_fd = OpenAt(AT_FDCWD, directory, O_PATH | O_DIRECTORY);
  if (!dir_fd.ok()) return dir_fd.status();
  absl::StatusOr<std::string> text = ReadMember(dir_fd->get(), "manifest.json");
  if (!text.ok()) return text.status();
  format::DockerManifest manifest;
  absl::Status parsed = ParseJson(absl::StrCat("{\"entries\":", *text, "}"),
                                  "manifest.json", &manifest);
  if (!parsed.ok()) return parsed;
  if (manifest.entries().empty()) {
    return absl::InvalidArgumentError("manifest.json lists no image");
  }

  LoadResult result;
  for (const format::DockerManifestEntry& entry : manifest.entries()) {
    absl::StatusOr<LoadedImage> image =
        LoadDockerEntry(transaction, dir_fd->get(), entry, options, result);
    if (!image.ok()) return image.status();
    internal::Report(options, absl::StrCat("loaded ", image->id));
    result.images.push_back(*std::move(image));
  }
  return result;
}

absl::StatusOr<LoadResult> LoadImages(const Store& store, absl::string_view path,
                                      const LoadOptions& given_options) {
  LoadOptions options = given_options;
  if (options.repository.empty()) options.repository = RepositoryFromPath(path);
  std::string source(path);
  struct stat st;
  if (stat(source.c_str(), &st) != 0) return ErrnoError(errno, "stat", source);

  absl::StatusOr<std::unique_ptr<Transaction>> transaction = store.Begin();
  if (!transaction.ok()) return transaction.status();
  std::string directory = source;
  if (!S_ISDIR(st.st_mode)) {
    absl::StatusOr<std::string> extracted = ExtractArchive(**transaction, source);
    if (!extracted.ok()) return extracted.status();
    directory = *extracted;
  }

  absl::StatusOr<LoadResult> result;
  struct stat member;
  if (stat(absl::StrCat(directory, "/index.json").c_str(), &member) == 0) {
    result = LoadOciLayout(**transaction, directory, options);
  } else if (stat(absl::StrCat(directory, "/manifest.json").c_str(), &member) == 0) {
    result = LoadDockerArchive(**transaction, directory, options);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        source, " is neither a docker-archive (no manifest.json) nor an OCI "
        "layout (no index.json)"));
  }
  if (!result.ok()) return Annotate(result.status(), absl::StrCat("load ", source));
  absl::Status committed = (*transaction)->Commit();
  if (!committed.ok()) return committed;
  return result;
}

}  // namespace pycontain::image
