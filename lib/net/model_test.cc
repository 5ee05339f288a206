// Tier 1: the pure parts of lib/net (addresses, pools, port specs, hosts
// files and the nftables ruleset), without touching the kernel.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/net/hosts.h"
#include "lib/net/ip.h"
#include "lib/net/nft_rules.h"
#include "lib/net/pool.h"
#include "lib/net/ports.h"

namespace pycontain::net {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

IpPrefix Prefix(const std::string& text) { return *IpPrefix::Parse(text); }
IpAddress Address(const std::string& text) { return *IpAddress::Parse(text); }

TEST(IpTest, ParsesAndFormatsBothFamilies) {
  EXPECT_EQ(Address("10.1.2.3").ToString(), "10.1.2.3");
  EXPECT_EQ(Address("fd00:0:0::1").ToString(), "fd00::1");
  EXPECT_FALSE(IpAddress::Parse("10.1.2").ok());
  EXPECT_FALSE(IpAddress::Parse("[::1]").ok());
}

TEST(IpTest, PrefixHostAndContains) {
  IpPrefix subnet = Prefix("10.213.0.16/28");
  EXPECT_EQ(subnet.Host(1).ToString(), "10.213.0.17");
  EXPECT_EQ(subnet.Last().ToString(), "10.213.0.31");
  EXPECT_TRUE(subnet.Contains(Address("10.213.0.30")));
  EXPECT_FALSE(subnet.Contains(Address("10.213.0.32")));
  EXPECT_TRUE(Prefix("10.0.0.0/8").Overlaps(Prefix("10.213.0.0/24")));
  EXPECT_FALSE(Prefix("10.213.0.0/28").Overlaps(Prefix("10.213.0.16/28")));
  EXPECT_FALSE(Prefix("10.213.0.5/24").IsNetwork());
  EXPECT_FALSE(IpPrefix::Parse("10.0.0.0/33").ok());
}

TEST(PoolTest, CarvesSmallSubnetsInOrder) {
  IpPrefix base = Prefix(kDefaultPoolBase);
  std::vector<IpPrefix> taken;
  for (int i = 0; i < 16; ++i) {
    absl::StatusOr<IpPrefix> subnet = AllocateSubnet(base, kDefaultSubnetLength, taken);
    ASSERT_TRUE(subnet.ok()) << subnet.status();
    EXPECT_EQ(subnet->length(), 28);
    EXPECT_EQ(subnet->address().bytes()[3], i * 16);
    taken.push_back(*subnet);
  }
  absl::StatusOr<IpPrefix> full = AllocateSubnet(base, kDefaultSubnetLength, taken);
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(full.status().message()), HasSubstr("10.213.0.0/24"));
}

TEST(PoolTest, SkipsOverlappingHostRoute) {
  std::vector<IpPrefix> taken = {Prefix("10.213.0.0/27")};
  absl::StatusOr<IpPrefix> subnet = AllocateSubnet(Prefix("10.213.0.0/24"), 28, taken);
  ASSERT_TRUE(subnet.ok());
  EXPECT_EQ(subnet->ToString(), "10.213.0.32/28");
}

TEST(PoolTest, RejectsLengthOutsideBase) {
  EXPECT_EQ(AllocateSubnet(Prefix("10.213.0.0/24"), 16, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PoolTest, AddressesSkipGatewayAndBroadcast) {
  IpPrefix subnet = Prefix("10.213.0.0/30");
  std::vector<IpAddress> used = {Address("10.213.0.1")};
  absl::StatusOr<IpAddress> first = AllocateAddress(subnet, used);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->ToString(), "10.213.0.2");
  used.push_back(*first);
  EXPECT_EQ(AllocateAddress(subnet, used).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(PoolTest, CheckAddressNamesField) {
  IpPrefix subnet = Prefix("10.213.0.0/28");
  absl::Status outside = CheckAddress(subnet, Address("10.9.0.2"), {}, "--ip");
  EXPECT_EQ(outside.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(outside.message()), HasSubstr("--ip"));
  EXPECT_EQ(CheckAddress(subnet, Address("10.213.0.15"), {}, "--ip").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckAddress(subnet, Address("10.213.0.2"), {Address("10.213.0.2")}, "--ip")
                .code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(PoolTest, UlaSubnetIsFdSlash64) {
  IpPrefix ula = UlaSubnet(0x123456789a, 7);
  EXPECT_EQ(ula.ToString(), "fd12:3456:789a:7::/64");
  absl::StatusOr<IpPrefix> random = RandomUlaSubnet({});
  ASSERT_TRUE(random.ok());
  EXPECT_EQ(random->address().bytes()[0], 0xfd);
  EXPECT_EQ(random->length(), 64);
}

struct PortCase {
  std::string text;
  std::string canonical;
};

TEST(PortsTest, ParsesForms) {
  std::vector<PortCase> cases = {
      {"8080:80", "127.0.0.1:8080:80/tcp"},
      {"0.0.0.0:8080:80/udp", "0.0.0.0:8080:80/udp"},
      {"10.0.0.5:53:53/udp", "10.0.0.5:53:53/udp"},
      {"[::]:8080:80", "[::]:8080:80/tcp"},
      {"[fd00::1]:8080:80", "[fd00::1]:8080:80/tcp"},
      {"fd00::1:8080:80", "[fd00::1]:8080:80/tcp"},
      {":::8080:80", "[::]:8080:80/tcp"},
      {"8000-8009:9000-9009", "127.0.0.1:8000-8009:9000-9009/tcp"},
  };
  for (const PortCase& c : cases) {
    absl::StatusOr<PortMapping> mapping = ParsePortMapping(c.text);
    ASSERT_TRUE(mapping.ok()) << c.text << ": " << mapping.status();
    EXPECT_EQ(mapping->ToString(), c.canonical) << c.text;
  }
}

TEST(PortsTest, DefaultAddressIsLoopback) {
  absl::StatusOr<PortMapping> mapping = ParsePortMapping("8080:80");
  ASSERT_TRUE(mapping.ok());
  EXPECT_TRUE(mapping->host_ip.IsLoopback());
  EXPECT_FALSE(mapping->host_ip.IsUnspecified());
}

TEST(PortsTest, RejectsBadSpecs) {
  for (const char* text : {"80", "0:80", "70000:80", "8080:80/sctp", "8000-8001:80",
                           "9-8:9-8", "[::1:8080:80", "abc:80", "1.2.3:8080:80",
                           "10.0.0.1::80"}) {
    absl::StatusOr<PortMapping> mapping = ParsePortMapping(text);
    EXPECT_EQ(mapping.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(mapping.status().message()), HasSubstr(text));
  }
}

TEST(PortsTest, ConflictsNeedSharedAddressAndPort) {
  PortMapping a = *ParsePortMapping("8080:80");
  EXPECT_TRUE(PortsConflict(a, *ParsePortMapping("127.0.0.1:8080:81")));
  EXPECT_TRUE(PortsConflict(a, *ParsePortMapping("0.0.0.0:8075-8085:75-85")));
  EXPECT_FALSE(PortsConflict(a, *ParsePortMapping("8080:80/udp")));
  EXPECT_FALSE(PortsConflict(a, *ParsePortMapping("10.0.0.1:8080:80")));
  EXPECT_FALSE(PortsConflict(a, *ParsePortMapping("8081:80")));
}

TEST(HostsTest, ListsSelfAndPeersOnce) {
  std::string hosts = RenderHosts("web", {{"10.213.0.2", {"web", "www"}}},
                                  {{"10.213.0.3", {"db", "database"}},
                                   {"fd00::3", {"db"}}});
  EXPECT_THAT(hosts, HasSubstr("127.0.0.1\tlocalhost\n"));
  EXPECT_THAT(hosts, HasSubstr("10.213.0.2\tweb www\n"));
  EXPECT_THAT(hosts, HasSubstr("10.213.0.3\tdb database\n"));
  // "db" is listed at its first address only.
  EXPECT_THAT(hosts, Not(HasSubstr("fd00::3")));
}

TEST(HostsTest, ResolvConfDropsLoopbackResolvers) {
  std::string resolv = RenderResolvConf(
      "# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch example.org\n"
      "options edns0\nsortlist 1.2.3.4\n");
  EXPECT_THAT(resolv, Not(HasSubstr("127.0.0.53")));
  EXPECT_THAT(resolv, HasSubstr("nameserver 192.0.2.1\n"));
  EXPECT_THAT(resolv, HasSubstr("search example.org\n"));
  EXPECT_THAT(resolv, HasSubstr("options edns0\n"));
  EXPECT_THAT(resolv, Not(HasSubstr("sortlist")));
  EXPECT_THAT(RenderResolvConf("nameserver ::1\n"), HasSubstr("no nameserver"));
}

NetworkRecord BridgeNetwork(const std::string& name, const std::string& subnet) {
  NetworkRecord record;
  record.set_name(name);
  record.set_bridge("pcbr-" + name);
  record.set_subnet(subnet);
  record.set_gateway(Prefix(subnet).Host(1).ToString());
  return record;
}

TEST(NftRulesTest, EmptyOnlyDeletesTable) {
  absl::StatusOr<std::string> script = RenderRuleset({});
  ASSERT_TRUE(script.ok());
  EXPECT_EQ(*script, "table inet pycontain\ndelete table inet pycontain\n");
}

TEST(NftRulesTest, NatAndIsolationPerBridge) {
  NetworkRecord a = BridgeNetwork("a", "10.213.0.0/28");
  a.set_subnet6("fd12::/64");
  NetworkRecord internal = BridgeNetwork("b", "10.213.0.16/28");
  internal.set_internal(true);
  absl::StatusOr<std::string> script = RenderRuleset({a, internal});
  ASSERT_TRUE(script.ok());
  EXPECT_THAT(*script, HasSubstr("ip saddr 10.213.0.0/28 oifname != \"pcbr-a\" masquerade"));
  EXPECT_THAT(*script, HasSubstr("ip6 saddr fd12::/64 oifname != \"pcbr-a\" masquerade"));
  EXPECT_THAT(*script,
              HasSubstr("ip saddr 10.213.0.0/28 oifname \"pcbr-a\" ct status dnat masquerade"));
  EXPECT_THAT(*script,
              HasSubstr("ip6 saddr fd12::/64 oifname \"pcbr-a\" ct status dnat masquerade"));
  EXPECT_THAT(*script, Not(HasSubstr("ip saddr 10.213.0.16/28")));
  EXPECT_THAT(*script, HasSubstr("iifname \"pcbr-a\" oifname \"pcbr-*\" drop"));
  EXPECT_THAT(*script, HasSubstr("iifname \"pcbr-b\" drop"));
  EXPECT_THAT(*script, HasSubstr("oifname \"pcbr-a\" ct status dnat accept"));
  // Only our table is named anywhere.
  EXPECT_THAT(*script, Not(HasSubstr("flush ruleset")));
}

TEST(NftRulesTest, LoopbackPortOnlyInOutput) {
  NetworkRecord network = BridgeNetwork("a", "10.213.0.0/28");
  EndpointRecord* endpoint = network.add_endpoints();
  endpoint->set_container_id("c1");
  endpoint->set_ip("10.213.0.2");
  endpoint->add_ports("127.0.0.1:8080:80/tcp");
  endpoint->add_ports("0.0.0.0:5353-5354:53-54/udp");
  absl::StatusOr<std::string> script = RenderRuleset({network});
  ASSERT_TRUE(script.ok()) << script.status();
  std::string output = script->substr(script->find("chain nat_output"));
  output = output.substr(0, output.find("}"));
  std::string prerouting = script->substr(script->find("chain nat_prerouting"));
  prerouting = prerouting.substr(0, prerouting.find("}"));
  EXPECT_THAT(output, HasSubstr("ip daddr 127.0.0.1 tcp dport 8080 dnat ip to 10.213.0.2:80"));
  EXPECT_THAT(prerouting, Not(HasSubstr("8080")));
  EXPECT_THAT(prerouting,
              HasSubstr("fib daddr type local udp dport 5354 dnat ip to 10.213.0.2:54"));
  EXPECT_THAT(BridgesWithLoopbackPorts({network}), ::testing::ElementsAre("pcbr-a"));
}

TEST(NftRulesTest, Ipv6PortNeedsIpv6Address) {
  NetworkRecord network = BridgeNetwork("a", "10.213.0.0/28");
  EndpointRecord* endpoint = network.add_endpoints();
  endpoint->set_container_id("c1");
  endpoint->set_ip("10.213.0.2");
  endpoint->add_ports("[::]:8080:80/tcp");
  EXPECT_EQ(RenderRuleset({network}).status().code(), absl::StatusCode::kInvalidArgument);
  endpoint->set_ip6("fd12::2");
  absl::StatusOr<std::string> script = RenderRuleset({network});
  ASSERT_TRUE(script.ok());
  EXPECT_THAT(*script, HasSubstr("dnat ip6 to [fd12::2]:80"));
}

}  // namespace
}  // namespace pycontain::net
