// The json-file log of managed containers (managed.h): writing with
// rotation, and finding the rotated files.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/units.h"
#include "lib/container/managed_internal.h"

namespace pycontain::container::managed_internal {
namespace {

// Docker splits longer lines into several log records (16 KiB).
constexpr size_t kMaxLogLine = 16 * 1024;

// Docker's json-file driver accepts more options (compress, labels, env,
// tag); pycontain has these two.
constexpr char kMaxSize[] = "max-size";
constexpr char kMaxFile[] = "max-file";

std::string RotatedPath(const std::string& path, int number) {
  return number == 0 ? path : absl::StrCat(path, ".", number);
}

}  // namespace

absl::StatusOr<LogRotation> ParseLogOptions(const std::map<std::string, std::string>& options) {
  LogRotation rotation;
  for (const auto& [key, value] : options) {
    if (key == kMaxSize) {
      absl::StatusOr<int64_t> size = ParseByteSize(value);
      if (!size.ok()) return Annotate(size.status(), "log option max-size");
      if (*size <= 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid log option max-size=", value, ": give a size above 0, such as 10m"));
      }
      rotation.max_size = *size;
    } else if (key == kMaxFile) {
      if (!absl::SimpleAtoi(value, &rotation.max_files) || rotation.max_files < 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid log option max-file=", value, ": give a count of 1 or more"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unsupported log option \"", key, "\": the json-file log takes max-size and max-file"));
    }
  }
  if (options.count(kMaxFile) != 0 && rotation.max_size == 0) {
    return absl::InvalidArgumentError(
        "log option max-file needs max-size, which sets when the log rotates");
  }
  return rotation;
}

LogWriter::LogWriter(std::string path, UniqueFd fd, LogRotation rotation)
    : path_(std::move(path)), fd_(std::move(fd)), rotation_(rotation) {
  struct stat info;
  if (fd_.valid() && fstat(fd_.get(), &info) == 0) size_ = info.st_size;
}

void LogWriter::Feed(int stream, absl::string_view data) {
  std::string& pending = pending_[stream];
  pending.append(data.data(), data.size());
  size_t start = 0;
  while (true) {
    size_t newline = pending.find('\n', start);
    if (newline == std::string::npos) break;
    Write(stream, absl::string_view(pending).substr(start, newline + 1 - start));
    start = newline + 1;
  }
  pending.erase(0, start);
  while (pending.size() >= kMaxLogLine) {
    Write(stream, absl::string_view(pending).substr(0, kMaxLogLine));
    pending.erase(0, kMaxLogLine);
  }
}

void LogWriter::Flush(int stream) {
  if (!pending_[stream].empty()) Write(stream, pending_[stream]);
  pending_[stream].clear();
}

void LogWriter::Write(int stream, absl::string_view line) {
  LogRecord record;
  record.set_log(std::string(line));
  record.set_stream(stream == 0 ? "stdout" : "stderr");
  record.set_time(FormatTimestamp(absl::Now()));
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(record, &text).ok()) return;
  text += '\n';
  if (!fd_.valid()) return;
  // A full disk loses log lines but must not stop the container.
  ssize_t written = write(fd_.get(), text.data(), text.size());
  if (written > 0) size_ += written;
  // As Docker's json-file driver, a file may pass max-size by the one
  // record that reached it.
  if (rotation_.max_size > 0 && size_ >= rotation_.max_size) Rotate();
}

void LogWriter::Rotate() {
  fd_.reset();
  int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
  if (rotation_.max_files <= 1) {
    flags |= O_TRUNC;
  } else {
    // container.log.(N-1) replaces container.log.N, and so on down to
    // container.log, which becomes container.log.1.
    for (int number = rotation_.max_files - 1; number >= 1; --number) {
      std::string from = RotatedPath(path_, number - 1);
      std::string to = RotatedPath(path_, number);
      if (rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        Logf(LogLevel::kWarning, "", "cannot rotate %s: %s", from, strerror(errno));
      }
    }
  }
  fd_ = UniqueFd(open(path_.c_str(), flags, 0600));
  if (!fd_.valid()) {
    Logf(LogLevel::kWarning, "", "cannot open %s after rotating it: %s", path_, strerror(errno));
  }
  size_ = 0;
}

std::vector<std::pair<std::string, UniqueFd>> OpenLogFiles(const std::string& path) {
  // Newest first, so that a rotation between two opens shows the moved
  // file twice (detected by its inode) instead of skipping it.
  std::vector<std::pair<std::string, UniqueFd>> files;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (int number = 0;; ++number) {
    std::string name = RotatedPath(path, number);
    UniqueFd fd(open(name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      // The current file is made at the first start; rotated ones end at
      // the first number missing.
      if (number == 0) continue;
      break;
    }
    struct stat info;
    if (fstat(fd.get(), &info) == 0 && !seen.insert({info.st_dev, info.st_ino}).second) continue;
    files.emplace_back(name, std::move(fd));
  }
  return {std::make_move_iterator(files.rbegin()), std::make_move_iterator(files.rend())};
}

}  // namespace pycontain::container::managed_internal
