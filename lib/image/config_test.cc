#include "lib/image/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/image/json.h"

namespace pycontain::image {
namespace {

using ::testing::ElementsAre;

format::ImageConfig Parse(const std::string& json) {
  format::ImageConfig config;
  EXPECT_TRUE(ParseJson(json, "test config", &config).ok());
  return config;
}

const char kNginxLike[] = R"({
  "architecture": "amd64", "os": "linux",
  "config": {
    "User": "www:web",
    "ExposedPorts": {"80/tcp": {}, "443": {}},
    "Env": ["PATH=/usr/bin:/bin", "MODE=prod"],
    "Entrypoint": ["/docker-entrypoint.sh"],
    "Cmd": ["nginx", "-g", "daemon off;"],
    "Volumes": {"/var/cache": {}},
    "WorkingDir": "/srv",
    "Labels": {"maintainer": "someone"},
    "StopSignal": "SIGQUIT",
    "Healthcheck": {"Test": ["CMD", "true"]}
  },
  "rootfs": {"type": "layers", "diff_ids": []}
})";

TEST(ConfigTest, ImageDefaultsOnly) {
  absl::StatusOr<ContainerDefaults> defaults =
      ContainerDefaultsFor(Parse(kNginxLike), {});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  const spec::Process& process = defaults->spec.process();
  EXPECT_THAT(process.args(),
              ElementsAre("/docker-entrypoint.sh", "nginx", "-g", "daemon off;"));
  EXPECT_THAT(process.env(), ElementsAre("PATH=/usr/bin:/bin", "MODE=prod"));
  EXPECT_EQ(process.cwd(), "/srv");
  EXPECT_EQ(process.user().user(), "www");
  EXPECT_EQ(process.user().group(), "web");
  EXPECT_THAT(defaults->exposed_ports, ElementsAre("443/tcp", "80/tcp"));
  EXPECT_THAT(defaults->volumes, ElementsAre("/var/cache"));
  EXPECT_EQ(defaults->stop_signal, "SIGQUIT");
  EXPECT_EQ(defaults->labels.at("maintainer"), "someone");
}

TEST(ConfigTest, CommandReplacesCmdOnly) {
  RunOverrides overrides;
  overrides.command = {"sh", "-c", "id"};
  absl::StatusOr<ContainerDefaults> defaults =
      ContainerDefaultsFor(Parse(kNginxLike), overrides);
  ASSERT_TRUE(defaults.ok());
  EXPECT_THAT(defaults->spec.process().args(),
              ElementsAre("/docker-entrypoint.sh", "sh", "-c", "id"));
}

TEST(ConfigTest, EntrypointOverrideDropsCmd) {
  RunOverrides overrides;
  overrides.entrypoint = std::vector<std::string>{"/bin/sh"};
  absl::StatusOr<ContainerDefaults> defaults =
      ContainerDefaultsFor(Parse(kNginxLike), overrides);
  ASSERT_TRUE(defaults.ok());
  EXPECT_THAT(defaults->spec.process().args(), ElementsAre("/bin/sh"));

  overrides.command = {"-c", "true"};
  defaults = ContainerDefaultsFor(Parse(kNginxLike), overrides);
  ASSERT_TRUE(defaults.ok());
  EXPECT_THAT(defaults->spec.process().args(), ElementsAre("/bin/sh", "-c", "true"));
}

TEST(ConfigTest, EmptyEntrypointOverrideRunsCommand) {
  RunOverrides overrides;
  overrides.entrypoint = std::vector<std::string>{};
  overrides.command = {"ls"};
  absl::StatusOr<ContainerDefaults> defaults =
      ContainerDefaultsFor(Parse(kNginxLike), overrides);
  ASSERT_TRUE(defaults.ok());
  EXPECT_THAT(defaults->spec.process().args(), ElementsAre("ls"));
}

TEST(ConfigTest, EnvOverrideReplacesInPlace) {
  RunOverrides overrides;
  overrides.env = {"MODE=dev", "EXTRA=1"};
  absl::StatusOr<ContainerDefaults> defaults =
      ContainerDefaultsFor(Parse(kNginxLike), overrides);
  ASSERT_TRUE(defaults.ok());
  EXPECT_THAT(defaults->spec.process().env(),
              ElementsAre("PATH=/usr/bin:/bin", "MODE=dev", "EXTRA=1"));
}

TEST(ConfigTest, WorkdirAndUserOverrides) {
  RunOverrides overrides;
  overrides.working_dir = "/tmp";
  overrides.user = "1000";
  absl::StatusOr<ContainerDefaults> defaults =
      ContainerDefaultsFor(Parse(kNginxLike), overrides);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->spec.process().cwd(), "/tmp");
  EXPECT_EQ(defaults->spec.process().user().user(), "1000");
  EXPECT_EQ(defaults->spec.process().user().group(), "");
}

TEST(ConfigTest, MissingCommandIsError) {
  absl::StatusOr<ContainerDefaults> defaults =
      ContainerDefaultsFor(Parse(R"({"config": {}})"), {});
  ASSERT_FALSE(defaults.ok());
  EXPECT_EQ(defaults.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ConfigTest, EmptyConfigDefaults) {
  RunOverrides overrides;
  overrides.command = {"/bin/sh"};
  absl::StatusOr<ContainerDefaults> defaults =
      ContainerDefaultsFor(Parse(R"({})"), overrides);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->spec.process().cwd(), "/");
  EXPECT_TRUE(defaults->spec.process().env().empty());
  EXPECT_FALSE(defaults->spec.process().has_user());
}

TEST(ConfigTest, RelativeWorkdirRejected) {
  RunOverrides overrides;
  overrides.command = {"true"};
  overrides.working_dir = "srv";
  EXPECT_EQ(ContainerDefaultsFor(Parse("{}"), overrides).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ConfigTest, InvalidEnvRejected) {
  RunOverrides overrides;
  overrides.command = {"true"};
  overrides.env = {"NOVALUE"};
  EXPECT_EQ(ContainerDefaultsFor(Parse("{}"), overrides).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pycontain::image
