#include "lib/net/nft_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/net/ip.h"
#include "lib/net/ports.h"

namespace pycontain::net {
namespace {

struct Chains {
  std::string raw;
  std::string prerouting;
  std::string output;
  std::string postrouting;
  std::string forward;
};

std::string Quote(absl::string_view name) { return absl::StrCat("\"", name, "\""); }

// Appends the masquerade and forward rules of one bridge network.
absl::Status AddNetworkRules(const NetworkRecord& network, Chains& chains) {
  std::string bridge = Quote(network.bridge());
  if (!network.internal()) {
    absl::StrAppend(&chains.postrouting, "    ip saddr ", network.subnet(),
                    " oifname != ", bridge, " masquerade\n");
    if (!network.subnet6().empty()) {
      absl::StrAppend(&chains.postrouting, "    ip6 saddr ", network.subnet6(),
                      " oifname != ", bridge, " masquerade\n");
    }
    // Hairpin: a container that reaches a published port through a host
    // address comes back out of the same bridge. Without the rewrite the
    // server would reply to the client directly, from an address the
    // client did not connect to. A container that reaches its own port
    // would get its own address as the source, which it drops. Internal
    // networks publish no ports.
    absl::StrAppend(&chains.postrouting, "    ip saddr ", network.subnet(), " oifname ",
                    bridge, " ct status dnat masquerade\n");
    if (!network.subnet6().empty()) {
      absl::StrAppend(&chains.postrouting, "    ip6 saddr ", network.subnet6(), " oifname ",
                      bridge, " ct status dnat masquerade\n");
    }
  }
  // Connections the host makes to 127.0.0.1 and that output DNATs into the
  // network leave with source 127.0.0.1, which the container cannot
  // answer: rewrite it to the gateway's address.
  absl::StrAppend(&chains.postrouting, "    ip saddr 127.0.0.0/8 oifname ", bridge,
                  " masquerade\n");

  std::string& forward = chains.forward;
  absl::StrAppend(&forward, "    iifname ", bridge, " oifname ", bridge, " accept\n");
  absl::StrAppend(&forward, "    iifname ", bridge, " oifname \"", kBridgePrefix,
                  "*\" drop\n");
  if (network.internal()) {
    absl::StrAppend(&forward, "    iifname ", bridge, " drop\n");
  }
  absl::StrAppend(&forward, "    oifname ", bridge,
                  " ct state established,related accept\n");
  absl::StrAppend(&forward, "    oifname ", bridge, " ct status dnat accept\n");
  absl::StrAppend(&forward, "    oifname ", bridge, " drop\n");
  return absl::OkStatus();
}

// Appends the DNAT rules of one published mapping, one rule per port so
// that a range maps port by port.
absl::Status AddPortRules(const NetworkRecord& network, const EndpointRecord& endpoint,
                          const PortMapping& port, Chains& chains) {
  bool v4 = port.host_ip.is_v4();
  const std::string& target_text = v4 ? endpoint.ip() : endpoint.ip6();
  absl::StatusOr<IpAddress> target = IpAddress::Parse(target_text);
  if (!target.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "network ", network.name(), ", container ", endpoint.container_id(),
        ": no IPv", v4 ? "4" : "6", " address to publish ", port.ToString(), " to"));
  }
  std::string family = v4 ? "ip" : "ip6";
  std::string match = port.host_ip.IsUnspecified()
                          ? std::string("fib daddr type local")
                          : absl::StrCat(family, " daddr ", port.host_ip.ToString());
  std::string destination = v4 ? target->ToString()
                               : absl::StrCat("[", target->ToString(), "]");
  absl::string_view protocol = ProtocolName(port.protocol);
  for (int offset = 0; offset <= port.host_port_end - port.host_port; ++offset) {
    std::string rule = absl::StrFormat(
        "    %s %s dport %d dnat %s to %s:%d\n", match, protocol,
        port.host_port + offset, family, destination, port.container_port + offset);
    absl::StrAppend(&chains.output, rule);
    // Loopback addresses are never the destination of traffic that
    // arrives from outside.
    if (!port.host_ip.IsLoopback()) absl::StrAppend(&chains.prerouting, rule);
  }
  return absl::OkStatus();
}

std::string Chain(absl::string_view name, absl::string_view header,
                  absl::string_view rules) {
  return absl::StrCat("  chain ", name, " {\n    ", header, "; policy accept;\n",
                      rules, "  }\n");
}

}  // namespace

absl::StatusOr<std::string> RenderRuleset(const std::vector<NetworkRecord>& networks) {
  // Declaring the table first makes the delete succeed when it is absent.
  std::string script = absl::StrCat("table ", kNftFamily, " ", kNftTable, "\n",
                                    "delete table ", kNftFamily, " ", kNftTable, "\n");
  Chains chains;
  bool any = false;
  for (const NetworkRecord& network : networks) {
    if (network.driver() != NetworkRecord::BRIDGE) continue;
    any = true;
    absl::Status status = AddNetworkRules(network, chains);
    if (!status.ok()) return status;
    for (const EndpointRecord& endpoint : network.endpoints()) {
      for (const std::string& text : endpoint.ports()) {
        absl::StatusOr<PortMapping> port = ParsePortMapping(text);
        if (!port.ok()) return port.status();
        status = AddPortRules(network, endpoint, *port, chains);
        if (!status.ok()) return status;
      }
    }
  }
  if (!any) return script;

  chains.raw = "    iifname != \"lo\" ip daddr 127.0.0.0/8 drop\n";
  absl::StrAppend(&script, "table ", kNftFamily, " ", kNftTable, " {\n",
                  Chain("raw_prerouting", "type filter hook prerouting priority raw",
                        chains.raw),
                  Chain("nat_prerouting", "type nat hook prerouting priority dstnat",
                        chains.prerouting),
                  Chain("nat_output", "type nat hook output priority -100",
                        chains.output),
                  Chain("nat_postrouting", "type nat hook postrouting priority srcnat",
                        chains.postrouting),
                  Chain("forward", "type filter hook forward priority filter",
                        chains.forward),
                  "}\n");
  return script;
}

std::vector<std::string> BridgesWithLoopbackPorts(
    const std::vector<NetworkRecord>& networks) {
  std::vector<std::string> bridges;
  for (const NetworkRecord& network : networks) {
    if (network.driver() != NetworkRecord::BRIDGE) continue;
    bool loopback = false;
    for (const EndpointRecord& endpoint : network.endpoints()) {
      for (const std::string& text : endpoint.ports()) {
        absl::StatusOr<PortMapping> port = ParsePortMapping(text);
        if (port.ok() && port->host_ip.is_v4() &&
            (port->host_ip.IsLoopback() || port->host_ip.IsUnspecified())) {
          loopback = true;
        }
      }
    }
    if (loopback) bridges.push_back(network.bridge());
  }
  return bridges;
}

}  // namespace pycontain::net
