#include "lib/net/ports.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pycontain::net {
namespace {

absl::Status PortError(absl::string_view text, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(
      "port mapping \"", text, "\": ", problem,
      " (expected [IP:]HOST[-END]:CONTAINER[-END][/tcp|/udp])"));
}

// Parses "N" or "N-M" into an inclusive range of ports 1 to 65535.
absl::Status ParseRange(absl::string_view text, absl::string_view range,
                        uint16_t* start, uint16_t* end) {
  std::vector<absl::string_view> parts = absl::StrSplit(range, absl::MaxSplits('-', 1));
  int first = 0;
  int last = 0;
  if (!absl::SimpleAtoi(parts[0], &first) ||
      (parts.size() > 1 && !absl::SimpleAtoi(parts[1], &last))) {
    return PortError(text, absl::StrCat("\"", range, "\" is not a port or a range"));
  }
  if (parts.size() == 1) last = first;
  if (first < 1 || first > 65535 || last < 1 || last > 65535) {
    return PortError(text, absl::StrCat("ports must be 1 to 65535, got \"", range, "\""));
  }
  if (last < first) {
    return PortError(text, absl::StrCat("the range \"", range, "\" ends before it starts"));
  }
  *start = static_cast<uint16_t>(first);
  *end = static_cast<uint16_t>(last);
  return absl::OkStatus();
}

// Splits "IP:HOST:CTR" into its address (maybe empty) and the two ports,
// allowing an IPv6 address in brackets or bare.
absl::Status SplitFields(absl::string_view text, absl::string_view body,
                         absl::string_view* address, absl::string_view* host,
                         absl::string_view* container) {
  if (!body.empty() && body[0] == '[') {
    size_t close = body.find(']');
    if (close == absl::string_view::npos || close + 1 >= body.size() ||
        body[close + 1] != ':') {
      return PortError(text, "an address in brackets must be followed by \":\"");
    }
    *address = body.substr(1, close - 1);
    body = body.substr(close + 2);
    size_t colon = body.find(':');
    if (colon == absl::string_view::npos) {
      return PortError(text, "a host port and a container port are required");
    }
    *host = body.substr(0, colon);
    *container = body.substr(colon + 1);
    return absl::OkStatus();
  }
  size_t last = body.rfind(':');
  if (last == absl::string_view::npos) {
    return PortError(text, "a host port is required; pycontain picks no random ports");
  }
  *container = body.substr(last + 1);
  absl::string_view rest = body.substr(0, last);
  size_t middle = rest.rfind(':');
  if (middle == absl::string_view::npos) {
    *host = rest;
    *address = "";
  } else {
    *host = rest.substr(middle + 1);
    *address = rest.substr(0, middle);
    if (address->empty()) return PortError(text, "the address before \":\" is empty");
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kUdp:
      return "udp";
  }
  return "tcp";
}

std::string PortMapping::ToString() const {
  std::string address = host_ip.is_v4() ? host_ip.ToString()
                                        : absl::StrCat("[", host_ip.ToString(), "]");
  std::string host = absl::StrCat(host_port);
  if (host_port_end != host_port) absl::StrAppend(&host, "-", host_port_end);
  std::string container = absl::StrCat(container_port);
  if (container_port_end != container_port) {
    absl::StrAppend(&container, "-", container_port_end);
  }
  return absl::StrCat(address, ":", host, ":", container, "/", ProtocolName(protocol));
}

absl::StatusOr<PortMapping> ParsePortMapping(absl::string_view text) {
  PortMapping mapping;
  absl::string_view body = text;
  size_t slash = body.rfind('/');
  if (slash != absl::string_view::npos) {
    absl::string_view protocol = body.substr(slash + 1);
    if (protocol == "tcp") {
      mapping.protocol = Protocol::kTcp;
    } else if (protocol == "udp") {
      mapping.protocol = Protocol::kUdp;
    } else {
      return PortError(text, absl::StrCat("unknown protocol \"", protocol,
                                          "\" (use tcp or udp)"));
    }
    body = body.substr(0, slash);
  }

  absl::string_view address, host, container;
  absl::Status status = SplitFields(text, body, &address, &host, &container);
  if (!status.ok()) return status;
  if (host.empty()) {
    return PortError(text, "a host port is required; pycontain picks no random ports");
  }
  if (!address.empty()) {
    absl::StatusOr<IpAddress> ip = IpAddress::Parse(address);
    if (!ip.ok()) return PortError(text, ip.status().message());
    mapping.host_ip = *ip;
  }

  status = ParseRange(text, host, &mapping.host_port, &mapping.host_port_end);
  if (!status.ok()) return status;
  status = ParseRange(text, container, &mapping.container_port,
                      &mapping.container_port_end);
  if (!status.ok()) return status;
  if (mapping.host_port_end - mapping.host_port !=
      mapping.container_port_end - mapping.container_port) {
    return PortError(text, "the host and container ranges must have the same length");
  }
  return mapping;
}

bool PortsConflict(const PortMapping& a, const PortMapping& b) {
  if (a.protocol != b.protocol) return false;
  if (a.host_port > b.host_port_end || b.host_port > a.host_port_end) return false;
  if (a.host_ip.family() != b.host_ip.family()) return false;
  return a.host_ip == b.host_ip || a.host_ip.IsUnspecified() || b.host_ip.IsUnspecified();
}

}  // namespace pycontain::net
