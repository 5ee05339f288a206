#include "examples/cli/network_command.h"

#include <stdio.h>
#include <string.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "lib/container/record.h"
#include "lib/container/state_dir.h"
#include "lib/net/network.h"

namespace pycontain::cli {
namespace {

constexpr int kExitFailed = 125;

constexpr char kNetworkUsage[] = R"(Usage: pycontain network COMMAND

Commands:
  create [OPTIONS] NAME   create a network
  ls                      list networks
  inspect NAME            print a network's record as JSON
  rm NAME...              remove networks with no containers attached
  connect NAME ID         attach running container ID to network NAME, until
                          `disconnect` or until the container exits (then `gc`)
  disconnect NAME ID      detach container ID from network NAME
  gc                      remove what containers of dead processes left

Options of create:
  --driver bridge|macvlan|ipvlan
                        a Linux bridge with NAT (default), or links on --parent
  --subnet CIDR         IPv4 subnet (default: the next free /28 of the pool)
  --gateway IP          gateway address (default: the subnet's first)
  --ipv6                add an IPv6 subnet: --subnet6, or a random fd00::/8 /64
  --subnet6 CIDR, --gateway6 IP
  --mtu BYTES           MTU of the bridge and links (default: 1500)
  --parent IFACE        parent interface of a macvlan or ipvlan network
  --internal            no outbound NAT and no published ports
  --pool CIDR           the IPv4 pool to take subnets from (default: 10.213.0.0/24)

Global options: --host-netns PATH acts in another network namespace, which
plays the host (default: the caller's).

Containers attach when they start with `pycontain run --network NAME`, or
later with `pycontain network connect NAME ID`. A container is found by
its id through its record in the state root (see `pycontain gc`).
)";

int Fail(const std::string& message) {
  fprintf(stderr, "pycontain network: %s\n", message.c_str());
  return kExitFailed;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

// Parses create's options into `options`; returns an error or "".
std::string ParseCreate(const std::vector<std::string>& args, size_t start,
                        net::NetworkOptions& options, net::HostOptions& host) {
  for (size_t i = start; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    std::string text;
    bool ok = true;
    if (arg == "--ipv6") {
      options.ipv6 = true;
    } else if (arg == "--internal") {
      options.internal = true;
    } else if (arg == "--driver") {
      ok = value(&text);
      if (text == "bridge") options.driver = net::NetworkRecord::BRIDGE;
      else if (text == "macvlan") options.driver = net::NetworkRecord::MACVLAN;
      else if (text == "ipvlan") options.driver = net::NetworkRecord::IPVLAN;
      else return absl::StrCat("--driver: unknown driver \"", text, "\" (use bridge, macvlan or ipvlan)");
    } else if (arg == "--subnet") { ok = value(&options.subnet);
    } else if (arg == "--gateway") { ok = value(&options.gateway);
    } else if (arg == "--subnet6") { ok = value(&options.subnet6);
    } else if (arg == "--gateway6") { ok = value(&options.gateway6);
    } else if (arg == "--parent") { ok = value(&options.parent);
    } else if (arg == "--pool") { ok = value(&host.pool_base);
    } else if (arg == "--mtu") {
      ok = value(&text);
      if (ok && !absl::SimpleAtoi(text, &options.mtu)) return "--mtu: expected a number of bytes";
    } else if (absl::StartsWith(arg, "-")) {
      return absl::StrCat("unknown option ", arg, " (see pycontain network --help)");
    } else if (options.name.empty()) {
      options.name = arg;
    } else {
      return absl::StrCat("unexpected argument \"", arg, "\"");
    }
    if (!ok) return absl::StrCat("option ", arg, " needs a value");
  }
  if (options.name.empty()) return "create: a network name is required";
  return "";
}

}  // namespace

std::string ApplyNetworkOption(const std::string& value, spec::ContainerSpec& spec) {
  spec::Network* network = spec.mutable_network();
  if (value == "none") {
    network->set_mode(spec::Network::NONE);
  } else if (value == "host") {
    network->set_mode(spec::Network::HOST);
  } else if (absl::StartsWith(value, "container:")) {
    network->set_mode(spec::Network::CONTAINER);
    std::string target = value.substr(strlen("container:"));
    // A path names the namespace itself (/proc/PID/ns/net); the library
    // finds a container id through its record.
    if (absl::StartsWith(target, "/")) {
      network->set_container_namespace_path(target);
    } else {
      network->set_container(target);
    }
  } else {
    net::HostOptions options;
    options.netns_path = network->host_namespace_path();
    options.state_dir = net::NetworkStateDir(container::StateRoot());
    absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = net::NetworkHost::Open(options);
    if (!host.ok()) return absl::StrCat("--network: ", host.status().message());
    absl::StatusOr<net::NetworkRecord> record = (*host)->InspectNetwork(value);
    if (!record.ok()) {
      return absl::StrCat("--network: ", record.status().message(),
                          " (use none, host, container:ID or a network from "
                          "`pycontain network ls`)");
    }
    switch (record->driver()) {
      case net::NetworkRecord::MACVLAN:
        network->set_mode(spec::Network::MACVLAN);
        break;
      case net::NetworkRecord::IPVLAN:
        network->set_mode(spec::Network::IPVLAN);
        break;
      case net::NetworkRecord::BRIDGE:
      case net::NetworkRecord_Driver_NetworkRecord_Driver_INT_MIN_SENTINEL_DO_NOT_USE_:
      case net::NetworkRecord_Driver_NetworkRecord_Driver_INT_MAX_SENTINEL_DO_NOT_USE_:
        network->set_mode(spec::Network::BRIDGE);
        break;
    }
    network->set_name(value);
  }
  return "";
}

int NetworkCommand(const std::vector<std::string>& all_args) {
  std::vector<std::string> args = all_args;
  net::HostOptions host_options;
  if (args.size() >= 2 && args[0] == "--host-netns") {
    host_options.netns_path = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  bool help = std::find(args.begin(), args.end(), "--help") != args.end() ||
              std::find(args.begin(), args.end(), "-h") != args.end();
  if (args.empty() || help) {
    fputs(kNetworkUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitFailed : 0;
  }
  const std::string command = args[0];
  host_options.state_dir = net::NetworkStateDir(container::StateRoot());

  net::NetworkOptions create;
  if (command == "create") {
    std::string error = ParseCreate(args, 1, create, host_options);
    if (!error.empty()) return Fail(error);
  }
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = net::NetworkHost::Open(host_options);
  if (!host.ok()) return Fail(std::string(host.status().message()));

  if (command == "create") {
    absl::StatusOr<net::NetworkRecord> record = (*host)->CreateNetwork(create);
    if (!record.ok()) return Fail(std::string(record.status().message()));
    printf("%s\n", record->name().c_str());
    return 0;
  }
  if (command == "ls") {
    absl::StatusOr<std::vector<net::NetworkRecord>> all = (*host)->ListNetworks();
    if (!all.ok()) return Fail(std::string(all.status().message()));
    printf("%-20s %-8s %-18s %-22s %s\n", "NAME", "DRIVER", "SUBNET", "SUBNET6", "CONTAINERS");
    for (const net::NetworkRecord& record : *all) {
      std::string driver = absl::AsciiStrToLower(net::NetworkRecord::Driver_Name(record.driver()));
      printf("%-20s %-8s %-18s %-22s %d\n", record.name().c_str(), driver.c_str(),
             record.subnet().c_str(), record.subnet6().c_str(), record.endpoints_size());
    }
    return 0;
  }
  if (command == "inspect" && args.size() == 2) {
    absl::StatusOr<net::NetworkRecord> record = (*host)->InspectNetwork(args[1]);
    if (!record.ok()) return Fail(std::string(record.status().message()));
    fputs(ToJson(*record).c_str(), stdout);
    return 0;
  }
  if (command == "rm" && args.size() >= 2) {
    int status = 0;
    for (size_t i = 1; i < args.size(); ++i) {
      absl::Status removed = (*host)->RemoveNetwork(args[i]);
      if (!removed.ok()) status = Fail(std::string(removed.message()));
      else printf("%s\n", args[i].c_str());
    }
    return status;
  }
  if (command == "disconnect" && args.size() == 3) {
    absl::Status status = (*host)->Disconnect(args[1], args[2]);
    return status.ok() ? 0 : Fail(std::string(status.message()));
  }
  if (command == "gc") {
    absl::StatusOr<net::GarbageReport> report = (*host)->CollectGarbage();
    if (!report.ok()) return Fail(std::string(report.status().message()));
    printf("removed %zu endpoints and %zu links\n", report->endpoints.size(),
           report->links.size());
    return 0;
  }
  if (command == "connect" && args.size() == 3) {
    absl::StatusOr<pid_t> pid = container::FindRunningContainer(args[2]);
    if (!pid.ok()) return Fail(absl::StrCat("connect: ", pid.status().message()));
    net::ConnectOptions options;
    options.network = args[1];
    options.container_id = args[2];
    options.container_pid = *pid;
    // The attachment outlives this command: the container's first process
    // owns it, so that gc removes it after the container exits.
    options.owner_pid = *pid;
    absl::StatusOr<net::Attachment> attachment = (*host)->Connect(options);
    if (!attachment.ok()) return Fail(absl::StrCat("connect: ", attachment.status().message()));
    attachment->Keep();
    printf("%s %s %s\n", attachment->endpoint().container_interface().c_str(),
           attachment->endpoint().ip().c_str(), attachment->endpoint().ip6().c_str());
    return 0;
  }
  return Fail(absl::StrCat("unknown command or wrong arguments: ", absl::StrJoin(args, " "),
                           " (see pycontain network --help)"));
}

}  // namespace pycontain::cli
