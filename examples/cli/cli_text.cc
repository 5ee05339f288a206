#include "examples/cli/cli_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "lib/net/ports.h"

namespace pycontain::cli {

std::string NameFlagInError(absl::string_view message, const FlagOrigins& origins) {
  for (const auto& [field, flag] : origins) {
    // The field starts the message or follows the context that layers
    // added ("start container c1: mounts[0]...").
    size_t start = 0;
    if (!absl::StartsWith(message, field)) {
      start = message.find(absl::StrCat(": ", field));
      if (start == absl::string_view::npos) continue;
      start += 2;
    }
    absl::string_view before = message.substr(0, start);
    absl::string_view rest = message.substr(start + field.size());
    // "process.env[1]" must not match "process.env[10]".
    if (absl::StartsWith(rest, ":")) return absl::StrCat(before, flag, rest);
    if (absl::StartsWith(rest, ".")) {
      size_t colon = rest.find(':');
      if (colon == absl::string_view::npos) continue;
      return absl::StrCat(before, flag, " (", rest.substr(1, colon - 1), ")",
                          rest.substr(colon));
    }
  }
  return std::string(message);
}

namespace {

constexpr std::pair<absl::string_view, absl::string_view> kResourceFlags[] = {
    {"memory_bytes", "--memory"},
    {"memory_swap_bytes", "--memory-swap"},
    {"memory_reservation_bytes", "--memory-reservation"},
    {"cpus", "--cpus"},
    {"cpu_shares", "--cpu-shares"},
    {"cpu_period_us", "--cpu-period"},
    {"cpu_quota_us", "--cpu-quota"},
    {"cpuset_cpus", "--cpuset-cpus"},
    {"cpuset_mems", "--cpuset-mems"},
    {"pids_limit", "--pids-limit"},
    {"blkio_weight", "--blkio-weight"},
};

bool IsFieldCharacter(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.'; }

}  // namespace

absl::string_view ResourceFlagOf(absl::string_view field) {
  for (const auto& [name, flag] : kResourceFlags) {
    if (name == field) return flag;
  }
  return "";
}

absl::string_view ResourceFieldSetBy(absl::string_view flag) {
  if (flag == "-m") flag = "--memory";
  for (const auto& [field, name] : kResourceFlags) {
    if (name == flag) return field;
  }
  return "";
}

std::string ResourceFieldsAsFlags(absl::string_view message) {
  std::string text(message);
  const std::string strict_hint = "; set resources.strict_limits to false to run anyway";
  size_t at = text.find(strict_hint);
  if (at != std::string::npos) text.erase(at, strict_hint.size());

  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsFieldCharacter(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t end = i;
    while (end < text.size() && IsFieldCharacter(text[end])) ++end;
    // A period after a word ends a sentence.
    while (end > i + 1 && text[end - 1] == '.') --end;
    absl::string_view word(text.data() + i, end - i);
    absl::string_view field = word;
    absl::ConsumePrefix(&field, "resources.");
    absl::string_view flag = ResourceFlagOf(field);
    // A word such as "cpus" in prose stays; only the fields with an
    // underscore, or with the "resources." prefix, are names of fields.
    bool named = !flag.empty() && (field != word || absl::StrContains(field, '_'));
    out.append(named ? flag.data() : word.data(), named ? flag.size() : word.size());
    i = end;
  }
  return out;
}

std::string FormatPorts(const google::protobuf::RepeatedPtrField<std::string>& ports) {
  std::vector<std::string> columns;
  for (const std::string& port : ports) {
    absl::StatusOr<net::PortMapping> mapping = net::ParsePortMapping(port);
    if (!mapping.ok()) {
      columns.push_back(port);
      continue;
    }
    std::string address = mapping->host_ip.is_v4()
                              ? mapping->host_ip.ToString()
                              : absl::StrCat("[", mapping->host_ip.ToString(), "]");
    std::string host = absl::StrCat(mapping->host_port);
    if (mapping->host_port_end != mapping->host_port) {
      absl::StrAppend(&host, "-", mapping->host_port_end);
    }
    std::string container = absl::StrCat(mapping->container_port);
    if (mapping->container_port_end != mapping->container_port) {
      absl::StrAppend(&container, "-", mapping->container_port_end);
    }
    columns.push_back(absl::StrCat(address, ":", host, "->", container, "/",
                                   net::ProtocolName(mapping->protocol)));
  }
  return absl::StrJoin(columns, ", ");
}

}  // namespace pycontain::cli
