// PlanServiceContainer on loaded projects: which spec fields, labels and
// policies each Compose field becomes, and which fields are errors or
// warnings. The image comes from a store in the test's scratch directory.
#include "lib/compose/service_spec.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/compose/project.h"
#include "lib/compose/testing.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"

namespace pycontain::compose {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ServiceSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ScratchDirectory();
    setenv("PYCONTAIN_ROOT", (dir_ + "/store").c_str(), 1);
    setenv("PYCONTAIN_LAYER_FORMAT", "directory", 1);
    testing::WriteFile(dir_, "rootfs/etc/hostname", "image\n");
    std::string command = absl::StrCat("tar -cf '", dir_, "/rootfs.tar' -C '", dir_, "/rootfs' .");
    ASSERT_EQ(system(command.c_str()), 0) << command;
    absl::StatusOr<image::Store> store = image::Store::Open({});
    ASSERT_TRUE(store.ok()) << store.status();
    image::ImportOptions options;
    options.names = {"base:1"};
    options.cmd = {"/bin/image-default"};
    absl::StatusOr<std::string> id =
        image::ImportTarball(*store, absl::StrCat(dir_, "/rootfs.tar"), options);
    ASSERT_TRUE(id.ok()) << id.status();
  }

  void TearDown() override {
    unsetenv("PYCONTAIN_ROOT");
    unsetenv("PYCONTAIN_LAYER_FORMAT");
  }

  absl::StatusOr<ServiceContainer> Plan(const std::string& yaml, const std::string& service,
                                        int number = 1) {
    testing::WriteFile(dir_, "project/compose.yaml", yaml);
    LoadOptions options;
    options.files = {dir_ + "/project/compose.yaml"};
    options.project_name = "shop";
    absl::StatusOr<Project> project = LoadProject(options);
    if (!project.ok()) return project.status();
    warnings_.clear();
    return PlanServiceContainer(*project, service, number, &warnings_);
  }

  std::string dir_;
  std::vector<std::string> warnings_;
};

TEST_F(ServiceSpecTest, NamesLabelsAndProcess) {
  absl::StatusOr<ServiceContainer> plan = Plan(R"(
services:
  web:
    image: base:1
    command: ["serve", "--port", "80"]
    environment:
      MODE: production
      EMPTY: ""
    working_dir: /srv
    user: "1000:1000"
    hostname: web-host
    labels:
      team: shop
)", "web", 2);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->create.name, "shop-web-2");
  const spec::ContainerSpec& spec = plan->create.spec;
  EXPECT_EQ(spec.image(), "base:1");
  EXPECT_THAT(spec.process().args(), ElementsAre("serve", "--port", "80"));
  EXPECT_THAT(spec.process().env(), Contains("MODE=production"));
  EXPECT_THAT(spec.process().env(), Contains("EMPTY="));
  EXPECT_EQ(spec.process().cwd(), "/srv");
  EXPECT_EQ(spec.process().user().user(), "1000");
  EXPECT_EQ(spec.process().user().group(), "1000");
  EXPECT_EQ(spec.hostname(), "web-host");
  EXPECT_EQ(plan->create.labels.at("team"), "shop");
  EXPECT_EQ(plan->create.labels.at("com.docker.compose.project"), "shop");
  EXPECT_EQ(plan->create.labels.at(kServiceLabel), "web");
  EXPECT_EQ(plan->create.labels.at(kContainerNumberLabel), "2");
  EXPECT_EQ(plan->create.labels.at(kOneoffLabel), "False");
  EXPECT_EQ(plan->create.labels.at(kConfigHashLabel).size(), 64u);
  EXPECT_EQ(spec.network().mode(), spec::Network::BRIDGE);
  EXPECT_EQ(spec.network().name(), "shop_default");
  EXPECT_THAT(spec.network().aliases(), ElementsAre("web", "shop-web-2"));
  EXPECT_THAT(warnings_, IsEmpty());
}

TEST_F(ServiceSpecTest, TighterLimitWinsAcrossSpellings) {
  absl::StatusOr<ServiceContainer> plan = Plan(R"(
services:
  worker:
    image: base:1
    mem_limit: 64m
    memswap_limit: 64m
    mem_reservation: 32m
    pids_limit: 100
    cpus: 1.5
    cpu_shares: 512
    cpuset: "0"
    deploy:
      resources:
        limits:
          memory: 16m
          cpus: "0.5"
          pids: 200
        reservations:
          memory: 8m
)", "worker");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const spec::Resources& resources = plan->create.spec.resources();
  EXPECT_EQ(resources.memory_bytes(), 16 << 20);
  EXPECT_EQ(resources.memory_swap_bytes(), 64 << 20);
  EXPECT_EQ(resources.memory_reservation_bytes(), 8 << 20);
  EXPECT_EQ(resources.pids_limit(), 100);
  EXPECT_DOUBLE_EQ(resources.cpus(), 0.5);
  EXPECT_EQ(resources.cpu_shares(), 512u);
  EXPECT_EQ(resources.cpuset_cpus(), "0");
}

TEST_F(ServiceSpecTest, MountsPortsAndSecurity) {
  absl::StatusOr<ServiceContainer> plan = Plan(R"(
services:
  db:
    image: base:1
    read_only: true
    volumes:
      - data:/var/lib/db
      - ./conf:/etc/db:ro
      - /anonymous
      - type: tmpfs
        target: /cache
        tmpfs:
          size: 1m
    tmpfs:
      - /tmp:size=16m,mode=1777
    shm_size: 64m
    ports:
      - "127.0.0.1:5432:5432"
      - "[::1]:8080:80/udp"
    ulimits:
      nproc: 64
      nofile:
        soft: 1024
        hard: 2048
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    security_opt:
      - no-new-privileges:true
      - seccomp=unconfined
    ipc: host
    pid: host
volumes:
  data:
)", "db");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const spec::ContainerSpec& spec = plan->create.spec;
  EXPECT_TRUE(spec.root().readonly());
  ASSERT_EQ(spec.mounts_size(), 6);
  EXPECT_EQ(spec.mounts(0).type(), "volume");
  EXPECT_EQ(spec.mounts(0).source(), "shop_data");
  EXPECT_EQ(spec.mounts(1).type(), "bind");
  EXPECT_EQ(spec.mounts(1).source(), dir_ + "/project/conf");
  EXPECT_THAT(spec.mounts(1).options(), Contains("ro"));
  EXPECT_EQ(spec.mounts(2).type(), "volume");
  EXPECT_EQ(spec.mounts(2).source(), "");
  EXPECT_EQ(spec.mounts(3).type(), "tmpfs");
  EXPECT_THAT(spec.mounts(3).options(), Contains("size=1048576"));
  EXPECT_EQ(spec.mounts(4).destination(), "/tmp");
  EXPECT_THAT(spec.mounts(4).options(), ElementsAre("size=16m", "mode=1777"));
  EXPECT_EQ(spec.mounts(5).destination(), "/dev/shm");
  EXPECT_THAT(spec.mounts(5).options(), Contains("size=67108864"));
  EXPECT_THAT(spec.network().ports(), ElementsAre("127.0.0.1:5432:5432/tcp", "[::1]:8080:80/udp"));
  ASSERT_EQ(spec.security().rlimits_size(), 2);
  EXPECT_EQ(spec.security().rlimits(0).type(), "nofile");
  EXPECT_EQ(spec.security().rlimits(0).soft(), 1024u);
  EXPECT_EQ(spec.security().rlimits(0).hard(), 2048u);
  EXPECT_EQ(spec.security().rlimits(1).type(), "nproc");
  EXPECT_EQ(spec.security().rlimits(1).soft(), 64u);
  EXPECT_THAT(spec.security().capabilities().add(), ElementsAre("NET_ADMIN"));
  EXPECT_THAT(spec.security().capabilities().drop(), ElementsAre("ALL"));
  EXPECT_TRUE(spec.security().no_new_privileges());
  EXPECT_EQ(spec.security().seccomp().mode(), spec::Seccomp::UNCONFINED);
  EXPECT_FALSE(spec.namespaces().ipc());
  EXPECT_FALSE(spec.namespaces().pid());
}

TEST_F(ServiceSpecTest, HealthcheckRestartAndStop) {
  absl::StatusOr<ServiceContainer> plan = Plan(R"(
services:
  db:
    image: base:1
    healthcheck:
      test: pg_isready
      interval: 2s
      timeout: 1s
      start_period: 5s
      retries: 4
    restart: on-failure:3
    stop_signal: SIGINT
    stop_grace_period: 1m30s
)", "db");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const container::HealthcheckConfig& health = plan->create.healthcheck;
  EXPECT_THAT(health.test(), ElementsAre("CMD-SHELL", "pg_isready"));
  EXPECT_EQ(health.interval_ns(), 2000000000);
  EXPECT_EQ(health.timeout_ns(), 1000000000);
  EXPECT_EQ(health.start_period_ns(), 5000000000);
  EXPECT_EQ(health.retries(), 4);
  EXPECT_EQ(plan->create.restart_policy.name(), "on-failure");
  EXPECT_EQ(plan->create.restart_policy.maximum_retry_count(), 3);
  EXPECT_EQ(plan->stop_signal, SIGINT);
  EXPECT_EQ(plan->stop_grace_period, absl::Seconds(90));
}

TEST_F(ServiceSpecTest, UnappliedFieldsWarn) {
  absl::StatusOr<ServiceContainer> plan = Plan(R"(
services:
  web:
    image: base:1
    init: true
    ports:
      - "80"
)", "web");
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(warnings_.size(), 2u);
  EXPECT_THAT(warnings_[0], HasSubstr("service web: init: not applied: pycontain-init not found"));
  EXPECT_THAT(warnings_[1], HasSubstr("port 80 is not published"));
}

TEST_F(ServiceSpecTest, ExtraHostsGoToNetwork) {
  absl::StatusOr<ServiceContainer> plan = Plan(R"(
services:
  web:
    image: base:1
    extra_hosts:
      - "db:10.0.0.5"
      - "v6=2001:db8::5"
)", "web");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(warnings_.empty());
  const spec::Network& network = plan->create.spec.network();
  ASSERT_EQ(network.extra_hosts_size(), 2);
  EXPECT_EQ(network.extra_hosts(0), "db:10.0.0.5");
  EXPECT_EQ(network.extra_hosts(1), "v6:2001:db8::5");
}

TEST_F(ServiceSpecTest, DnsGoesToNetwork) {
  absl::StatusOr<ServiceContainer> plan = Plan(R"(
services:
  web:
    image: base:1
    dns: [192.0.2.53, "2001:db8::53"]
    dns_search: example.test
    dns_opt: [ndots:2]
)", "web");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(warnings_.empty());
  const spec::Network& network = plan->create.spec.network();
  ASSERT_EQ(network.dns_size(), 2);
  EXPECT_EQ(network.dns(0), "192.0.2.53");
  EXPECT_EQ(network.dns(1), "2001:db8::53");
  ASSERT_EQ(network.dns_search_size(), 1);
  EXPECT_EQ(network.dns_search(0), "example.test");
  ASSERT_EQ(network.dns_options_size(), 1);
  EXPECT_EQ(network.dns_options(0), "ndots:2");
}

TEST_F(ServiceSpecTest, SysctlsGoToSpec) {
  absl::StatusOr<ServiceContainer> mapping = Plan(R"(
services:
  web:
    image: base:1
    sysctls:
      net.core.somaxconn: 1024
      kernel.shmmax: "65536"
)", "web");
  ASSERT_TRUE(mapping.ok()) << mapping.status();
  EXPECT_TRUE(warnings_.empty());
  const auto& sysctls = mapping->create.spec.sysctls();
  ASSERT_EQ(sysctls.size(), 2u);
  EXPECT_EQ(sysctls.at("net.core.somaxconn"), "1024");
  EXPECT_EQ(sysctls.at("kernel.shmmax"), "65536");

  absl::StatusOr<ServiceContainer> list = Plan(R"(
services:
  web:
    image: base:1
    sysctls:
      - net.ipv4.ip_forward=1
)", "web");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->create.spec.sysctls().size(), 1u);
  EXPECT_EQ(list->create.spec.sysctls().at("net.ipv4.ip_forward"), "1");
}

TEST_F(ServiceSpecTest, InitRunsCommandUnderInit) {
  std::string init = dir_ + "/pycontain-init";
  testing::WriteFile(dir_, "pycontain-init", "");
  ASSERT_EQ(chmod(init.c_str(), 0755), 0);
  setenv("PYCONTAIN_INIT", init.c_str(), 1);
  absl::StatusOr<ServiceContainer> with_command = Plan(R"(
services:
  web:
    image: base:1
    init: true
    command: ["httpd", "-f"]
)", "web");
  absl::StatusOr<ServiceContainer> image_command = Plan(R"(
services:
  web:
    image: base:1
    init: true
)", "web");
  unsetenv("PYCONTAIN_INIT");
  ASSERT_TRUE(with_command.ok()) << with_command.status();
  EXPECT_THAT(with_command->create.spec.process().args(),
              ElementsAre("/sbin/docker-init", "--", "httpd", "-f"));
  ASSERT_EQ(with_command->create.spec.mounts_size(), 1);
  EXPECT_EQ(with_command->create.spec.mounts(0).source(), init);
  EXPECT_EQ(with_command->create.spec.mounts(0).destination(), "/sbin/docker-init");
  ASSERT_TRUE(image_command.ok()) << image_command.status();
  EXPECT_THAT(image_command->create.spec.process().args(),
              ElementsAre("/sbin/docker-init", "--", "/bin/image-default"));
  EXPECT_THAT(warnings_, IsEmpty());
}

TEST_F(ServiceSpecTest, FieldsThatCannotApplyAreErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ipc: \"container:\"", "ipc: \"container:\" is not a valid IPC mode"},
      {"ipc: \"other\"", "ipc: \"other\" is not a valid IPC mode"},
      {"pid: \"private\"", "pid: \"private\" is not a valid PID mode"},
      {"security_opt: [\"label=disable\", \"bogus=1\"]", "unknown option \"bogus=1\""},
      {"restart: sometimes", "invalid restart policy \"sometimes\""},
      {"stop_signal: SIGNOPE", "unknown signal \"SIGNOPE\""},
      {"memswap_limit: 64m", "memswap_limit: needs mem_limit"},
      {"healthcheck:\n      test: [\"RUN\", \"x\"]", "invalid health check test"},
  };
  for (const auto& [field, message] : cases) {
    std::string yaml = absl::StrCat(
        "services:\n  web:\n    image: base:1\n    ", field,
        "\n  other:\n    image: base:1\n");
    absl::StatusOr<ServiceContainer> plan = Plan(yaml, "web");
    ASSERT_FALSE(plan.ok()) << field;
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(plan.status().message(), HasSubstr(message)) << field;
  }
}

TEST_F(ServiceSpecTest, IpcAndPidDonors) {
  absl::StatusOr<ServiceContainer> plan = Plan(
      "services:\n  web:\n    image: base:1\n    ipc: service:other\n"
      "    pid: container:shop-db-1\n  other:\n    image: base:1\n",
      "web");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->ipc_donor.service, "other");
  EXPECT_EQ(plan->ipc_donor.container, "");
  EXPECT_EQ(plan->pid_donor.service, "");
  EXPECT_EQ(plan->pid_donor.container, "shop-db-1");
  // The donors' ids are set when the container is created.
  EXPECT_FALSE(plan->create.spec.namespaces().has_join_ipc());
  EXPECT_FALSE(plan->create.spec.namespaces().has_join_pid());
  EXPECT_FALSE(plan->create.spec.namespaces().has_ipc());
  EXPECT_FALSE(plan->create.spec.namespaces().has_pid());
  EXPECT_EQ(plan->create.labels.at(kDependsOnLabel), "other:service_started:false");

  absl::StatusOr<ServiceContainer> shareable =
      Plan("services:\n  web:\n    image: base:1\n    ipc: shareable\n", "web");
  ASSERT_TRUE(shareable.ok()) << shareable.status();
  EXPECT_TRUE(shareable->ipc_donor.empty());
  EXPECT_FALSE(shareable->create.spec.namespaces().has_ipc());
  EXPECT_EQ(shareable->create.labels.count(kDependsOnLabel), 0u);
}

TEST_F(ServiceSpecTest, MissingImageAndBuild) {
  absl::StatusOr<ServiceContainer> missing = Plan("services:\n  web:\n    image: nothere\n", "web");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("image \"nothere\" not found"));
  absl::StatusOr<ServiceContainer> build = Plan("services:\n  web:\n    build: .\n", "web");
  EXPECT_EQ(build.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(build.status().message(), HasSubstr("not supported yet"));
}

TEST_F(ServiceSpecTest, ReplicasAndContainerName) {
  absl::StatusOr<ServiceContainer> named = Plan(R"(
services:
  web:
    image: base:1
    container_name: the-web
)", "web");
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->create.name, "the-web");
  absl::StatusOr<ServiceContainer> scaled = Plan(R"(
services:
  web:
    image: base:1
    container_name: the-web
    deploy:
      replicas: 2
)", "web");
  EXPECT_EQ(scaled.status().code(), absl::StatusCode::kInvalidArgument);

  yaml::Node service = yaml::Node::Mapping();
  EXPECT_EQ(ServiceReplicas(service), 1);
  service.Set("scale", yaml::Node::Scalar("3"));
  EXPECT_EQ(ServiceReplicas(service), 3);
  yaml::Node deploy = yaml::Node::Mapping();
  deploy.Set("replicas", yaml::Node::Scalar("5"));
  service.Set("deploy", deploy);
  EXPECT_EQ(ServiceReplicas(service), 5);
}

TEST(ParseSignalTest, NamesAndNumbers) {
  EXPECT_EQ(*ParseSignal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*ParseSignal("term"), SIGTERM);
  EXPECT_EQ(*ParseSignal("9"), SIGKILL);
  EXPECT_EQ(*ParseSignal("SIGUSR1"), SIGUSR1);
  EXPECT_FALSE(ParseSignal("SIGNOPE").ok());
  EXPECT_FALSE(ParseSignal("0").ok());
}

}  // namespace
}  // namespace pycontain::compose
