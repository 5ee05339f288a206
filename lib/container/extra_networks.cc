#include "lib/container/extra_networks.h"

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/state_dir.h"

namespace pycontain::container {

absl::StatusOr<std::vector<net::Attachment>> ConnectExtraNetworks(const ManagedConfig& config,
                                                                  pid_t pid) {
  std::vector<net::Attachment> attachments;
  if (config.extra_networks().empty()) return attachments;
  net::HostOptions host_options;
  host_options.state_dir = net::NetworkStateDir(StateRoot());
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = net::NetworkHost::Open(host_options);
  if (!host.ok()) return host.status();

  for (const NetworkConnection& network : config.extra_networks()) {
    absl::Status stale = (*host)->Disconnect(network.network(), config.id());
    if (!stale.ok() && stale.code() != absl::StatusCode::kNotFound) {
      Logf(LogLevel::kDebug, config.id(), "no stale endpoint removed from %s: %s",
           network.network(), stale.message());
    }
    net::ConnectOptions options;
    options.network = network.network();
    options.container_id = config.id();
    options.name = config.name();
    options.aliases.assign(network.aliases().begin(), network.aliases().end());
    options.ip = network.ip();
    options.container_pid = pid;
    options.owner_pid = pid;
    // The /etc files of the first network (network.cc), so that /etc/hosts
    // lists the peers of every network.
    options.etc_dir = absl::StrCat(StateRoot(), "/", config.id(), "/etc");
    absl::StatusOr<net::Attachment> attachment = (*host)->Connect(options);
    if (!attachment.ok()) {
      return Annotate(attachment.status(), absl::StrCat("connect container ", config.name(),
                                                        " to network ", network.network()));
    }
    Logf(LogLevel::kDebug, config.id(), "connected to network %s", network.network());
    attachments.push_back(std::move(*attachment));
  }
  return attachments;
}

}  // namespace pycontain::container
