#include "examples/cli/cli_text.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
