#include "lib/image/change.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::image {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

format::RunConfig Apply(const std::vector<std::string>& instructions) {
  format::RunConfig config;
  absl::Status applied = ApplyChanges(instructions, &config);
  EXPECT_TRUE(applied.ok()) << applied;
  return config;
}

TEST(ApplyChangesTest, CmdJsonAndShellForms) {
  EXPECT_THAT(Apply({"CMD [\"sh\", \"-c\", \"echo a b\"]"}).cmd(),
              ElementsAre("sh", "-c", "echo a b"));
  EXPECT_THAT(Apply({"cmd echo \"a b\" | wc"}).cmd(),
              ElementsAre("/bin/sh", "-c", "echo \"a b\" | wc"));
  EXPECT_THAT(Apply({"CMD [not json"}).cmd(), ElementsAre("/bin/sh", "-c", "[not json"));
  EXPECT_THAT(Apply({"CMD [1, 2]"}).cmd(), ElementsAre("/bin/sh", "-c", "[1, 2]"))
      << "an array of non-strings is a shell form, as in Docker";
}

TEST(ApplyChangesTest, EntrypointKeepsCmd) {
  format::RunConfig config = Apply({"CMD [\"x\"]", "ENTRYPOINT [\"/init\", \"--\"]"});
  EXPECT_THAT(config.entrypoint(), ElementsAre("/init", "--"));
  EXPECT_THAT(config.cmd(), ElementsAre("x"));
}

TEST(ApplyChangesTest, EnvPairsAndOldForm) {
  format::RunConfig config =
      Apply({"ENV A=1 B=\"two words\" C=", "ENV D four five", "ENV A=replaced"});
  EXPECT_THAT(config.env(), ElementsAre("A=replaced", "B=two words", "C=", "D=four five"));
}

TEST(ApplyChangesTest, LabelsExposeVolumes) {
  format::RunConfig config = Apply({"LABEL org.example.a=1 \"b\"=\"x y\"",
                                    "EXPOSE 80 53/udp 8000-8002/tcp",
                                    "VOLUME [\"/data\", \"/cache\"]", "VOLUME /logs /tmp/x"});
  EXPECT_THAT(config.labels(), UnorderedElementsAre(Pair("org.example.a", "1"), Pair("b", "x y")));
  std::vector<std::string> ports;
  for (const auto& [port, empty] : config.exposed_ports()) ports.push_back(port);
  EXPECT_THAT(ports, UnorderedElementsAre("80/tcp", "53/udp", "8000/tcp", "8001/tcp",
                                          "8002/tcp"));
  std::vector<std::string> volumes;
  for (const auto& [volume, empty] : config.volumes()) volumes.push_back(volume);
  EXPECT_THAT(volumes, UnorderedElementsAre("/data", "/cache", "/logs", "/tmp/x"));
}

TEST(ApplyChangesTest, UserWorkdirStopSignal) {
  format::RunConfig config =
      Apply({"USER app:app", "WORKDIR /srv", "WORKDIR web/../site/.", "STOPSIGNAL SIGINT"});
  EXPECT_EQ(config.user(), "app:app");
  EXPECT_EQ(config.working_dir(), "/srv/site");
  EXPECT_EQ(config.stop_signal(), "SIGINT");
  EXPECT_EQ(Apply({"WORKDIR data"}).working_dir(), "/data");
}

struct InvalidCase {
  std::string instruction;
  std::string problem;
};

TEST(ApplyChangesTest, RejectsWithReasonAndKeepsConfig) {
  for (const InvalidCase& test : std::vector<InvalidCase>{
           {"RUN apt-get update", "unsupported instruction RUN"},
           {"COPY a /b", "unsupported instruction COPY"},
           {"CMD", "CMD needs an argument"},
           {"ENV", "missing KEY=value"},
           {"ENV NAME", "missing value"},
           {"ENV A=1 =2", "\"=2\" is not KEY=value"},
           {"LABEL a=\"open", "unterminated double quote"},
           {"EXPOSE 0", "invalid port \"0\""},
           {"EXPOSE 70000", "invalid port \"70000\""},
           {"EXPOSE 90-80", "invalid port \"90-80\""},
           {"EXPOSE 80/icmp", "invalid protocol \"icmp\""},
           {"EXPOSE http", "invalid port \"http\""},
           {"VOLUME data", "volume \"data\" is not an absolute path"},
           {"USER a b", "expected one value"},
       }) {
    format::RunConfig config;
    config.add_cmd("kept");
    absl::Status status = ApplyChanges({"ENV SET=1", test.instruction}, &config);
    ASSERT_FALSE(status.ok()) << "accepted " << test.instruction;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("invalid change \"" + test.instruction + "\""));
    EXPECT_THAT(std::string(status.message()), HasSubstr(test.problem)) << test.instruction;
    EXPECT_THAT(config.cmd(), ElementsAre("kept"));
    EXPECT_TRUE(config.env().empty()) << "an earlier change of the failed list was kept";
  }
}

}  // namespace
}  // namespace pycontain::image
