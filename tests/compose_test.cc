// Compose projects run as root on the real kernel through the pycontain
// CLI. The container course's layouts (a CTF nc challenge, a platform of
// database, cache, pooler, app and proxy, a health-check lab) run on a
// busybox image imported in the test. Further tests cover the memory-limit
// trap, depends_on conditions, restart policies, run and exec, and files
// that must start nothing. Every test checks in TearDown that no container, network,
// veth, mount, cgroup, monitor process or volume is left.
#include <arpa/inet.h>
#include <dirent.h>
#include <glob.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/compose/service_spec.h"
#include "lib/container/health.h"
#include "lib/container/managed.h"
#include "lib/container/record.h"
#include "lib/container/state_dir.h"
#include "lib/container/volume.h"
#include "lib/image/image_io.h"
#include "lib/image/store.h"
#include "lib/net/network.h"
#include "lib/overlay/overlay.h"
#include "tests/testing.h"

extern char** environ;

namespace pycontain {
namespace {

using testing::ReadFile;
using testing::WriteFile;
using testing::EntrySet;
using testing::CgroupsOf;
using testing::ProcessAlive;
using testing::Eventually;
using testing::RunCli;
using testing::Describe;
using testing::CliResult;

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Connects to 127.0.0.1:`port` and returns what the server sends until it
// closes the connection, or "" when nothing listens.
std::string ReadFromPort(int port, const std::string& request = "") {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string text;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    if (!request.empty() && write(fd, request.data(), request.size()) < 0) text = "write failed";
    timeval timeout = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  }
  close(fd);
  return text;
}

std::vector<std::string> NetworkNames() {
  net::HostOptions options;
  options.state_dir = net::NetworkStateDir(container::StateRoot());
  std::vector<std::string> names;
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = net::NetworkHost::Open(options);
  if (!host.ok()) return names;
  absl::StatusOr<std::vector<net::NetworkRecord>> all = (*host)->ListNetworks();
  if (!all.ok()) return names;
  for (const net::NetworkRecord& record : *all) names.push_back(record.name());
  return names;
}

class ComposeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "compose projects run images, which needs root";
    std::string pattern = absl::StrCat(getenv("TEST_TMPDIR"), "/compose-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    // Every test gets its own store, and so its own containers and
    // volumes, through the variable that the CLI and monitors read too.
    setenv("PYCONTAIN_ROOT", (dir_ + "/store").c_str(), 1);
    setenv("PYCONTAIN_INIT",
           absl::StrCat(getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"),
                        "/lib/container/init/pycontain-init")
               .c_str(),
           1);
    absl::StatusOr<image::Store> store = image::Store::Open({});
    ASSERT_TRUE(store.ok()) << store.status();
    store_.emplace(std::move(*store));
    ImportBusybox();
    links_before_ = EntrySet("/sys/class/net");
    networks_before_ = NetworkNames();
    before_ = testing::TakeSnapshot();
  }

  void TearDown() override {
    if (!store_.has_value()) return;
    absl::StatusOr<std::vector<container::ManagedContainer>> left =
        container::ListContainers({.all = true, .labels = {}});
    ASSERT_TRUE(left.ok()) << left.status();
    EXPECT_THAT(*left, IsEmpty()) << "containers left behind";
    for (const container::ManagedContainer& c : *left) {
      ids_.insert(c.id());
      EXPECT_TRUE(container::RemoveContainer(c.id(), {.force = true}).ok());
    }
    EXPECT_EQ(NetworkNames(), networks_before_) << "networks left behind";
    EXPECT_TRUE(Eventually([&] { return EntrySet("/sys/class/net") == links_before_; }))
        << "network links left behind";
    for (pid_t pid : monitors_) EXPECT_FALSE(ProcessAlive(pid)) << "monitor pid " << pid;
    for (const std::string& id : ids_) EXPECT_THAT(CgroupsOf(id), IsEmpty()) << id;
    absl::StatusOr<container::VolumeStore> volumes = container::VolumeStore::Open("");
    ASSERT_TRUE(volumes.ok()) << volumes.status();
    absl::StatusOr<std::vector<container::VolumeRecord>> records = volumes->List();
    ASSERT_TRUE(records.ok()) << records.status();
    EXPECT_THAT(*records, IsEmpty()) << "volumes left behind";
    EXPECT_TRUE(store_->UnmountLayers().ok());
    // An autoclear loop device can stay attached for a moment after the
    // last unmount (seen on Linux 6.18), so the check waits for it.
    Eventually([&] { return testing::TakeSnapshot().loop_devices == before_.loop_devices; },
               absl::Seconds(5));
    testing::ExpectNothingLeaked(before_);
    EXPECT_TRUE(overlay::RemoveTree(dir_).ok());
    unsetenv("PYCONTAIN_ROOT");
  }

  void ImportBusybox() {
    std::string tarball = dir_ + "/busybox.tar";
    std::string command = absl::StrCat("tar -cf ", tarball, " -C ", testing::BusyboxRoot(), " .");
    ASSERT_EQ(system(command.c_str()), 0) << command;
    image::ImportOptions options;
    options.names = {"busybox:latest"};
    options.env = {"PATH=/bin:/sbin:/usr/bin"};
    absl::StatusOr<std::string> id = image::ImportTarball(*store_, tarball, options);
    ASSERT_TRUE(id.ok()) << id.status();
  }

  // Writes `files` (relative path -> content) into the project directory
  // <dir_>/<name> and returns it.
  std::string MakeProject(const std::string& name,
                          const std::vector<std::pair<std::string, std::string>>& files) {
    std::string project = absl::StrCat(dir_, "/", name);
    mkdir(project.c_str(), 0755);
    for (const auto& [path, text] : files) {
      std::string full = absl::StrCat(project, "/", path);
      mkdir(full.substr(0, full.rfind('/')).c_str(), 0755);
      WriteFile(full, text, absl::StrContains(path, "run") ? 0755 : 0644);
    }
    return project;
  }

  // Runs `pycontain compose -f <project>/compose.yaml ARGS...`.
  CliResult Compose(const std::string& project, const std::vector<std::string>& args) {
    std::vector<std::string> all = {"compose", "-f", project + "/compose.yaml"};
    all.insert(all.end(), args.begin(), args.end());
    CliResult result = RunCli(all);
    RememberContainers();
    return result;
  }

  // Notes the ids and monitors of the current containers for TearDown.
  void RememberContainers() {
    absl::StatusOr<std::vector<container::ManagedContainer>> all =
        container::ListContainers({.all = true, .labels = {}});
    if (!all.ok()) return;
    for (const container::ManagedContainer& c : *all) {
      ids_.insert(c.id());
      if (c.state.monitor_pid() > 0) monitors_.insert(c.state.monitor_pid());
    }
  }

  absl::StatusOr<container::ManagedContainer> Find(const std::string& name) {
    RememberContainers();
    return container::ResolveContainer(name);
  }

  std::string dir_;
  std::optional<image::Store> store_;
  testing::HostSnapshot before_;
  std::set<std::string> links_before_;
  std::vector<std::string> networks_before_;
  std::set<std::string> ids_;
  std::set<pid_t> monitors_;
};

// The busybox sh that replaces each server exits on SIGTERM at once,
// because as PID 1 it would otherwise ignore the signal until the grace
// period ends.
constexpr char kIdle[] = "trap 'exit 0' TERM; sleep 1000 & wait";

TEST_F(ComposeTest, CtfChallengeLayout) {
  std::string project = MakeProject("nc-challenge", {
      {".env", "CHALLENGE_PORT=1337\nCHALLENGE_NAME=baby-nc\nFLAG=CTF{from-the-env-file}\n"
               "MEMORY_LIMIT=64m\nPUBLISH_PORT=18337\n"},
      {"challenge/run", "#!/bin/sh\necho \"welcome to $CHALLENGE_NAME\"\necho \"$FLAG\"\n"},
      {"site/index.html", "the rules\n"},
      {"compose.yaml", R"(
services:
  front:
    image: busybox
    command: ["nc", "-ll", "-p", "${CHALLENGE_PORT}", "-e", "/challenge/run"]
    ports:
      - "127.0.0.1:${PUBLISH_PORT}:${CHALLENGE_PORT}"
    environment:
      FLAG: ${FLAG:?the challenge needs a FLAG}
      CHALLENGE_NAME: ${CHALLENGE_NAME}
      TIMEOUT: ${TIMEOUT:-60}
    read_only: true
    tmpfs:
      - /tmp:size=16m
    ipc: shareable
    mem_limit: ${MEMORY_LIMIT:-64m}
    memswap_limit: ${MEMORY_LIMIT:-64m}
    pids_limit: 64
    cpus: 0.5
    ulimits:
      # nproc counts every process of the uid on the host, root included.
      nproc: 10000
      nofile:
        soft: 1024
        hard: 2048
    deploy:
      resources:
        limits:
          memory: ${MEMORY_LIMIT:-64m}
    restart: unless-stopped
    stop_signal: SIGKILL
    volumes:
      - ./challenge:/challenge:ro
  web:
    image: busybox
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    init: true
    ports:
      - "127.0.0.1:18380:80"
    volumes:
      - ./site:/www:ro
    depends_on:
      - front
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  EXPECT_THAT(up.err, Not(HasSubstr("init")));

  absl::StatusOr<container::ManagedContainer> front = Find("nc-challenge-front-1");
  ASSERT_TRUE(front.ok()) << front.status();
  EXPECT_TRUE(front->running());
  EXPECT_EQ(front->config.labels().at("com.docker.compose.project"), "nc-challenge");
  EXPECT_EQ(front->config.labels().at(compose::kServiceLabel), "front");
  EXPECT_EQ(front->config.restart_policy().name(), "unless-stopped");
  absl::StatusOr<container::ManagedContainer> web = Find("nc-challenge-web-1");
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_TRUE(web->running());

  // Players reach the challenge on the published port; the flag comes
  // from .env through interpolation.
  EXPECT_TRUE(Eventually([] { return !ReadFromPort(18337).empty(); }));
  EXPECT_EQ(ReadFromPort(18337), "welcome to baby-nc\nCTF{from-the-env-file}\n");
  EXPECT_THAT(ReadFromPort(18380, "GET /index.html HTTP/1.0\r\n\r\n"), HasSubstr("the rules"));

  // The limits are in force in the kernel.
  std::string memory = absl::StrCat("/sys/fs/cgroup/memory/pycontain/", front->id(),
                                    "/memory.limit_in_bytes");
  std::string memory_v2 = absl::StrCat("/sys/fs/cgroup/pycontain/", front->id(), "/memory.max");
  std::string limit = ReadFile(memory);
  if (limit.empty()) limit = ReadFile(memory_v2);
  EXPECT_EQ(limit, "67108864\n");
  // The limits of the service's own command (PID 1).
  CliResult limits = Compose(project, {"exec", "front", "cat", "/proc/1/limits"});
  ASSERT_EQ(limits.status, 0) << Describe(limits);
  EXPECT_THAT(limits.out, HasSubstr("Max open files            1024                 2048"));
  CliResult read_only = Compose(project, {"exec", "front", "sh", "-c",
                                          "touch /tmp/ok && ! touch /not-allowed 2>/dev/null"});
  EXPECT_EQ(read_only.status, 0) << Describe(read_only);

  // Services find each other by name on the project's network.
  CliResult fetch = Compose(project, {"exec", "front", "wget", "-q", "-O-", "http://web/"});
  EXPECT_EQ(fetch.status, 0) << Describe(fetch);
  EXPECT_EQ(fetch.out, "the rules\n");

  // With init: true, pycontain-init is PID 1 and httpd its child.
  CliResult init = Compose(project, {"exec", "web", "cat", "/proc/1/cmdline"});
  ASSERT_EQ(init.status, 0) << Describe(init);
  EXPECT_EQ(init.out, std::string("/sbin/docker-init\0--\0httpd\0-f\0-p\0" "80\0-h\0/www\0", 44));

  CliResult ps = Compose(project, {"ps"});
  ASSERT_EQ(ps.status, 0) << Describe(ps);
  EXPECT_THAT(ps.out, HasSubstr("nc-challenge-front-1"));
  EXPECT_THAT(ps.out, HasSubstr("nc-challenge-web-1"));

  CliResult down = Compose(project, {"down", "-v"});
  ASSERT_EQ(down.status, 0) << Describe(down);
  EXPECT_THAT(down.err, HasSubstr("Network nc-challenge_default  Removed"));
  EXPECT_EQ(ReadFromPort(18337), "");
}

constexpr char kPlatform[] = R"(
x-restart-policy: &restart
  restart: unless-stopped
  stop_grace_period: 5s

x-database-env: &database-env
  POSTGRES_DB: ctf
  POSTGRES_USER: ctf

services:
  db:
    <<: *restart
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; echo $$POSTGRES_DB > /var/lib/db/name; sleep 0.5; echo ready > /www/ready; httpd -f -p 80 -h /www & wait"]
    environment:
      <<: *database-env
      POSTGRES_PASSWORD: ${DB_PASSWORD:-insecure}
    volumes:
      - db-data:/var/lib/db
    shm_size: 64m
    healthcheck:
      test: wget -q -O- http://127.0.0.1/ready
      interval: 200ms
      timeout: 2s
      retries: 50
  cache:
    <<: *restart
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; nc -ll -p 11211 -e echo cached & wait"]
    mem_limit: 96m
  pooler:
    <<: *restart
    image: busybox
    environment:
      <<: *database-env
      DB_HOST: db
    command: ["sh", "-c", "wget -q -O- http://$$DB_HOST/ready; trap 'exit 0' TERM; sleep 1000 & wait"]
    depends_on:
      db:
        condition: service_healthy
  app:
    <<: *restart
    image: busybox
    environment:
      <<: *database-env
      DATABASE_HOST: pooler
      MEMCACHED: cache:11211
    command: ["sh", "-c", "nc cache 11211 </dev/null; trap 'exit 0' TERM; sleep 1000 & wait"]
    depends_on:
      - pooler
      - cache
    expose:
      - 8000
  proxy:
    <<: *restart
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    depends_on:
      - app

volumes:
  db-data:
)";

TEST_F(ComposeTest, PlatformLayout) {
  std::string project = MakeProject("platform", {{"compose.yaml", kPlatform}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  // The pooler waited for the database's health check.
  EXPECT_LT(up.err.find("Container platform-db-1  Healthy"),
            up.err.find("Container platform-pooler-1  Started"));
  EXPECT_LT(up.err.find("Container platform-app-1  Started"),
            up.err.find("Container platform-proxy-1  Started"));

  for (const char* name : {"platform-db-1", "platform-cache-1", "platform-pooler-1",
                           "platform-app-1", "platform-proxy-1"}) {
    absl::StatusOr<container::ManagedContainer> c = Find(name);
    ASSERT_TRUE(c.ok()) << name << ": " << c.status();
    EXPECT_TRUE(c->running()) << name;
    // The anchor's restart policy reached every service through <<.
    EXPECT_EQ(c->config.restart_policy().name(), "unless-stopped") << name;
  }
  absl::StatusOr<container::ManagedContainer> db = Find("platform-db-1");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(db->state.health().status(), "healthy");

  // The pooler reached the database by name once it was healthy; the app
  // reached the cache.
  CliResult logs = Compose(project, {"logs", "pooler", "app"});
  ASSERT_EQ(logs.status, 0) << Describe(logs);
  EXPECT_THAT(logs.out, HasSubstr("pooler-1  | ready"));
  EXPECT_THAT(logs.out, HasSubstr("app-1     | cached"));

  // The named volume contains what the database wrote, and goes with -v.
  absl::StatusOr<container::VolumeStore> volumes = container::VolumeStore::Open("");
  ASSERT_TRUE(volumes.ok());
  absl::StatusOr<container::VolumeRecord> data = volumes->Inspect("platform_db-data");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(ReadFile(volumes->path() + "/platform_db-data/_data/name"), "ctf\n");

  CliResult down = Compose(project, {"down", "-v"});
  ASSERT_EQ(down.status, 0) << Describe(down);
  EXPECT_THAT(down.err, HasSubstr("Volume platform_db-data  Removed"));
}

TEST_F(ComposeTest, HealthLabStartsDependantWhenReady) {
  std::string project = MakeProject("healthlab", {{"compose.yaml", R"(
services:
  slow:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1; touch /tmp/ready; sleep 1000 & wait"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 200ms
      retries: 30
  waiter:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    depends_on:
      slow:
        condition: service_healthy
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  absl::StatusOr<container::ManagedContainer> slow = Find("healthlab-slow-1");
  absl::StatusOr<container::ManagedContainer> waiter = Find("healthlab-waiter-1");
  ASSERT_TRUE(slow.ok()) << slow.status();
  ASSERT_TRUE(waiter.ok()) << waiter.status();
  EXPECT_EQ(slow->state.health().status(), "healthy");
  // The waiter started after the first successful check ended, which
  // came after the ready file, a second after the start.
  const container::Health& health = slow->state.health();
  ASSERT_GT(health.log_size(), 0);
  std::string first_success;
  for (const container::HealthcheckResult& result : health.log()) {
    if (result.exit_code() == 0 && first_success.empty()) first_success = result.end();
  }
  ASSERT_FALSE(first_success.empty());
  absl::Time healthy_at;
  absl::Time waiter_started;
  absl::Time slow_started;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, first_success, &healthy_at, &error)) << error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, waiter->state.started_at(), &waiter_started,
                              &error)) << error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, slow->state.started_at(), &slow_started,
                              &error)) << error;
  EXPECT_GE(waiter_started, healthy_at);
  EXPECT_GE(waiter_started - slow_started, absl::Seconds(1));
  EXPECT_THAT(Compose(project, {"ps"}).out, HasSubstr("running (healthy)"));

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

TEST_F(ComposeTest, UnhealthyDependencyBlocksDependant) {
  std::string project = MakeProject("broken", {{"compose.yaml", R"(
services:
  never:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    healthcheck:
      test: ["CMD-SHELL", "echo not ready; exit 1"]
      interval: 100ms
      retries: 3
  dependant:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    depends_on:
      never:
        condition: service_healthy
  slow-check:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    healthcheck:
      test: ["CMD", "sleep", "10"]
      interval: 100ms
      timeout: 200ms
      retries: 2
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  EXPECT_EQ(up.status, 125) << Describe(up);
  EXPECT_THAT(up.err, HasSubstr("service dependant not started"));
  EXPECT_THAT(up.err, HasSubstr("container broken-never-1 is unhealthy"));
  absl::StatusOr<container::ManagedContainer> never = Find("broken-never-1");
  ASSERT_TRUE(never.ok()) << never.status();
  EXPECT_EQ(never->state.health().status(), "unhealthy");
  ASSERT_GT(never->state.health().log_size(), 0);
  EXPECT_EQ(never->state.health().log(0).output(), "not ready\n");
  EXPECT_EQ(Find("broken-dependant-1").status().code(), absl::StatusCode::kNotFound);

  // A check that outlives its timeout is killed and counts as a failure.
  CliResult slow_up = Compose(project, {"up", "-d", "slow-check"});
  ASSERT_EQ(slow_up.status, 0) << Describe(slow_up);
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<container::ManagedContainer> slow = Find("broken-slow-check-1");
    return slow.ok() && slow->state.health().status() == "unhealthy";
  }));
  absl::StatusOr<container::ManagedContainer> slow = Find("broken-slow-check-1");
  ASSERT_TRUE(slow.ok());
  ASSERT_GT(slow->state.health().log_size(), 0);
  EXPECT_EQ(slow->state.health().log(0).exit_code(), -1);
  EXPECT_THAT(slow->state.health().log(0).output(), HasSubstr("exceeded timeout"));

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

// The trap from the course: a limit that the file format silently ignored
// let a service use all memory. Both spellings must be applied.
TEST_F(ComposeTest, MemoryLimitTrapIsOomKilled) {
  std::string project = MakeProject("memtrap", {{"compose.yaml", R"(
x-allocate: &allocate
  image: busybox
  # The shell itself, the container's first process, holds the 32 MiB.
  command: ["sh", "-c", "x=$$(head -c 33554432 /dev/zero | tr '\\0' a); echo $${#x}"]
services:
  by-mem-limit:
    <<: *allocate
    mem_limit: 16m
  by-deploy:
    <<: *allocate
    deploy:
      resources:
        limits:
          memory: 16m
        reservations:
          memory: 8m
  unlimited:
    <<: *allocate
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  for (const char* name : {"memtrap-by-mem-limit-1", "memtrap-by-deploy-1", "memtrap-unlimited-1"}) {
    ASSERT_TRUE(Eventually([&] {
      absl::StatusOr<container::ManagedContainer> c = Find(name);
      return c.ok() && c->state.status() == "exited";
    })) << name;
  }
  for (const char* name : {"memtrap-by-mem-limit-1", "memtrap-by-deploy-1"}) {
    absl::StatusOr<container::ManagedContainer> c = Find(name);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->config.spec().resources().memory_bytes(), 16 << 20) << name;
    EXPECT_TRUE(c->state.oom_killed()) << name;
  }
  absl::StatusOr<container::ManagedContainer> deploy = Find("memtrap-by-deploy-1");
  ASSERT_TRUE(deploy.ok());
  EXPECT_EQ(deploy->config.spec().resources().memory_reservation_bytes(), 8 << 20);
  // Without a limit the same command completes: the limit made the
  // difference.
  absl::StatusOr<container::ManagedContainer> unlimited = Find("memtrap-unlimited-1");
  ASSERT_TRUE(unlimited.ok());
  EXPECT_FALSE(unlimited->state.oom_killed());
  EXPECT_EQ(unlimited->state.exit_code(), 0);
  EXPECT_THAT(Compose(project, {"logs", "unlimited"}).out, HasSubstr("33554432"));

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

TEST_F(ComposeTest, DownInAnotherProcessRemovesAll) {
  std::string project = MakeProject("twoprocs", {{"compose.yaml", absl::StrCat(R"(
services:
  web:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    scale: 2
    volumes:
      - named:/named
      - /anonymous
networks:
  back: {}
volumes:
  named:
)")}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  ASSERT_TRUE(Find("twoprocs-web-1").ok());
  ASSERT_TRUE(Find("twoprocs-web-2").ok());
  EXPECT_THAT(NetworkNames(), Contains("twoprocs_default"));
  absl::StatusOr<container::VolumeStore> volumes = container::VolumeStore::Open("");
  ASSERT_TRUE(volumes.ok());
  absl::StatusOr<std::vector<container::VolumeRecord>> made = volumes->List();
  ASSERT_TRUE(made.ok());
  // The named volume and one anonymous volume per replica.
  EXPECT_EQ(made->size(), 3u);

  // A second up with the same file keeps the running containers.
  CliResult again = Compose(project, {"up", "-d"});
  ASSERT_EQ(again.status, 0) << Describe(again);
  EXPECT_THAT(again.err, HasSubstr("Container twoprocs-web-1  Running"));

  // Each CLI call is its own process, so down finds the containers by
  // their labels.
  CliResult down = Compose(project, {"down", "-v"});
  ASSERT_EQ(down.status, 0) << Describe(down);
  EXPECT_THAT(NetworkNames(), Not(Contains("twoprocs_default")));
}

TEST_F(ComposeTest, MalformedFilesStartNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bad yaml", "services:\n  web:\n    image: [busybox\n"},
      {"unknown field", "services:\n  web:\n    image: busybox\n    imagine: 1\n"},
      {"wrong type", "services:\n  web:\n    image: busybox\n    mem_limit: [1]\n"},
      {"missing variable", "services:\n  web:\n    image: ${NOT_SET_ANYWHERE:?must be set}\n"},
      {"unknown dependency",
       "services:\n  web:\n    image: busybox\n    depends_on: [nothere]\n"},
      {"cycle",
       "services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n"
       "    depends_on: [a]\n"},
      // Valid for the loader, but the second service cannot run: the
      // first must not start either.
      {"invalid ipc mode",
       "services:\n  a:\n    image: busybox\n    command: [sleep, '1']\n  b:\n"
       "    image: busybox\n    ipc: 'other'\n"},
      {"missing image", "services:\n  a:\n    image: not-in-the-store\n"},
      {"build", "services:\n  a:\n    build: .\n"},
  };
  for (const auto& [name, text] : cases) {
    std::string project = MakeProject("malformed", {{"compose.yaml", text}});
    CliResult up = Compose(project, {"up", "-d"});
    EXPECT_EQ(up.status, 125) << name << ": " << Describe(up);
    EXPECT_THAT(up.err, Not(HasSubstr("Created"))) << name;
    absl::StatusOr<std::vector<container::ManagedContainer>> all =
        container::ListContainers({.all = true, .labels = {}});
    ASSERT_TRUE(all.ok());
    EXPECT_THAT(*all, IsEmpty()) << name;
    EXPECT_EQ(NetworkNames(), networks_before_) << name;
  }
  CliResult build = Compose(MakeProject("malformed", {{"compose.yaml", "services:\n  a:\n"
                                                                       "    build: .\n"}}),
                            {"up", "-d"});
  EXPECT_THAT(build.err, HasSubstr("not supported yet"));
  CliResult pull = Compose(MakeProject("malformed", {{"compose.yaml", "services:\n  a:\n"
                                                                      "    image: busybox\n"}}),
                           {"pull"});
  EXPECT_EQ(pull.status, 125);
  EXPECT_THAT(pull.err, HasSubstr("no registry configured"));
}

TEST_F(ComposeTest, RestartPolicies) {
  std::string project = MakeProject("restarts", {{"compose.yaml", absl::StrCat(R"(
services:
  failing:
    image: busybox
    command: ["sh", "-c", "echo run; exit 3"]
    restart: on-failure:2
  succeeding:
    image: busybox
    command: ["true"]
    restart: on-failure
  always:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    restart: always
)")}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  // Two restarts after the first run, then it stays exited.
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<container::ManagedContainer> c = Find("restarts-failing-1");
    return c.ok() && c->state.restart_count() == 2 && c->state.status() == "exited";
  })) << Describe(Compose(project, {"ps", "-a"}));
  absl::SleepFor(absl::Seconds(1));
  absl::StatusOr<container::ManagedContainer> failing = Find("restarts-failing-1");
  ASSERT_TRUE(failing.ok());
  EXPECT_EQ(failing->state.restart_count(), 2);
  EXPECT_EQ(failing->state.exit_code(), 3);
  EXPECT_EQ(failing->state.start_count(), 3);
  absl::StatusOr<container::ManagedContainer> succeeding = Find("restarts-succeeding-1");
  ASSERT_TRUE(succeeding.ok());
  EXPECT_EQ(succeeding->state.restart_count(), 0);

  // A crash is restarted; a stop is not.
  absl::StatusOr<container::ManagedContainer> always = Find("restarts-always-1");
  ASSERT_TRUE(always.ok());
  ASSERT_TRUE(container::KillContainer(always->id(), SIGKILL).ok());
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<container::ManagedContainer> c = Find("restarts-always-1");
    return c.ok() && c->running() && c->state.restart_count() == 1;
  }));
  CliResult stop = Compose(project, {"stop", "always"});
  ASSERT_EQ(stop.status, 0) << Describe(stop);
  absl::SleepFor(absl::Milliseconds(500));
  always = Find("restarts-always-1");
  ASSERT_TRUE(always.ok());
  EXPECT_FALSE(always->running());
  EXPECT_EQ(always->state.restart_count(), 1);

  CliResult start = Compose(project, {"start", "always"});
  ASSERT_EQ(start.status, 0) << Describe(start);
  EXPECT_TRUE(Find("restarts-always-1")->running());

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

TEST_F(ComposeTest, RunAndExecReturnExitCodes) {
  std::string project = MakeProject("oneoff", {{"compose.yaml", absl::StrCat(R"(
services:
  db:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
  tool:
    image: busybox
    command: ["echo", "default command"]
    environment:
      - FROM_COMPOSE=yes
    depends_on: [db]
)")}});
  CliResult run = Compose(project, {"run", "--rm", "tool", "sh", "-c",
                                    "echo $FROM_COMPOSE; ping -c1 -W2 db >/dev/null && exit 7"});
  EXPECT_EQ(run.status, 7) << Describe(run);
  EXPECT_EQ(run.out, "yes\n");
  // The dependency was started; the one-off container is gone.
  absl::StatusOr<container::ManagedContainer> db = Find("oneoff-db-1");
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(db->running());
  absl::StatusOr<std::vector<container::ManagedContainer>> all =
      container::ListContainers({.all = true, .labels = {}});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);

  CliResult exec = Compose(project, {"exec", "db", "sh", "-c", "echo in db; exit 5"});
  EXPECT_EQ(exec.status, 5) << Describe(exec);
  EXPECT_EQ(exec.out, "in db\n");
  CliResult options = Compose(project, {"exec", "-e", "GREETING=hello", "-w", "/tmp", "-u",
                                        "nobody", "db", "sh", "-c", "echo $GREETING $(pwd) $(id -un)"});
  EXPECT_EQ(options.status, 0) << Describe(options);
  EXPECT_EQ(options.out, "hello /tmp nobody\n");

  CliResult restart = Compose(project, {"restart"});
  ASSERT_EQ(restart.status, 0) << Describe(restart);
  EXPECT_EQ(Find("oneoff-db-1")->state.start_count(), 2);

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

TEST_F(ComposeTest, AttachedUpPrintsOutputUntilExit) {
  std::string project = MakeProject("attached", {{"compose.yaml", R"(
services:
  first:
    image: busybox
    command: ["sh", "-c", "echo hello from first"]
  second:
    image: busybox
    command: ["sh", "-c", "sleep 0.3; echo hello from second; exit 4"]
)"}});
  CliResult up = Compose(project, {"up"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  EXPECT_THAT(up.out, HasSubstr("first-1   | hello from first\n"));
  EXPECT_THAT(up.out, HasSubstr("second-1  | hello from second\n"));
  CliResult ps = Compose(project, {"ps", "-a"});
  EXPECT_THAT(ps.out, HasSubstr("exited (4)"));
  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

TEST_F(ComposeTest, CompletedDependencyGatesStart) {
  std::string project = MakeProject("migrations", {{"compose.yaml", absl::StrCat(R"(
services:
  migrate:
    image: busybox
    command: ["sh", "-c", "sleep 0.5; echo migrated"]
  app:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    ports:
      - "127.0.0.1:18390:80"
    depends_on:
      migrate:
        condition: service_completed_successfully
  failing-migrate:
    image: busybox
    command: ["sh", "-c", "exit 2"]
    profiles: [broken]
  broken-app:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    profiles: [broken]
    depends_on:
      failing-migrate:
        condition: service_completed_successfully
)")}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  absl::StatusOr<container::ManagedContainer> migrate = Find("migrations-migrate-1");
  absl::StatusOr<container::ManagedContainer> app = Find("migrations-app-1");
  ASSERT_TRUE(migrate.ok()) << migrate.status();
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(migrate->state.status(), "exited");
  EXPECT_EQ(migrate->state.exit_code(), 0);
  EXPECT_TRUE(app->running());
  EXPECT_GE(app->state.started_at(), migrate->state.finished_at());

  // A one-off container of a service with published ports leaves them to
  // the service's own container.
  CliResult run = Compose(project, {"run", "--rm", "app", "echo", "one-off"});
  EXPECT_EQ(run.status, 0) << Describe(run);
  EXPECT_EQ(run.out, "one-off\n");

  CliResult broken = Compose(project, {"--profile", "broken", "up", "-d", "broken-app"});
  EXPECT_EQ(broken.status, 125) << Describe(broken);
  EXPECT_THAT(broken.err, HasSubstr("container migrations-failing-migrate-1 exited with code 2"));
  EXPECT_EQ(Find("migrations-broken-app-1").status().code(), absl::StatusCode::kNotFound);

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

TEST_F(ComposeTest, OrphansNeedRemoveOrphans) {
  std::string both = absl::StrCat(R"(
services:
  kept:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
  dropped:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
)");
  std::string project = MakeProject("orphans", {{"compose.yaml", both}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);

  // The service leaves the file; its container stays until asked.
  std::string one = both.substr(0, both.find("  dropped:"));
  WriteFile(project + "/compose.yaml", one);
  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
  EXPECT_THAT(down.err, HasSubstr("found orphan container orphans-dropped-1"));
  EXPECT_EQ(Find("orphans-kept-1").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<container::ManagedContainer> dropped = Find("orphans-dropped-1");
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_TRUE(dropped->running());

  CliResult remove = Compose(project, {"down", "--remove-orphans"});
  ASSERT_EQ(remove.status, 0) << Describe(remove);
  EXPECT_THAT(remove.err, HasSubstr("Container orphans-dropped-1  Removed"));
}

TEST_F(ComposeTest, ServicesOnSeveralNetworks) {
  std::string project = MakeProject("nets", {{"compose.yaml", absl::StrCat(R"(
services:
  app:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    networks: [front, back]
  db:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    networks:
      back:
        aliases: [database]
  proxy:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    networks: [front]
networks:
  front: {}
  back: {}
)")}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  auto ping = [&](const std::string& from, const std::string& to) {
    return Compose(project, {"exec", from, "ping", "-c1", "-W2", to}).status;
  };
  EXPECT_EQ(ping("app", "database"), 0);
  EXPECT_EQ(ping("app", "proxy"), 0);
  EXPECT_EQ(ping("proxy", "app"), 0);
  // The proxy is not on the database's network, so the name does not
  // resolve there.
  EXPECT_NE(ping("proxy", "database"), 0);

  // A restart joins both networks again.
  CliResult restart = Compose(project, {"restart", "app"});
  ASSERT_EQ(restart.status, 0) << Describe(restart);
  EXPECT_EQ(ping("app", "database"), 0);
  EXPECT_EQ(ping("app", "proxy"), 0);

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

TEST_F(ComposeTest, InterruptStopsAttachedServices) {
  std::string project = MakeProject("interrupted", {{"compose.yaml", absl::StrCat(R"(
services:
  server:
    image: busybox
    command: ["sh", "-c", "echo serving; )", kIdle, R"("]
)")}});
  std::string binary = absl::StrCat(getenv("TEST_SRCDIR"), "/", getenv("TEST_WORKSPACE"),
                                    "/examples/cli/pycontain");
  int out = testing::MakeCaptureFile();
  int err = testing::MakeCaptureFile();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_adddup2(&actions, err, 2);
  std::vector<std::string> args = {binary, "compose", "-f", project + "/compose.yaml", "up"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t cli = -1;
  ASSERT_EQ(posix_spawn(&cli, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);

  // Ctrl-C once the service runs and its output reached the terminal.
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<container::ManagedContainer> server = Find("interrupted-server-1");
    return server.ok() && server->running() &&
           absl::StrContains(testing::ReadCaptureFile(out), "serving");
  }));
  kill(cli, SIGINT);
  int status = 0;
  waitpid(cli, &status, 0);
  std::string output = testing::ReadCaptureFile(out);
  std::string errors = testing::ReadCaptureFile(err);
  close(out);
  close(err);
  ASSERT_TRUE(WIFEXITED(status)) << status << "\n" << errors;
  EXPECT_EQ(WEXITSTATUS(status), 0) << errors;
  EXPECT_EQ(output, "server-1  | serving\n");
  EXPECT_THAT(errors, HasSubstr("Gracefully stopping..."));
  absl::StatusOr<container::ManagedContainer> server = Find("interrupted-server-1");
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->state.status(), "exited");

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}


TEST_F(ComposeTest, IpcAndPidJoinAnotherService) {
  // The donor is listed last and no depends_on names it: joining its
  // namespaces makes it a dependency.
  std::string project = MakeProject("sharing", {{"compose.yaml", R"(
services:
  reader:
    image: busybox
    ipc: service:donor
    pid: "service:donor"
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1002 & wait"]
  private:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1003 & wait"]
  donor:
    image: busybox
    ipc: shareable
    command: ["sh", "-c", "echo from-donor > /dev/shm/marker; trap 'exit 0' TERM; sleep 1001 & wait"]
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  EXPECT_LT(up.err.find("sharing-donor-1  Started"), up.err.find("sharing-reader-1  Started"))
      << up.err;

  auto exec = [&](const std::string& service, const std::string& command) {
    CliResult result = Compose(project, {"exec", service, "sh", "-c", command});
    EXPECT_EQ(result.status, 0) << service << ": " << command << "\n" << Describe(result);
    return result.out;
  };
  // One IPC namespace, so SysV objects are shared, and the donor's
  // /dev/shm, so POSIX shared memory is too.
  std::string donor_ipc = exec("donor", "readlink /proc/self/ns/ipc");
  EXPECT_THAT(donor_ipc, HasSubstr("ipc:["));
  EXPECT_EQ(exec("reader", "readlink /proc/self/ns/ipc"), donor_ipc);
  EXPECT_NE(exec("private", "readlink /proc/self/ns/ipc"), donor_ipc);
  EXPECT_EQ(exec("reader", "cat /dev/shm/marker"), "from-donor\n");
  exec("reader", "echo from-reader > /dev/shm/answer");
  EXPECT_EQ(exec("donor", "cat /dev/shm/answer"), "from-reader\n");
  EXPECT_EQ(exec("private", "ls /dev/shm"), "");

  // One PID namespace: ps in the reader lists the donor's processes, and
  // the donor's sh stays PID 1.
  std::string reader_ps = exec("reader", "ps -o pid,args");
  EXPECT_THAT(reader_ps, HasSubstr("sleep 1001"));
  EXPECT_THAT(reader_ps, HasSubstr("sleep 1002"));
  EXPECT_THAT(exec("reader", "cat /proc/1/cmdline | tr '\\0' ' '"), HasSubstr("from-donor"));
  std::string donor_ps = exec("donor", "ps -o args");
  EXPECT_THAT(donor_ps, HasSubstr("sleep 1002"));
  EXPECT_THAT(donor_ps, Not(HasSubstr("sleep 1003")));
  EXPECT_THAT(exec("private", "ps -o args"), Not(HasSubstr("sleep 1001")));

  // A second up keeps the reader, which still joins the same donor.
  absl::StatusOr<container::ManagedContainer> reader = Find("sharing-reader-1");
  ASSERT_TRUE(reader.ok()) << reader.status();
  CliResult again = Compose(project, {"up", "-d"});
  ASSERT_EQ(again.status, 0) << Describe(again);
  EXPECT_THAT(again.err, HasSubstr("sharing-reader-1  Running"));
  EXPECT_EQ(Find("sharing-reader-1")->id(), reader->id());

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

TEST_F(ComposeTest, JoinedDonorMustRun) {
  std::string project = MakeProject("nodonor", {{"compose.yaml", R"(
services:
  donor:
    image: busybox
    command: ["true"]
  reader:
    image: busybox
    pid: service:donor
    command: ["sleep", "1000"]
    depends_on:
      donor:
        condition: service_completed_successfully
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  EXPECT_NE(up.status, 0) << Describe(up);
  EXPECT_THAT(up.err, HasSubstr("service reader: pid"));
  absl::StatusOr<container::ManagedContainer> reader = Find("nodonor-reader-1");
  EXPECT_FALSE(reader.ok() && reader->running());
  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}


TEST_F(ComposeTest, StopRunsLevelsInParallel) {
  // sleep as PID 1 ignores SIGTERM, so each container takes its whole
  // grace period. One after another, the four would take 8 s.
  std::string project = MakeProject("slowstop", {{"compose.yaml", R"(
x-slow: &slow
  image: busybox
  command: ["sleep", "1000"]
  stop_grace_period: 2s
services:
  front:
    <<: *slow
    depends_on: [a]
  a: *slow
  b: *slow
  c: *slow
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);

  absl::Time started = absl::Now();
  CliResult stop = Compose(project, {"stop"});
  absl::Duration took = absl::Now() - started;
  ASSERT_EQ(stop.status, 0) << Describe(stop);
  // Two dependency levels: front, then a, b and c together.
  EXPECT_GE(took, absl::Seconds(4));
  EXPECT_LT(took, absl::Seconds(6)) << stop.err;
  EXPECT_LT(stop.err.find("slowstop-front-1  Stopped"), stop.err.find("slowstop-a-1  Stopping"))
      << stop.err;
  for (const char* name : {"slowstop-front-1", "slowstop-a-1", "slowstop-b-1", "slowstop-c-1"}) {
    absl::StatusOr<container::ManagedContainer> stopped = Find(name);
    ASSERT_TRUE(stopped.ok()) << name << ": " << stopped.status();
    EXPECT_EQ(stopped->state.status(), "exited") << name;
    EXPECT_EQ(stopped->state.exit_code(), 137) << name;
  }

  CliResult again = Compose(project, {"up", "-d"});
  ASSERT_EQ(again.status, 0) << Describe(again);
  started = absl::Now();
  CliResult down = Compose(project, {"down"});
  took = absl::Now() - started;
  ASSERT_EQ(down.status, 0) << Describe(down);
  EXPECT_LT(took, absl::Seconds(6)) << down.err;
}


TEST_F(ComposeTest, ProjectNameWithoutFile) {
  std::string project = MakeProject("labelled", {{"compose.yaml", R"(
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    depends_on: [db]
    networks: [default, backend]
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    networks: [backend]
    volumes: ["data:/data"]
networks:
  backend: {}
volumes:
  data: {}
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  ASSERT_THAT(NetworkNames(), Contains("labelled_backend"));

  // A directory without a Compose file, as docker compose allows.
  std::string elsewhere = MakeProject("elsewhere", {});
  auto without_file = [&](const std::vector<std::string>& args) {
    std::vector<std::string> all = {"compose", "--project-directory", elsewhere, "-p", "labelled"};
    all.insert(all.end(), args.begin(), args.end());
    CliResult result = RunCli(all);
    RememberContainers();
    return result;
  };
  CliResult ps = without_file({"ps"});
  ASSERT_EQ(ps.status, 0) << Describe(ps);
  EXPECT_THAT(ps.out, HasSubstr("labelled-web-1"));
  EXPECT_THAT(ps.out, HasSubstr("labelled-db-1"));

  // stop follows depends_on from the labels, and web's grace period:
  // sleep as PID 1 ignores SIGTERM until SIGKILL 1 s later.
  absl::Time started = absl::Now();
  CliResult stop = without_file({"stop"});
  absl::Duration took = absl::Now() - started;
  ASSERT_EQ(stop.status, 0) << Describe(stop);
  EXPECT_LT(stop.err.find("labelled-web-1  Stopped"), stop.err.find("labelled-db-1  Stopping"))
      << stop.err;
  EXPECT_LT(took, absl::Seconds(5)) << stop.err;
  EXPECT_EQ(Find("labelled-web-1")->state.status(), "exited");

  CliResult down = without_file({"down", "-v"});
  ASSERT_EQ(down.status, 0) << Describe(down);
  EXPECT_THAT(down.err, HasSubstr("Container labelled-web-1  Removed"));
  EXPECT_THAT(down.err, HasSubstr("Network labelled_backend  Removed"));
  EXPECT_THAT(down.err, HasSubstr("Network labelled_default  Removed"));
  EXPECT_THAT(down.err, HasSubstr("Volume labelled_data  Removed"));
  EXPECT_THAT(NetworkNames(), Not(Contains("labelled_backend")));

  // Without -p there is nothing to go on.
  CliResult nameless = RunCli({"compose", "--project-directory", elsewhere, "down"});
  EXPECT_NE(nameless.status, 0);
  EXPECT_THAT(nameless.err, HasSubstr("no Compose file found"));
}


TEST_F(ComposeTest, ExecGetsServiceUlimits) {
  std::string project = MakeProject("limits", {{"compose.yaml", R"(
services:
  app:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
    ulimits:
      nofile:
        soft: 100
        hard: 200
      nproc: 300
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  // The first process has them; an exec'd command must too, as with
  // docker compose exec.
  CliResult first = Compose(project, {"exec", "app", "sh", "-c",
                                      "grep -E 'open files|processes' /proc/1/limits"});
  ASSERT_EQ(first.status, 0) << Describe(first);
  EXPECT_THAT(first.out, ::testing::ContainsRegex("open files +100 +200"));
  CliResult exec = Compose(project, {"exec", "app", "sh", "-c",
                                     "echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Su) $(ulimit -Hu)"});
  ASSERT_EQ(exec.status, 0) << Describe(exec);
  EXPECT_EQ(exec.out, "100 200 300 300\n");
  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}


TEST_F(ComposeTest, PolicyRestartRejoinsAllNetworks) {
  // app fails once, and its restart policy starts it again without the
  // CLI: the monitor must join both networks again.
  std::string project = MakeProject("rejoin", {{"compose.yaml", absl::StrCat(R"(
services:
  app:
    image: busybox
    command: ["sh", "-c", "if [ -e /once ]; then )", kIdle, R"(; else touch /once; exit 1; fi"]
    restart: on-failure
    networks: [front, back]
  db:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    networks:
      back:
        aliases: [database]
  proxy:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    networks: [front]
networks:
  front: {}
  back: {}
)")}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<container::ManagedContainer> app = Find("rejoin-app-1");
    return app.ok() && app->running() && app->state.restart_count() == 1;
  }));
  auto ping = [&](const std::string& from, const std::string& to) {
    return Compose(project, {"exec", from, "ping", "-c1", "-W2", to}).status;
  };
  EXPECT_EQ(ping("app", "database"), 0);
  EXPECT_EQ(ping("app", "proxy"), 0);
  EXPECT_EQ(ping("db", "app"), 0);
  CliResult interfaces = Compose(project, {"exec", "app", "sh", "-c", "ls /sys/class/net"});
  EXPECT_EQ(interfaces.out, "eth0\neth1\nlo\n") << Describe(interfaces);

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}


// A container_name that a container outside the project has fails `up`
// before any network or volume of the project is made.
TEST_F(ComposeTest, TakenContainerNameCreatesNothing) {
  container::CreateOptions outsider;
  outsider.name = "taken";
  outsider.spec.set_image("busybox");
  outsider.spec.mutable_process()->add_args("true");
  absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(outsider);
  ASSERT_TRUE(created.ok()) << created.status();
  std::string project = MakeProject("taken", {{"compose.yaml", R"(
services:
  app:
    image: busybox
    container_name: taken
    command: ["true"]
    networks: [back]
    volumes: ["data:/data"]
networks:
  back: {}
volumes:
  data: {}
)"}});
  CliResult up = Compose(project, {"up", "-d"});
  EXPECT_NE(up.status, 0);
  EXPECT_THAT(up.err, HasSubstr("the container name \"taken\" is in use"));
  EXPECT_THAT(up.out + up.err, Not(HasSubstr("Created")));
  EXPECT_EQ(NetworkNames(), networks_before_);
  absl::StatusOr<container::VolumeStore> volumes = container::VolumeStore::Open("");
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  absl::StatusOr<std::vector<container::VolumeRecord>> records = volumes->List();
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_THAT(*records, IsEmpty());
  ASSERT_TRUE(container::RemoveContainer("taken", {}).ok());
}

// `down -p NAME` without the file removes the project's networks also
// when no container of the project is left to name them.
TEST_F(ComposeTest, DownWithoutFileRemovesNetworkWithoutContainers) {
  std::string project = MakeProject("orphan", {{"compose.yaml", absl::StrCat(R"(
services:
  app:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    networks: [back]
networks:
  back: {}
)")}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  // The container goes by hand, as after an `up` that failed later on.
  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      container::ListContainers({.all = true, .labels = {}});
  ASSERT_TRUE(containers.ok()) << containers.status();
  for (const container::ManagedContainer& c : *containers) {
    ASSERT_TRUE(container::RemoveContainer(c.id(), {.force = true}).ok());
  }
  std::vector<std::string> names = NetworkNames();
  ASSERT_NE(std::find(names.begin(), names.end(), "orphan_back"), names.end());

  CliResult down = RunCli({"compose", "-p", "orphan", "down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
  EXPECT_THAT(down.out + down.err, HasSubstr("Network orphan_back  Removed"));
  EXPECT_EQ(NetworkNames(), networks_before_);
}

TEST_F(ComposeTest, NetworkIpamSubnetAndInternal) {
  std::string project = MakeProject("ipam", {{"compose.yaml", absl::StrCat(R"(
services:
  app:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    networks:
      fixed:
        ipv4_address: 10.199.77.50
      closed: {}
networks:
  fixed:
    ipam:
      config:
        - subnet: 10.199.77.0/24
          gateway: 10.199.77.254
  closed:
    internal: true
)")}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  net::HostOptions options;
  options.state_dir = net::NetworkStateDir(container::StateRoot());
  absl::StatusOr<std::shared_ptr<net::NetworkHost>> host = net::NetworkHost::Open(options);
  ASSERT_TRUE(host.ok()) << host.status();
  absl::StatusOr<net::NetworkRecord> fixed = (*host)->InspectNetwork("ipam_fixed");
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(fixed->subnet(), "10.199.77.0/24");
  EXPECT_EQ(fixed->gateway(), "10.199.77.254");
  EXPECT_FALSE(fixed->internal());
  absl::StatusOr<net::NetworkRecord> closed = (*host)->InspectNetwork("ipam_closed");
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_TRUE(closed->internal());

  CliResult addresses = Compose(project, {"exec", "app", "sh", "-c", "ip -o -4 addr"});
  ASSERT_EQ(addresses.status, 0) << Describe(addresses);
  EXPECT_THAT(addresses.out, HasSubstr("inet 10.199.77.50/24"));
  // The gateway is the bridge's address on the host.
  CliResult gateway = Compose(project, {"exec", "app", "ping", "-c1", "-W2", "10.199.77.254"});
  EXPECT_EQ(gateway.status, 0) << Describe(gateway);

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}


TEST_F(ComposeTest, UpScaleSetsReplicas) {
  std::string project = MakeProject("scaled", {{"compose.yaml", absl::StrCat(R"(
services:
  worker:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    scale: 2
  named:
    image: busybox
    container_name: only-one
    command: ["sh", "-c", ")", kIdle, R"("]
)")}});
  auto running = [&](const std::string& service) {
    absl::StatusOr<std::vector<container::ManagedContainer>> all =
        container::ListContainers({.all = false, .labels = {{"com.docker.compose.service",
                                                             service}}});
    RememberContainers();
    std::vector<std::string> names;
    if (all.ok()) {
      for (const container::ManagedContainer& c : *all) names.push_back(c.name());
    }
    std::sort(names.begin(), names.end());
    return absl::StrJoin(names, " ");
  };
  CliResult up = Compose(project, {"up", "-d", "--scale", "worker=3"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  EXPECT_EQ(running("worker"), "scaled-worker-1 scaled-worker-2 scaled-worker-3");

  CliResult down_to_one = Compose(project, {"up", "-d", "--scale", "worker=1"});
  ASSERT_EQ(down_to_one.status, 0) << Describe(down_to_one);
  EXPECT_EQ(running("worker"), "scaled-worker-1");
  EXPECT_THAT(down_to_one.err, HasSubstr("Container scaled-worker-3  Removed"));

  CliResult none = Compose(project, {"up", "-d", "--scale", "worker=0"});
  ASSERT_EQ(none.status, 0) << Describe(none);
  EXPECT_EQ(running("worker"), "");
  EXPECT_EQ(running("named"), "only-one");

  CliResult bad = Compose(project, {"up", "-d", "--scale", "worker=many"});
  EXPECT_NE(bad.status, 0);
  EXPECT_THAT(bad.err, HasSubstr("invalid --scale \"worker=many\""));
  CliResult unknown = Compose(project, {"up", "-d", "--scale", "nothere=2"});
  EXPECT_NE(unknown.status, 0);
  EXPECT_THAT(unknown.err, HasSubstr("no such service: \"nothere\""));
  CliResult named = Compose(project, {"up", "-d", "--scale", "named=2"});
  EXPECT_NE(named.status, 0);
  EXPECT_THAT(named.err, HasSubstr("container_name names a single container"));

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}


TEST_F(ComposeTest, DependsOnRestartFollowsDependency) {
  auto write = [&](const std::string& version) {
    return MakeProject("cascade", {{"compose.yaml", absl::StrCat(R"(
services:
  db:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    environment:
      VERSION: ")", version, R"("
  web:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    depends_on:
      db:
        condition: service_started
        restart: true
  report:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    depends_on: [db]
)")}});
  };
  std::string project = write("1");
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  auto starts = [&](const std::string& name) {
    absl::StatusOr<container::ManagedContainer> found = Find(name);
    return found.ok() ? found->state.start_count() : -1;
  };

  // compose restart db restarts web too, but not report.
  CliResult restart = Compose(project, {"restart", "db"});
  ASSERT_EQ(restart.status, 0) << Describe(restart);
  EXPECT_EQ(starts("cascade-db-1"), 2);
  EXPECT_EQ(starts("cascade-web-1"), 2);
  EXPECT_EQ(starts("cascade-report-1"), 1);

  // up replaces db for its new environment, then restarts web.
  write("2");
  CliResult again = Compose(project, {"up", "-d"});
  ASSERT_EQ(again.status, 0) << Describe(again);
  EXPECT_THAT(again.err, HasSubstr("Container cascade-db-1  Recreate"));
  EXPECT_THAT(again.err, HasSubstr("Container cascade-web-1  Restarted"));
  EXPECT_THAT(again.err, HasSubstr("Container cascade-report-1  Running"));
  EXPECT_EQ(starts("cascade-web-1"), 3);
  EXPECT_EQ(starts("cascade-report-1"), 1);

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}


TEST_F(ComposeTest, ImageHealthcheckIsTheDefault) {
  // A docker-archive whose config has a HEALTHCHECK that passes once
  // /tmp/ready exists, checked every 100 ms, with failures in the first 5 s
  // not counted.
  std::string archive = dir_ + "/healthy";
  ASSERT_EQ(mkdir(archive.c_str(), 0755), 0);
  std::string tar = absl::StrCat("tar -cf ", archive, "/layer.tar -C ", testing::BusyboxRoot(),
                                 " .");
  ASSERT_EQ(system(tar.c_str()), 0) << tar;
  std::string digest_command = absl::StrCat("sha256sum ", archive, "/layer.tar > ", archive,
                                            "/digest");
  ASSERT_EQ(system(digest_command.c_str()), 0);
  std::string digest = testing::ReadFile(archive + "/digest").substr(0, 64);
  WriteFile(archive + "/config.json", absl::StrCat(R"({"architecture": "amd64", "os": "linux",
  "config": {"Env": ["PATH=/bin:/sbin:/usr/bin"], "Cmd": ["sh"],
    "Healthcheck": {"Test": ["CMD-SHELL", "test -e /tmp/ready"],
                    "Interval": 100000000, "StartPeriod": 5000000000, "Retries": 2}},
  "rootfs": {"type": "layers", "diff_ids": ["sha256:)", digest, R"("]}})"));
  WriteFile(archive + "/manifest.json",
            R"([{"Config": "config.json", "RepoTags": ["healthy:1"], "Layers": ["layer.tar"]}])");
  std::string pack = absl::StrCat("tar -cf ", archive, ".tar -C ", archive,
                                  " manifest.json config.json layer.tar");
  ASSERT_EQ(system(pack.c_str()), 0) << pack;
  absl::StatusOr<image::LoadResult> loaded = image::LoadImages(*store_, archive + ".tar", {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();

  std::string project = MakeProject("imagehealth", {{"compose.yaml", absl::StrCat(R"(
services:
  app:
    image: healthy:1
    command: ["sh", "-c", "sleep 0.3; touch /tmp/ready; )", kIdle, R"("]
  plain:
    image: healthy:1
    command: ["sh", "-c", ")", kIdle, R"("]
    healthcheck:
      disable: true
  after:
    image: busybox
    command: ["sh", "-c", ")", kIdle, R"("]
    depends_on:
      app:
        condition: service_healthy
)")}});
  CliResult up = Compose(project, {"up", "-d"});
  ASSERT_EQ(up.status, 0) << Describe(up);
  EXPECT_THAT(up.err, HasSubstr("Container imagehealth-app-1  Healthy"));
  absl::StatusOr<container::ManagedContainer> app = Find("imagehealth-app-1");
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->state.health().status(), container::kHealthHealthy);
  EXPECT_EQ(app->config.healthcheck().interval_ns(), 100000000);
  EXPECT_EQ(app->config.healthcheck().start_period_ns(), 5000000000);
  absl::StatusOr<container::ManagedContainer> plain = Find("imagehealth-plain-1");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->config.healthcheck().test_size(), 0);
  EXPECT_EQ(plain->state.health().status(), "");

  CliResult down = Compose(project, {"down"});
  ASSERT_EQ(down.status, 0) << Describe(down);
}

}  // namespace
}  // namespace pycontain
