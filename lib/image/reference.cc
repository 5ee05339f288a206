#include "lib/image/reference.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/image/digest.h"

namespace pycontain::image {

namespace {

constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

bool IsLowerAlphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool IsTagCharacter(char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

// Whether `component` is runs of [a-z0-9] joined by ".", "_", "__" or
// one or more "-".
bool IsValidComponent(absl::string_view component) {
  size_t i = 0;
  while (true) {
    size_t run = i;
    while (i < component.size() && IsLowerAlphanumeric(component[i])) ++i;
    if (i == run) return false;  // empty, or starts or ends with a separator
    if (i == component.size()) return true;

    size_t separator = i;
    while (i < component.size() && !IsLowerAlphanumeric(component[i])) ++i;
    absl::string_view between = component.substr(separator, i - separator);
    bool dashes = between.find_first_not_of('-') == absl::string_view::npos;
    if (between != "." && between != "_" && between != "__" && !dashes) return false;
  }
}

// Whether `label` is a DNS label: letters, digits and inner dashes.
bool IsValidHostLabel(absl::string_view label) {
  if (label.empty() || label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(c) && c != '-') return false;
  }
  return true;
}

// Returns what is wrong with the registry part "host[:port]", or "".
std::string HostProblem(absl::string_view registry) {
  absl::string_view host = registry;
  absl::string_view port;
  if (!host.empty() && host.front() == '[') {
    // An IPv6 address in brackets, as in "[::1]:5000".
    size_t close = host.find(']');
    if (close == absl::string_view::npos) {
      return absl::StrCat("registry host \"", registry, "\" lacks the closing \"]\"");
    }
    absl::string_view address = host.substr(1, close - 1);
    bool valid = !address.empty();
    for (char c : address) valid = valid && (absl::ascii_isxdigit(c) || c == ':' || c == '.');
    if (!valid) return absl::StrCat("invalid IPv6 address in registry host \"", registry, "\"");
    absl::string_view rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return absl::StrCat("invalid registry host \"", registry, "\"");
    }
    if (!rest.empty()) port = rest.substr(1);
    host = absl::string_view();
  } else {
    size_t colon = host.find(':');
    if (colon != absl::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) return absl::StrCat("empty port in registry host \"", registry, "\"");
    }
    for (absl::string_view label : absl::StrSplit(host, '.')) {
      if (!IsValidHostLabel(label)) {
        return absl::StrCat("invalid registry host \"", registry,
                            "\": expected DNS labels of letters, digits and inner dashes");
      }
    }
  }
  for (char c : port) {
    if (!absl::ascii_isdigit(c)) {
      return absl::StrCat("invalid port \"", port, "\" in registry host \"", registry, "\"");
    }
  }
  return "";
}

// Returns what is wrong with `name` (the reference less tag and digest),
// or "".
std::string NameProblem(absl::string_view name) {
  if (name.empty()) return "empty repository name";
  if (name.size() > kMaxNameLength) {
    return absl::StrCat("repository name is longer than ", kMaxNameLength, " characters");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  size_t first = 0;
  absl::string_view head = parts.front();
  if (parts.size() > 1 && (head.find_first_of(".:") != absl::string_view::npos ||
                           head == "localhost")) {
    std::string problem = HostProblem(head);
    if (!problem.empty()) return problem;
    first = 1;
  }
  for (size_t i = first; i < parts.size(); ++i) {
    if (parts[i].empty()) return "empty repository name component (\"//\" or a \"/\" at an end)";
    if (!IsValidComponent(parts[i])) {
      return absl::StrCat("repository name component \"", parts[i],
                          "\" must be lower-case letters and digits, separated by "
                          "\".\", \"_\", \"__\" or dashes");
    }
  }
  return "";
}

std::string TagProblem(absl::string_view tag) {
  if (tag.empty()) return "empty tag after \":\"";
  if (tag.size() > kMaxTagLength) {
    return absl::StrCat("tag is longer than ", kMaxTagLength, " characters");
  }
  bool valid = tag.front() != '.' && tag.front() != '-';
  for (char c : tag) valid = valid && IsTagCharacter(c);
  if (!valid) {
    return absl::StrCat("tag \"", tag,
                        "\" must start with a letter, digit or \"_\" and contain only "
                        "letters, digits, \"_\", \".\" and \"-\"");
  }
  return "";
}

}  // namespace

absl::Status ValidateReference(absl::string_view reference) {
  auto invalid = [&](absl::string_view problem) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid image reference \"", reference, "\": ", problem));
  };

  absl::string_view rest = reference;
  size_t at = rest.find('@');
  if (at != absl::string_view::npos) {
    absl::Status digest = ValidateDigest(rest.substr(at + 1));
    if (!digest.ok()) return absl::Status(digest.code(), invalid(digest.message()).message());
    rest = rest.substr(0, at);
  }

  // A ":" after the last "/" starts the tag; one before it belongs to a port.
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    std::string problem = TagProblem(rest.substr(colon + 1));
    if (!problem.empty()) return invalid(problem);
    rest = rest.substr(0, colon);
  }

  std::string problem = NameProblem(rest);
  if (!problem.empty()) return invalid(problem);
  return absl::OkStatus();
}

}  // namespace pycontain::image
