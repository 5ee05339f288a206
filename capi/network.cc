// The C API's network calls over lib/net: create, inspect, list and remove
// named networks.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capi/internal.h"
#include "capi/waiter.h"
#include "lib/container/state_dir.h"
#include "lib/net/network.h"
#include "lib/spec/load.h"

namespace pycontain::capi {
namespace {

constexpr uint64_t kCreateFlags = PYCONTAIN_NETWORK_IPV6 | PYCONTAIN_NETWORK_INTERNAL;

// Reads the options; `create` allows the fields that only create reads.
absl::StatusOr<pycontain_network_options> ReadNetworkOptions(
    const pycontain_network_options* options, bool create) {
  pycontain_network_options read;
  absl::Status status = ReadOptions(options, "pycontain_network_options", &read);
  if (!status.ok()) return status;
  status = CheckFlags(read.flags, create ? kCreateFlags : 0, "pycontain_network_options");
  if (!status.ok()) return status;
  if (!create && (read.driver != 0 || read.mtu != 0 || read.subnet != nullptr ||
                  read.gateway != nullptr || read.subnet6 != nullptr ||
                  read.gateway6 != nullptr || read.parent != nullptr ||
                  read.pool != nullptr)) {
    return absl::InvalidArgumentError(
        "pycontain_network_options: driver, mtu, subnet, gateway, subnet6, gateway6, "
        "parent and pool are read only by pycontain_network_create; set them to 0");
  }
  return read;
}

absl::StatusOr<std::shared_ptr<net::NetworkHost>> OpenHost(
    const pycontain_network_options& options) {
  net::HostOptions host;
  host.netns_path = StringOrEmpty(options.host_netns_path);
  std::string state_root = StringOrEmpty(options.state_root);
  if (state_root.empty()) state_root = container::StateRoot();
  host.state_dir = net::NetworkStateDir(state_root);
  if (options.pool != nullptr && options.pool[0] != '\0') host.pool_base = options.pool;
  return net::NetworkHost::Open(host);
}

absl::StatusOr<net::NetworkOptions> CreateOptions(const char* name,
                                                  const pycontain_network_options& read) {
  net::NetworkOptions create;
  create.name = name;
  switch (read.driver) {
    case PYCONTAIN_NETWORK_BRIDGE:
      create.driver = net::NetworkRecord::BRIDGE;
      break;
    case PYCONTAIN_NETWORK_MACVLAN:
      create.driver = net::NetworkRecord::MACVLAN;
      break;
    case PYCONTAIN_NETWORK_IPVLAN:
      create.driver = net::NetworkRecord::IPVLAN;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "pycontain_network_options.driver: ", read.driver,
          " is not a pycontain_network_driver (0 to 2)"));
  }
  create.subnet = StringOrEmpty(read.subnet);
  create.gateway = StringOrEmpty(read.gateway);
  create.ipv6 = (read.flags & PYCONTAIN_NETWORK_IPV6) != 0;
  create.subnet6 = StringOrEmpty(read.subnet6);
  create.gateway6 = StringOrEmpty(read.gateway6);
  create.mtu = read.mtu;
  create.parent = StringOrEmpty(read.parent);
  create.internal = (read.flags & PYCONTAIN_NETWORK_INTERNAL) != 0;
  return create;
}

int CreateNetwork(const char* name, const pycontain_network_options* options,
                  char** record_json, pycontain_error** error) {
  absl::StatusOr<pycontain_network_options> read = ReadNetworkOptions(options, true);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(name, "name");
  if (!status.ok()) return Fail(status, error);
  absl::StatusOr<net::NetworkOptions> create = CreateOptions(name, *read);
  if (!create.ok()) return Fail(create.status(), error);

  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = OpenHost(*read);
  if (!host.ok()) return Fail(host.status(), error);
  absl::StatusOr<net::NetworkRecord> record = (*host)->CreateNetwork(*create);
  if (!record.ok()) return Fail(record.status(), error);
  if (record_json != nullptr) *record_json = NewString(spec::ToJson(*record));
  return PYCONTAIN_OK;
}

int InspectNetwork(const char* name, const pycontain_network_options* options,
                   char** record_json, pycontain_error** error) {
  absl::StatusOr<pycontain_network_options> read = ReadNetworkOptions(options, false);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(name, "name");
  if (status.ok()) status = RequireNonNull(record_json, "record_json");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = OpenHost(*read);
  if (!host.ok()) return Fail(host.status(), error);
  absl::StatusOr<net::NetworkRecord> record = (*host)->InspectNetwork(name);
  if (!record.ok()) return Fail(record.status(), error);
  *record_json = NewString(spec::ToJson(*record));
  return PYCONTAIN_OK;
}

int ListNetworks(const pycontain_network_options* options, char** records_json,
                 pycontain_error** error) {
  absl::StatusOr<pycontain_network_options> read = ReadNetworkOptions(options, false);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(records_json, "records_json");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = OpenHost(*read);
  if (!host.ok()) return Fail(host.status(), error);
  absl::StatusOr<std::vector<net::NetworkRecord>> records = (*host)->ListNetworks();
  if (!records.ok()) return Fail(records.status(), error);
  std::string json = "[";
  for (size_t i = 0; i < records->size(); ++i) {
    if (i > 0) json += ",";
    json += spec::ToJson((*records)[i]);
  }
  json += "]";
  *records_json = NewString(json);
  return PYCONTAIN_OK;
}

int RemoveNetwork(const char* name, const pycontain_network_options* options,
                  pycontain_error** error) {
  absl::StatusOr<pycontain_network_options> read = ReadNetworkOptions(options, false);
  absl::Status status = read.status();
  if (status.ok()) status = RequireNonNull(name, "name");
  if (!status.ok()) return Fail(status, error);

  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = OpenHost(*read);
  if (!host.ok()) return Fail(host.status(), error);
  absl::Status removed = (*host)->RemoveNetwork(name);
  if (!removed.ok()) return Fail(removed, error);
  return PYCONTAIN_OK;
}

}  // namespace
}  // namespace pycontain::capi

using pycontain::capi::Guard;

extern "C" {

PYCONTAIN_API int pycontain_network_create(const char* name,
                                           const pycontain_network_options* options,
                                           char** record_json, pycontain_error** error) {
  return Guard(error, [&] {
    return pycontain::capi::CreateNetwork(name, options, record_json, error);
  });
}

PYCONTAIN_API int pycontain_network_inspect(const char* name,
                                            const pycontain_network_options* options,
                                            char** record_json, pycontain_error** error) {
  return Guard(error, [&] {
    return pycontain::capi::InspectNetwork(name, options, record_json, error);
  });
}

PYCONTAIN_API int pycontain_network_list(const pycontain_network_options* options,
                                         char** records_json, pycontain_error** error) {
  return Guard(error,
               [&] { return pycontain::capi::ListNetworks(options, records_json, error); });
}

PYCONTAIN_API int pycontain_network_remove(const char* name,
                                           const pycontain_network_options* options,
                                           pycontain_error** error) {
  return Guard(error,
               [&] { return pycontain::capi::RemoveNetwork(name, options, error); });
}

}  // extern "C"
