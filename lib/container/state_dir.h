// StateDir: the directory where pycontain keeps a container's runtime state
// while it exists: <state root>/<id>.
//
// The state root is $PYCONTAIN_STATE_DIR when set. Otherwise root uses
// /run/pycontain, or /dev/shm/pycontain when /run is not a tmpfs. Other
// users use $XDG_RUNTIME_DIR/pycontain, or /tmp/pycontain-<uid> when
// XDG_RUNTIME_DIR is unset. Creating the directory claims the container id
// on this host, so two containers cannot share one.
//
// Thread safety: thread-safe; the owner object is not.
#ifndef PYCONTAIN_LIB_CONTAINER_STATE_DIR_H_
#define PYCONTAIN_LIB_CONTAINER_STATE_DIR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/container/container_record.pb.h"

namespace pycontain::container {

// Returns the state root for the calling user, as described above.
std::string StateRoot();

// Returns root's default state root: <run_dir>/pycontain, or
// <shm_dir>/pycontain when only shm_dir is in memory, because removing a
// directory on a disk mounted with `discard` waits for the device. Any
// user can create names in shm_dir, so the directory there is used only
// when it is owned by root and writable by no one else.
std::string ChooseRootStateRoot(const std::string& run_dir, const std::string& shm_dir);

// The owner of one container's state directory; removes it (and the empty
// directories pycontain made in it) when dropped.
class StateDir {
 public:
  StateDir() = default;
  StateDir(StateDir&& other) noexcept;
  StateDir& operator=(StateDir&& other) noexcept;
  ~StateDir();

  // Creates <StateRoot()>/<id>, mode 0700, and the state root if missing.
  // AlreadyExists when a container with this id exists.
  static absl::StatusOr<StateDir> Create(absl::string_view id);

  const std::string& path() const { return path_; }

  // Creates the empty subdirectory `name` and returns its path; it is
  // removed with the state directory.
  absl::StatusOr<std::string> MakeSubdirectory(absl::string_view name);

  // Writes the container's record (record.h) into the directory,
  // atomically; it is removed with the state directory.
  absl::Status SaveRecord(const ContainerRecord& record);

 private:
  void Remove();

  std::string path_;
  std::vector<std::string> subdirectories_;
  bool has_record_ = false;
};

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_STATE_DIR_H_
