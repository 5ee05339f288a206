// CgroupDir: an open cgroup directory and the reads and writes of its
// interface files ("memory.max", "cgroup.procs").
//
//   absl::StatusOr<CgroupDir> dir = CgroupDir::Open("/sys/fs/cgroup/x", "c1");
//   absl::Status status = dir->Write("pids.max", "16");
//   absl::StatusOr<int64_t> limit = dir->ReadInt("pids.max");  // 16
//
// Each write is logged at debug level with the value, so PYCONTAIN_LOG=debug
// shows every value written to the kernel. The same code serves
// fixture trees in a temporary directory.
//
// Thread safety: a CgroupDir may be read from several threads; it is
// move-only.
#ifndef PYCONTAIN_LIB_CGROUP_FILES_H_
#define PYCONTAIN_LIB_CGROUP_FILES_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"

namespace pycontain::cgroup {

// "key value" lines, as in memory.stat, cpu.stat and memory.events.
using KeyedValues = std::map<std::string, int64_t, std::less<>>;

// Parses "key value" lines; a value "max" becomes -1. Lines that do not
// have two fields, or whose value is not a number, are skipped.
KeyedValues ParseKeyedValues(absl::string_view text);

// Reads a whole file by path. Errors: from open and read, naming the path.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

class CgroupDir {
 public:
  CgroupDir() = default;

  // Opens the existing directory `path`. `log_id` is the container id shown
  // in log lines. Errors: those of open(2), naming the path.
  static absl::StatusOr<CgroupDir> Open(std::string path, std::string log_id);

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  bool valid() const { return fd_.valid(); }

  // Returns whether the interface file `name` exists.
  bool Has(absl::string_view name) const;

  // Writes `value` to `name` in one write(2). Errors: the errno of open or
  // write, with the file and the value in the message, for example
  // `write "1k" to /sys/fs/cgroup/x/memory.max: Invalid argument`.
  absl::Status Write(absl::string_view name, absl::string_view value) const;

  // Opens `name` for reading now and keeps it open, so that later reads of
  // it skip the open. The first open of a cgroup file after mkdir creates
  // its inode, so an owner pays it ahead, before the reads that matter.
  // Returns false, keeping nothing, when the file cannot be opened (as when
  // the kernel lacks it). Not to be called while another thread reads.
  bool KeepOpen(absl::string_view name) const;

  // Returns the contents of `name`, through the descriptor KeepOpen kept
  // when there is one.
  absl::StatusOr<std::string> Read(absl::string_view name) const;

  // Returns the first number in `name`; "max" is -1. Errors: those of Read,
  // and InvalidArgument when the file does not start with a number.
  absl::StatusOr<int64_t> ReadInt(absl::string_view name) const;

  // Returns the "key value" lines of `name`.
  absl::StatusOr<KeyedValues> ReadKeyed(absl::string_view name) const;

 private:
  UniqueFd fd_;
  std::string path_;
  std::string log_id_;
  // The files KeepOpen opened: a cache of descriptors, so const methods
  // fill it.
  mutable std::vector<std::pair<std::string, UniqueFd>> kept_;
};

}  // namespace pycontain::cgroup

#endif  // PYCONTAIN_LIB_CGROUP_FILES_H_
