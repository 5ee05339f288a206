// The container course's Compose layouts (testdata/ctf and
// testdata/platform), loaded and checked field by field against the
// normalized model that docker compose v2 prints for them.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/compose/project.h"
#include "lib/compose/testing.h"

#include <unistd.h>

namespace pycontain::compose {
namespace {

using ::testing::ElementsAre;
using testing::At;
using testing::ItemsAt;
using testing::KeysAt;
using testing::ScalarAt;

constexpr char kTestdata[] = "lib/compose/testdata";

absl::StatusOr<Project> LoadLayout(const std::string& file, Environment environment = {}) {
  LoadOptions options;
  options.files = {absl::StrCat(kTestdata, "/", file)};
  options.environment = std::move(environment);
  return LoadProject(options);
}

std::string Absolute(const std::string& relative) {
  char buffer[4096];
  EXPECT_NE(getcwd(buffer, sizeof(buffer)), nullptr);
  return absl::StrCat(buffer, "/", kTestdata, "/", relative);
}

TEST(CtfLayoutTest, ChallengeFrontServiceWithItsDotEnv) {
  absl::StatusOr<Project> project = LoadLayout("ctf/nc-challenge/compose.yaml");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(project->name, "nc-challenge");
  const yaml::Node* front = project->Service("front");
  ASSERT_NE(front, nullptr);

  EXPECT_EQ(ScalarAt(*front, "image"), "ctf/nc-challenge:latest");
  EXPECT_EQ(ItemsAt(*front, "command"), "socat,TCP-LISTEN:1337,reuseaddr,fork,EXEC:/challenge/run");
  EXPECT_EQ(ScalarAt(*front, "environment.FLAG"), "CTF{from-the-challenge-env}");
  EXPECT_EQ(ScalarAt(*front, "environment.TIMEOUT"), "60");
  EXPECT_EQ(ScalarAt(*front, "read_only"), "true");
  EXPECT_EQ(ItemsAt(*front, "tmpfs"), "/tmp:size=16m");
  EXPECT_EQ(ScalarAt(*front, "ipc"), "shareable");
  EXPECT_EQ(ScalarAt(*front, "restart"), "unless-stopped");

  // Limits, converted to bytes and numbers after interpolation.
  EXPECT_EQ(ScalarAt(*front, "mem_limit"), "67108864");
  EXPECT_EQ(ScalarAt(*front, "memswap_limit"), "67108864");
  EXPECT_EQ(ScalarAt(*front, "pids_limit"), "64");
  EXPECT_EQ(ScalarAt(*front, "cpus"), "0.5");
  EXPECT_EQ(ScalarAt(*front, "deploy.resources.limits.memory"), "67108864");
  EXPECT_EQ(ScalarAt(*front, "ulimits.nproc"), "64");
  EXPECT_EQ(ScalarAt(*front, "ulimits.nofile.soft"), "1024");
  EXPECT_EQ(ScalarAt(*front, "ulimits.nofile.hard"), "2048");

  EXPECT_EQ(KeysAt(*front, "ports.0"), "mode,host_ip,target,published,protocol");
  EXPECT_EQ(ScalarAt(*front, "ports.0.host_ip"), "127.0.0.1");
  EXPECT_EQ(ScalarAt(*front, "ports.0.target"), "1337");
  EXPECT_EQ(ScalarAt(*front, "ports.0.published"), "1337");
  EXPECT_EQ(ScalarAt(*front, "ports.0.protocol"), "tcp");

  EXPECT_EQ(ScalarAt(*front, "volumes.0.type"), "bind");
  EXPECT_EQ(ScalarAt(*front, "volumes.0.source"), Absolute("ctf/nc-challenge/challenge"));
  EXPECT_EQ(ScalarAt(*front, "volumes.0.target"), "/challenge");
  EXPECT_EQ(ScalarAt(*front, "volumes.0.read_only"), "true");
  EXPECT_EQ(ScalarAt(*front, "volumes.0.bind.create_host_path"), "true");
}

TEST(CtfLayoutTest, ChallengeWebServiceRunsInit) {
  absl::StatusOr<Project> project = LoadLayout("ctf/nc-challenge/compose.yaml");
  ASSERT_TRUE(project.ok()) << project.status();
  const yaml::Node* web = project->Service("web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(ScalarAt(*web, "init"), "true");
  EXPECT_EQ(ScalarAt(*web, "environment.CHALLENGE_NAME"), "baby-nc");
  EXPECT_EQ(ScalarAt(*web, "depends_on.front.condition"), "service_started");
  EXPECT_EQ(ScalarAt(*web, "ports.0.published"), "8080");
  EXPECT_EQ(ScalarAt(*web, "ports.0.host_ip"), "<missing>");
}

TEST(CtfLayoutTest, ProcessEnvironmentOverridesChallengeDotEnv) {
  absl::StatusOr<Project> project =
      LoadLayout("ctf/nc-challenge/compose.yaml", {{"FLAG", "CTF{live}"}, {"MEMORY_LIMIT", "1g"}});
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.front.environment.FLAG"), "CTF{live}");
  EXPECT_EQ(ScalarAt(project->model, "services.front.mem_limit"), "1073741824");
}

TEST(CtfLayoutTest, ExampleExtendsSiblingWithItsOwnDotEnv) {
  absl::StatusOr<Project> project = LoadLayout("ctf/example/compose.yaml");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(project->name, "ctf-example");
  const yaml::Node* front = project->Service("front");
  ASSERT_NE(front, nullptr);

  // The example's .env is the project's; the sibling's .env is not read,
  // so MEMORY_LIMIT takes the file's default.
  EXPECT_EQ(ScalarAt(*front, "environment.FLAG"), "CTF{example flag}");
  EXPECT_EQ(ScalarAt(*front, "ports.0.published"), "4242");
  EXPECT_EQ(ItemsAt(*front, "command"), "socat,TCP-LISTEN:4242,reuseaddr,fork,EXEC:/challenge/run");
  EXPECT_EQ(ScalarAt(*front, "memswap_limit"), "67108864");
  // The example's own value wins over the extended one.
  EXPECT_EQ(ScalarAt(*front, "mem_limit"), "33554432");
  // Paths of the extended file start from the sibling's directory.
  EXPECT_EQ(ScalarAt(*front, "volumes.0.source"), Absolute("ctf/nc-challenge/challenge"));
  EXPECT_EQ(ScalarAt(*front, "read_only"), "true");
  EXPECT_EQ(ScalarAt(*front, "ipc"), "shareable");

  const yaml::Node* web = project->Service("web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(ScalarAt(*web, "environment.CHALLENGE_NAME"), "example");
  EXPECT_EQ(ScalarAt(*web, "init"), "true");
  EXPECT_EQ(KeysAt(*web, "depends_on"), "front");
  EXPECT_EQ(ScalarAt(project->model, "networks.default.name"), "ctf-example_default");
}

TEST(CtfLayoutTest, MissingFlagIsAnError) {
  LoadOptions options;
  options.files = {absl::StrCat(kTestdata, "/ctf/nc-challenge/compose.yaml")};
  options.env_files = {"/dev/null"};
  options.environment = {{"CHALLENGE_PORT", "1"}};
  absl::StatusOr<Project> project = LoadProject(options);
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(),
              ::testing::HasSubstr("compose.yaml:11:13: services.front.environment.FLAG: required "
                                   "variable FLAG is missing a value: the challenge needs a FLAG"));
}

TEST(PlatformLayoutTest, AnchorsAreReusedThroughAliases) {
  absl::StatusOr<Project> project = LoadLayout("platform/compose.yaml");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(KeysAt(project->model, "services"), "app,cache,db,pooler,proxy");
  for (const std::string& name : project->ServiceNames()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ScalarAt(*project->Service(name), "restart"), "unless-stopped");
    EXPECT_EQ(ScalarAt(*project->Service(name), "stop_grace_period"), "30s");
  }
  EXPECT_EQ(ScalarAt(project->model, "services.db.environment.POSTGRES_DB"), "ctf");
  EXPECT_EQ(ScalarAt(project->model, "services.pooler.environment.POSTGRES_USER"), "ctf");
  EXPECT_EQ(ScalarAt(project->model, "services.app.environment.POSTGRES_DB"), "ctf");
}

TEST(PlatformLayoutTest, DatabaseWithNamedVolumeAndHealthcheck) {
  absl::StatusOr<Project> project = LoadLayout("platform/compose.yaml", {{"DB_PASSWORD", "s3"}});
  ASSERT_TRUE(project.ok()) << project.status();
  const yaml::Node* db = project->Service("db");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(ScalarAt(*db, "image"), "postgres:15");
  EXPECT_EQ(ScalarAt(*db, "environment.POSTGRES_PASSWORD"), "s3");
  EXPECT_EQ(ScalarAt(*db, "shm_size"), "134217728");
  EXPECT_EQ(KeysAt(*db, "volumes.0"), "type,source,target,volume");
  EXPECT_EQ(ScalarAt(*db, "volumes.0.type"), "volume");
  EXPECT_EQ(ScalarAt(*db, "volumes.0.source"), "db-data");
  EXPECT_EQ(ScalarAt(*db, "volumes.0.target"), "/var/lib/postgresql/data");
  EXPECT_EQ(ItemsAt(*db, "healthcheck.test"), "CMD-SHELL,pg_isready -U ctf");
  EXPECT_EQ(ScalarAt(*db, "healthcheck.interval"), "10s");
  EXPECT_EQ(ScalarAt(*db, "healthcheck.timeout"), "5s");
  EXPECT_EQ(ScalarAt(*db, "healthcheck.retries"), "5");
  EXPECT_EQ(ScalarAt(project->model, "volumes.db-data.name"), "platform_db-data");
}

TEST(PlatformLayoutTest, DependenciesAndProxy) {
  absl::StatusOr<Project> project = LoadLayout("platform/compose.yaml");
  ASSERT_TRUE(project.ok()) << project.status();
  const yaml::Node& model = project->model;
  EXPECT_EQ(ScalarAt(model, "services.pooler.depends_on.db.condition"), "service_healthy");
  EXPECT_EQ(KeysAt(model, "services.app.depends_on"), "cache,pooler");
  EXPECT_EQ(ScalarAt(model, "services.app.depends_on.cache.condition"), "service_started");
  EXPECT_EQ(ItemsAt(model, "services.app.expose"), "8000");
  EXPECT_EQ(ItemsAt(model, "services.cache.command"), "memcached,-m,64");
  EXPECT_EQ(ScalarAt(model, "services.cache.mem_limit"), "100663296");
  EXPECT_EQ(ScalarAt(model, "services.proxy.ports.0.published"), "80");
  EXPECT_EQ(ScalarAt(model, "services.proxy.ports.1.target"), "443");
  EXPECT_EQ(ScalarAt(model, "services.proxy.volumes.0.source"), Absolute("platform/nginx.conf"));
  EXPECT_EQ(ScalarAt(model, "services.proxy.volumes.0.read_only"), "true");
  EXPECT_THAT(*DependencyOrder(*project), ElementsAre("cache", "db", "pooler", "app", "proxy"));
}

}  // namespace
}  // namespace pycontain::compose
