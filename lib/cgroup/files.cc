#include "lib/cgroup/files.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/status.h"

namespace pycontain::cgroup {
namespace {

// Reads from offset 0 whatever the file offset, so that a descriptor kept
// open serves every read. A short read ends the file: the kernel's
// seq_file and kernfs reads fill the buffer unless the file ends, so one
// pread(2) serves a small cgroup file, and a read from 0 makes seq_file
// produce the contents anew. Regular files (fixture trees) behave the same.
absl::StatusOr<std::string> ReadAll(int fd, absl::string_view path) {
  std::string text;
  char buffer[16384];
  while (true) {
    ssize_t n = pread(fd, buffer, sizeof(buffer), static_cast<off_t>(text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read", path);
    text.append(buffer, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof(buffer)) return text;
  }
}

bool ParseValue(absl::string_view word, int64_t* value) {
  if (word == "max") {
    *value = -1;
    return true;
  }
  return absl::SimpleAtoi(word, value);
}

}  // namespace

KeyedValues ParseKeyedValues(absl::string_view text) {
  KeyedValues values;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t value;
    if (fields.size() == 2 && ParseValue(fields[1], &value)) {
      values.emplace(std::string(fields[0]), value);
    }
  }
  return values;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  return ReadAll(fd.get(), path);
}

absl::StatusOr<CgroupDir> CgroupDir::Open(std::string path, std::string log_id) {
  CgroupDir dir;
  dir.fd_.reset(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.fd_.valid()) return ErrnoError(errno, "open cgroup", path);
  dir.path_ = std::move(path);
  dir.log_id_ = std::move(log_id);
  return dir;
}

bool CgroupDir::Has(absl::string_view name) const {
  return faccessat(fd_.get(), std::string(name).c_str(), F_OK, 0) == 0;
}

absl::Status CgroupDir::Write(absl::string_view name, absl::string_view value) const {
  std::string file = absl::StrCat(path_, "/", name);
  Logf(LogLevel::kDebug, log_id_, "write \"%s\" to %s", value, file);
  UniqueFd fd(openat(fd_.get(), std::string(name).c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", file);
  ssize_t written = write(fd.get(), value.data(), value.size());
  if (written < 0) {
    return ErrnoError(errno, absl::StrCat("write \"", value, "\" to"), file);
  }
  if (static_cast<size_t>(written) != value.size()) {
    return ErrnoError(EIO, absl::StrCat("write \"", value, "\" to"), file);
  }
  return absl::OkStatus();
}

bool CgroupDir::KeepOpen(absl::string_view name) const {
  UniqueFd fd(openat(fd_.get(), std::string(name).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  kept_.emplace_back(std::string(name), std::move(fd));
  return true;
}

absl::StatusOr<std::string> CgroupDir::Read(absl::string_view name) const {
  for (const auto& [kept_name, kept_fd] : kept_) {
    if (kept_name == name) return ReadAll(kept_fd.get(), absl::StrCat(path_, "/", name));
  }
  std::string file = absl::StrCat(path_, "/", name);
  UniqueFd fd(openat(fd_.get(), std::string(name).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", file);
  return ReadAll(fd.get(), file);
}

absl::StatusOr<int64_t> CgroupDir::ReadInt(absl::string_view name) const {
  absl::StatusOr<std::string> text = Read(name);
  if (!text.ok()) return text.status();
  std::vector<absl::string_view> words =
      absl::StrSplit(*text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  int64_t value;
  if (words.empty() || !ParseValue(words[0], &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path_, "/", name, ": expected a number, got \"", absl::StripAsciiWhitespace(*text),
        "\""));
  }
  return value;
}

absl::StatusOr<KeyedValues> CgroupDir::ReadKeyed(absl::string_view name) const {
  absl::StatusOr<std::string> text = Read(name);
  if (!text.ok()) return text.status();
  return ParseKeyedValues(*text);
}

}  // namespace pycontain::cgroup
