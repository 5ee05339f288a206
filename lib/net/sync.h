// Helpers shared by network.cc, endpoint.cc and gc.cc that bring the
// kernel in line with the saved records: the nftables table and its
// sysctls, and checks on which namespace and process a record belongs to.
//
// Thread safety: call under the NetworkStore lock.
#ifndef PYCONTAIN_LIB_NET_SYNC_H_
#define PYCONTAIN_LIB_NET_SYNC_H_

#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/net/netns.h"
#include "lib/net/network_state.pb.h"

namespace pycontain::net {

// Replaces the `inet pycontain` table in `host` with the rules for
// `networks`, and sets route_localnet on the bridges that receive
// connections published on 127.0.0.1.
absl::Status ApplyRuleset(const NetNamespace& host,
                          const std::vector<NetworkRecord>& networks);

// Deletes link `name` in `host`. A link that is already gone is fine,
// and other errors are logged, because callers are cleaning up.
void DeleteLinkIfPresent(const NetNamespace& host, const std::string& name);

// Turns on IPv4 (and with `ipv6`, IPv6) forwarding in `host`.
absl::Status EnableForwarding(const NetNamespace& host, bool ipv6);

// FailedPrecondition when `record` was created in another namespace than
// `host`.
absl::Status CheckSameHost(const NetworkRecord& record, const NetNamespace& host);

// The start time of process `pid` in clock ticks since boot (field 22 of
// /proc/<pid>/stat), or 0 when there is no such process.
uint64_t ProcessStartTime(pid_t pid);

// True while the process that created `endpoint` still runs.
bool OwnerAlive(const EndpointRecord& endpoint);

// Returns `count` random hex digits.
std::string RandomHex(int count);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_SYNC_H_
