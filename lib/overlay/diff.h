// The changes a container made to its root filesystem, read from its
// overlay upper directory: what `docker diff` lists.
//
//   absl::StatusOr<std::vector<Change>> changes =
//       ListChanges(layer.upper(), lowers);
//   // {kAdded, "/tmp/new"}, {kModified, "/etc"}, {kDeleted, "/etc/motd"}
//
// Thread safety: thread-safe. Reads the directories, changes nothing; the
// result is a snapshot while the container keeps writing.
#ifndef PYCONTAIN_LIB_OVERLAY_DIFF_H_
#define PYCONTAIN_LIB_OVERLAY_DIFF_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pycontain::overlay {

struct Change {
  enum class Kind { kAdded, kModified, kDeleted };
  Kind kind = Kind::kAdded;
  // Absolute path inside the container, such as "/etc/hosts".
  std::string path;
};

// Lists the entries of `upper` as changes against `lowers` (top first),
// sorted by path. A whiteout (character device 0:0) is a deletion, and an
// entry that exists in no lower is an addition. Any other entry is a
// modification, so a directory is listed when something in it changed.
// Errors: the errno of a failed directory read or stat.
//
// NOTE: an opaque upper directory (a directory deleted and made again) is
// listed as modified; the lower entries it hides are not listed.
absl::StatusOr<std::vector<Change>> ListChanges(const std::string& upper,
                                                const std::vector<std::string>& lowers);

// "A /tmp/new", "C /etc", "D /etc/motd", as `docker diff` prints them.
std::string FormatChange(const Change& change);

}  // namespace pycontain::overlay

#endif  // PYCONTAIN_LIB_OVERLAY_DIFF_H_
