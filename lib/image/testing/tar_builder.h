// Builds tar archives in memory for tests, with libarchive's writer: any
// entry name (also hostile ones such as "../../etc/x"), any type, owners,
// modes, mtimes, binary xattrs, and gzip or zstd compression.
//
//   std::string tar = TarBuilder()
//                         .Directory("etc")
//                         .File("etc/hostname", "box\n")
//                         .Symlink("bin/sh", "busybox")
//                         .Finish();
#ifndef PYCONTAIN_LIB_IMAGE_TESTING_TAR_BUILDER_H_
#define PYCONTAIN_LIB_IMAGE_TESTING_TAR_BUILDER_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "lib/image/layer_stream.h"

namespace pycontain::image::testing {

struct TarEntry {
  std::string name;
  mode_t type = 0100000;  // S_IFREG
  mode_t mode = 0644;
  std::string content;
  std::string link;  // symlink target, or hardlink target when `hardlink`
  bool hardlink = false;
  uid_t uid = 0;
  gid_t gid = 0;
  int64_t mtime = 1600000000;
  unsigned device_major = 0;
  unsigned device_minor = 0;
  std::map<std::string, std::string> xattrs;
};

class TarBuilder {
 public:
  explicit TarBuilder(Compression compression = Compression::kNone)
      : compression_(compression) {}

  TarBuilder& Add(TarEntry entry);
  TarBuilder& File(absl::string_view name, absl::string_view content,
                   mode_t mode = 0644);
  TarBuilder& Directory(absl::string_view name, mode_t mode = 0755);
  TarBuilder& Symlink(absl::string_view name, absl::string_view target);
  TarBuilder& Hardlink(absl::string_view name, absl::string_view target);

  // Returns the archive's bytes.
  std::string Finish() const;

 private:
  Compression compression_;
  std::vector<TarEntry> entries_;
};

// Writes `data` to a new file `path` and returns whether that worked.
bool WriteFile(const std::string& path, absl::string_view data);

// Reads a whole file; "" when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace pycontain::image::testing

#endif  // PYCONTAIN_LIB_IMAGE_TESTING_TAR_BUILDER_H_
