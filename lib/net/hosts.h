// Name resolution inside containers: the /etc/hosts, /etc/resolv.conf and
// /etc/hostname files that pycontain generates for each container.
//
// There is no DNS server of ours. Each container's /etc/hosts lists every
// container on the networks it is attached to, by name and alias, and is
// rewritten in place whenever a container joins or leaves one of them.
// Containers on other networks are not listed, so they do not resolve.
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_NET_HOSTS_H_
#define PYCONTAIN_LIB_NET_HOSTS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pycontain::net {

struct HostsEntry {
  std::string address;
  // The first name is the canonical one.
  std::vector<std::string> names;
};

// Renders /etc/hosts: loopback lines for IPv4 and IPv6, the container's own
// addresses with its hostname, then `peers`. Names are listed once, at
// their first address.
std::string RenderHosts(absl::string_view hostname,
                        const std::vector<HostsEntry>& self,
                        const std::vector<HostsEntry>& peers);

// Renders /etc/resolv.conf from the host's: nameservers on loopback are
// dropped (they are unreachable from the container's namespace), and so
// is everything but nameserver, search, domain and options lines. When no
// nameserver is left, the file says so in a comment; pycontain adds no
// public resolver of its own.
std::string RenderResolvConf(absl::string_view host_resolv_conf);

// Renders /etc/hostname.
std::string RenderHostname(absl::string_view hostname);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_HOSTS_H_
