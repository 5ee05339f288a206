#include "lib/compose/project.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/compose/testing.h"

namespace pycontain::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::At;
using testing::ItemsAt;
using testing::KeysAt;
using testing::ScalarAt;
using testing::ScratchDirectory;
using testing::WriteFile;

// Loads `dir` as docker compose would when run there without -f.
absl::StatusOr<Project> LoadIn(const std::string& dir, Environment environment = {}) {
  LoadOptions options;
  options.working_directory = dir;
  options.environment = std::move(environment);
  return LoadProject(options);
}

absl::StatusOr<Project> LoadFiles(std::vector<std::string> files, Environment environment = {}) {
  LoadOptions options;
  options.files = std::move(files);
  options.environment = std::move(environment);
  return LoadProject(options);
}

std::string ErrorOf(const absl::StatusOr<Project>& project) {
  EXPECT_FALSE(project.ok());
  return std::string(project.status().message());
}

// ---- files ----

TEST(ProjectFilesTest, DefaultFileAndOverrideAreMerged) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml", "services:\n  web:\n    image: busybox\n    ports: ['80:80']\n");
  WriteFile(dir, "compose.override.yaml",
            "services:\n  web:\n    image: alpine\n    ports: ['443:443']\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_THAT(project->files, ElementsAre(dir + "/compose.yaml", dir + "/compose.override.yaml"));
  EXPECT_EQ(ScalarAt(project->model, "services.web.image"), "alpine");
  EXPECT_EQ(ScalarAt(project->model, "services.web.ports.0.published"), "80");
  EXPECT_EQ(ScalarAt(project->model, "services.web.ports.1.published"), "443");
}

TEST(ProjectFilesTest, DefaultNamesInOrderOfPreference) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "docker-compose.yml", "services:\n  old:\n    image: busybox\n");
  WriteFile(dir, "compose.yml", "services:\n  new:\n    image: busybox\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(KeysAt(project->model, "services"), "new");
}

TEST(ProjectFilesTest, DefaultFileFoundInParentDirectory) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml", "services:\n  web:\n    image: busybox\n");
  WriteFile(dir, "sub/deeper/README", "");
  absl::StatusOr<Project> project = LoadIn(dir + "/sub/deeper");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(project->directory, dir);
}

TEST(ProjectFilesTest, NoComposeFileIsNotFound) {
  // /proc and / hold no Compose file.
  absl::StatusOr<Project> project = LoadIn("/proc/self");
  EXPECT_EQ(project.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(project.status().message(), HasSubstr("compose.yaml"));
}

TEST(ProjectFilesTest, ComposeFileVariableFromDotEnv) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, ".env", "COMPOSE_FILE=base.yaml:extra.yaml\n");
  WriteFile(dir, "base.yaml", "services:\n  web:\n    image: busybox\n");
  WriteFile(dir, "extra.yaml", "services:\n  web:\n    user: nobody\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.image"), "busybox");
  EXPECT_EQ(ScalarAt(project->model, "services.web.user"), "nobody");
}

TEST(ProjectFilesTest, OverrideFilePathsStartAtProjectDirectory) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "app/compose.yaml", "services:\n  web:\n    image: busybox\n");
  WriteFile(dir, "overrides/dev.yaml", "services:\n  web:\n    volumes: ['./src:/src']\n");
  absl::StatusOr<Project> project =
      LoadFiles({dir + "/app/compose.yaml", dir + "/overrides/dev.yaml"});
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.volumes.0.source"), dir + "/app/src");
}

// ---- merge rules across -f files ----

class MergeFilesTest : public ::testing::Test {
 protected:
  absl::StatusOr<Project> Merge(const std::string& base, const std::string& override) {
    dir_ = ScratchDirectory();
    WriteFile(dir_, "compose.yaml", base);
    WriteFile(dir_, "override.yaml", override);
    return LoadFiles({dir_ + "/compose.yaml", dir_ + "/override.yaml"});
  }
  std::string dir_;
};

TEST_F(MergeFilesTest, CommandEntrypointAndTestAreReplaced) {
  absl::StatusOr<Project> project = Merge(
      "services:\n  web:\n    image: busybox\n    command: [echo, foo]\n"
      "    entrypoint: [sh, -c]\n    healthcheck:\n      test: [CMD, a]\n      retries: 3\n",
      "services:\n  web:\n    command: echo bar\n    entrypoint: [bash]\n"
      "    healthcheck:\n      test: [CMD, b]\n");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ItemsAt(project->model, "services.web.command"), "echo,bar");
  EXPECT_EQ(ItemsAt(project->model, "services.web.entrypoint"), "bash");
  EXPECT_EQ(ItemsAt(project->model, "services.web.healthcheck.test"), "CMD,b");
  EXPECT_EQ(ScalarAt(project->model, "services.web.healthcheck.retries"), "3");
}

TEST_F(MergeFilesTest, MappingsMergeByKey) {
  absl::StatusOr<Project> project = Merge(
      "services:\n  web:\n    image: busybox\n    environment: [A=1, B=2]\n"
      "    labels: {x: '1'}\n    extra_hosts: ['db:10.0.0.1']\n",
      "services:\n  web:\n    environment:\n      B: three\n      C: '4'\n"
      "    labels: [y=2]\n    extra_hosts: ['db=10.0.0.2', 'cache:10.0.0.3']\n");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.A"), "1");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.B"), "three");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.C"), "4");
  EXPECT_EQ(KeysAt(project->model, "services.web.labels"), "x,y");
  EXPECT_EQ(ScalarAt(project->model, "services.web.extra_hosts.db"), "10.0.0.2");
  EXPECT_EQ(ScalarAt(project->model, "services.web.extra_hosts.cache"), "10.0.0.3");
}

TEST_F(MergeFilesTest, PortsAreUniqueByAddressTargetPublishedProtocol) {
  absl::StatusOr<Project> project =
      Merge("services:\n  web:\n    image: busybox\n    ports: ['8080:80', '53:53/udp']\n",
            "services:\n  web:\n    ports: ['8080:80', '53:53/tcp', '9090:90']\n");
  ASSERT_TRUE(project.ok()) << project.status();
  const yaml::Node* ports = At(project->model, "services.web.ports");
  ASSERT_NE(ports, nullptr);
  ASSERT_EQ(ports->items.size(), 4u);
  EXPECT_EQ(ScalarAt(*ports, "0.published"), "8080");
  EXPECT_EQ(ScalarAt(*ports, "1.protocol"), "udp");
  EXPECT_EQ(ScalarAt(*ports, "2.protocol"), "tcp");
  EXPECT_EQ(ScalarAt(*ports, "3.published"), "9090");
}

TEST_F(MergeFilesTest, VolumesAreUniqueByTarget) {
  absl::StatusOr<Project> project = Merge(
      "services:\n  web:\n    image: busybox\n    volumes: ['./a:/data', 'logs:/logs']\n"
      "volumes:\n  logs:\n",
      "services:\n  web:\n    volumes: ['./b:/data:ro', '/cache']\n");
  ASSERT_TRUE(project.ok()) << project.status();
  const yaml::Node* volumes = At(project->model, "services.web.volumes");
  ASSERT_NE(volumes, nullptr);
  ASSERT_EQ(volumes->items.size(), 3u);
  EXPECT_EQ(ScalarAt(*volumes, "0.source"), dir_ + "/b");
  EXPECT_EQ(ScalarAt(*volumes, "0.read_only"), "true");
  EXPECT_EQ(ScalarAt(*volumes, "1.target"), "/logs");
  EXPECT_EQ(ScalarAt(*volumes, "2.target"), "/cache");
  EXPECT_EQ(ScalarAt(*volumes, "2.source"), "<missing>");
}

TEST_F(MergeFilesTest, SetsAppendOnlyMissingValues) {
  absl::StatusOr<Project> project =
      Merge("services:\n  web:\n    image: busybox\n    dns: 1.1.1.1\n    cap_add: [NET_ADMIN]\n",
            "services:\n  web:\n    dns: [8.8.8.8, 1.1.1.1]\n    cap_add: [NET_ADMIN, SYS_TIME]\n");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ItemsAt(project->model, "services.web.dns"), "1.1.1.1,8.8.8.8");
  EXPECT_EQ(ItemsAt(project->model, "services.web.cap_add"), "NET_ADMIN,SYS_TIME");
}

TEST_F(MergeFilesTest, ResetAndOverrideTags) {
  absl::StatusOr<Project> project = Merge(
      "services:\n  web:\n    image: busybox\n    ports: ['80:80']\n    user: nobody\n"
      "    environment: {A: '1'}\n",
      "services:\n  web:\n    ports: !override ['81:81']\n    user: !reset null\n"
      "    environment: !override {B: '2'}\n");
  ASSERT_TRUE(project.ok()) << project.status();
  const yaml::Node* ports = At(project->model, "services.web.ports");
  ASSERT_NE(ports, nullptr);
  ASSERT_EQ(ports->items.size(), 1u);
  EXPECT_EQ(ScalarAt(*ports, "0.published"), "81");
  EXPECT_EQ(ScalarAt(project->model, "services.web.user"), "<missing>");
  EXPECT_EQ(KeysAt(project->model, "services.web.environment"), "B");
}

TEST_F(MergeFilesTest, DependsOnMergesConditions) {
  absl::StatusOr<Project> project = Merge(
      "services:\n  db:\n    image: postgres\n  web:\n    image: busybox\n    depends_on: [db]\n",
      "services:\n  web:\n    depends_on:\n      db:\n        condition: service_healthy\n");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.depends_on.db.condition"), "service_healthy");
  EXPECT_EQ(ScalarAt(project->model, "services.web.depends_on.db.required"), "true");
}

// ---- project name ----

TEST(ProjectNameTest, Precedence) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "My App.v2/compose.yaml", "services:\n  web:\n    image: busybox\n");
  WriteFile(dir, "named/compose.yaml", "name: From-File\nservices:\n  web:\n    image: busybox\n");

  absl::StatusOr<Project> from_directory = LoadIn(dir + "/My App.v2");
  ASSERT_TRUE(from_directory.ok()) << from_directory.status();
  EXPECT_EQ(from_directory->name, "myappv2");

  absl::StatusOr<Project> from_file = LoadIn(dir + "/named");
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(from_file->name, "from-file");
  EXPECT_EQ(ScalarAt(from_file->model, "name"), "from-file");

  absl::StatusOr<Project> from_environment =
      LoadIn(dir + "/named", {{"COMPOSE_PROJECT_NAME", "fromenv"}});
  ASSERT_TRUE(from_environment.ok()) << from_environment.status();
  EXPECT_EQ(from_environment->name, "fromenv");

  LoadOptions options;
  options.working_directory = dir + "/named";
  options.environment = {{"COMPOSE_PROJECT_NAME", "fromenv"}};
  options.project_name = "explicit";
  absl::StatusOr<Project> explicit_name = LoadProject(options);
  ASSERT_TRUE(explicit_name.ok()) << explicit_name.status();
  EXPECT_EQ(explicit_name->name, "explicit");
  EXPECT_EQ(ScalarAt(explicit_name->model, "networks.default.name"), "explicit_default");
}

TEST(ProjectNameTest, InterpolatedAsComposeProjectName) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "app/compose.yaml",
            "services:\n  web:\n    image: busybox\n    hostname: ${COMPOSE_PROJECT_NAME}-web\n");
  WriteFile(dir, "named/compose.yaml",
            "name: shop\nservices:\n  web:\n    image: busybox\n"
            "    hostname: ${COMPOSE_PROJECT_NAME}-web\n");

  absl::StatusOr<Project> from_directory = LoadIn(dir + "/app");
  ASSERT_TRUE(from_directory.ok()) << from_directory.status();
  EXPECT_EQ(ScalarAt(from_directory->model, "services.web.hostname"), "app-web");

  absl::StatusOr<Project> from_name = LoadIn(dir + "/named");
  ASSERT_TRUE(from_name.ok()) << from_name.status();
  EXPECT_EQ(ScalarAt(from_name->model, "services.web.hostname"), "shop-web");

  LoadOptions options;
  options.working_directory = dir + "/named";
  options.project_name = "explicit";
  options.environment = {{"COMPOSE_PROJECT_NAME", "fromenv"}};
  absl::StatusOr<Project> explicit_name = LoadProject(options);
  ASSERT_TRUE(explicit_name.ok()) << explicit_name.status();
  EXPECT_EQ(ScalarAt(explicit_name->model, "services.web.hostname"), "explicit-web");
}

TEST(ProjectNameTest, InvalidExplicitNameIsRejected) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml", "services:\n  web:\n    image: busybox\n");
  LoadOptions options;
  options.working_directory = dir;
  options.project_name = "Bad Name";
  absl::StatusOr<Project> project = LoadProject(options);
  EXPECT_EQ(project.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ErrorOf(project), HasSubstr("invalid project name \"Bad Name\""));
}

TEST(ProjectNameTest, Normalization) {
  EXPECT_EQ(NormalizeProjectName("My_Project-1"), "my_project-1");
  EXPECT_EQ(NormalizeProjectName("__x.y"), "xy");
  EXPECT_EQ(NormalizeProjectName("..."), "");
}

// ---- environment ----

TEST(ProjectEnvironmentTest, ProcessEnvironmentWinsOverDotEnv) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, ".env", "TAG=from-dotenv\nPORT=8080\n");
  WriteFile(dir, "compose.yaml",
            "services:\n  web:\n    image: app:${TAG}\n    ports: ['${PORT}:80']\n");
  absl::StatusOr<Project> project = LoadIn(dir, {{"TAG", "from-process"}});
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.image"), "app:from-process");
  EXPECT_EQ(ScalarAt(project->model, "services.web.ports.0.published"), "8080");
}

TEST(ProjectEnvironmentTest, EnvFileOptionReplacesDotEnv) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, ".env", "TAG=from-dotenv\nONLY_DOTENV=yes\n");
  WriteFile(dir, "ci.env", "TAG=from-ci\n");
  WriteFile(dir, "compose.yaml",
            "services:\n  web:\n    image: app:${TAG}\n    user: x${ONLY_DOTENV:-unset}\n");
  LoadOptions options;
  options.working_directory = dir;
  options.env_files = {"ci.env"};
  absl::StatusOr<Project> project = LoadProject(options);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.image"), "app:from-ci");
  EXPECT_EQ(ScalarAt(project->model, "services.web.user"), "xunset");
}

TEST(ProjectEnvironmentTest, ValuesConvertAfterInterpolation) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, ".env", "MEM=16m\nREADONLY=yes\nGRACE=90s\nCPUS=1.5\n");
  WriteFile(dir, "compose.yaml",
            "services:\n  web:\n    image: busybox\n    mem_limit: ${MEM}\n"
            "    read_only: ${READONLY}\n    stop_grace_period: ${GRACE}\n    cpus: ${CPUS}\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.mem_limit"), "16777216");
  EXPECT_EQ(ScalarAt(project->model, "services.web.read_only"), "true");
  EXPECT_EQ(ScalarAt(project->model, "services.web.stop_grace_period"), "1m30s");
  EXPECT_EQ(ScalarAt(project->model, "services.web.cpus"), "1.5");
}

TEST(ProjectEnvironmentTest, ServiceEnvironmentFromEnvFilesAndHost) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, ".env", "FROM_DOTENV=d\n");
  WriteFile(dir, "web.env", "A=from-file\nB=from-file\n");
  WriteFile(dir, "compose.yaml",
            "services:\n  web:\n    image: busybox\n    env_file: web.env\n"
            "    environment:\n      - B=own\n      - HOST_VALUE\n      - FROM_DOTENV\n"
            "      - UNSET\n");
  absl::StatusOr<Project> project = LoadIn(dir, {{"HOST_VALUE", "h"}});
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.A"), "from-file");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.B"), "own");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.HOST_VALUE"), "h");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.FROM_DOTENV"), "d");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.UNSET"), "<null>");
  EXPECT_EQ(At(project->model, "services.web.env_file"), nullptr);
}

TEST(ProjectEnvironmentTest, MissingEnvFileUnlessOptional) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "services:\n  web:\n    image: busybox\n    env_file:\n"
            "      - path: optional.env\n        required: false\n      - required.env\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  EXPECT_EQ(project.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ErrorOf(project), HasSubstr("compose.yaml:7:9: services.web.env_file"));
  EXPECT_THAT(ErrorOf(project), HasSubstr("required.env not found"));
  EXPECT_THAT(ErrorOf(project), ::testing::Not(HasSubstr("optional.env")));
}

TEST(ProjectEnvironmentTest, RawEnvFileKeepsValuesAsWritten) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "raw.env", "A='quoted' # not a comment\nB=${NOT_EXPANDED}\n");
  WriteFile(dir, "compose.yaml",
            "services:\n  web:\n    image: busybox\n    env_file:\n"
            "      - path: raw.env\n        format: raw\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.A"), "'quoted' # not a comment");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.B"), "${NOT_EXPANDED}");
}

TEST(ProjectEnvironmentTest, UnknownEnvFileFormat) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "a.env", "A=1\n");
  WriteFile(dir, "compose.yaml",
            "services:\n  web:\n    image: busybox\n    env_file:\n"
            "      - path: a.env\n        format: toml\n");
  EXPECT_THAT(ErrorOf(LoadIn(dir)),
              HasSubstr("compose.yaml:6:17: services.web.env_file: unsupported format \"toml\""));
}

TEST(ProjectEnvironmentTest, UnsetVariableIsAWarning) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml", "services:\n  web:\n    image: busybox:${NO_SUCH_TAG}\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.image"), "busybox:");
  ASSERT_EQ(project->warnings.size(), 1u);
  EXPECT_THAT(ToString(project->warnings[0]), HasSubstr("compose.yaml:3:12"));
  EXPECT_THAT(ToString(project->warnings[0]), HasSubstr("NO_SUCH_TAG"));
}

// ---- extends ----

TEST(ProjectExtendsTest, ChainInOneFile) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "services:\n  base:\n    image: busybox\n    environment: {A: '1'}\n"
            "  middle:\n    extends: base\n    environment: {B: '2'}\n"
            "  web:\n    extends:\n      service: middle\n    environment: {A: over}\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.image"), "busybox");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.A"), "over");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.B"), "2");
  EXPECT_EQ(At(project->model, "services.web.extends"), nullptr);
}

TEST(ProjectExtendsTest, OtherFileKeepsItsRelativePaths) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "common/services.yaml",
            "services:\n  app:\n    image: busybox\n    volumes: ['./data:/data']\n"
            "    env_file: app.env\n    build: ./context\n"
            "  top:\n    extends:\n      file: ../more/more.yaml\n      service: deep\n");
  WriteFile(dir, "common/app.env", "FROM_COMMON_ENV_FILE=1\n");
  WriteFile(dir, "more/more.yaml", "services:\n  deep:\n    volumes: ['./deep:/deep']\n");
  WriteFile(dir, "project/compose.yaml",
            "services:\n  web:\n    extends:\n      file: ../common/services.yaml\n"
            "      service: app\n    volumes: ['./own:/own']\n"
            "  chained:\n    image: busybox\n    extends:\n      file: ../common/services.yaml\n"
            "      service: top\n");
  absl::StatusOr<Project> project = LoadIn(dir + "/project");
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.web.volumes.0.source"), dir + "/common/data");
  EXPECT_EQ(ScalarAt(project->model, "services.web.volumes.1.source"), dir + "/project/own");
  EXPECT_EQ(ScalarAt(project->model, "services.web.build.context"), dir + "/common/context");
  EXPECT_EQ(ScalarAt(project->model, "services.web.environment.FROM_COMMON_ENV_FILE"), "1");
  EXPECT_EQ(ScalarAt(project->model, "services.chained.volumes.0.source"), dir + "/more/deep");
}

TEST(ProjectExtendsTest, CycleIsAnError) {
  absl::StatusOr<Project> project = LoadFiles({"lib/compose/testdata/bad/extends_cycle.yaml"});
  EXPECT_THAT(ErrorOf(project), HasSubstr("extends_cycle.yaml:6:14: services.b.extends: "
                                          "extends cycle: a -> b -> a"));
}

TEST(ProjectExtendsTest, MissingServiceIsNotFound) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml", "services:\n  web:\n    extends: nothing\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  EXPECT_EQ(project.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ErrorOf(project), HasSubstr("service \"nothing\" not found"));
}

TEST(ProjectExtendsTest, MissingFileNamesTheReference) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "services:\n  web:\n    extends:\n      file: gone.yaml\n      service: base\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  EXPECT_EQ(project.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ErrorOf(project), HasSubstr("compose.yaml:4:7: extends: open Compose file " + dir +
                                          "/gone.yaml"));
}

// ---- include ----

TEST(ProjectIncludeTest, IncludedProjectUsesItsOwnDirectoryAndDotEnv) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: busybox\n"
            "    depends_on: [db]\n");
  WriteFile(dir, "sub/.env", "DB_TAG=15\n");
  WriteFile(dir, "sub/compose.yaml",
            "services:\n  db:\n    image: postgres:${DB_TAG}\n    volumes: ['./init:/init']\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.db.image"), "postgres:15");
  EXPECT_EQ(ScalarAt(project->model, "services.db.volumes.0.source"), dir + "/sub/init");
}

TEST(ProjectIncludeTest, LongFormWithProjectDirectoryAndEnvFile) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "include:\n  - path: parts/db.yaml\n    project_directory: data\n"
            "    env_file: parts/db.env\n");
  WriteFile(dir, "parts/db.env", "DB_TAG=16\n");
  WriteFile(dir, "parts/db.yaml",
            "services:\n  db:\n    image: postgres:${DB_TAG}\n    volumes: ['./pg:/pg']\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(ScalarAt(project->model, "services.db.image"), "postgres:16");
  EXPECT_EQ(ScalarAt(project->model, "services.db.volumes.0.source"), dir + "/data/pg");
}

TEST(ProjectIncludeTest, ConflictingServiceIsAnError) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "include:\n  - other.yaml\nservices:\n  web:\n    image: busybox\n");
  WriteFile(dir, "other.yaml", "services:\n  web:\n    image: alpine\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  EXPECT_THAT(ErrorOf(project), HasSubstr("compose.yaml:2:5: include: included file"));
  EXPECT_THAT(ErrorOf(project), HasSubstr("defines services.web, which is already defined"));
}

TEST(ProjectIncludeTest, MissingFileNamesTheReference) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml", "include:\n  - gone.yaml\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  EXPECT_EQ(project.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ErrorOf(project), HasSubstr("compose.yaml:2:5: include: open Compose file " + dir +
                                          "/gone.yaml"));
}

TEST(ProjectIncludeTest, CycleIsAnError) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml", "include: [a.yaml]\n");
  WriteFile(dir, "a.yaml", "include: [compose.yaml]\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  EXPECT_THAT(ErrorOf(project), HasSubstr("include cycle"));
}

// ---- profiles ----

class ProfilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ScratchDirectory();
    WriteFile(dir_, "compose.yaml",
              "services:\n  web:\n    image: busybox\n"
              "  debug:\n    image: busybox\n    profiles: [debug]\n    depends_on: [tools]\n"
              "  tools:\n    image: busybox\n    profiles: [tools]\n");
  }
  absl::StatusOr<Project> Load(std::vector<std::string> profiles,
                               std::vector<std::string> services = {}, Environment env = {}) {
    LoadOptions options;
    options.working_directory = dir_;
    options.profiles = std::move(profiles);
    options.services = std::move(services);
    options.environment = std::move(env);
    return LoadProject(options);
  }
  std::string dir_;
};

TEST_F(ProfilesTest, ServicesWithProfilesAreOffByDefault) {
  absl::StatusOr<Project> project = Load({});
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(KeysAt(project->model, "services"), "web");
  EXPECT_THAT(project->disabled_services, ElementsAre("debug", "tools"));
}

TEST_F(ProfilesTest, EnabledProfileAndEnvironment) {
  absl::StatusOr<Project> by_option = Load({"tools"});
  ASSERT_TRUE(by_option.ok()) << by_option.status();
  EXPECT_EQ(KeysAt(by_option->model, "services"), "tools,web");

  absl::StatusOr<Project> by_environment = Load({}, {}, {{"COMPOSE_PROFILES", "tools,debug"}});
  ASSERT_TRUE(by_environment.ok()) << by_environment.status();
  EXPECT_EQ(KeysAt(by_environment->model, "services"), "debug,tools,web");
}

TEST_F(ProfilesTest, ComposeProfilesFromDotEnv) {
  WriteFile(dir_, ".env", "COMPOSE_PROFILES=tools\n");
  absl::StatusOr<Project> project = Load({});
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(KeysAt(project->model, "services"), "tools,web");
}

TEST_F(ProfilesTest, UnknownNamedServiceIsNotFound) {
  absl::StatusOr<Project> project = Load({}, {"nope"});
  EXPECT_EQ(project.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(ErrorOf(project), HasSubstr("no such service: \"nope\""));
}

TEST_F(ProfilesTest, NamedServiceIsActiveWithItsDependencies) {
  absl::StatusOr<Project> project = Load({}, {"debug"});
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(KeysAt(project->model, "services"), "debug,tools,web");
}

TEST_F(ProfilesTest, DependencyOnDisabledServiceIsAnError) {
  absl::StatusOr<Project> project = Load({"debug"});
  EXPECT_THAT(ErrorOf(project), HasSubstr("compose.yaml:7:18: services.debug.depends_on: depends "
                                          "on service \"tools\", which no enabled profile"));
}

TEST(ProfilesOptionalTest, OptionalDependencyOnDisabledServiceIsDropped) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "services:\n  web:\n    image: busybox\n    depends_on:\n      tools:\n"
            "        condition: service_started\n        required: false\n"
            "  tools:\n    image: busybox\n    profiles: [tools]\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(KeysAt(project->model, "services.web.depends_on"), "");
}

// ---- validation and errors ----

struct BadFile {
  const char* file;
  const char* message;
};

class BadFileTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadFileTest, ErrorNamesFileLineAndField) {
  absl::StatusOr<Project> project =
      LoadFiles({absl::StrCat("lib/compose/testdata/bad/", GetParam().file)});
  ASSERT_FALSE(project.ok());
  EXPECT_THAT(project.status().message(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, BadFileTest,
    ::testing::Values(
        BadFile{"bad_yaml.yaml", "bad_yaml.yaml:4:1: did not find expected ','"},
        BadFile{"duplicate_key.yaml", "duplicate_key.yaml:4:5: duplicate key \"image\""},
        BadFile{"unknown_field.yaml", "unknown_field.yaml:4:5: services.web: unknown field \"imgae\""},
        BadFile{"wrong_type.yaml", "wrong_type.yaml:4:12: services.web.ports: must be a list"},
        BadFile{"bad_size.yaml", "bad_size.yaml:4:16: services.web.mem_limit: invalid size \"lots\""},
        BadFile{"missing_variable.yaml",
                "missing_variable.yaml:5:17: services.web.environment.PASSWORD: required variable "
                "PASSWORD is missing a value: set PASSWORD"},
        BadFile{"cycle.yaml", "cycle.yaml:10:18: services.c.depends_on: dependency cycle: "
                              "a -> b -> c -> a"},
        BadFile{"unknown_dependency.yaml",
                "unknown_dependency.yaml:5:9: services.web.depends_on: depends on undefined "
                "service \"dbx\""}));

TEST(ProjectValidationTest, WarningsNameFileLineAndField) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "version: '3.8'\nservices:\n  web:\n    image: busybox\n    logging:\n"
            "      driver: syslog\n    x-note: ignored\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  ASSERT_EQ(project->warnings.size(), 2u);
  EXPECT_THAT(ToString(project->warnings[0]),
              HasSubstr("compose.yaml:1:1: version: the version field is obsolete"));
  EXPECT_THAT(ToString(project->warnings[1]),
              HasSubstr("compose.yaml:5:5: services.web.logging: parsed but not applied"));
  EXPECT_EQ(At(project->model, "version"), nullptr);
}

TEST(ProjectValidationTest, UndefinedNetworkAndVolume) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "net.yaml", "services:\n  web:\n    image: busybox\n    networks: [front]\n");
  WriteFile(dir, "vol.yaml", "services:\n  web:\n    image: busybox\n    volumes: ['data:/d']\n");
  EXPECT_THAT(ErrorOf(LoadFiles({dir + "/net.yaml"})),
              HasSubstr("net.yaml:4:16: services.web.networks: network \"front\" is not defined"));
  EXPECT_THAT(ErrorOf(LoadFiles({dir + "/vol.yaml"})),
              HasSubstr("vol.yaml:4:15: services.web.volumes[0]: volume \"data\" is not defined"));
}

TEST(ProjectValidationTest, ServiceReferenceInIpcMustExist) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml", "services:\n  web:\n    image: busybox\n    ipc: service:nope\n");
  EXPECT_THAT(ErrorOf(LoadIn(dir)),
              HasSubstr("compose.yaml:4:10: services.web.ipc: refers to undefined service"));
}

// ---- normalized shapes ----

TEST(ProjectNormalizeTest, NetworksAndVolumesGetProjectNames) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "name: shop\nservices:\n  web:\n    image: busybox\n    networks:\n"
            "      front:\n        aliases: [www]\n      outside:\n"
            "  db:\n    image: postgres\n    volumes: ['data:/var/lib/db', 'shared:/s']\n"
            "networks:\n  front:\n  outside:\n    external: true\n"
            "volumes:\n  data:\n  shared:\n    external:\n      name: team-shared\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  const yaml::Node& model = project->model;
  EXPECT_EQ(KeysAt(model, ""), "name,services,networks,volumes");
  EXPECT_EQ(ItemsAt(model, "services.web.networks.front.aliases"), "www");
  EXPECT_EQ(ScalarAt(model, "services.db.networks.default"), "<null>");
  EXPECT_EQ(ScalarAt(model, "networks.default.name"), "shop_default");
  EXPECT_EQ(ScalarAt(model, "networks.front.name"), "shop_front");
  EXPECT_EQ(ScalarAt(model, "networks.outside.name"), "outside");
  EXPECT_EQ(ScalarAt(model, "networks.outside.external"), "true");
  EXPECT_EQ(ScalarAt(model, "volumes.data.name"), "shop_data");
  EXPECT_EQ(ScalarAt(model, "volumes.shared.name"), "team-shared");
  EXPECT_EQ(ScalarAt(model, "volumes.shared.external"), "true");
}

TEST(ProjectNormalizeTest, ServicesAndKeysAreSorted) {
  std::string dir = ScratchDirectory();
  WriteFile(dir, "compose.yaml",
            "services:\n  zeta:\n    user: nobody\n    image: busybox\n  alpha:\n"
            "    image: busybox\n    environment: {Z: '1', A: '2'}\n");
  absl::StatusOr<Project> project = LoadIn(dir);
  ASSERT_TRUE(project.ok()) << project.status();
  EXPECT_EQ(KeysAt(project->model, "services"), "alpha,zeta");
  EXPECT_EQ(KeysAt(project->model, "services.zeta"), "image,networks,user");
  EXPECT_EQ(KeysAt(project->model, "services.alpha.environment"), "A,Z");
}

// ---- dependency order ----

TEST(DependencyOrderTest, PlatformStartsDependenciesFirst) {
  LoadOptions options;
  options.files = {"lib/compose/testdata/platform/compose.yaml"};
  absl::StatusOr<Project> project = LoadProject(options);
  ASSERT_TRUE(project.ok()) << project.status();
  absl::StatusOr<std::vector<std::string>> order = DependencyOrder(*project);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_THAT(*order, ElementsAre("cache", "db", "pooler", "app", "proxy"));

  absl::StatusOr<std::vector<std::string>> pooler = DependencyOrder(*project, {"pooler"});
  ASSERT_TRUE(pooler.ok()) << pooler.status();
  EXPECT_THAT(*pooler, ElementsAre("db", "pooler"));

  EXPECT_EQ(DependencyOrder(*project, {"nope"}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace pycontain::compose
