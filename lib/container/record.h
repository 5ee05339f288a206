// The container record: who owns a container and which cgroups it has,
// saved as JSON in its state directory (container_record.proto), so that
// CollectGarbage (gc.h) can clean up after an owner that died.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_CONTAINER_RECORD_H_
#define PYCONTAIN_LIB_CONTAINER_RECORD_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/container/container_record.pb.h"

namespace pycontain::container {

// The record's file name inside a container's state directory.
inline constexpr char kRecordFile[] = "container.json";
// The suffix of the previous record while WriteRecord replaces it.
inline constexpr char kPreviousSuffix[] = ".previous";

// Returns /proc/sys/kernel/random/boot_id without its newline, or "" when
// it cannot be read.
std::string BootId();

// Returns field 22 of /proc/<pid>/stat (the start time in clock ticks since
// boot), or 0 when the process does not exist.
uint64_t ProcessStartTime(pid_t pid);

// Returns whether `pid` has exited but is not reaped yet (state Z or X in
// /proc/<pid>/stat). Such an owner is dead: a killed owner whose parent
// died stays a zombie until init or a subreaper reaps it.
bool IsZombie(pid_t pid);

// Returns a record for container `id` owned by the calling process.
ContainerRecord NewRecord(absl::string_view id);

// Returns why the record's owner is dead ("owner pid 12 has exited", "its
// record is from another boot (...)"), or "" when the owner still runs.
std::string DeadOwnerReason(const ContainerRecord& record);

// Finds the running container `id` through its record in
// <StateRoot()>/<id> and returns its first process's pid, in the PID
// namespace of the container's owner. The pid is checked against the
// record's start time, so a reused pid is not taken for the container; the
// caller should check again (ProcessStartTime) after opening anything
// under /proc/<pid>. Errors: InvalidArgument for an invalid id; NotFound,
// naming the id, when no record exists, the container has not started,
// its record is from another boot or its first process has exited;
// DataLoss for a damaged record.
absl::StatusOr<pid_t> FindRunningContainer(absl::string_view id);

// Writes `record` to <directory>/container.json so that ReadRecord returns
// the old or the new record, never a part, also when the writer dies
// midway. Errors: those of open, write and rename, naming the file.
absl::Status WriteRecord(const std::string& directory, const ContainerRecord& record);

// Reads <directory>/container.json, or the previous record when a writer
// died while replacing it. Errors: NotFound when neither exists; DataLoss
// when the file is not a record.
absl::StatusOr<ContainerRecord> ReadRecord(const std::string& directory);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_RECORD_H_
