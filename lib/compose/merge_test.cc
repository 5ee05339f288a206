#include "lib/compose/merge.h"

#include "gtest/gtest.h"
#include "lib/compose/testing.h"

namespace pycontain::compose {
namespace {

using testing::ItemsAt;
using testing::KeysAt;
using testing::ScalarAt;

yaml::Node Parse(const std::string& text) {
  absl::StatusOr<yaml::Node> node = yaml::Parse(text, "test.yaml");
  EXPECT_TRUE(node.ok()) << node.status();
  return node.ok() ? *std::move(node) : yaml::Node();
}

yaml::Node MergedService(const std::string& base, const std::string& override) {
  yaml::Node result = Parse(base);
  MergeService(&result, Parse(override));
  ResolveMergeTags(&result);
  return result;
}

TEST(MergeServiceTest, ScalarsAreReplacedAndMappingsMerged) {
  yaml::Node merged = MergedService("image: a\nenvironment: {A: '1', B: '2'}\n",
                                    "image: b\nenvironment: {B: three}\nuser: x\n");
  EXPECT_EQ(ScalarAt(merged, "image"), "b");
  EXPECT_EQ(ScalarAt(merged, "environment.A"), "1");
  EXPECT_EQ(ScalarAt(merged, "environment.B"), "three");
  EXPECT_EQ(ScalarAt(merged, "user"), "x");
}

TEST(MergeServiceTest, CommandsAreReplaced) {
  yaml::Node merged = MergedService(
      "command: [a, b]\nentrypoint: [c]\nhealthcheck: {test: [CMD, x], retries: 2}\n",
      "command: [d]\nentrypoint: [e, f]\nhealthcheck: {test: [CMD, y]}\n");
  EXPECT_EQ(ItemsAt(merged, "command"), "d");
  EXPECT_EQ(ItemsAt(merged, "entrypoint"), "e,f");
  EXPECT_EQ(ItemsAt(merged, "healthcheck.test"), "CMD,y");
  EXPECT_EQ(ScalarAt(merged, "healthcheck.retries"), "2");
}

TEST(MergeServiceTest, OtherSequencesAppend) {
  yaml::Node merged = MergedService("devices: [a]\nprofiles: [p]\n", "devices: [a]\nprofiles: [p, q]\n");
  EXPECT_EQ(ItemsAt(merged, "devices"), "a,a");
  EXPECT_EQ(ItemsAt(merged, "profiles"), "p,q");
}

TEST(MergeServiceTest, UniqueKeys) {
  yaml::Node merged = MergedService(
      "ports: [{target: 80, published: '80', protocol: tcp}]\n"
      "volumes: [{type: bind, source: /a, target: /data}]\n"
      "secrets: [{source: s, target: /run/s}]\n",
      "ports: [{target: 80, published: '80', protocol: tcp, mode: host},"
      " {target: 80, published: '81', protocol: tcp}]\n"
      "volumes: [{type: bind, source: /b, target: /data, read_only: true}]\n"
      "secrets: [{source: s2, target: /run/s}]\n");
  EXPECT_EQ(ScalarAt(merged, "ports.0.mode"), "host");
  EXPECT_EQ(ScalarAt(merged, "ports.1.published"), "81");
  EXPECT_EQ(ScalarAt(merged, "ports.2"), "<missing>");
  EXPECT_EQ(ScalarAt(merged, "volumes.0.source"), "/b");
  EXPECT_EQ(ScalarAt(merged, "volumes.0.read_only"), "true");
  EXPECT_EQ(ScalarAt(merged, "volumes.1"), "<missing>");
  EXPECT_EQ(ScalarAt(merged, "secrets.0.source"), "s2");
}

TEST(MergeServiceTest, NetworkAliasesAppendMissing) {
  yaml::Node merged = MergedService("networks: {front: {aliases: [a]}, back: null}\n",
                                    "networks: {front: {aliases: [a, b]}, back: {aliases: [c]}}\n");
  EXPECT_EQ(ItemsAt(merged, "networks.front.aliases"), "a,b");
  EXPECT_EQ(ItemsAt(merged, "networks.back.aliases"), "c");
}

TEST(MergeServiceTest, ResetAndOverride) {
  yaml::Node merged = MergedService("user: a\nlabels: {x: '1'}\nports: [{target: 1}]\n",
                                    "user: !reset null\nlabels: !override {y: '2'}\n");
  EXPECT_EQ(ScalarAt(merged, "user"), "<missing>");
  EXPECT_EQ(KeysAt(merged, "labels"), "y");
  EXPECT_EQ(ScalarAt(merged, "ports.0.target"), "1");
  EXPECT_EQ(merged.Find("labels")->tag, "");
}

TEST(MergeFilesTest, ResourcesMergeByName) {
  yaml::Node base = Parse(
      "name: a\nservices:\n  web: {image: x, environment: {A: '1'}}\n"
      "networks:\n  front: {driver: bridge}\nvolumes:\n  data: {}\n");
  MergeFiles(&base, Parse("name: b\nservices:\n  web: {environment: {B: '2'}}\n  db: {image: y}\n"
                          "networks:\n  front: {name: shared}\n"));
  ResolveMergeTags(&base);
  EXPECT_EQ(ScalarAt(base, "name"), "b");
  EXPECT_EQ(KeysAt(base, "services"), "web,db");
  EXPECT_EQ(KeysAt(base, "services.web.environment"), "A,B");
  EXPECT_EQ(ScalarAt(base, "networks.front.driver"), "bridge");
  EXPECT_EQ(ScalarAt(base, "networks.front.name"), "shared");
  EXPECT_EQ(KeysAt(base, "volumes"), "data");
}

TEST(MergeFilesTest, ResetRemovesAService) {
  yaml::Node base = Parse("services:\n  web: {image: x}\n  debug: {image: y}\n");
  MergeFiles(&base, Parse("services:\n  debug: !reset null\n"));
  ResolveMergeTags(&base);
  EXPECT_EQ(KeysAt(base, "services"), "web");
}

}  // namespace
}  // namespace pycontain::compose
