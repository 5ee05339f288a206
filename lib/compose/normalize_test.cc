#include "lib/compose/normalize.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/compose/schema.h"
#include "lib/compose/testing.h"

namespace pycontain::compose {
namespace {

using ::testing::HasSubstr;
using testing::ItemsAt;
using testing::KeysAt;
using testing::ScalarAt;

const FileContext kContext{.base_dir = "/srv/app", .home = "/home/u"};

// Parses, validates and normalizes one file.
absl::StatusOr<yaml::Node> Normalize(const std::string& text) {
  absl::StatusOr<yaml::Node> root = yaml::Parse(text, "compose.yaml");
  if (!root.ok()) return root.status();
  std::vector<Warning> warnings;
  absl::Status status = ValidateFile(*root, &warnings);
  if (!status.ok()) return status;
  status = NormalizeFile(&*root, kContext);
  if (!status.ok()) return status;
  return root;
}

yaml::Node Service(const std::string& body) {
  absl::StatusOr<yaml::Node> root = Normalize("services:\n  web:\n" + body);
  EXPECT_TRUE(root.ok()) << root.status();
  if (!root.ok()) return yaml::Node();
  return *root->Find("services")->Find("web");
}

TEST(NormalizeServiceTest, PortsInLongSyntax) {
  yaml::Node web = Service("    ports: ['127.0.0.1:8080:80/udp', 9000, {target: 22, published: 2222}]\n");
  EXPECT_EQ(KeysAt(web, "ports.0"), "mode,host_ip,target,published,protocol");
  EXPECT_EQ(ScalarAt(web, "ports.0.mode"), "ingress");
  EXPECT_EQ(ScalarAt(web, "ports.0.host_ip"), "127.0.0.1");
  EXPECT_EQ(ScalarAt(web, "ports.0.target"), "80");
  EXPECT_EQ(ScalarAt(web, "ports.0.published"), "8080");
  EXPECT_TRUE(testing::At(web, "ports.0.published")->quoted);
  EXPECT_FALSE(testing::At(web, "ports.0.target")->quoted);
  EXPECT_EQ(ScalarAt(web, "ports.0.protocol"), "udp");
  EXPECT_EQ(KeysAt(web, "ports.1"), "mode,target,protocol");
  EXPECT_EQ(KeysAt(web, "ports.2"), "mode,target,published,protocol");
  EXPECT_EQ(ScalarAt(web, "ports.2.published"), "2222");
}

TEST(NormalizeServiceTest, VolumesInLongSyntax) {
  yaml::Node web = Service(
      "    volumes:\n      - ./data:/data:ro\n      - ~/cfg:/cfg\n      - cache:/cache:nocopy\n"
      "      - /anonymous\n      - {type: bind, source: ../shared, target: /shared}\n"
      "      - {type: tmpfs, target: /t, tmpfs: {size: 1m}}\n");
  EXPECT_EQ(KeysAt(web, "volumes.0"), "type,source,target,read_only,bind");
  EXPECT_EQ(ScalarAt(web, "volumes.0.source"), "/srv/app/data");
  EXPECT_EQ(ScalarAt(web, "volumes.0.read_only"), "true");
  EXPECT_EQ(ScalarAt(web, "volumes.0.bind.create_host_path"), "true");
  EXPECT_EQ(ScalarAt(web, "volumes.1.source"), "/home/u/cfg");
  EXPECT_EQ(ScalarAt(web, "volumes.2.type"), "volume");
  EXPECT_EQ(ScalarAt(web, "volumes.2.volume.nocopy"), "true");
  EXPECT_EQ(KeysAt(web, "volumes.3"), "type,target,volume");
  EXPECT_EQ(ScalarAt(web, "volumes.4.source"), "/srv/shared");
  EXPECT_EQ(ScalarAt(web, "volumes.4.bind"), "<missing>");
  EXPECT_EQ(ScalarAt(web, "volumes.5.tmpfs.size"), "1048576");
}

TEST(NormalizeServiceTest, MappingsFromLists) {
  yaml::Node web = Service(
      "    environment: [A=1, B=, C, D=x=y]\n    labels: [tier=front, flag]\n"
      "    sysctls: {net.core.somaxconn: 1024}\n"
      "    extra_hosts: ['db:10.0.0.1', 'v6=::1', 'gw:host-gateway', 'b=[::2]', 'two=1.1.1.1,::3']\n");
  EXPECT_EQ(ScalarAt(web, "environment.A"), "1");
  EXPECT_EQ(ScalarAt(web, "environment.B"), "");
  EXPECT_EQ(ScalarAt(web, "environment.C"), "<null>");
  EXPECT_EQ(ScalarAt(web, "environment.D"), "x=y");
  EXPECT_EQ(ScalarAt(web, "labels.tier"), "front");
  EXPECT_EQ(ScalarAt(web, "labels.flag"), "");
  EXPECT_EQ(ScalarAt(web, "sysctls.net.core.somaxconn"), "<missing>");  // dotted key
  EXPECT_EQ(web.Find("sysctls")->Find("net.core.somaxconn")->scalar, "1024");
  EXPECT_TRUE(web.Find("sysctls")->Find("net.core.somaxconn")->quoted);
  EXPECT_EQ(ScalarAt(web, "extra_hosts.db"), "10.0.0.1");
  EXPECT_EQ(ScalarAt(web, "extra_hosts.v6"), "::1");
  EXPECT_EQ(ScalarAt(web, "extra_hosts.gw"), "host-gateway");
  EXPECT_EQ(ScalarAt(web, "extra_hosts.b"), "::2");
  EXPECT_EQ(ItemsAt(web, "extra_hosts.two"), "1.1.1.1,::3");
}

TEST(NormalizeServiceTest, LaterListEntryWinsWithItsMark) {
  yaml::Node web = Service("    environment: [A=1, B=2, A=3]\n");
  EXPECT_EQ(KeysAt(web, "environment"), "A,B");
  EXPECT_EQ(ScalarAt(web, "environment.A"), "3");
  EXPECT_EQ(web.Find("environment")->FindEntry("A")->key_mark.column, 29);
}

TEST(NormalizeServiceTest, ExtraHostWithoutAddress) {
  EXPECT_THAT(Normalize("services:\n  web:\n    extra_hosts: [db]\n").status().message(),
              HasSubstr("3:19: services.web.extra_hosts[0]: invalid extra host \"db\""));
}

TEST(NormalizeServiceTest, CommandsAndHealthcheck) {
  yaml::Node web = Service(
      "    command: sh -c 'echo hi'\n    entrypoint: [\"/init\", 1]\n"
      "    healthcheck:\n      test: curl -f http://localhost\n      interval: 90s\n"
      "      retries: '3'\n      start_period: 1500ms\n");
  EXPECT_EQ(ItemsAt(web, "command"), "sh,-c,echo hi");
  EXPECT_EQ(ItemsAt(web, "entrypoint"), "/init,1");
  EXPECT_EQ(ItemsAt(web, "healthcheck.test"), "CMD-SHELL,curl -f http://localhost");
  EXPECT_EQ(ScalarAt(web, "healthcheck.interval"), "1m30s");
  EXPECT_EQ(ScalarAt(web, "healthcheck.retries"), "3");
  EXPECT_EQ(ScalarAt(web, "healthcheck.start_period"), "1.5s");
  EXPECT_EQ(KeysAt(web, "healthcheck"), "test,interval,retries,start_period");
}

TEST(NormalizeServiceTest, DependsOnNetworksAndEnvFiles) {
  yaml::Node web = Service(
      "    depends_on: [db]\n    networks: [front]\n"
      "    env_file: [a.env, {path: /etc/b.env, required: false}]\n"
      "    extends: base\n    build: ./ctx\n    dns: 1.1.1.1\n    tmpfs: /run\n");
  EXPECT_EQ(KeysAt(web, "depends_on.db"), "condition,required");
  EXPECT_EQ(ScalarAt(web, "depends_on.db.condition"), "service_started");
  EXPECT_EQ(ScalarAt(web, "depends_on.db.required"), "true");
  EXPECT_EQ(ScalarAt(web, "networks.front"), "<null>");
  EXPECT_EQ(ScalarAt(web, "env_file.0.path"), "/srv/app/a.env");
  EXPECT_EQ(ScalarAt(web, "env_file.0.required"), "true");
  EXPECT_EQ(ScalarAt(web, "env_file.1.required"), "false");
  EXPECT_EQ(ScalarAt(web, "extends.service"), "base");
  EXPECT_EQ(ScalarAt(web, "build.context"), "/srv/app/ctx");
  EXPECT_EQ(ItemsAt(web, "dns"), "1.1.1.1");
  EXPECT_EQ(ItemsAt(web, "tmpfs"), "/run");
}

TEST(NormalizeServiceTest, ScalarConversions) {
  yaml::Node web = Service(
      "    init: yes\n    read_only: 'off'\n    mem_limit: 1.5g\n    memswap_limit: -1\n"
      "    cpus: '.5'\n    pids_limit: '064'\n    stop_grace_period: 1h\n    user: 1000\n"
      "    ulimits: {nofile: '10', core: {soft: 0, hard: '1'}}\n"
      "    deploy: {resources: {limits: {memory: 16m, cpus: 2}}}\n");
  EXPECT_EQ(ScalarAt(web, "init"), "true");
  EXPECT_EQ(ScalarAt(web, "read_only"), "false");
  EXPECT_EQ(ScalarAt(web, "mem_limit"), "1610612736");
  EXPECT_EQ(ScalarAt(web, "memswap_limit"), "-1");
  EXPECT_EQ(ScalarAt(web, "cpus"), "0.5");
  EXPECT_EQ(ScalarAt(web, "pids_limit"), "64");
  EXPECT_EQ(ScalarAt(web, "stop_grace_period"), "1h");
  EXPECT_EQ(ScalarAt(web, "user"), "1000");
  EXPECT_TRUE(testing::At(web, "user")->quoted);
  EXPECT_EQ(ScalarAt(web, "ulimits.nofile"), "10");
  EXPECT_EQ(ScalarAt(web, "ulimits.core.hard"), "1");
  EXPECT_EQ(ScalarAt(web, "deploy.resources.limits.memory"), "16777216");
  EXPECT_EQ(ScalarAt(web, "deploy.resources.limits.cpus"), "2");
}

TEST(NormalizeServiceTest, ErrorsNameTheItem) {
  EXPECT_THAT(Normalize("services:\n  web:\n    ports: ['80', 'x:80']\n").status().message(),
              HasSubstr("compose.yaml:3:19: services.web.ports[1]: invalid port \"x:80\""));
  EXPECT_THAT(Normalize("services:\n  web:\n    volumes: ['a:b']\n").status().message(),
              HasSubstr("compose.yaml:3:15: services.web.volumes[0]: invalid volume \"a:b\""));
  EXPECT_THAT(Normalize("services:\n  web:\n    command: echo 'oops\n").status().message(),
              HasSubstr("compose.yaml:3:14: services.web.command: unterminated '"));
}

TEST(NormalizeFileTest, TopLevelResources) {
  absl::StatusOr<yaml::Node> root = Normalize(
      "networks:\n  front:\n  old:\n    external:\n      name: legacy\n"
      "volumes:\n  data:\n    external: yes\n");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_TRUE(testing::At(*root, "networks.front")->IsMapping());
  EXPECT_EQ(ScalarAt(*root, "networks.old.external"), "true");
  EXPECT_EQ(ScalarAt(*root, "networks.old.name"), "legacy");
  EXPECT_EQ(KeysAt(*root, "networks.old"), "name,external");
  EXPECT_EQ(ScalarAt(*root, "volumes.data.external"), "true");
}

}  // namespace
}  // namespace pycontain::compose
