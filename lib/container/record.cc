#include "lib/container/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/container/state_dir.h"
#include "lib/spec/validate.h"

namespace pycontain::container {
namespace {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  if (n < 0) return ErrnoError(errno, "read", path);
  return text;
}

// Returns `text` as a JSON string literal.
std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

// Encodes `record` in protobuf's JSON mapping (64-bit integers as strings),
// which ReadRecord parses. It is written by hand to keep protobuf's
// reflection-based JSON printer off the start path, and record_test checks
// the round trip.
std::string EncodeRecord(const ContainerRecord& record) {
  std::string json = absl::StrCat(
      "{\n  \"id\": ", JsonString(record.id()), ",\n  \"bootId\": ", JsonString(record.boot_id()),
      ",\n  \"ownerPid\": ", record.owner_pid(), ",\n  \"ownerStartTime\": \"",
      record.owner_start_time(), "\",\n  \"pid\": ", record.pid(), ",\n  \"pidStartTime\": \"",
      record.pid_start_time(), "\",\n  \"cgroupDirectories\": [");
  for (int i = 0; i < record.cgroup_directories_size(); ++i) {
    absl::StrAppend(&json, i == 0 ? "\n    " : ",\n    ",
                    JsonString(record.cgroup_directories(i)));
  }
  absl::StrAppend(&json, "],\n  \"started\": ", record.started() ? "true" : "false", "\n}\n");
  return json;
}

}  // namespace

std::string BootId() {
  // The boot id cannot change while this process runs.
  static const std::string* const id = [] {
    absl::StatusOr<std::string> text = ReadSmallFile("/proc/sys/kernel/random/boot_id");
    return new std::string(
        text.ok() ? std::string(absl::StripAsciiWhitespace(*text)) : std::string());
  }();
  return *id;
}

uint64_t ProcessStartTime(pid_t pid) {
  absl::StatusOr<std::string> text = ReadSmallFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!text.ok()) return 0;
  // The command name may contain spaces and parentheses, so fields are
  // counted after the last ')'.
  size_t close = text->rfind(')');
  if (close == std::string::npos || close + 2 > text->size()) return 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*text).substr(close + 2), ' ', absl::SkipEmpty());
  // Field 3 (state) is fields[0], so field 22 is fields[19].
  uint64_t start = 0;
  if (fields.size() < 20 || !absl::SimpleAtoi(fields[19], &start)) return 0;
  return start;
}

bool IsZombie(pid_t pid) {
  absl::StatusOr<std::string> text = ReadSmallFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!text.ok()) return false;
  size_t close = text->rfind(')');
  if (close == std::string::npos || close + 2 >= text->size()) return false;
  char state = (*text)[close + 2];
  return state == 'Z' || state == 'X';
}

ContainerRecord NewRecord(absl::string_view id) {
  ContainerRecord record;
  record.set_id(std::string(id));
  record.set_boot_id(BootId());
  // Cached per pid, because a forked child has its own start time.
  static std::atomic<pid_t> cached_pid{0};
  static std::atomic<uint64_t> cached_start{0};
  pid_t self = getpid();
  if (cached_pid.load() != self) {
    cached_start.store(ProcessStartTime(self));
    cached_pid.store(self);
  }
  record.set_owner_pid(self);
  record.set_owner_start_time(cached_start.load());
  return record;
}

std::string DeadOwnerReason(const ContainerRecord& record) {
  if (record.boot_id() != BootId()) {
    return absl::StrCat("its record is from another boot (", record.boot_id(), ")");
  }
  if (record.owner_pid() <= 0) return "its record names no owner";
  uint64_t start = ProcessStartTime(record.owner_pid());
  if (start == 0) return absl::StrCat("owner pid ", record.owner_pid(), " has exited");
  if (start != record.owner_start_time()) {
    return absl::StrCat("owner pid ", record.owner_pid(), " has exited and the pid is reused");
  }
  if (IsZombie(record.owner_pid())) {
    return absl::StrCat("owner pid ", record.owner_pid(), " has exited (not reaped yet)");
  }
  return "";
}

absl::Status WriteRecord(const std::string& directory, const ContainerRecord& record) {
  std::string json = EncodeRecord(record);
  std::string path = absl::StrCat(directory, "/", kRecordFile);
  std::string temporary = absl::StrCat(path, ".tmp");
  UniqueFd fd(open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoError(errno, "create", temporary);
  size_t written = 0;
  while (written < json.size()) {
    ssize_t n = write(fd.get(), json.data() + written, json.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      unlink(temporary.c_str());
      return ErrnoError(error, "write", temporary);
    }
    written += static_cast<size_t>(n);
  }
  // No fsync: the record matters only until the next boot, and a crash of
  // the owner process does not lose the page cache.
  fd.reset();

  // The old record is moved aside instead of replaced, because ext4
  // (auto_da_alloc) flushes the new file's data on a rename over an
  // existing file. On this project's 2-core VM with /run on ext4, that
  // took about 0.7 ms per write, and both writes of a start take about
  // 0.1 ms this way. ReadRecord falls back to the moved-aside record while
  // no new one is in place.
  std::string previous = absl::StrCat(path, kPreviousSuffix);
  bool moved_aside = rename(path.c_str(), previous.c_str()) == 0;
  if (!moved_aside && errno != ENOENT) {
    int error = errno;
    unlink(temporary.c_str());
    return ErrnoError(error, "rename", path);
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    unlink(temporary.c_str());
    if (moved_aside) rename(previous.c_str(), path.c_str());
    return ErrnoError(error, "rename to", path);
  }
  if (moved_aside) unlink(previous.c_str());
  return absl::OkStatus();
}

absl::StatusOr<ContainerRecord> ReadRecord(const std::string& directory) {
  std::string path = absl::StrCat(directory, "/", kRecordFile);
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok() && text.status().code() == absl::StatusCode::kNotFound) {
    // A writer stopped between moving the old record aside and renaming
    // the new one into place.
    std::string previous = absl::StrCat(path, kPreviousSuffix);
    absl::StatusOr<std::string> old = ReadSmallFile(previous);
    if (old.ok()) {
      text = std::move(old);
      path = previous;
    }
  }
  if (!text.ok()) return text.status();
  ContainerRecord record;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &record);
  if (!parsed.ok()) {
    return absl::DataLossError(
        absl::StrCat("container record ", path, " is damaged: ", parsed.ToString()));
  }
  return record;
}

absl::StatusOr<pid_t> FindRunningContainer(absl::string_view id) {
  absl::Status valid = spec::ValidateId(id);
  if (!valid.ok()) return valid;
  absl::StatusOr<ContainerRecord> record = ReadRecord(absl::StrCat(StateRoot(), "/", id));
  if (!record.ok()) {
    if (record.status().code() != absl::StatusCode::kNotFound) return record.status();
    return absl::NotFoundError(absl::StrCat("no running container ", id, " (no record in ",
                                            StateRoot(), ")"));
  }
  if (record->boot_id() != BootId()) {
    return absl::NotFoundError(absl::StrCat("container ", id,
                                            " is not running: its record is from another boot"));
  }
  if (record->pid() <= 0 || record->pid_start_time() == 0) {
    return absl::NotFoundError(absl::StrCat("container ", id, " has not started yet"));
  }
  if (ProcessStartTime(record->pid()) != record->pid_start_time()) {
    return absl::NotFoundError(absl::StrCat("container ", id, " is not running: its first pid ",
                                            record->pid(), " has exited"));
  }
  return static_cast<pid_t>(record->pid());
}

}  // namespace pycontain::container
