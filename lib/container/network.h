// The container's network, between the spec and lib/net: planning the
// generated /etc files and their bind mounts, and attaching the container
// to its named network while its first process waits before setup.
//
// Thread safety: thread-safe; each object is used by one thread.
#ifndef PYCONTAIN_LIB_CONTAINER_NETWORK_H_
#define PYCONTAIN_LIB_CONTAINER_NETWORK_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/container/state_dir.h"
#include "lib/net/network.h"
#include "lib/spec/container.pb.h"

namespace pycontain::container {

// The generated hosts, resolv.conf and hostname files in the container's
// state directory; removes them when dropped, so that the directory can go.
class EtcFiles {
 public:
  EtcFiles() = default;
  explicit EtcFiles(std::string directory) : directory_(std::move(directory)) {}
  EtcFiles(EtcFiles&& other) noexcept : directory_(std::exchange(other.directory_, {})) {}
  EtcFiles& operator=(EtcFiles&& other) noexcept;
  ~EtcFiles();

  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
};

struct PreparedNetwork {
  std::shared_ptr<net::NetworkHost> host;
  net::ConnectOptions connect;
  EtcFiles etc;
  // The spec's network, for its DNS settings written after attaching.
  spec::Network dns;
};

// For BRIDGE, MACVLAN and IPVLAN modes: checks the network fields, opens
// the host namespace, finds the network, creates the empty /etc files in
// `state` and appends their bind mounts to `mounts`. Returns nullopt for
// the other modes. Errors: InvalidArgument naming the network field;
// NotFound for an unknown network.
absl::StatusOr<std::optional<PreparedNetwork>> PrepareNetwork(
    const spec::ContainerSpec& spec, const std::string& id, const std::string& hostname,
    StateDir& state, std::vector<spec::Mount>& mounts);

// For CONTAINER mode: opens network.container_namespace_path, or else the
// namespace of the running container network.container (found by its
// record, FindRunningContainer in record.h), which the container joins
// instead of creating its own. Returns an empty NetNamespace (fd -1) for
// the other modes. Errors: InvalidArgument naming the field when both are
// missing, the path is not a namespace file, the id is invalid, or
// namespaces.net asks for a new namespace; NotFound naming the id when that
// container is not running; those of open(2).
absl::StatusOr<net::NetNamespace> OpenJoinedNetwork(const spec::ContainerSpec& spec);

// A container's attachment and its /etc files. Detaches before the files
// are removed.
struct ContainerNetwork {
  EtcFiles etc;
  net::Attachment attachment;
};

// Attaches the container whose first process is `pid` (waiting before its
// first mount) to the prepared network.
absl::StatusOr<ContainerNetwork> AttachNetwork(PreparedNetwork& prepared, pid_t pid);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_NETWORK_H_
