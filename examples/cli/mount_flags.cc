#include "examples/cli/mount_flags.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/base/units.h"
#include "lib/spec/validate.h"

namespace pycontain::cli {
namespace {

constexpr const char* kPropagations[] = {"private", "rprivate", "slave",
                                         "rslave",  "shared",   "rshared"};

bool IsPropagation(absl::string_view word) {
  for (const char* name : kPropagations) {
    if (word == name) return true;
  }
  return false;
}

absl::Status FlagError(absl::string_view flag, absl::string_view value,
                       absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(flag, " ", value, ": ", problem));
}

// Whether every comma-separated word of `text` is a -v option, so that
// "/data:ro" reads as a destination with options.
bool IsVolumeOptionList(absl::string_view text) {
  if (text.empty()) return false;
  for (absl::string_view word : absl::StrSplit(text, ',')) {
    if (word != "ro" && word != "rw" && word != "nocopy" && !IsPropagation(word)) return false;
  }
  return true;
}

// Reads the value of a boolean --mount key: "readonly" alone is true.
std::optional<bool> ParseBool(absl::string_view text) {
  if (text.empty() || text == "1" || text == "true") return true;
  if (text == "0" || text == "false") return false;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCsv(absl::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field += line[i++];
      }
      if (!closed) return absl::InvalidArgumentError("a quoted field has no closing quote");
      if (i < line.size() && line[i] != ',') {
        return absl::InvalidArgumentError(
            absl::StrCat("text after the closing quote of \"", field, "\""));
      }
    } else {
      size_t end = line.find(',', i);
      if (end == absl::string_view::npos) end = line.size();
      field = std::string(line.substr(i, end - i));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

absl::StatusOr<spec::Mount> ParseVolumeFlag(absl::string_view value) {
  constexpr absl::string_view kFlag = "-v";
  std::vector<std::string> parts = absl::StrSplit(value, ':');
  std::string source, destination, options;
  if (parts.size() == 1) {
    destination = parts[0];
  } else if (parts.size() == 2 && absl::StartsWith(parts[0], "/") &&
             IsVolumeOptionList(parts[1])) {
    destination = parts[0];
    options = parts[1];
  } else if (parts.size() == 2 || parts.size() == 3) {
    source = parts[0];
    destination = parts[1];
    if (parts.size() == 3) options = parts[2];
  } else {
    return FlagError(kFlag, value,
                     "too many ':'; use SOURCE:DESTINATION[:OPTIONS], or --mount for paths "
                     "with ':'");
  }
  if (!absl::StartsWith(destination, "/")) {
    return FlagError(kFlag, value,
                     absl::StrCat("the destination \"", destination,
                                  "\" must be an absolute path inside the container"));
  }

  spec::Mount mount;
  mount.set_destination(destination);
  bool bind = absl::StartsWith(source, "/");
  if (bind) {
    mount.set_type("bind");
    mount.set_source(source);
    // Docker's -v binds are recursive.
    mount.add_options("rbind");
  } else {
    mount.set_type("volume");
    if (!source.empty()) {
      absl::Status valid = spec::ValidateVolumeName(source);
      if (!valid.ok()) {
        return FlagError(kFlag, value,
                         absl::StrCat("\"", source, "\" is neither an absolute host path nor a "
                                                    "valid volume name (",
                                      valid.message(), ")"));
      }
      mount.set_source(source);
    }
  }
  if (options.empty() && parts.size() == 3) {
    return FlagError(kFlag, value, "empty options after the last ':'");
  }
  for (absl::string_view option : absl::StrSplit(options, ',', absl::SkipEmpty())) {
    if (option == "rw") continue;
    if (option == "ro") {
      mount.add_options("ro");
    } else if (option == "nocopy" && !bind) {
      mount.add_options("nocopy");
    } else if (IsPropagation(option) && bind) {
      mount.add_options(std::string(option));
    } else {
      return FlagError(kFlag, value,
                       absl::StrCat("unknown option \"", option, "\" for a ",
                                    bind ? "bind mount (use ro, rw or a propagation such as "
                                           "rslave)"
                                         : "volume (use ro, rw or nocopy)"));
    }
  }
  return mount;
}

absl::StatusOr<spec::Mount> ParseMountFlag(absl::string_view value) {
  constexpr absl::string_view kFlag = "--mount";
  absl::StatusOr<std::vector<std::string>> fields = SplitCsv(value);
  if (!fields.ok()) return FlagError(kFlag, value, fields.status().message());

  std::string type = "volume";
  std::string source, target, propagation, tmpfs_size, tmpfs_mode;
  bool readonly = false, nocopy = false, has_source = false;
  // The first key that applies only to one type, to check it against type.
  std::string bind_key, volume_key, tmpfs_key;
  for (const std::string& field : *fields) {
    size_t equals = field.find('=');
    std::string key = absl::AsciiStrToLower(field.substr(0, equals));
    std::string val = equals == std::string::npos ? "" : field.substr(equals + 1);
    bool has_value = equals != std::string::npos;
    auto needs_value = [&]() -> absl::Status {
      if (has_value && !val.empty()) return absl::OkStatus();
      return FlagError(kFlag, value, absl::StrCat("key \"", key, "\" needs a value"));
    };
    absl::Status status;
    if (key == "type") {
      status = needs_value();
      type = val;
    } else if (key == "source" || key == "src") {
      status = needs_value();
      source = val;
      has_source = true;
    } else if (key == "target" || key == "destination" || key == "dst") {
      status = needs_value();
      target = val;
    } else if (key == "readonly" || key == "ro") {
      std::optional<bool> parsed = ParseBool(val);
      if (!parsed.has_value()) {
        return FlagError(kFlag, value, absl::StrCat("invalid value \"", val, "\" for ", key,
                                                    " (use true or false)"));
      }
      readonly = *parsed;
    } else if (key == "bind-propagation") {
      status = needs_value();
      if (status.ok() && !IsPropagation(val)) {
        return FlagError(kFlag, value,
                         absl::StrCat("invalid bind-propagation \"", val,
                                      "\" (use private, rprivate, slave, rslave, shared or "
                                      "rshared)"));
      }
      propagation = val;
      if (bind_key.empty()) bind_key = key;
    } else if (key == "volume-nocopy") {
      std::optional<bool> parsed = ParseBool(val);
      if (!parsed.has_value()) {
        return FlagError(kFlag, value, absl::StrCat("invalid value \"", val, "\" for ", key,
                                                    " (use true or false)"));
      }
      nocopy = *parsed;
      if (volume_key.empty()) volume_key = key;
    } else if (key == "tmpfs-size") {
      status = needs_value();
      absl::StatusOr<int64_t> bytes = ParseByteSize(val);
      if (status.ok() && !bytes.ok()) {
        return FlagError(kFlag, value, absl::StrCat("tmpfs-size: ", bytes.status().message()));
      }
      if (status.ok()) tmpfs_size = absl::StrCat("size=", *bytes);
      if (tmpfs_key.empty()) tmpfs_key = key;
    } else if (key == "tmpfs-mode") {
      status = needs_value();
      uint32_t mode = 0;
      bool octal = !val.empty() && val.size() <= 5;
      for (char c : val) {
        octal = octal && c >= '0' && c <= '7';
        mode = mode * 8 + static_cast<uint32_t>(c - '0');
      }
      if (status.ok() && (!octal || mode > 07777)) {
        return FlagError(kFlag, value,
                         absl::StrCat("tmpfs-mode \"", val,
                                      "\" is not an octal file mode such as 1777"));
      }
      tmpfs_mode = absl::StrFormat("mode=%o", mode);
      if (tmpfs_key.empty()) tmpfs_key = key;
    } else if (key == "consistency") {
      // Docker accepts and ignores it on Linux (it applies to Docker Desktop).
    } else {
      return FlagError(kFlag, value,
                       absl::StrCat("unknown key \"", key,
                                    "\" (use type, source, target, readonly, bind-propagation, "
                                    "volume-nocopy, tmpfs-size or tmpfs-mode)"));
    }
    if (!status.ok()) return status;
  }

  if (type != "bind" && type != "volume" && type != "tmpfs") {
    return FlagError(kFlag, value,
                     absl::StrCat("unknown type \"", type, "\" (use bind, volume or tmpfs)"));
  }
  if (target.empty()) return FlagError(kFlag, value, "target is required");
  if (!absl::StartsWith(target, "/")) {
    return FlagError(kFlag, value,
                     absl::StrCat("target \"", target,
                                  "\" must be an absolute path inside the container"));
  }
  for (const auto& [key, owner] : {std::pair<const std::string&, const char*>{bind_key, "bind"},
                                   {volume_key, "volume"},
                                   {tmpfs_key, "tmpfs"}}) {
    if (!key.empty() && type != owner) {
      return FlagError(kFlag, value,
                       absl::StrCat("key \"", key, "\" applies only to type=", owner));
    }
  }

  spec::Mount mount;
  mount.set_destination(target);
  mount.set_type(type);
  if (type == "bind") {
    if (!absl::StartsWith(source, "/")) {
      return FlagError(kFlag, value,
                       absl::StrCat("a bind mount needs an absolute source, got \"", source,
                                    "\""));
    }
    mount.set_source(source);
    mount.add_options("rbind");
    if (!propagation.empty()) mount.add_options(propagation);
  } else if (type == "volume") {
    if (!source.empty()) {
      absl::Status valid = spec::ValidateVolumeName(source);
      if (!valid.ok()) return FlagError(kFlag, value, valid.message());
      mount.set_source(source);
    }
    if (nocopy) mount.add_options("nocopy");
  } else {
    if (has_source) return FlagError(kFlag, value, "a tmpfs mount takes no source");
    mount.set_source("tmpfs");
    mount.add_options("nosuid");
    mount.add_options("nodev");
    if (!tmpfs_size.empty()) mount.add_options(tmpfs_size);
    if (!tmpfs_mode.empty()) mount.add_options(tmpfs_mode);
  }
  if (readonly) mount.add_options("ro");
  return mount;
}

absl::Status CheckBindSource(absl::string_view flag, const spec::Mount& mount) {
  if (mount.type() != "bind") return absl::OkStatus();
  struct stat info;
  if (stat(mount.source().c_str(), &info) == 0) return absl::OkStatus();
  int err = errno;
  return absl::InvalidArgumentError(absl::StrCat(
      flag, ": bind source ", mount.source(), ": ", strerror(err),
      err == ENOENT ? " (create it first: pycontain does not create bind sources)" : ""));
}

}  // namespace pycontain::cli
