#include "lib/spec/validate.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pycontain::spec {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

bool IsAbsolute(absl::string_view path) { return absl::StartsWith(path, "/"); }

bool HasNul(absl::string_view text) {
  return text.find('\0') != absl::string_view::npos;
}

absl::Status ValidateProcess(const Process& process) {
  if (process.args().empty()) {
    return FieldError("process.args", "a command is required");
  }
  if (process.args(0).empty()) {
    return FieldError("process.args[0]", "the command must not be empty");
  }
  for (int i = 0; i < process.args_size(); ++i) {
    if (HasNul(process.args(i))) {
      return FieldError(absl::StrCat("process.args[", i, "]"),
                        "must not contain a NUL byte");
    }
  }
  for (int i = 0; i < process.env_size(); ++i) {
    const std::string& entry = process.env(i);
    size_t equals = entry.find('=');
    if (equals == std::string::npos || equals == 0 || HasNul(entry)) {
      return FieldError(absl::StrCat("process.env[", i, "]"),
                        absl::StrFormat("must be NAME=value, got %s",
                                        absl::CHexEscape(entry)));
    }
  }
  if (!process.cwd().empty() && !IsAbsolute(process.cwd())) {
    return FieldError("process.cwd",
                      absl::StrFormat("must be an absolute path, got \"%s\"",
                                      absl::CHexEscape(process.cwd())));
  }
  return absl::OkStatus();
}

absl::Status ValidateHostname(absl::string_view hostname) {
  if (hostname.size() > kMaxHostnameLength) {
    return FieldError("hostname", absl::StrCat("longer than ", kMaxHostnameLength,
                                               " bytes"));
  }
  for (char c : hostname) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '.' && c != '_') {
      return FieldError("hostname",
                        absl::StrFormat("invalid character '%s' in \"%s\"",
                                        absl::CHexEscape(std::string(1, c)),
                                        absl::CHexEscape(hostname)));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateIdMappings(
    absl::string_view field,
    const google::protobuf::RepeatedPtrField<IdMapping>& mappings) {
  for (int i = 0; i < mappings.size(); ++i) {
    const IdMapping& mapping = mappings[i];
    if (mapping.size() == 0) {
      return FieldError(absl::StrCat(field, "[", i, "].size"), "must be at least 1");
    }
    uint64_t container_end = uint64_t{mapping.container_id()} + mapping.size();
    uint64_t host_end = uint64_t{mapping.host_id()} + mapping.size();
    if (container_end > (uint64_t{1} << 32) || host_end > (uint64_t{1} << 32)) {
      return FieldError(absl::StrCat(field, "[", i, "]"),
                        "the range runs past the largest id, 4294967295");
    }
  }
  return absl::OkStatus();
}

// Checks namespaces.join_<kind>: one target, a usable one, and no
// contradicting request for a new namespace of that kind.
absl::Status ValidateJoin(absl::string_view kind, bool has_join, const NamespaceJoin& join,
                          bool has_flag, bool user) {
  if (!has_join) return absl::OkStatus();
  std::string field = absl::StrCat("namespaces.join_", kind);
  if (join.path().empty() == join.container().empty()) {
    return FieldError(field, "set exactly one of path and container");
  }
  if (!join.path().empty() && !IsAbsolute(join.path())) {
    return FieldError(absl::StrCat(field, ".path"),
                      absl::StrFormat("must be an absolute path such as /proc/PID/ns/%s, "
                                      "got \"%s\"",
                                      kind, absl::CHexEscape(join.path())));
  }
  if (!join.container().empty()) {
    absl::Status status = ValidateId(join.container());
    if (!status.ok()) {
      return FieldError(absl::StrCat(field, ".container"),
                        absl::StripPrefix(status.message(), "id: "));
    }
  }
  if (has_flag) {
    return FieldError(absl::StrCat("namespaces.", kind),
                      absl::StrCat("must be unset when ", field,
                                   " is set: the container joins that namespace"));
  }
  if (user) {
    return FieldError(field, "cannot be combined with a user namespace: the new user "
                             "namespace would own no capability in the joined namespace");
  }
  return absl::OkStatus();
}

absl::Status ValidateNamespaces(const ContainerSpec& spec) {
  const Namespaces& namespaces = spec.namespaces();
  if (namespaces.has_mount() && !namespaces.mount()) {
    return FieldError("namespaces.mount",
                      "a container always gets a mount namespace; remove the field");
  }
  if (spec.network().mode() == Network::HOST && namespaces.has_net() &&
      namespaces.net()) {
    return FieldError("namespaces.net",
                      "network.mode HOST uses the host's network namespace, so a "
                      "new one cannot be requested too");
  }
  bool user = namespaces.has_user() && namespaces.user();
  if (!user && (namespaces.uid_mappings_size() > 0 ||
                namespaces.gid_mappings_size() > 0)) {
    return FieldError("namespaces.uid_mappings",
                      "id mappings need a user namespace (set namespaces.user)");
  }
  absl::Status status =
      ValidateIdMappings("namespaces.uid_mappings", namespaces.uid_mappings());
  if (!status.ok()) return status;
  status = ValidateIdMappings("namespaces.gid_mappings", namespaces.gid_mappings());
  if (!status.ok()) return status;
  status = ValidateJoin("ipc", namespaces.has_join_ipc(), namespaces.join_ipc(),
                        namespaces.has_ipc(), user);
  if (!status.ok()) return status;
  return ValidateJoin("pid", namespaces.has_join_pid(), namespaces.join_pid(),
                      namespaces.has_pid(), user);
}

bool HasDotDot(absl::string_view path) {
  for (absl::string_view component : absl::StrSplit(path, '/')) {
    if (component == "..") return true;
  }
  return false;
}

// Checks what the planner would otherwise resolve silently: ".." in a
// destination stays at the root, so "/../etc" is taken for a typo or an
// attack rather than for "/etc".
absl::Status ValidateMountPaths(absl::string_view field, const Mount& mount) {
  if (HasDotDot(mount.destination())) {
    return FieldError(absl::StrCat(field, ".destination"),
                      absl::StrFormat("\"%s\" contains \"..\"; give the path "
                                      "inside the container without it",
                                      absl::CHexEscape(mount.destination())));
  }
  bool volume = mount.type() == "volume";
  if (volume && !mount.source().empty()) {
    absl::Status status = ValidateVolumeName(mount.source());
    if (!status.ok()) {
      return FieldError(absl::StrCat(field, ".source"), status.message());
    }
  }
  for (const std::string& option : mount.options()) {
    if (option == "nocopy" && !volume) {
      return FieldError(absl::StrCat(field, ".options"),
                        absl::StrCat("\"nocopy\" applies only to type \"volume\", not \"",
                                     absl::CHexEscape(mount.type()), "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMounts(const ContainerSpec& spec) {
  for (int i = 0; i < spec.mounts_size(); ++i) {
    const Mount& mount = spec.mounts(i);
    std::string field = absl::StrCat("mounts[", i, "]");
    if (!IsAbsolute(mount.destination())) {
      return FieldError(absl::StrCat(field, ".destination"),
                        absl::StrFormat("must be an absolute path, got \"%s\"",
                                        absl::CHexEscape(mount.destination())));
    }
    if (mount.type().empty()) {
      return FieldError(absl::StrCat(field, ".type"),
                        "required (bind, tmpfs, proc, ...)");
    }
    if (mount.type() == "bind" && !IsAbsolute(mount.source())) {
      return FieldError(absl::StrCat(field, ".source"),
                        absl::StrFormat("a bind mount needs an absolute host path, got \"%s\"",
                                        absl::CHexEscape(mount.source())));
    }
    if (HasNul(mount.destination()) || HasNul(mount.source())) {
      return FieldError(field, "paths must not contain a NUL byte");
    }
    absl::Status status = ValidateMountPaths(field, mount);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateVolumeName(absl::string_view name) {
  bool valid = name.size() >= 2 && name.size() <= kMaxVolumeNameLength;
  for (size_t i = 0; valid && i < name.size(); ++i) {
    char c = name[i];
    valid = absl::ascii_isalnum(c) || (i > 0 && (c == '_' || c == '.' || c == '-'));
  }
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "\"%s\" is not a valid volume name: use 2 to %d letters, digits, '_', '.' "
      "and '-', starting with a letter or digit",
      absl::CHexEscape(name), kMaxVolumeNameLength));
}

absl::Status ValidateId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return FieldError("id", absl::StrCat("must be 1 to ", kMaxIdLength, " bytes long"));
  }
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool allowed = absl::ascii_isalnum(c) ||
                   (i > 0 && (c == '_' || c == '.' || c == '-'));
    if (!allowed) {
      return FieldError("id", absl::StrFormat(
                                  "\"%s\" is not a valid id: use letters, digits, "
                                  "'_', '.' and '-', starting with a letter or digit",
                                  absl::CHexEscape(id)));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSpec(const ContainerSpec& spec) {
  if (!spec.id().empty()) {
    absl::Status status = ValidateId(spec.id());
    if (!status.ok()) return status;
  }
  absl::Status status = ValidateProcess(spec.process());
  if (!status.ok()) return status;

  if (!spec.root().path().empty() && !IsAbsolute(spec.root().path())) {
    return FieldError("root.path",
                      absl::StrFormat("must be an absolute path, got \"%s\"",
                                      absl::CHexEscape(spec.root().path())));
  }
  status = ValidateHostname(spec.hostname());
  if (!status.ok()) return status;

  status = ValidateNamespaces(spec);
  if (!status.ok()) return status;

  status = ValidateMounts(spec);
  if (!status.ok()) return status;

  if (spec.has_timeout() &&
      (spec.timeout().seconds() < 0 || spec.timeout().nanos() < 0 ||
       (spec.timeout().seconds() == 0 && spec.timeout().nanos() == 0))) {
    return FieldError("timeout", "must be positive");
  }
  return absl::OkStatus();
}

}  // namespace pycontain::spec
