// Tier 3, real kernel as root: whole topologies inside a network namespace
// that the test creates to play the host. "Containers" here are forked
// processes in network namespaces of their own; traffic is plain TCP
// between sockets that threads open inside those namespaces.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/status.h"
#include "lib/net/address.h"
#include "lib/net/link.h"
#include "lib/net/network.h"
#include "lib/net/store.h"

namespace pycontain::net {
namespace {

using ::testing::HasSubstr;

// A process alone in a new network namespace, standing in for a container.
class Sandbox {
 public:
  Sandbox() {
    int ready[2];
    if (pipe(ready) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      char byte = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
      (void)!write(ready[1], &byte, 1);
      pause();
      _exit(0);
    }
    close(ready[1]);
    char byte = 0;
    if (read(ready[0], &byte, 1) != 1 || byte != 1) pid_ = -1;
    close(ready[0]);
  }
  ~Sandbox() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  NetNamespace netns() const { return *NetNamespace::OfProcess(pid_); }

 private:
  pid_t pid_ = -1;
};

sockaddr_storage SocketAddress(const IpAddress& ip, int port, socklen_t* size) {
  sockaddr_storage address = {};
  if (ip.is_v4()) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    memcpy(&v4->sin_addr, ip.bytes(), 4);
    *size = sizeof(*v4);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    memcpy(&v6->sin6_addr, ip.bytes(), 16);
    *size = sizeof(*v6);
  }
  return address;
}

// A TCP listener inside `ns` on every address of `family`.
UniqueFd Listen(const NetNamespace& ns, int family, int port) {
  UniqueFd fd;
  absl::Status status = ns.Run([&]() -> absl::Status {
    fd.reset(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    socklen_t size;
    IpAddress any = family == AF_INET ? IpAddress() : *IpAddress::Parse("::");
    sockaddr_storage address = SocketAddress(any, port, &size);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(fd.get(), 8) != 0) {
      return ErrnoError(errno, "listen");
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return fd;
}

// Connects from inside `ns` to `to`:`port` within 700 ms; returns the
// source address the listener saw, or "" when the connection failed.
std::string Connect(const NetNamespace& ns, const std::string& to, int port,
                    int listener) {
  bool connected = false;
  (void)ns.Run([&]() -> absl::Status {
    IpAddress ip = *IpAddress::Parse(to);
    UniqueFd fd(socket(ip.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    socklen_t size;
    sockaddr_storage address = SocketAddress(ip, port, &size);
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), size) != 0 &&
        errno != EINPROGRESS) {
      return absl::OkStatus();
    }
    pollfd poll_fd = {fd.get(), POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof(error);
    // Two seconds: on a loaded machine the first connection, with its ARP
    // exchange across two veths and a bridge, took longer than 0.7 s.
    connected = poll(&poll_fd, 1, 2000) == 1 &&
                getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) == 0 &&
                error == 0;
    return absl::OkStatus();
  });
  if (!connected) return "";
  sockaddr_storage peer = {};
  socklen_t size = sizeof(peer);
  UniqueFd accepted(accept4(listener, reinterpret_cast<sockaddr*>(&peer), &size,
                            SOCK_CLOEXEC));
  if (!accepted.valid()) return "accepted nothing";
  const void* bytes = peer.ss_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&peer)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr);
  return IpAddress::FromBytes(peer.ss_family, bytes).ToString();
}

// A UDP socket inside `ns`, bound to `port` on every address of `family`
// (0: an ephemeral port).
UniqueFd UdpSocket(const NetNamespace& ns, int family, int port) {
  UniqueFd fd;
  absl::Status status = ns.Run([&]() -> absl::Status {
    fd.reset(socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    socklen_t size;
    IpAddress any = family == AF_INET ? IpAddress() : *IpAddress::Parse("::");
    sockaddr_storage address = SocketAddress(any, port, &size);
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), size) != 0) {
      return ErrnoError(errno, "bind udp");
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return fd;
}

void SendTo(int fd, const std::string& to, int port, const std::string& payload) {
  socklen_t size;
  sockaddr_storage address = SocketAddress(*IpAddress::Parse(to), port, &size);
  EXPECT_EQ(sendto(fd, payload.data(), payload.size(), 0,
                   reinterpret_cast<sockaddr*>(&address), size),
            static_cast<ssize_t>(payload.size()))
      << strerror(errno);
}

// Waits up to 700 ms for a datagram on `fd`; returns its payload, or ""
// when none came. Stores the sender in `from` when given.
std::string Receive(int fd, sockaddr_storage* from = nullptr, socklen_t* from_size = nullptr) {
  pollfd poll_fd = {fd, POLLIN, 0};
  if (poll(&poll_fd, 1, 700) != 1) return "";
  char buffer[512];
  sockaddr_storage sender = {};
  socklen_t size = sizeof(sender);
  ssize_t n = recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&sender),
                       &size);
  if (n < 0) return "";
  if (from != nullptr) *from = sender;
  if (from_size != nullptr) *from_size = size;
  return std::string(buffer, n);
}

std::vector<std::string> OurLinks(const NetNamespace& ns) {
  std::vector<std::string> names;
  absl::StatusOr<NetlinkSocket> socket = ns.OpenNetlink();
  if (!socket.ok()) return {"error: " + socket.status().ToString()};
  absl::StatusOr<std::vector<LinkInfo>> links = ListLinks(*socket);
  for (const LinkInfo& link : *links) {
    if (absl::StartsWith(link.name, "pcbr-") || absl::StartsWith(link.name, "pcv-")) {
      names.push_back(link.name);
    }
  }
  return names;
}

std::vector<std::string> AllLinks(const NetNamespace& ns) {
  std::vector<std::string> names;
  absl::StatusOr<NetlinkSocket> socket = ns.OpenNetlink();
  absl::StatusOr<std::vector<LinkInfo>> links = ListLinks(*socket);
  for (const LinkInfo& link : *links) names.push_back(link.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Tables(const NetNamespace& ns) {
  absl::StatusOr<std::string> tables = ns.NftOutput({"list", "tables"});
  return tables.ok() ? *tables : tables.status().ToString();
}

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests create namespaces, links and rules";
    absl::StatusOr<NetNamespace> real = NetNamespace::Current();
    ASSERT_TRUE(real.ok());
    real_links_ = AllLinks(*real);
    real_tables_ = Tables(*real);
    real_forwarding_ = *real->ReadSysctl("ipv4/ip_forward");

    absl::StatusOr<NetNamespace> host = NetNamespace::CreateNew();
    ASSERT_TRUE(host.ok()) << host.status();
    host_path_ = absl::StrCat("/proc/", getpid(), "/fd/", host->fd());
    host_ns_ = std::move(*host);
    absl::StatusOr<NetlinkSocket> socket = host_ns_.OpenNetlink();
    ASSERT_TRUE(socket.ok());
    ASSERT_TRUE(SetLinkUp(*socket, *LinkIndex(*socket, "lo")).ok());

    const char* tmp = getenv("TEST_TMPDIR");
    state_dir_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/networks-",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    HostOptions options;
    options.netns_path = host_path_;
    options.state_dir = state_dir_;
    absl::StatusOr<std::shared_ptr<NetworkHost>> opened = NetworkHost::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    host_ = *opened;
  }

  void TearDown() override {
    if (host_ != nullptr) {
      absl::StatusOr<std::vector<NetworkRecord>> networks = host_->ListNetworks();
      ASSERT_TRUE(networks.ok());
      for (const NetworkRecord& network : *networks) {
        EXPECT_TRUE(network.endpoints().empty()) << network.name() << " keeps endpoints";
        EXPECT_TRUE(host_->RemoveNetwork(network.name()).ok());
      }
      EXPECT_THAT(OurLinks(host_ns_), ::testing::IsEmpty());
      EXPECT_THAT(Tables(host_ns_), ::testing::Not(HasSubstr("pycontain")));
    }
    absl::StatusOr<NetNamespace> real = NetNamespace::Current();
    EXPECT_EQ(AllLinks(*real), real_links_) << "the real host's links changed";
    EXPECT_EQ(Tables(*real), real_tables_) << "the real host's nftables changed";
    EXPECT_EQ(*real->ReadSysctl("ipv4/ip_forward"), real_forwarding_)
        << "the real host's forwarding sysctl changed";
  }

  NetworkRecord Create(NetworkOptions options) {
    absl::StatusOr<NetworkRecord> record = host_->CreateNetwork(options);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : NetworkRecord();
  }

  Attachment Attach(const std::string& network, const Sandbox& sandbox,
                    const std::string& id, std::vector<std::string> ports = {}) {
    ConnectOptions options;
    options.network = network;
    options.container_id = id;
    options.container_pid = sandbox.pid();
    for (const std::string& text : ports) options.ports.push_back(*ParsePortMapping(text));
    absl::StatusOr<Attachment> attachment = host_->Connect(options);
    EXPECT_TRUE(attachment.ok()) << attachment.status();
    return attachment.ok() ? std::move(*attachment) : Attachment();
  }

  // A veth from the test host to a new "peer" namespace: host 10.99.0.1,
  // peer 10.99.0.2, like a machine on the host's LAN.
  void AddPeer(Sandbox& peer, const std::string& host_link = "lan-host") {
    absl::StatusOr<NetlinkSocket> host = host_ns_.OpenNetlink();
    NetNamespace peer_ns = peer.netns();
    VethOptions veth{host_link, "lan0", 0, peer_ns.fd()};
    ASSERT_TRUE(CreateVeth(*host, veth).ok());
    int index = *LinkIndex(*host, host_link);
    ASSERT_TRUE(AddAddress(*host, index, *IpPrefix::Parse("10.99.0.1/24")).ok());
    ASSERT_TRUE(SetLinkUp(*host, index).ok());
    absl::StatusOr<NetlinkSocket> inside = peer_ns.OpenNetlink();
    int peer_index = *LinkIndex(*inside, "lan0");
    ASSERT_TRUE(AddAddress(*inside, peer_index, *IpPrefix::Parse("10.99.0.2/24")).ok());
    ASSERT_TRUE(SetLinkUp(*inside, peer_index).ok());
  }

  // The IPv6 side of the peer link that AddPeer made: host fd99::1, peer
  // fd99::2, both in the test's own namespaces.
  void AddPeerIpv6(Sandbox& peer, const std::string& host_link = "lan-host") {
    absl::StatusOr<NetlinkSocket> host = host_ns_.OpenNetlink();
    int index = *LinkIndex(*host, host_link);
    ASSERT_TRUE(AddAddress(*host, index, *IpPrefix::Parse("fd99::1/64")).ok());
    absl::StatusOr<NetlinkSocket> inside = peer.netns().OpenNetlink();
    int peer_index = *LinkIndex(*inside, "lan0");
    ASSERT_TRUE(AddAddress(*inside, peer_index, *IpPrefix::Parse("fd99::2/64")).ok());
  }

  std::vector<std::string> real_links_;
  std::string real_tables_;
  std::string real_forwarding_;
  NetNamespace host_ns_;
  std::string host_path_;
  std::string state_dir_;
  std::shared_ptr<NetworkHost> host_;
};

TEST_F(NetworkTest, CreateMakesBridgeWithGateway) {
  NetworkRecord network = Create({.name = "web"});
  EXPECT_EQ(network.subnet(), "10.213.0.0/28");
  EXPECT_EQ(network.gateway(), "10.213.0.1");
  EXPECT_THAT(OurLinks(host_ns_), ::testing::ElementsAre(network.bridge()));
  EXPECT_THAT(Tables(host_ns_), HasSubstr("table inet pycontain"));
  EXPECT_EQ(*host_ns_.ReadSysctl("ipv4/ip_forward"), "1");
  // The second network gets the next /28 of the pool.
  EXPECT_EQ(Create({.name = "db"}).subnet(), "10.213.0.16/28");
}

TEST_F(NetworkTest, ContainersOnOneNetworkConnect) {
  Create({.name = "web"});
  Sandbox a, b;
  Attachment first = Attach("web", a, "a");
  Attachment second = Attach("web", b, "b");
  UniqueFd listener = Listen(a.netns(), AF_INET, 8000);
  EXPECT_EQ(Connect(b.netns(), first.endpoint().ip(), 8000, listener.get()),
            second.endpoint().ip());
  // The gateway (the host) reaches the container too.
  EXPECT_EQ(Connect(host_ns_, first.endpoint().ip(), 8000, listener.get()), "10.213.0.1");
}

TEST_F(NetworkTest, SecondNetworkGetsEth1) {
  Create({.name = "one"});
  Create({.name = "two"});
  Sandbox a, b;
  Attachment first = Attach("one", a, "a");
  Attachment second = Attach("two", a, "a");
  Attachment peer = Attach("two", b, "b");
  EXPECT_EQ(first.endpoint().container_interface(), "eth0");
  EXPECT_EQ(second.endpoint().container_interface(), "eth1");
  EXPECT_EQ(peer.endpoint().container_interface(), "eth0");

  UniqueFd listener = Listen(b.netns(), AF_INET, 8000);
  EXPECT_EQ(Connect(a.netns(), peer.endpoint().ip(), 8000, listener.get()),
            second.endpoint().ip());

  // Disconnecting removes eth1 and leaves eth0.
  ASSERT_TRUE(second.Release().ok());
  EXPECT_THAT(AllLinks(a.netns()), ::testing::ElementsAre("eth0", "lo"));
  EXPECT_EQ(Connect(a.netns(), peer.endpoint().ip(), 8000, listener.get()), "");
}

TEST_F(NetworkTest, NetworksAreIsolated) {
  Create({.name = "one"});
  Create({.name = "two"});
  Sandbox a, b;
  Attachment first = Attach("one", a, "a");
  Attachment second = Attach("two", b, "b");
  UniqueFd listener = Listen(a.netns(), AF_INET, 8000);
  EXPECT_EQ(Connect(b.netns(), first.endpoint().ip(), 8000, listener.get()), "");
}

TEST_F(NetworkTest, OutboundNatToPeer) {
  Create({.name = "web"});
  Sandbox container, peer;
  AddPeer(peer);
  Attachment attachment = Attach("web", container, "c");
  UniqueFd listener = Listen(peer.netns(), AF_INET, 9000);
  // The peer sees the host's address, not the container's.
  EXPECT_EQ(Connect(container.netns(), "10.99.0.2", 9000, listener.get()), "10.99.0.1");
}

TEST_F(NetworkTest, PortOnLoopbackOnlyByDefault) {
  Create({.name = "web"});
  Sandbox container, peer;
  AddPeer(peer);
  Attachment attachment = Attach("web", container, "c", {"18080:80"});
  UniqueFd listener = Listen(container.netns(), AF_INET, 80);
  EXPECT_NE(Connect(host_ns_, "127.0.0.1", 18080, listener.get()), "");
  EXPECT_EQ(Connect(host_ns_, "10.99.0.1", 18080, listener.get()), "");
  EXPECT_EQ(Connect(peer.netns(), "10.99.0.1", 18080, listener.get()), "");
}

TEST_F(NetworkTest, PortOnAllAddressesWhenAsked) {
  Create({.name = "web"});
  Sandbox container, peer;
  AddPeer(peer);
  Attachment attachment = Attach("web", container, "c", {"0.0.0.0:18080:80"});
  UniqueFd listener = Listen(container.netns(), AF_INET, 80);
  EXPECT_EQ(Connect(peer.netns(), "10.99.0.1", 18080, listener.get()), "10.99.0.2");
  EXPECT_NE(Connect(host_ns_, "127.0.0.1", 18080, listener.get()), "");
}

TEST_F(NetworkTest, UdpPortAnswersOnLoopback) {
  NetworkRecord network = Create({.name = "web"});
  Sandbox container, peer;
  AddPeer(peer);
  Attachment attachment = Attach("web", container, "c", {"18053:53/udp"});
  UniqueFd server = UdpSocket(container.netns(), AF_INET, 53);
  UniqueFd client = UdpSocket(host_ns_, AF_INET, 0);

  SendTo(client.get(), "127.0.0.1", 18053, "query");
  sockaddr_storage sender = {};
  socklen_t sender_size = 0;
  EXPECT_EQ(Receive(server.get(), &sender, &sender_size), "query");
  // The loopback source is rewritten to the gateway, so the reply can return.
  EXPECT_EQ(IpAddress::FromBytes(AF_INET, &reinterpret_cast<sockaddr_in*>(&sender)->sin_addr)
                .ToString(),
            network.gateway());
  const std::string reply = "answer";
  ASSERT_EQ(sendto(server.get(), reply.data(), reply.size(), 0,
                   reinterpret_cast<sockaddr*>(&sender), sender_size),
            static_cast<ssize_t>(reply.size()));
  EXPECT_EQ(Receive(client.get()), "answer");

  // Published on loopback only: the host's LAN address does not forward.
  UniqueFd outside = UdpSocket(peer.netns(), AF_INET, 0);
  SendTo(outside.get(), "10.99.0.1", 18053, "from the lan");
  EXPECT_EQ(Receive(server.get()), "");
  // Nor does the TCP port of the same number.
  UniqueFd listener = Listen(container.netns(), AF_INET, 53);
  EXPECT_EQ(Connect(host_ns_, "127.0.0.1", 18053, listener.get()), "");
}

TEST_F(NetworkTest, HairpinThroughPublishedPort) {
  NetworkRecord network = Create({.name = "web"});
  Sandbox server, client;
  Attachment published = Attach("web", server, "server", {"0.0.0.0:18080:80"});
  Attachment other = Attach("web", client, "client");
  UniqueFd listener = Listen(server.netns(), AF_INET, 80);
  // Containers reach a published port through the host's address, like a
  // client outside would. The server gets the gateway as the source, so
  // its reply goes back through the host's NAT.
  EXPECT_EQ(Connect(client.netns(), network.gateway(), 18080, listener.get()),
            network.gateway());
  EXPECT_EQ(Connect(server.netns(), network.gateway(), 18080, listener.get()),
            network.gateway());
}

TEST_F(NetworkTest, PortTakenIsAnError) {
  Create({.name = "web"});
  Sandbox a, b;
  Attachment first = Attach("web", a, "a", {"18080:80"});
  ConnectOptions options;
  options.network = "web";
  options.container_id = "b";
  options.container_pid = b.pid();
  options.ports.push_back(*ParsePortMapping("0.0.0.0:18080:80"));
  absl::StatusOr<Attachment> second = host_->Connect(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("container a"));

  // A process of the host that listens on the port also takes it.
  UniqueFd listener = Listen(host_ns_, AF_INET, 18081);
  options.ports = {*ParsePortMapping("18081:80")};
  second = host_->Connect(options);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use"));
}

TEST_F(NetworkTest, Ipv6BetweenContainersAndOut) {
  NetworkRecord network = Create({.name = "six", .ipv6 = true});
  EXPECT_TRUE(absl::StartsWith(network.subnet6(), "fd")) << network.subnet6();
  Sandbox a, b;
  Attachment first = Attach("six", a, "a");
  Attachment second = Attach("six", b, "b");
  ASSERT_FALSE(first.endpoint().ip6().empty());
  UniqueFd listener = Listen(a.netns(), AF_INET6, 8000);
  EXPECT_EQ(Connect(b.netns(), first.endpoint().ip6(), 8000, listener.get()),
            second.endpoint().ip6());
}

TEST_F(NetworkTest, Ipv6OutThroughNat66) {
  NetworkRecord network = Create({.name = "six", .ipv6 = true});
  Sandbox container, peer;
  AddPeer(peer);
  AddPeerIpv6(peer);
  Attachment attachment = Attach("six", container, "c");
  ASSERT_FALSE(attachment.endpoint().ip6().empty());
  UniqueFd listener = Listen(peer.netns(), AF_INET6, 9000);
  // The peer gets the host's address as the source, not the container's ULA.
  EXPECT_EQ(Connect(container.netns(), "fd99::2", 9000, listener.get()), "fd99::1");
}

// 200 endpoints on one network all reach the gateway. The endpoints are
// processes alone in network namespaces of their own, not full
// containers: 200 container starts do not fit CI's minute on 2 cores.
TEST_F(NetworkTest, TwoHundredReachGateway) {
  constexpr int kEndpoints = 200;
  NetworkRecord network = Create({.name = "big", .subnet = "10.214.0.0/24"});
  std::vector<std::unique_ptr<Sandbox>> sandboxes;
  std::vector<Attachment> attachments;
  for (int i = 0; i < kEndpoints; ++i) {
    sandboxes.push_back(std::make_unique<Sandbox>());
    ASSERT_GT(sandboxes.back()->pid(), 0);
    attachments.push_back(Attach("big", *sandboxes.back(), absl::StrCat("c", i)));
    ASSERT_FALSE(attachments.back().endpoint().ip().empty()) << "endpoint " << i;
  }

  UniqueFd listener = Listen(host_ns_, AF_INET, 7000);
  int reached = 0;
  for (int i = 0; i < kEndpoints; ++i) {
    std::string source =
        Connect(sandboxes[i]->netns(), network.gateway(), 7000, listener.get());
    EXPECT_EQ(source, attachments[i].endpoint().ip()) << "endpoint " << i;
    if (source == attachments[i].endpoint().ip()) ++reached;
  }
  EXPECT_EQ(reached, kEndpoints);
}

TEST_F(NetworkTest, ExplicitSubnetAndAddress) {
  Create({.name = "fixed", .subnet = "172.31.5.0/24", .gateway = "172.31.5.254"});
  Sandbox a;
  ConnectOptions options;
  options.network = "fixed";
  options.container_id = "a";
  options.container_pid = a.pid();
  options.ip = "172.31.5.77";
  absl::StatusOr<Attachment> attachment = host_->Connect(options);
  ASSERT_TRUE(attachment.ok()) << attachment.status();
  EXPECT_EQ(attachment->endpoint().ip(), "172.31.5.77");

  absl::StatusOr<NetworkRecord> overlap =
      host_->CreateNetwork({.name = "other", .subnet = "172.31.0.0/16"});
  EXPECT_EQ(overlap.status().code(), absl::StatusCode::kAlreadyExists);
  absl::StatusOr<NetworkRecord> bad = host_->CreateNetwork({.name = "bad", .subnet = "172.30.0.5/24"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("172.30.0.0/24"));
}

TEST_F(NetworkTest, PoolExhaustionIsAnError) {
  HostOptions options = host_->options();
  options.pool_base = "10.213.0.0/27";
  std::shared_ptr<NetworkHost> small = *NetworkHost::Open(options);
  EXPECT_TRUE(small->CreateNetwork({.name = "n1"}).ok());
  EXPECT_TRUE(small->CreateNetwork({.name = "n2"}).ok());
  absl::StatusOr<NetworkRecord> third = small->CreateNetwork({.name = "n3"});
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(third.status().message()), HasSubstr("10.213.0.0/27"));
}

TEST_F(NetworkTest, RemoveWithLiveContainerFails) {
  Create({.name = "web"});
  Sandbox a;
  Attachment attachment = Attach("web", a, "a");
  absl::Status status = host_->RemoveNetwork("web");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("a"));
  EXPECT_TRUE(attachment.Release().ok());
  EXPECT_THAT(OurLinks(host_ns_), ::testing::SizeIs(1));
}

TEST_F(NetworkTest, GcRemovesEndpointOfDeadOwner) {
  Create({.name = "web"});
  Sandbox a;
  Attachment attachment = Attach("web", a, "a", {"18080:80"});
  // Pretend the owner died: give the endpoint a process that has exited.
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  {
    absl::StatusOr<NetworkStore> store = NetworkStore::Lock(state_dir_);
    NetworkRecord record = *store->Load("web");
    record.mutable_endpoints(0)->set_owner_pid(dead);
    ASSERT_TRUE(store->Save(record).ok());
  }
  absl::StatusOr<GarbageReport> report = host_->CollectGarbage();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->endpoints, ::testing::ElementsAre("web/a"));
  EXPECT_THAT(OurLinks(host_ns_), ::testing::SizeIs(1));
  EXPECT_THAT(*host_ns_.NftOutput({"list", "table", "inet", "pycontain"}),
              ::testing::Not(HasSubstr("18080")));
  EXPECT_EQ(attachment.Release().code(), absl::StatusCode::kNotFound);
}

TEST_F(NetworkTest, HostsFilesFollowMembers) {
  Create({.name = "web"});
  std::string etc_a = state_dir_ + "-etc-a", etc_b = state_dir_ + "-etc-b";
  mkdir(etc_a.c_str(), 0700);
  mkdir(etc_b.c_str(), 0700);
  Sandbox a, b;
  ConnectOptions options;
  options.network = "web";
  options.container_id = "a";
  options.container_pid = a.pid();
  options.etc_dir = etc_a;
  options.aliases = {"www"};
  absl::StatusOr<Attachment> first = host_->Connect(options);
  ASSERT_TRUE(first.ok()) << first.status();
  options.container_id = "b";
  options.container_pid = b.pid();
  options.etc_dir = etc_b;
  options.aliases = {};
  absl::StatusOr<Attachment> second = host_->Connect(options);
  ASSERT_TRUE(second.ok()) << second.status();

  auto read = [](const std::string& path) {
    std::ifstream file(path);
    return std::string(std::istreambuf_iterator<char>(file), {});
  };
  EXPECT_THAT(read(etc_a + "/hosts"), HasSubstr(second->endpoint().ip() + "\tb\n"));
  EXPECT_THAT(read(etc_b + "/hosts"), HasSubstr(first->endpoint().ip() + "\ta www\n"));
  EXPECT_EQ(read(etc_b + "/hostname"), "b\n");
  ASSERT_TRUE(second->Release().ok());
  EXPECT_THAT(read(etc_a + "/hosts"), ::testing::Not(HasSubstr("\tb\n")));
}

TEST_F(NetworkTest, MacvlanReachesPeerOnParent) {
  absl::Status supported = CheckLinkKind("macvlan");
  if (!supported.ok()) GTEST_SKIP() << supported.message();
  Sandbox container, peer;
  AddPeer(peer, "parent0");
  Create({.name = "lan", .driver = NetworkRecord::MACVLAN, .subnet = "10.99.0.0/24",
          .gateway = "10.99.0.1", .parent = "parent0"});
  ConnectOptions options;
  options.network = "lan";
  options.container_id = "m";
  options.container_pid = container.pid();
  options.ip = "10.99.0.50";
  absl::StatusOr<Attachment> attachment = host_->Connect(options);
  ASSERT_TRUE(attachment.ok()) << attachment.status();
  UniqueFd listener = Listen(peer.netns(), AF_INET, 9000);
  // On the same L2 segment: the peer sees the container's own address.
  EXPECT_EQ(Connect(container.netns(), "10.99.0.2", 9000, listener.get()), "10.99.0.50");
}

TEST_F(NetworkTest, IpvlanReachesPeerOnParent) {
  absl::Status supported = CheckLinkKind("ipvlan");
  if (!supported.ok()) GTEST_SKIP() << supported.message();
  Sandbox container, peer;
  AddPeer(peer, "parent0");
  Create({.name = "lan", .driver = NetworkRecord::IPVLAN, .subnet = "10.99.0.0/24",
          .gateway = "10.99.0.1", .parent = "parent0"});
  ConnectOptions options;
  options.network = "lan";
  options.container_id = "i";
  options.container_pid = container.pid();
  options.ip = "10.99.0.51";
  absl::StatusOr<Attachment> attachment = host_->Connect(options);
  ASSERT_TRUE(attachment.ok()) << attachment.status();
  UniqueFd listener = Listen(peer.netns(), AF_INET, 9000);
  EXPECT_EQ(Connect(container.netns(), "10.99.0.2", 9000, listener.get()), "10.99.0.51");
}

TEST_F(NetworkTest, IpvlanMissingNamesKernelSupport) {
  absl::Status supported = CheckLinkKind("ipvlan");
  if (supported.ok()) GTEST_SKIP() << "this kernel has ipvlan";
  absl::StatusOr<NetworkRecord> network =
      host_->CreateNetwork({.name = "lan", .driver = NetworkRecord::IPVLAN, .parent = "lo"});
  EXPECT_EQ(network.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(network.status().message()), HasSubstr("ipvlan"));
}

}  // namespace
}  // namespace pycontain::net
