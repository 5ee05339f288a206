#include "lib/compose/schema.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::compose {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

absl::Status Validate(const std::string& text, std::vector<Warning>* warnings = nullptr) {
  absl::StatusOr<yaml::Node> root = yaml::Parse(text, "compose.yaml");
  EXPECT_TRUE(root.ok()) << root.status();
  if (!root.ok()) return root.status();
  std::vector<Warning> ignored;
  return ValidateFile(*root, warnings != nullptr ? warnings : &ignored);
}

std::string ErrorOf(const std::string& text) {
  absl::Status status = Validate(text);
  EXPECT_FALSE(status.ok()) << text;
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

TEST(ValidateFileTest, AcceptsFullService) {
  std::vector<Warning> warnings;
  absl::Status status = Validate(
      "name: app\n"
      "x-common: &common {restart: always}\n"
      "services:\n"
      "  web:\n"
      "    image: nginx\n"
      "    command: nginx -g 'daemon off;'\n"
      "    entrypoint: [/docker-entrypoint.sh]\n"
      "    environment: [A=1, B]\n"
      "    labels: {a: '1', b: 2, c: true, d: null}\n"
      "    ports: [80, '443:443', {target: 8080, published: '8080', protocol: udp}]\n"
      "    volumes: ['./a:/a:ro', {type: tmpfs, target: /t, tmpfs: {size: 16m}}]\n"
      "    depends_on: {db: {condition: service_healthy, restart: true}}\n"
      "    networks: {front: {aliases: [www], ipv4_address: 10.0.0.2}, back: null}\n"
      "    healthcheck: {test: [CMD, true], interval: 1m30s, retries: 3}\n"
      "    ulimits: {nofile: {soft: 1, hard: 2}, nproc: 3}\n"
      "    deploy: {replicas: 2, resources: {limits: {cpus: '0.5', memory: 16m, pids: 5}}}\n"
      "    mem_limit: 1g\n"
      "    cpus: 1.5\n"
      "    read_only: yes\n"
      "    x-local: anything\n"
      "  db:\n"
      "    image: postgres\n"
      "networks:\n  front:\n  back:\n    driver: bridge\n"
      "volumes:\n  data:\n    external: true\n",
      &warnings);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(ValidateFileTest, UnknownFieldNamesItsParent) {
  EXPECT_EQ(ErrorOf("services:\n  web:\n    imgae: x\n"),
            "compose.yaml:3:5: services.web: unknown field \"imgae\"");
  EXPECT_EQ(ErrorOf("servics: {}\n"), "compose.yaml:1:1: top level: unknown field \"servics\"");
  EXPECT_EQ(ErrorOf("services:\n  web:\n    healthcheck:\n      tset: [CMD]\n"),
            "compose.yaml:4:7: services.web.healthcheck: unknown field \"tset\"");
  EXPECT_EQ(ErrorOf("services:\n  web:\n    ports:\n      - {target: 80, publish: 80}\n"),
            "compose.yaml:4:22: services.web.ports[0]: unknown field \"publish\"");
}

TEST(ValidateFileTest, WrongShapes) {
  EXPECT_EQ(ErrorOf("services:\n  web:\n    ports: '80:80'\n"),
            "compose.yaml:3:12: services.web.ports: must be a list");
  EXPECT_EQ(ErrorOf("services:\n  web:\n    environment: FOO=1\n"),
            "compose.yaml:3:18: services.web.environment: must be a list or a mapping");
  EXPECT_EQ(ErrorOf("services:\n  web:\n    image: [a]\n"),
            "compose.yaml:3:12: services.web.image: must be a string");
  EXPECT_EQ(ErrorOf("services:\n  web:\n"), "compose.yaml:2:7: services.web: must be a mapping");
  EXPECT_EQ(ErrorOf("services: [web]\n"), "compose.yaml:1:11: services: must be a mapping");
  EXPECT_EQ(ErrorOf("- a\n"), "compose.yaml:1:1: top level: must be a mapping");
}

TEST(ValidateFileTest, ScalarContents) {
  EXPECT_THAT(ErrorOf("services:\n  web:\n    read_only: maybe\n"),
              HasSubstr("3:16: services.web.read_only: invalid boolean \"maybe\""));
  EXPECT_THAT(ErrorOf("services:\n  web:\n    pids_limit: 1.5\n"),
              HasSubstr("3:17: services.web.pids_limit: invalid integer \"1.5\""));
  EXPECT_THAT(ErrorOf("services:\n  web:\n    cpus: half\n"),
              HasSubstr("3:11: services.web.cpus: invalid number \"half\""));
  EXPECT_THAT(ErrorOf("services:\n  web:\n    shm_size: 12x\n"),
              HasSubstr("3:15: services.web.shm_size: invalid size \"12x\""));
  EXPECT_THAT(ErrorOf("services:\n  web:\n    stop_grace_period: 10\n"),
              HasSubstr("3:24: services.web.stop_grace_period: invalid duration \"10\""));
  EXPECT_THAT(ErrorOf("services:\n  web:\n    depends_on: {db: {condition: started}}\n"),
              HasSubstr("services.web.depends_on.db.condition: invalid value \"started\" (use "
                        "service_started, service_healthy, service_completed_successfully)"));
  EXPECT_THAT(ErrorOf("services:\n  web:\n    volumes: [{type: disk, target: /x}]\n"),
              HasSubstr("services.web.volumes[0].type: invalid value \"disk\""));
}

TEST(ValidateFileTest, DuplicateListItems) {
  EXPECT_EQ(ErrorOf("services:\n  web:\n    cap_add: [NET_ADMIN, NET_ADMIN]\n"),
            "compose.yaml:3:26: services.web.cap_add[1]: duplicate item \"NET_ADMIN\" (also at [0])");
  EXPECT_THAT(ErrorOf("services:\n  web:\n    ports: ['80:80', '80:80']\n"),
              HasSubstr("services.web.ports[1]: duplicate item \"80:80\""));
  EXPECT_TRUE(Validate("services:\n  web:\n    command: [echo, echo]\n").ok());
}

TEST(ValidateFileTest, MissingRequiredField) {
  EXPECT_THAT(ErrorOf("services:\n  web:\n    volumes: [{target: /x}]\n"),
              HasSubstr("3:15: services.web.volumes[0]: missing required field \"type\""));
  EXPECT_THAT(ErrorOf("services:\n  web:\n    ulimits: {nofile: {soft: 1}}\n"),
              HasSubstr("services.web.ulimits.nofile: missing required field \"hard\""));
  EXPECT_THAT(ErrorOf("services:\n  web:\n    extends: {file: x.yaml}\n"),
              HasSubstr("services.web.extends: missing required field \"service\""));
}

TEST(ValidateFileTest, InvalidServiceName) {
  EXPECT_THAT(ErrorOf("services:\n  'my web':\n    image: x\n"),
              HasSubstr("2:3: services: invalid name \"my web\""));
}

TEST(ValidateFileTest, WarningsForFieldsNotApplied) {
  std::vector<Warning> warnings;
  absl::Status status = Validate(
      "version: '3'\n"
      "services:\n"
      "  web:\n"
      "    image: x\n"
      "    logging: {driver: syslog}\n"
      "    build: .\n"
      "    deploy:\n"
      "      placement: {constraints: [node.role==manager]}\n"
      "secrets:\n"
      "  key: {file: ./key}\n",
      &warnings);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(warnings.size(), 5u);
  EXPECT_EQ(ToString(warnings[0]),
            "compose.yaml:1:1: version: the version field is obsolete and ignored; remove it");
  EXPECT_THAT(ToString(warnings[1]),
              HasSubstr("compose.yaml:5:5: services.web.logging: parsed but not applied by "
                        "pycontain (logging drivers are not supported"));
  EXPECT_THAT(ToString(warnings[2]),
              HasSubstr("compose.yaml:6:5: services.web.build: parsed but not applied"));
  EXPECT_THAT(ToString(warnings[3]),
              HasSubstr("compose.yaml:8:7: services.web.deploy.placement: parsed but not applied"));
  EXPECT_THAT(ToString(warnings[4]), HasSubstr("compose.yaml:9:1: secrets: parsed but not applied"));
}

TEST(ValidateFileTest, ExtensionsAndResetTagsAreAccepted) {
  EXPECT_TRUE(Validate("x-top: 1\nservices:\n  web:\n    x-any: {a: [1]}\n    image: x\n").ok());
  EXPECT_TRUE(Validate("services:\n  web:\n    user: !reset null\n    ports: !reset []\n").ok());
  EXPECT_TRUE(Validate("networks:\n  n:\n    x-note: 1\nvolumes:\n  v:\n    x-note: 1\n").ok());
}

TEST(ValidateFileTest, EmptyFileIsValid) { EXPECT_TRUE(Validate("").ok()); }

TEST(ComposeBoolTest, Spellings) {
  bool ok = false;
  for (const char* text : {"true", "True", "yes", "on", "y", "Y"}) {
    EXPECT_TRUE(ParseComposeBool(text, &ok)) << text;
    EXPECT_TRUE(ok) << text;
  }
  for (const char* text : {"false", "NO", "off", "n"}) {
    EXPECT_FALSE(ParseComposeBool(text, &ok)) << text;
    EXPECT_TRUE(ok) << text;
  }
  ParseComposeBool("1", &ok);
  EXPECT_FALSE(ok);
}

TEST(ResourceNameTest, Characters) {
  EXPECT_TRUE(IsValidResourceName("web-1.a_b"));
  EXPECT_FALSE(IsValidResourceName(""));
  EXPECT_FALSE(IsValidResourceName("a b"));
  EXPECT_FALSE(IsValidResourceName("a/b"));
}

}  // namespace
}  // namespace pycontain::compose
