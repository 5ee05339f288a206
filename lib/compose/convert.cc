#include "lib/compose/convert.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace pycontain::compose {
namespace {

absl::Status InvalidPort(absl::string_view spec, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("invalid port \"", spec, "\": ", reason));
}

// A port or range "a-b" as first and last port.
struct PortRange {
  int first = 0;
  int last = 0;
  int size() const { return last - first + 1; }
};

absl::StatusOr<PortRange> ParseRange(absl::string_view text, absl::string_view spec) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  PortRange range;
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &range.first)) {
    return InvalidPort(spec, absl::StrCat("\"", text, "\" is not a port or a range"));
  }
  range.last = range.first;
  if (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &range.last)) {
    return InvalidPort(spec, absl::StrCat("\"", text, "\" is not a port range"));
  }
  if (range.first < 1 || range.last > 65535 || range.first > range.last) {
    return InvalidPort(spec, absl::StrCat("\"", text, "\" is outside 1-65535"));
  }
  return range;
}

// Splits "[HOST_IP:]PUBLISHED:TARGET" into its parts; `ip` and `published`
// stay empty when absent.
absl::Status SplitPortFields(absl::string_view text, absl::string_view spec, std::string* ip,
                             std::string* published, std::string* target) {
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidPort(spec, "an IPv6 address in brackets must be followed by ':'");
    }
    *ip = std::string(text.substr(1, close - 1));
    text.remove_prefix(close + 2);
  }
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() == 1) {
    *target = parts[0];
  } else if (parts.size() == 2) {
    *published = parts[0];
    *target = parts[1];
  } else if (ip->empty()) {
    // IP:PUBLISHED:TARGET, where an unbracketed IPv6 address has colons.
    *target = parts.back();
    parts.pop_back();
    *published = parts.back();
    parts.pop_back();
    *ip = absl::StrJoin(parts, ":");
  } else {
    return InvalidPort(spec, "too many ':'");
  }
  if (target->empty()) return InvalidPort(spec, "missing container port");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCommand(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (i + 1 >= text.size()) {
        return absl::InvalidArgumentError(absl::StrCat("command ends with '\\': ", text));
      }
      word += text[++i];
    } else if (c == '\'') {
      size_t close = text.find('\'', i + 1);
      if (close == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat("unterminated ' in command: ", text));
      }
      absl::StrAppend(&word, text.substr(i + 1, close - i - 1));
      i = close;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() &&
            absl::string_view("\"\\$`").find(text[j + 1]) != absl::string_view::npos) {
          ++j;
        }
        word += text[j];
      }
      if (j >= text.size()) {
        return absl::InvalidArgumentError(absl::StrCat("unterminated \" in command: ", text));
      }
      i = j;
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

absl::StatusOr<std::vector<PortMapping>> ParsePortSpec(absl::string_view spec) {
  absl::string_view text = spec;
  std::string protocol = "tcp";
  size_t slash = text.rfind('/');
  if (slash != absl::string_view::npos) {
    protocol = absl::AsciiStrToLower(text.substr(slash + 1));
    text = text.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp") {
      return InvalidPort(spec, absl::StrCat("unknown protocol \"", protocol, "\" (use tcp or udp)"));
    }
  }
  std::string ip, published, target;
  absl::Status split = SplitPortFields(text, spec, &ip, &published, &target);
  if (!split.ok()) return split;

  absl::StatusOr<PortRange> targets = ParseRange(target, spec);
  if (!targets.ok()) return targets.status();
  PortRange hosts;
  if (!published.empty()) {
    absl::StatusOr<PortRange> parsed = ParseRange(published, spec);
    if (!parsed.ok()) return parsed.status();
    hosts = *parsed;
    if (targets->size() > 1 && hosts.size() != targets->size()) {
      return InvalidPort(spec, "the host and container ranges differ in length");
    }
  }

  std::vector<PortMapping> mappings;
  for (int offset = 0; offset < targets->size(); ++offset) {
    PortMapping mapping;
    mapping.host_ip = ip;
    mapping.target = targets->first + offset;
    mapping.protocol = protocol;
    if (published.empty()) {
      // The runtime picks the host port.
    } else if (targets->size() == 1 && hosts.size() > 1) {
      mapping.published = absl::StrCat(hosts.first, "-", hosts.last);
    } else {
      mapping.published = absl::StrCat(hosts.first + offset);
    }
    mappings.push_back(std::move(mapping));
  }
  return mappings;
}

absl::StatusOr<VolumeMount> ParseVolumeSpec(absl::string_view spec) {
  std::vector<std::string> parts = absl::StrSplit(spec, ':');
  if (parts.size() > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid volume \"", spec, "\": too many ':' (use SOURCE:TARGET[:MODE])"));
  }
  VolumeMount mount;
  std::string mode;
  if (parts.size() == 1) {
    mount.target = parts[0];
  } else {
    mount.source = parts[0];
    mount.target = parts[1];
    if (parts.size() == 3) mode = parts[2];
  }
  if (mount.target.empty() || mount.target[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid volume \"", spec, "\": the target must be an absolute path in the container"));
  }
  bool is_path = !mount.source.empty() &&
                 (mount.source[0] == '/' || mount.source[0] == '.' || mount.source[0] == '~');
  mount.type = is_path ? "bind" : "volume";

  for (absl::string_view option : absl::StrSplit(mode, ',', absl::SkipEmpty())) {
    if (option == "ro") {
      mount.read_only = true;
    } else if (option == "rw") {
      mount.read_only = false;
    } else if (option == "z" || option == "Z") {
      mount.selinux = std::string(option);
    } else if (option == "nocopy") {
      mount.nocopy = true;
    } else if (option == "shared" || option == "slave" || option == "private" ||
               option == "rshared" || option == "rslave" || option == "rprivate") {
      mount.propagation = std::string(option);
    } else if (option == "consistent" || option == "cached" || option == "delegated") {
      // Docker Desktop hints; they have no effect on Linux.
    } else {
      return absl::InvalidArgumentError(absl::StrCat("invalid volume \"", spec,
                                                     "\": unknown mode \"", option, "\""));
    }
  }
  return mount;
}

std::string CleanPath(absl::string_view path) {
  bool absolute = absl::StartsWith(path, "/");
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.emplace_back("..");
      }
      continue;
    }
    parts.emplace_back(part);
  }
  std::string joined = absl::StrJoin(parts, "/");
  if (absolute) return absl::StrCat("/", joined);
  return joined.empty() ? "." : joined;
}

std::string ResolvePath(absl::string_view path, absl::string_view base_dir,
                        absl::string_view home) {
  if (path == "~" || absl::StartsWith(path, "~/")) {
    return CleanPath(absl::StrCat(home, "/", path.substr(1)));
  }
  if (absl::StartsWith(path, "/")) return CleanPath(path);
  return CleanPath(absl::StrCat(base_dir, "/", path));
}

std::string DirectoryOf(absl::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace pycontain::compose
