#include "lib/container/record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"

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

ContainerRecord NewRecord(absl::string_view id) {
  ContainerRecord record;
  record.set_id(std::string(id));
  record.set_boot_id(BootId());
  record.set_owner_pid(getpid());
  record.set_owner_start_time(ProcessStartTime(getpid()));
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
  return "";
}

absl::Status WriteRecord(const std::string& directory, const ContainerRecord& record) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  auto converted = google::protobuf::util::MessageToJsonString(record, &json, options);
  if (!converted.ok()) {
    return absl::InternalError(absl::StrCat("encode container record: ", converted.ToString()));
  }

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
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    unlink(temporary.c_str());
    return ErrnoError(error, "rename to", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<ContainerRecord> ReadRecord(const std::string& directory) {
  std::string path = absl::StrCat(directory, "/", kRecordFile);
  absl::StatusOr<std::string> text = ReadSmallFile(path);
  if (!text.ok()) return text.status();
  ContainerRecord record;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &record);
  if (!parsed.ok()) {
    return absl::DataLossError(
        absl::StrCat("container record ", path, " is damaged: ", parsed.ToString()));
  }
  return record;
}

}  // namespace pycontain::container
