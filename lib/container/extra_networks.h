// The networks a managed container joins after its first one
// (ManagedConfig::extra_networks), as Docker connects a container to every
// network it was created with. The monitor connects them after each start,
// restarts by the restart policy included, and disconnects them when the
// container exits.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_CONTAINER_EXTRA_NETWORKS_H_
#define PYCONTAIN_LIB_CONTAINER_EXTRA_NETWORKS_H_

#include <sys/types.h>

#include <vector>

#include "absl/status/statusor.h"
#include "lib/container/managed_container.pb.h"
#include "lib/net/network.h"

namespace pycontain::container {

// Connects the running container of `config`, whose first process is
// `pid`, to each of config.extra_networks. An endpoint of the container
// still recorded on one of them (from a run whose monitor died) is
// removed first. Each endpoint is owned by `pid`, so gc removes it when
// the owner of the returned attachments dies without releasing them.
// Errors: those of NetworkHost::Connect, naming the container and the
// network; the networks connected before the failure are released.
absl::StatusOr<std::vector<net::Attachment>> ConnectExtraNetworks(const ManagedConfig& config,
                                                                  pid_t pid);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_EXTRA_NETWORKS_H_
