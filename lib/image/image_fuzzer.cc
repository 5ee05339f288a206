// libFuzzer target for the readers of untrusted image input. Each input is
// read as a layer blob: compression detection, decompression with a size
// limit, the tar parser and the squashfs conversion with its path checks.
// The same bytes are then parsed as the JSON documents of an archive or
// layout (docker-archive manifest.json, OCI index and manifest, image
// config), and their lines as references and --change instructions.
//
// scripts/fuzz-image builds it with AddressSanitizer, so a crash or a read
// of freed memory is a finding. Every step must succeed or return an error.
// The squashfs image is written to one file in a new directory under the
// current one, and the layer is not unpacked onto the filesystem (ApplyLayer
// has its own unit tests), so a path bug cannot write outside that directory.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/image/change.h"
#include "lib/image/formats.pb.h"
#include "lib/image/json.h"
#include "lib/image/layer_stream.h"
#include "lib/image/reference.h"
#include "lib/image/squashfs_layer.h"

namespace {

using namespace pycontain;
using namespace pycontain::image;

constexpr uint64_t kMaxBytes = uint64_t{64} << 20;

const std::string& ScratchDirectory() {
  static const std::string* directory = [] {
    // In the current directory, which scripts/fuzz-image removes.
    char name[] = "image-fuzz-XXXXXX";
    if (mkdtemp(name) == nullptr) abort();
    return new std::string(name);
  }();
  return *directory;
}

void ConvertLayer(const uint8_t* data, size_t size) {
  int fd = memfd_create("layer", MFD_CLOEXEC);
  if (fd < 0) abort();
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) abort();
  lseek(fd, 0, SEEK_SET);

  LayerStreamOptions options;
  options.max_uncompressed_bytes = kMaxBytes;
  absl::StatusOr<std::unique_ptr<LayerStream>> stream =
      LayerStream::Open(UniqueFd(fd), "fuzz layer", options);
  if (!stream.ok()) return;
  std::string image = ScratchDirectory() + "/layer.squashfs";
  unlink(image.c_str());
  SquashfsOptions squashfs;
  squashfs.compressor = SquashfsCompressor::kNone;
  squashfs.max_hole_bytes = kMaxBytes;
  if (WriteSquashfsLayer((*stream)->tar(), image, squashfs).ok()) {
    (void)(*stream)->Finish();
  }
  unlink(image.c_str());
}

void ParseDocuments(absl::string_view text) {
  format::DockerManifest docker;
  (void)ParseJson(absl::StrCat("{\"entries\":", text, "}"), "manifest.json", &docker);
  format::Index index;
  (void)ParseJson(text, "index.json", &index);
  format::Manifest manifest;
  (void)ParseJson(text, "manifest", &manifest);
  format::ImageConfig config;
  if (ParseJson(text, "config", &config).ok()) {
    (void)ImageConfigJson(config);
  }

  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  format::RunConfig changed;
  (void)ApplyChanges(lines, &changed);
  for (const std::string& line : lines) (void)ValidateReference(line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ConvertLayer(data, size);
  ParseDocuments(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
