#include "lib/net/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/status.h"

namespace pycontain::net {
namespace {

constexpr absl::string_view kSuffix = ".json";

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  std::string text;
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  if (n < 0) return ErrnoError(errno, "read", path);
  return text;
}

absl::StatusOr<NetworkRecord> ParseRecord(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  NetworkRecord record;
  auto status = google::protobuf::util::JsonStringToMessage(*text, &record);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("network record ", path, " is damaged: ",
                                            status.ToString(),
                                            "; remove the file and its links"));
  }
  return record;
}

}  // namespace

absl::Status ValidateNetworkName(absl::string_view name) {
  bool valid = !name.empty() && name.size() <= 64;
  for (size_t i = 0; valid && i < name.size(); ++i) {
    char c = name[i];
    valid = absl::ascii_isalnum(c) || (i > 0 && (c == '_' || c == '.' || c == '-'));
  }
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "network name \"", name,
      "\" is invalid: use 1 to 64 letters, digits, '_', '.' and '-', starting "
      "with a letter or digit"));
}

absl::StatusOr<NetworkStore> NetworkStore::Lock(const std::string& directory) {
  // Creates the missing parents too (the state root on first use).
  for (size_t slash = directory.find('/', 1); ; slash = directory.find('/', slash + 1)) {
    std::string prefix = directory.substr(0, slash);
    if (mkdir(prefix.c_str(), slash == std::string::npos ? 0700 : 0711) != 0 &&
        errno != EEXIST) {
      return ErrnoError(errno, "create directory", prefix);
    }
    if (slash == std::string::npos) break;
  }
  NetworkStore store;
  store.directory_ = directory;
  std::string lock_path = absl::StrCat(directory, "/lock");
  store.lock_.reset(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!store.lock_.valid()) return ErrnoError(errno, "open", lock_path);
  while (flock(store.lock_.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoError(errno, "lock", lock_path);
  }
  return store;
}

std::string NetworkStore::PathOf(absl::string_view name) const {
  return absl::StrCat(directory_, "/", name, kSuffix);
}

absl::StatusOr<std::vector<NetworkRecord>> NetworkStore::LoadAll() const {
  DIR* dir = opendir(directory_.c_str());
  if (dir == nullptr) return ErrnoError(errno, "open directory", directory_);
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    absl::string_view name = entry->d_name;
    if (absl::EndsWith(name, kSuffix)) names.emplace_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  std::vector<NetworkRecord> records;
  for (const std::string& name : names) {
    absl::StatusOr<NetworkRecord> record = ParseRecord(absl::StrCat(directory_, "/", name));
    if (!record.ok()) return record.status();
    records.push_back(std::move(*record));
  }
  return records;
}

absl::StatusOr<NetworkRecord> NetworkStore::Load(absl::string_view name) const {
  absl::Status valid = ValidateNetworkName(name);
  if (!valid.ok()) return valid;
  std::string path = PathOf(name);
  if (access(path.c_str(), F_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("network ", name, " not found"));
  }
  return ParseRecord(path);
}

absl::Status NetworkStore::Save(const NetworkRecord& record) const {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(record, &json, options);
  if (!status.ok()) return absl::InternalError(status.ToString());

  std::string path = PathOf(record.name());
  std::string temporary = absl::StrCat(path, ".tmp");
  UniqueFd fd(open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoError(errno, "create", temporary);
  if (write(fd.get(), json.data(), json.size()) != static_cast<ssize_t>(json.size())) {
    return ErrnoError(errno, "write", temporary);
  }
  fd.reset();
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    return ErrnoError(errno, "rename to", path);
  }
  return absl::OkStatus();
}

absl::Status NetworkStore::Remove(absl::string_view name) const {
  std::string path = PathOf(name);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError(errno, "remove", path);
  return absl::OkStatus();
}

}  // namespace pycontain::net
