// Writing each container's generated /etc files (hosts.h renders them)
// into its etc directory, from the saved network records.
//
// The files are bind-mounted over the container's /etc/hosts,
// /etc/resolv.conf and /etc/hostname, so they are always rewritten in
// place (same inode): a rename would leave the container looking at the
// old file.
//
// Thread safety: call under the NetworkStore lock.
#ifndef PYCONTAIN_LIB_NET_ETC_FILES_H_
#define PYCONTAIN_LIB_NET_ETC_FILES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/net/network_state.pb.h"

namespace pycontain::net {

// File names inside an etc directory.
inline constexpr char kHostsFile[] = "hosts";
inline constexpr char kResolvConfFile[] = "resolv.conf";
inline constexpr char kHostnameFile[] = "hostname";

// Creates the three files, empty, in `etc_dir` (for bind mounts planned
// before the container is attached).
absl::Status CreateEtcFiles(const std::string& etc_dir);

// Writes the hosts file of container `container_id`: its own addresses on
// every network in `networks`, and every other container on those
// networks. Writes resolv.conf (from `host_resolv_conf`, a path) and
// hostname too when `all` is set.
absl::Status WriteEtcFiles(const std::vector<NetworkRecord>& networks,
                           absl::string_view container_id, const std::string& etc_dir,
                           const std::string& host_resolv_conf, bool all);

// Rewrites the hosts file of every container on `network`, after one
// joined or left it. A failure for one container is logged and skipped:
// the others still get their update.
void RefreshHostsFiles(const std::vector<NetworkRecord>& networks,
                       absl::string_view network);

// Removes the three files from `etc_dir`; missing files are fine.
void RemoveEtcFiles(const std::string& etc_dir);

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_ETC_FILES_H_
