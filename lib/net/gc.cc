// NetworkHost::CollectGarbage: repairs the kernel from the saved records
// after a process that owned containers died without cleaning up.
#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/net/etc_files.h"
#include "lib/net/link.h"
#include "lib/net/network.h"
#include "lib/net/nft_rules.h"
#include "lib/net/store.h"
#include "lib/net/sync.h"

namespace pycontain::net {
namespace {

// Drops the endpoints of dead owners from `record`; returns whether any.
bool DropDeadEndpoints(const NetNamespace& host, NetworkRecord& record,
                       GarbageReport& report) {
  auto* endpoints = record.mutable_endpoints();
  auto dead = std::stable_partition(endpoints->begin(), endpoints->end(), OwnerAlive);
  if (dead == endpoints->end()) return false;
  for (auto it = dead; it != endpoints->end(); ++it) {
    DeleteLinkIfPresent(host, it->host_link());
    report.endpoints.push_back(absl::StrCat(record.name(), "/", it->container_id()));
  }
  endpoints->erase(dead, endpoints->end());
  return true;
}

// Deletes links named like ours that no record lists.
absl::Status DeleteUnknownLinks(const NetNamespace& host,
                                const std::vector<NetworkRecord>& all,
                                GarbageReport& report) {
  absl::flat_hash_set<std::string> known;
  for (const NetworkRecord& record : all) {
    known.insert(record.bridge());
    for (const EndpointRecord& endpoint : record.endpoints()) known.insert(endpoint.host_link());
  }
  absl::StatusOr<NetlinkSocket> socket = host.OpenNetlink();
  if (!socket.ok()) return socket.status();
  absl::StatusOr<std::vector<LinkInfo>> links = ListLinks(*socket);
  if (!links.ok()) return links.status();
  for (const LinkInfo& link : *links) {
    bool ours = absl::StartsWith(link.name, kBridgePrefix) ||
                absl::StartsWith(link.name, kVethPrefix);
    if (!ours || known.contains(link.name)) continue;
    DeleteLinkIfPresent(host, link.name);
    report.links.push_back(link.name);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GarbageReport> NetworkHost::CollectGarbage() const {
  absl::StatusOr<NetworkStore> store = NetworkStore::Lock(options_.state_dir);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::vector<NetworkRecord>> all = store->LoadAll();
  if (!all.ok()) return all.status();

  GarbageReport report;
  std::vector<NetworkRecord> here;
  for (NetworkRecord& record : *all) {
    // Records of other host namespaces are not ours to repair from here.
    if (!CheckSameHost(record, netns_).ok()) continue;
    if (DropDeadEndpoints(netns_, record, report)) {
      absl::Status status = store->Save(record);
      if (!status.ok()) return status;
      RefreshHostsFiles(*all, record.name());
    }
    here.push_back(record);
  }
  absl::Status status = DeleteUnknownLinks(netns_, here, report);
  if (!status.ok()) return status;
  status = ApplyRuleset(netns_, here);
  if (!status.ok()) return status;
  for (const std::string& endpoint : report.endpoints) {
    Logf(LogLevel::kInfo, "", "gc: removed endpoint %s of a dead process", endpoint);
  }
  for (const std::string& link : report.links) {
    Logf(LogLevel::kInfo, "", "gc: removed leftover link %s", link);
  }
  return report;
}

}  // namespace pycontain::net
