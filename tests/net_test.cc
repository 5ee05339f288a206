// Containers on named networks, end to end as root: busybox containers
// attached through the spec, inside a network namespace that the test
// creates to play the host. Traffic stays inside that namespace.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/base/status.h"
#include "lib/container/container.h"
#include "lib/container/record.h"
#include "lib/container/state_dir.h"
#include "lib/net/link.h"
#include "lib/net/network.h"
#include "tests/testing.h"

namespace pycontain {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::BusyboxRoot;
using testing::Output;
using testing::RunCaptured;

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "these tests create namespaces, links and rules";
    absl::StatusOr<net::NetNamespace> host = net::NetNamespace::CreateNew();
    ASSERT_TRUE(host.ok()) << host.status();
    host_ns_ = std::move(*host);
    host_path_ = absl::StrCat("/proc/", getpid(), "/fd/", host_ns_.fd());
    absl::StatusOr<net::NetlinkSocket> socket = host_ns_.OpenNetlink();
    ASSERT_TRUE(socket.ok());
    ASSERT_TRUE(net::SetLinkUp(*socket, *net::LinkIndex(*socket, "lo")).ok());
    net::HostOptions options;
    options.netns_path = host_path_;
    options.state_dir = net::NetworkStateDir(container::StateRoot());
    host_ = *net::NetworkHost::Open(options);
    // Garbage collection creates the records' directory, which then is
    // no leftover.
    ASSERT_TRUE(host_->CollectGarbage().ok());
    before_ = testing::TakeSnapshot();
  }

  void TearDown() override {
    absl::StatusOr<std::vector<net::NetworkRecord>> networks = host_->ListNetworks();
    ASSERT_TRUE(networks.ok());
    for (const net::NetworkRecord& network : *networks) {
      EXPECT_TRUE(network.endpoints().empty()) << network.name() << " keeps endpoints";
      EXPECT_TRUE(host_->RemoveNetwork(network.name()).ok());
    }
    absl::StatusOr<net::NetlinkSocket> socket = host_ns_.OpenNetlink();
    absl::StatusOr<std::vector<net::LinkInfo>> links = net::ListLinks(*socket);
    ASSERT_TRUE(links.ok());
    for (const net::LinkInfo& link : *links) {
      EXPECT_EQ(link.name, "lo") << "link left in the test host namespace";
    }
    EXPECT_THAT(*host_ns_.NftOutput({"list", "tables"}),
                ::testing::Not(HasSubstr("pycontain")));
    testing::ExpectNothingLeaked(before_);
  }

  spec::ContainerSpec Spec(const std::string& id, const std::string& network,
                           const std::string& script) {
    spec::ContainerSpec spec = testing::SpecFor(BusyboxRoot(), {"/bin/sh", "-c", script});
    spec.set_id(id);
    spec.mutable_network()->set_mode(spec::Network::BRIDGE);
    spec.mutable_network()->set_name(network);
    spec.mutable_network()->set_host_namespace_path(host_path_);
    spec::Mount* tmp = spec.add_mounts();
    tmp->set_destination("/tmp");
    tmp->set_type("tmpfs");
    return spec;
  }

  // Starts a busybox httpd that serves "hello from ID".
  absl::StatusOr<container::Container> StartServer(const std::string& id,
                                                   const std::string& network,
                                                   const std::string& port = "") {
    spec::ContainerSpec spec = Spec(
        id, network,
        absl::StrCat("echo hello from ", id, " > /tmp/index.html; exec httpd -f -p 80 -h /tmp"));
    if (!port.empty()) spec.mutable_network()->add_ports(port);
    return container::Container::Start(spec);
  }

  Output Client(const std::string& network, const std::string& script) {
    absl::StatusOr<Output> output = RunCaptured(Spec("net-client", network, script));
    EXPECT_TRUE(output.ok()) << output.status();
    return output.ok() ? *output : Output();
  }

  testing::HostSnapshot before_;
  net::NetNamespace host_ns_;
  std::string host_path_;
  std::shared_ptr<net::NetworkHost> host_;
};

TEST_F(NetTest, ContainersReachEachOtherByName) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  absl::StatusOr<container::Container> server = StartServer("net-srv", "web");
  ASSERT_TRUE(server.ok()) << server.status();
  Output output = Client("web",
                         "ping -c1 -W2 net-srv >/dev/null && "
                         "for i in 1 2 3 4 5 6 7 8 9 10; do "
                         "wget -q -O- http://net-srv/ && exit 0; sleep 0.2; done; exit 1");
  EXPECT_EQ(output.result.exit_code(), 0) << output.stderr_text;
  EXPECT_EQ(output.stdout_text, "hello from net-srv\n");
}

TEST_F(NetTest, DnsSettingsReplaceResolvConf) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  spec::ContainerSpec spec = Spec("net-dns", "web", "cat /etc/resolv.conf");
  spec.mutable_network()->add_dns("192.0.2.53");
  spec.mutable_network()->add_dns("2001:db8::53");
  spec.mutable_network()->add_dns_search("example.test");
  spec.mutable_network()->add_dns_search("corp.test");
  spec.mutable_network()->add_dns_options("ndots:2");
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_THAT(output->stdout_text,
              HasSubstr("nameserver 192.0.2.53\nnameserver 2001:db8::53\n"
                        "search example.test corp.test\noptions ndots:2\n"));
  EXPECT_THAT(output->stdout_text, Not(HasSubstr("from the host's")));
}

TEST_F(NetTest, InvalidDnsAddressNamesField) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  spec::ContainerSpec spec = Spec("net-dns", "web", "true");
  spec.mutable_network()->add_dns("192.0.2.300");
  absl::StatusOr<container::Container> started = container::Container::Start(spec);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(started.status().message(), HasSubstr("network.dns[0]"));
  EXPECT_THAT(started.status().message(), HasSubstr("192.0.2.300"));
}

TEST_F(NetTest, ExtraHostsInEtcHosts) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  spec::ContainerSpec spec = Spec("net-hosts", "web", "cat /etc/hosts");
  spec.mutable_network()->add_extra_hosts("db.test:192.0.2.10");
  spec.mutable_network()->add_extra_hosts("v6.test:2001:db8::10");
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_THAT(output->stdout_text, ::testing::ContainsRegex("192\\.0\\.2\\.10[ \t]+db\\.test\n"));
  EXPECT_THAT(output->stdout_text, ::testing::ContainsRegex("2001:db8::10[ \t]+v6\\.test\n"));
}

TEST_F(NetTest, InvalidExtraHostNamesField) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  spec::ContainerSpec spec = Spec("net-hosts", "web", "true");
  spec.mutable_network()->add_extra_hosts("db.test:192.0.2.300");
  absl::StatusOr<container::Container> started = container::Container::Start(spec);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(started.status().message(), HasSubstr("network.extra_hosts[0]"));
}

TEST_F(NetTest, DnsNeedsAttachedMode) {
  spec::ContainerSpec spec = testing::SpecFor(BusyboxRoot(), {"/bin/true"});
  spec.mutable_network()->add_dns("192.0.2.53");
  absl::StatusOr<container::Container> started = container::Container::Start(spec);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(started.status().message(), HasSubstr("dns"));
}

TEST_F(NetTest, NamesDoNotCrossNetworks) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  ASSERT_TRUE(host_->CreateNetwork({.name = "other"}).ok());
  absl::StatusOr<container::Container> server = StartServer("net-srv", "web");
  ASSERT_TRUE(server.ok()) << server.status();
  Output output = Client("other", "cat /etc/hosts; ping -c1 -W1 net-srv; echo status=$?");
  EXPECT_THAT(output.stdout_text, ::testing::Not(HasSubstr("net-srv")));
  EXPECT_THAT(output.stdout_text, HasSubstr("status=1"));
  // Not by address either: the isolation rules drop it.
  absl::StatusOr<net::NetworkRecord> web = host_->InspectNetwork("web");
  ASSERT_TRUE(web.ok());
  ASSERT_EQ(web->endpoints_size(), 1);
  output = Client("other", absl::StrCat("wget -q -T 1 -O- http://", web->endpoints(0).ip(),
                                        "/; echo status=$?"));
  EXPECT_THAT(output.stdout_text, HasSubstr("status=1"));
}

TEST_F(NetTest, PublishedPortAnswersOnHostLoopback) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  absl::StatusOr<container::Container> server = StartServer("net-srv", "web", "18080:80");
  ASSERT_TRUE(server.ok()) << server.status();
  std::string response;
  absl::Status status = host_ns_.Run([&response]() -> absl::Status {
    for (int attempt = 0; attempt < 20 && response.empty(); ++attempt) {
      UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in address = {};
      address.sin_family = AF_INET;
      address.sin_port = htons(18080);
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        usleep(100000);
        continue;
      }
      const char request[] = "GET / HTTP/1.0\r\n\r\n";
      if (write(fd.get(), request, sizeof(request) - 1) < 0) return ErrnoError(errno, "write");
      char buffer[4096];
      ssize_t n;
      while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) response.append(buffer, n);
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(response, HasSubstr("hello from net-srv"));
}

TEST_F(NetTest, ConnectRunningContainer) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  ASSERT_TRUE(host_->CreateNetwork({.name = "db"}).ok());
  absl::StatusOr<container::Container> server = StartServer("net-srv", "web");
  ASSERT_TRUE(server.ok()) << server.status();

  net::ConnectOptions options;
  options.network = "db";
  options.container_id = "net-srv";
  options.container_pid = server->pid();
  absl::StatusOr<net::Attachment> attachment = host_->Connect(options);
  ASSERT_TRUE(attachment.ok()) << attachment.status();
  EXPECT_EQ(attachment->endpoint().container_interface(), "eth1");
  Output output = Client("db",
                         "for i in 1 2 3 4 5 6 7 8 9 10; do "
                         "wget -q -O- http://net-srv/ && exit 0; sleep 0.2; done; exit 1");
  EXPECT_EQ(output.result.exit_code(), 0) << output.stderr_text;
  EXPECT_EQ(output.stdout_text, "hello from net-srv\n");

  ASSERT_TRUE(attachment->Release().ok());
  output = Client("db", "wget -q -T 1 -O- http://net-srv/; echo status=$?");
  EXPECT_THAT(output.stdout_text, HasSubstr("status=1"));
}

TEST_F(NetTest, ContainerModeSharesNetwork) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  absl::StatusOr<container::Container> server = StartServer("net-srv", "web");
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<net::NetworkRecord> web = host_->InspectNetwork("web");
  ASSERT_TRUE(web.ok());
  ASSERT_EQ(web->endpoints_size(), 1);

  spec::ContainerSpec spec = testing::SpecFor(
      BusyboxRoot(), {"/bin/sh", "-c",
                      "ip -4 addr show eth0; "
                      "for i in 1 2 3 4 5 6 7 8 9 10; do "
                      "wget -q -O- http://127.0.0.1/ && exit 0; sleep 0.2; done; exit 1"});
  spec.set_id("net-sidecar");
  spec.mutable_network()->set_mode(spec::Network::CONTAINER);
  spec.mutable_network()->set_container_namespace_path(
      absl::StrCat("/proc/", server->pid(), "/ns/net"));
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  // The first container's eth0 and address, and its server on loopback.
  EXPECT_THAT(output->stdout_text, HasSubstr("eth0"));
  EXPECT_THAT(output->stdout_text, HasSubstr(absl::StrCat("inet ", web->endpoints(0).ip(), "/")));
  EXPECT_THAT(output->stdout_text, HasSubstr("hello from net-srv\n"));
  // The shared namespace is no new attachment.
  web = host_->InspectNetwork("web");
  ASSERT_TRUE(web.ok());
  EXPECT_EQ(web->endpoints_size(), 1);
}

TEST_F(NetTest, ContainerModeNeedsNamespacePath) {
  spec::ContainerSpec spec = testing::SpecFor(BusyboxRoot(), {"/bin/true"});
  spec.mutable_network()->set_mode(spec::Network::CONTAINER);
  absl::StatusOr<container::Container> missing = container::Container::Start(spec);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("network.container_namespace_path"));

  spec.mutable_network()->set_container("net-no-such");
  absl::StatusOr<container::Container> by_id = container::Container::Start(spec);
  EXPECT_EQ(by_id.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(by_id.status().message()), HasSubstr("net-no-such"));
}

TEST_F(NetTest, FindsRunningContainerById) {
  spec::ContainerSpec spec = testing::SpecFor(BusyboxRoot(), {"/bin/sleep", "30"});
  spec.set_id("net-sleeper");
  absl::StatusOr<container::Container> sleeper = container::Container::Start(spec);
  ASSERT_TRUE(sleeper.ok()) << sleeper.status();
  absl::StatusOr<pid_t> found = container::FindRunningContainer("net-sleeper");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, sleeper->pid());

  // Once the first process has exited, the id is no longer found.
  ASSERT_TRUE(sleeper->Kill(SIGKILL).ok());
  ASSERT_TRUE(sleeper->Wait().ok());
  found = container::FindRunningContainer("net-sleeper");
  EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(found.status().message()), HasSubstr("net-sleeper"));

  found = container::FindRunningContainer("net-no-such");
  EXPECT_EQ(found.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(found.status().message()), HasSubstr("net-no-such"));
  EXPECT_EQ(container::FindRunningContainer("../etc").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(NetTest, ContainerModeById) {
  ASSERT_TRUE(host_->CreateNetwork({.name = "web"}).ok());
  absl::StatusOr<container::Container> server = StartServer("net-srv", "web");
  ASSERT_TRUE(server.ok()) << server.status();

  spec::ContainerSpec spec = testing::SpecFor(
      BusyboxRoot(), {"/bin/sh", "-c",
                      "for i in 1 2 3 4 5 6 7 8 9 10; do "
                      "wget -q -O- http://127.0.0.1/ && exit 0; sleep 0.2; done; exit 1"});
  spec.set_id("net-sidecar");
  spec.mutable_network()->set_mode(spec::Network::CONTAINER);
  spec.mutable_network()->set_container("net-srv");
  absl::StatusOr<Output> output = RunCaptured(spec);
  ASSERT_TRUE(output.ok()) << output.status();
  EXPECT_EQ(output->result.exit_code(), 0) << output->stderr_text;
  EXPECT_EQ(output->stdout_text, "hello from net-srv\n");
}

TEST_F(NetTest, UnknownNetworkNamesField) {
  absl::StatusOr<container::Container> server = StartServer("net-srv", "missing");
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("network.name"));
}

}  // namespace
}  // namespace pycontain
