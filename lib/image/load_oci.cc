// The OCI image layout loader: index.json, nested indexes, platform
// selection, then each manifest's config and layers, all verified.
#include <fcntl.h>

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status.h"
#include "lib/image/digest.h"
#include "lib/image/fs_util.h"
#include "lib/image/image_io.h"
#include "lib/image/json.h"
#include "lib/image/load_internal.h"

namespace pycontain::image {

namespace {

using internal::OpenMember;
using internal::ReadMember;

// Nesting depth at which an index is taken for a cycle.
constexpr int kMaxIndexDepth = 8;

struct Candidate {
  format::Descriptor manifest;
  std::string reference;
};

bool IsIndex(absl::string_view media_type) {
  return media_type == internal::kOciIndexType ||
         media_type == internal::kDockerListType;
}

bool PlatformMatches(const format::Descriptor& descriptor,
                     const LoadOptions& options) {
  if (!descriptor.has_platform()) return true;
  const format::Platform& platform = descriptor.platform();
  auto matches = [](const std::string& have, const std::string& want) {
    return have.empty() || want.empty() || have == want;
  };
  return matches(platform.os(), options.os) &&
         matches(platform.architecture(), options.architecture) &&
         matches(platform.variant(), options.variant);
}

std::string BlobMember(absl::string_view digest) {
  return absl::StrCat("blobs/sha256/", DigestHex(digest));
}

// Reads a blob of the layout and checks it against its digest.
absl::StatusOr<std::string> ReadVerifiedBlob(int layout_fd,
                                             const format::Descriptor& descriptor) {
  absl::Status valid = ValidateDigest(descriptor.digest());
  if (!valid.ok()) return valid;
  absl::StatusOr<std::string> data =
      ReadMember(layout_fd, BlobMember(descriptor.digest()));
  if (!data.ok()) return data.status();
  std::string actual = DigestOf(*data);
  if (actual != descriptor.digest()) {
    return absl::DataLossError(absl::StrCat("digest mismatch for blob ",
                                            descriptor.digest(), ": got ", actual));
  }
  return data;
}

absl::Status CollectManifests(int layout_fd, const format::Index& index,
                              const std::string& inherited_reference,
                              const LoadOptions& options, int depth,
                              std::vector<Candidate>* candidates) {
  if (depth > kMaxIndexDepth) {
    return absl::InvalidArgumentError(absl::StrCat(
        "image indexes nested more than ", kMaxIndexDepth, " deep"));
  }
  for (const format::Descriptor& descriptor : index.manifests()) {
    std::string reference = inherited_reference;
    const auto& annotations = descriptor.annotations();
    if (auto name = annotations.find("io.containerd.image.name");
        name != annotations.end()) {
      reference = name->second;
    } else if (auto tag = annotations.find("org.opencontainers.image.ref.name");
               tag != annotations.end()) {
      reference = tag->second;
    }
    if (!PlatformMatches(descriptor, options)) continue;

    if (!IsIndex(descriptor.media_type())) {
      candidates->push_back({descriptor, reference});
      continue;
    }
    absl::StatusOr<std::string> nested = ReadVerifiedBlob(layout_fd, descriptor);
    if (!nested.ok()) return nested.status();
    format::Index child;
    absl::Status parsed =
        ParseJson(*nested, absl::StrCat("index ", descriptor.digest()), &child);
    if (!parsed.ok()) return parsed;
    absl::Status collected = CollectManifests(layout_fd, child, reference,
                                              options, depth + 1, candidates);
    if (!collected.ok()) return collected;
  }
  return absl::OkStatus();
}

// Turns an OCI reference into a store name: a bare tag gets the repository.
std::string NameFor(const std::string& reference, const LoadOptions& options) {
  if (reference.find_first_of(":/@") != std::string::npos) return reference;
  return absl::StrCat(options.repository, ":", reference);
}

absl::StatusOr<std::string> AddLayoutBlob(Transaction& transaction, int layout_fd,
                                          absl::string_view digest) {
  absl::Status valid = ValidateDigest(digest);
  if (!valid.ok()) return valid;
  absl::StatusOr<UniqueFd> fd = OpenMember(layout_fd, BlobMember(digest));
  if (!fd.ok()) return fd.status();
  return transaction.AddBlob(fd->get(), digest);
}

absl::StatusOr<LoadedImage> LoadManifest(Transaction& transaction, int layout_fd,
                                         const Candidate& candidate,
                                         const LoadOptions& options,
                                         LoadResult& result) {
  const std::string& manifest_digest = candidate.manifest.digest();
  absl::StatusOr<std::string> added =
      AddLayoutBlob(transaction, layout_fd, manifest_digest);
  if (!added.ok()) return added.status();
  absl::StatusOr<std::string> path = transaction.BlobPath(manifest_digest);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::string> text = ReadFileAt(AT_FDCWD, *path);
  if (!text.ok()) return text.status();
  format::Manifest manifest;
  absl::Status parsed =
      ParseJson(*text, absl::StrCat("manifest ", manifest_digest), &manifest);
  if (!parsed.ok()) return parsed;

  added = AddLayoutBlob(transaction, layout_fd, manifest.config().digest());
  if (!added.ok()) return added.status();
  absl::StatusOr<std::string> config_path =
      transaction.BlobPath(manifest.config().digest());
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

  for (int i = 0; i < manifest.layers_size(); ++i) {
    const std::string& digest = manifest.layers(i).digest();
    internal::Report(options, absl::StrCat("layer ", digest));
    absl::Status valid = ValidateDigest(digest);
    if (!valid.ok()) return valid;
    absl::StatusOr<UniqueFd> fd = OpenMember(layout_fd, BlobMember(digest));
    if (!fd.ok()) return fd.status();
    absl::StatusOr<Transaction::LayerBlobResult> layer =
        transaction.AddLayerBlob(fd->get(), digest, config.rootfs().diff_ids(i));
    if (!layer.ok()) return layer.status();
    layer->layer.reused ? ++result.layers_reused : ++result.layers_unpacked;
  }

  std::vector<std::string> names;
  if (!candidate.reference.empty()) {
    names.push_back(NameFor(candidate.reference, options));
  }
  absl::StatusOr<std::string> id = transaction.AddImage(manifest_digest, names);
  if (!id.ok()) return id.status();
  return LoadedImage{*id, names};
}

}  // namespace

absl::StatusOr<LoadResult> LoadOciLayout(Transaction& transaction,
                                         const std::string& directory,
                                         const LoadOptions& options) {
  absl::StatusOr<UniqueFd> layout_fd =
      OpenAt(AT_FDCWD, directory, O_PATH | O_DIRECTORY);
  if (!layout_fd.ok()) return layout_fd.status();
  absl::StatusOr<std::string> text = ReadMember(layout_fd->get(), "index.json");
  if (!text.ok()) return text.status();
  format::Index index;
  absl::Status parsed = ParseJson(*text, "index.json", &index);
  if (!parsed.ok()) return parsed;

  std::vector<Candidate> candidates;
  absl::Status collected =
      CollectManifests(layout_fd->get(), index, "", options, 0, &candidates);
  if (!collected.ok()) return collected;
  if (candidates.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no image for platform ", options.os, "/", options.architecture,
        " in index.json; choose another platform"));
  }

  // The first match per reference wins, as several variants may match.
  LoadResult result;
  absl::flat_hash_set<std::string> seen;
  for (const Candidate& candidate : candidates) {
    if (!candidate.reference.empty() && !seen.insert(candidate.reference).second) {
      continue;
    }
    absl::StatusOr<LoadedImage> image =
        LoadManifest(transaction, layout_fd->get(), candidate, options, result);
    if (!image.ok()) return image.status();
    internal::Report(options, absl::StrCat("loaded ", image->id));
    result.images.push_back(*std::move(image));
  }
  return result;
}

}  // namespace pycontain::image
