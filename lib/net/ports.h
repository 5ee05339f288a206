// Published ports: parsing `-p [IP:]HOST[-END]:CONTAINER[-END][/tcp|/udp]`.
//
//   8080:80               127.0.0.1:8080 to the container's port 80, TCP
//   0.0.0.0:8080:80/udp   every IPv4 address of the host, UDP
//   [::1]:8080:80         IPv6 loopback; a bare ::1:8080:80 works too
//   8000-8009:9000-9009   ten ports, pairwise
//
// Unlike Docker, a port given without an address binds 127.0.0.1 only:
// publishing to every address needs 0.0.0.0 or :: spelled out.
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_NET_PORTS_H_
#define PYCONTAIN_LIB_NET_PORTS_H_

#include <stdint.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/net/ip.h"

namespace pycontain::net {

enum class Protocol { kTcp, kUdp };

// "tcp" or "udp".
absl::string_view ProtocolName(Protocol protocol);

struct PortMapping {
  // Where the host accepts connections. 0.0.0.0 and :: mean every local
  // address of that family.
  IpAddress host_ip = IpAddress::V4(0x7f000001);
  // Inclusive ranges of the same length.
  uint16_t host_port = 0;
  uint16_t host_port_end = 0;
  uint16_t container_port = 0;
  uint16_t container_port_end = 0;
  Protocol protocol = Protocol::kTcp;

  // Back to the -p form, always with the address: "127.0.0.1:8080:80/tcp".
  std::string ToString() const;
};

// Parses one -p value as described above. Errors: InvalidArgument that
// names the value and what is wrong (a port outside 1-65535, ranges of
// different lengths, a missing host port, an unknown protocol).
absl::StatusOr<PortMapping> ParsePortMapping(absl::string_view text);

// True when the two mappings claim a common host port and protocol on
// addresses that can clash (equal, or either one unspecified).
bool PortsConflict(const PortMapping& a, const PortMapping& b);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_PORTS_H_
