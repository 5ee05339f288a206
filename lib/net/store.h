// NetworkStore: the saved network records, one JSON file per network in a
// directory (<state root>/_networks), under an exclusive lock.
//
// Every change to networks happens while one NetworkStore is alive, so two
// processes (or threads) never allocate the same address or write the
// nftables table from different views.
//
// Thread safety: a NetworkStore is used by one thread; the lock (flock on
// the directory's "lock" file) excludes other threads and processes.
#ifndef PYCONTAIN_LIB_NET_STORE_H_
#define PYCONTAIN_LIB_NET_STORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/net/network_state.pb.h"

namespace pycontain::net {

class NetworkStore {
 public:
  NetworkStore(NetworkStore&&) = default;
  NetworkStore& operator=(NetworkStore&&) = default;

  // Creates `directory` (mode 0700) when missing and waits for its lock.
  static absl::StatusOr<NetworkStore> Lock(const std::string& directory);

  // Every saved network, sorted by name. Errors: DataLoss naming a file
  // that does not parse.
  absl::StatusOr<std::vector<NetworkRecord>> LoadAll() const;
  // Errors: NotFound "network NAME not found".
  absl::StatusOr<NetworkRecord> Load(absl::string_view name) const;
  // Writes the record atomically (a temporary file renamed over the old).
  absl::Status Save(const NetworkRecord& record) const;
  absl::Status Remove(absl::string_view name) const;

 private:
  NetworkStore() = default;
  std::string PathOf(absl::string_view name) const;

  std::string directory_;
  UniqueFd lock_;
};

// Checks a network name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 bytes.
absl::Status ValidateNetworkName(absl::string_view name);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_STORE_H_
