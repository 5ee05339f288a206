// Helpers shared by the files of managed containers (managed.h): the
// directory layout, reading and writing config.json and state.json, the
// lock, and liveness checks of the monitor.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_CONTAINER_MANAGED_INTERNAL_H_
#define PYCONTAIN_LIB_CONTAINER_MANAGED_INTERNAL_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/base/unique_fd.h"
#include "lib/container/managed.h"
#include "lib/container/managed_container.pb.h"

namespace pycontain::container::managed_internal {

inline constexpr char kConfigFile[] = "config.json";
inline constexpr char kStateFile[] = "state.json";
inline constexpr char kLogFile[] = "container.log";
inline constexpr char kExitFile[] = "exit.json";
inline constexpr char kLockFile[] = "lock";
inline constexpr char kNamesDirectory[] = ".names";

inline constexpr char kStatusCreated[] = "created";
inline constexpr char kStatusRunning[] = "running";
inline constexpr char kStatusExited[] = "exited";

// The exit code recorded when the monitor died and the real one is lost:
// 128 + SIGKILL, because the container was killed with its monitor.
inline constexpr int kUnknownExitCode = 137;

// <ManagedContainersRoot()>/<id>.
std::string ContainerDirectory(absl::string_view id);

// RFC 3339 in UTC with nanoseconds, as Docker writes times.
std::string FormatTimestamp(absl::Time time);

// Reads and writes the JSON files of the container directory `directory`.
// Writes replace the file atomically (a temporary file and rename).
absl::StatusOr<ManagedConfig> ReadConfig(const std::string& directory);
absl::Status WriteConfig(const std::string& directory, const ManagedConfig& config);
absl::StatusOr<ManagedState> ReadState(const std::string& directory);
absl::Status WriteState(const std::string& directory, const ManagedState& state);

// The exit file contains the ManagedState of the last exit. It is
// rewritten in place, never replaced, so a waiter that opened it before the
// exit still reads the exit code after an auto_remove container removed
// its directory. ResetExitFile empties it when a run starts, and
// WriteExitFile fills it when the run ends.
absl::Status ResetExitFile(const std::string& directory);
absl::Status WriteExitFile(const std::string& directory, const ManagedState& state);
// Reads the state from an open exit file. Errors: NotFound when it is
// empty (the run has not ended, or its monitor was killed).
absl::StatusOr<ManagedState> ReadExitFile(int fd);

// The rotation of the json-file log (CreateOptions::log_options).
struct LogRotation {
  // Rotate once container.log reaches this many bytes; 0: never.
  int64_t max_size = 0;
  // Files kept in all, container.log included.
  int max_files = 1;
};

// Parses CreateOptions::log_options. Errors: InvalidArgument naming the
// option and its valid values.
absl::StatusOr<LogRotation> ParseLogOptions(const std::map<std::string, std::string>& options);

// Log writer that appends a container's output to its json-file log, one
// LogRecord per line, and rotates the log by `rotation`. The current file
// becomes <path>.1, <path>.1 becomes <path>.2, and the oldest file beyond
// max_files is deleted. With max_files 1 the file is emptied instead. Only
// the monitor's thread uses it.
class LogWriter {
 public:
  // `fd`: `path` opened for appending.
  LogWriter(std::string path, UniqueFd fd, LogRotation rotation);

  // Writes the complete lines of `data` from `stream` (0: stdout,
  // 1: stderr), and keeps the rest for the next call. Lines longer than
  // 16 KiB are split, as Docker does.
  void Feed(int stream, absl::string_view data);
  // Writes what is left of `stream` as a last line without a newline.
  void Flush(int stream);

 private:
  void Write(int stream, absl::string_view line);
  void Rotate();

  std::string path_;
  UniqueFd fd_;
  LogRotation rotation_;
  int64_t size_ = 0;
  std::string pending_[2];
};

// Opens the log's files that exist: <path>.N ... <path>.1 and <path>, in
// that order, oldest first. A file that rotation moved while they were
// opened is listed once.
std::vector<std::pair<std::string, UniqueFd>> OpenLogFiles(const std::string& path);

// Returns the host path of the container's copied root (the "copy"
// driver of lib/overlay/root_mount.h: <directory>/rootfs), or "" when it
// runs on an overlay or has no image.
std::string CopiedRoot(const ManagedContainer& container);

// Lists what changed in a copied root: it is compared with a copy of the
// image's `lowers` (top first) made for the purpose and removed after, so
// this costs a full copy of the image. Regular files count as changed when
// their size, mode, owner or mtime differ, and a directory when its mode
// or owner differ or something below it changed. Errors: those of the
// file system.
absl::StatusOr<std::vector<overlay::Change>> CopiedRootChanges(
    const ManagedContainer& container, const std::vector<std::string>& lowers);

// Writes `changes` of the copied root `root` into the empty directory
// `layer` in the layout of an overlay upper directory, which
// image::CommitDirectory takes: added and changed entries copied with
// their owner, mode and times, deletions as whiteouts (character devices
// 0:0). NOTE: hard links become separate files, and extended attributes
// are not copied. Errors: those of the file system.
absl::Status WriteChangesAsLayer(const std::string& root,
                                 const std::vector<overlay::Change>& changes,
                                 const std::string& layer);

// Takes the container's lock (flock LOCK_EX on <directory>/lock) and
// returns its owner; dropping it releases the lock. Errors: NotFound when
// the container was removed.
absl::StatusOr<UniqueFd> LockContainer(const std::string& directory);

// Returns why the monitor recorded in `state` is dead ("monitor pid 42
// has exited"), or "" when it runs. Only meaningful for a running state.
std::string DeadMonitorReason(const ManagedState& state);

// Reads the container in `directory` and corrects the state of a dead
// monitor (see managed.h). Errors: NotFound when it has no config.
absl::StatusOr<ManagedContainer> LoadContainer(const std::string& directory);

// Opens a pidfd for `pid` if its start time is still `start_time`.
// Errors: NotFound when the process has exited or the pid was reused.
absl::StatusOr<UniqueFd> OpenProcess(pid_t pid, uint64_t start_time);

// Waits until `pidfd`'s process exits. Returns false on timeout.
bool WaitForExit(int pidfd, absl::Duration timeout);

// Collects the runtime state a dead monitor left and records `container`
// as exited with kUnknownExitCode (or removes it with auto_remove). The
// caller holds the lock.
absl::Status SettleDeadMonitor(const ManagedContainer& container, const std::string& reason,
                               GcReport& report);

// Makes an anonymous volume for each mount of type "volume" without a
// source in `mounts` (the spec's, with the image's VOLUME paths added),
// names it in the mount, and lists it in config.anonymous_volumes.
// Errors: those of VolumeStore; volumes made before a failure are removed.
absl::Status PinAnonymousVolumes(google::protobuf::RepeatedPtrField<spec::Mount>& mounts,
                                 ManagedConfig& config);

// Records the container as a user of each volume its spec names, so that
// `volume rm` and `prune` keep them while the container exists, also when
// it is not running. A volume that does not exist yet is skipped.
void RegisterVolumeUsers(const ManagedConfig& config);

// Drops those records, and removes the anonymous volumes when
// `remove_anonymous` (`rm -v`, auto_remove). Failures are logged.
void ReleaseVolumes(const ManagedConfig& config, bool remove_anonymous);

// Removes the container's name link (when it still names this container)
// and its directory. The caller holds the lock.
absl::Status RemoveContainerFiles(const ManagedConfig& config, const std::string& directory);

}  // namespace pycontain::container::managed_internal

#endif  // PYCONTAIN_LIB_CONTAINER_MANAGED_INTERNAL_H_
