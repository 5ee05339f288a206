#include "lib/compose/env_file.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::compose {
namespace {

using ::testing::HasSubstr;

class EnvFileTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> environment_ = {{"HOME", "/home/ctf"}, {"EMPTY", ""}};
  Lookup lookup_ = [this](absl::string_view name) -> std::optional<std::string> {
    auto it = environment_.find(std::string(name));
    if (it == environment_.end()) return std::nullopt;
    return it->second;
  };

  std::map<std::string, std::string> Parse(absl::string_view text) {
    absl::StatusOr<std::vector<EnvVar>> vars = ParseEnvFile(text, ".env", lookup_);
    EXPECT_TRUE(vars.ok()) << vars.status();
    std::map<std::string, std::string> out;
    if (!vars.ok()) return out;
    for (const EnvVar& var : *vars) out[var.name] = var.value;
    return out;
  }

  std::string Value(absl::string_view text, const std::string& name) {
    std::map<std::string, std::string> vars = Parse(text);
    auto it = vars.find(name);
    EXPECT_NE(it, vars.end()) << name << " missing in:\n" << text;
    return it == vars.end() ? "<missing>" : it->second;
  }

  std::string Error(absl::string_view text) {
    absl::StatusOr<std::vector<EnvVar>> vars = ParseEnvFile(text, ".env", lookup_);
    EXPECT_FALSE(vars.ok()) << text;
    if (vars.ok()) return "";
    EXPECT_EQ(vars.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(vars.status().message());
  }
};

TEST_F(EnvFileTest, KeyValueLinesInOrderWithMarks) {
  absl::StatusOr<std::vector<EnvVar>> vars =
      ParseEnvFile("# settings\n\nA=1\n  B=two words\n", "proj/.env", lookup_);
  ASSERT_TRUE(vars.ok()) << vars.status();
  ASSERT_EQ(vars->size(), 2u);
  EXPECT_EQ((*vars)[0].name, "A");
  EXPECT_EQ((*vars)[0].value, "1");
  EXPECT_EQ(yaml::ToString((*vars)[0].mark), "proj/.env:3:1");
  EXPECT_EQ((*vars)[1].name, "B");
  EXPECT_EQ((*vars)[1].value, "two words");
  EXPECT_EQ(yaml::ToString((*vars)[1].mark), "proj/.env:4:3");
}

TEST_F(EnvFileTest, ExportPrefix) {
  EXPECT_EQ(Value("export A=1\n", "A"), "1");
  EXPECT_EQ(Value("export\tA=1\n", "A"), "1");
  EXPECT_EQ(Value("exporter=1\n", "exporter"), "1");
}

TEST_F(EnvFileTest, UnquotedValuesAreTrimmed) {
  EXPECT_EQ(Value("A =  spaced out  \n", "A"), "spaced out");
  EXPECT_EQ(Value("A=x\r\nB=y\r\n", "A"), "x");
  EXPECT_EQ(Value("A=x\r\nB=y\r\n", "B"), "y");
}

TEST_F(EnvFileTest, InlineCommentNeedsWhitespaceBefore) {
  EXPECT_EQ(Value("A=value # comment\n", "A"), "value");
  EXPECT_EQ(Value("A=value\t# comment\n", "A"), "value");
  EXPECT_EQ(Value("A=value# not a comment\n", "A"), "value# not a comment");
  EXPECT_EQ(Value("A=#hash\n", "A"), "#hash");
  EXPECT_EQ(Value("A= # only a comment\n", "A"), "");
}

TEST_F(EnvFileTest, EmptyValue) {
  std::map<std::string, std::string> vars = Parse("A=\nB=''\nC=\"\"\n");
  ASSERT_EQ(vars.size(), 3u);
  EXPECT_EQ(vars["A"], "");
  EXPECT_EQ(vars["B"], "");
  EXPECT_EQ(vars["C"], "");
}

TEST_F(EnvFileTest, NameAloneTakesEnvironmentOrIsSkipped) {
  std::map<std::string, std::string> vars = Parse("HOME\nNOT_SET\nEMPTY\n");
  EXPECT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars["HOME"], "/home/ctf");
  EXPECT_EQ(vars.count("NOT_SET"), 0u);
  EXPECT_EQ(vars.count("EMPTY"), 1u);
}

TEST_F(EnvFileTest, SingleQuotedIsLiteral) {
  EXPECT_EQ(Value("A='$HOME ${HOME} \\n'\n", "A"), "$HOME ${HOME} \\n");
  EXPECT_EQ(Value("A='Let\\'s go!'\n", "A"), "Let's go!");
  EXPECT_EQ(Value("A='value # not a comment'\n", "A"), "value # not a comment");
  EXPECT_EQ(Value("A='  kept  '\n", "A"), "  kept  ");
}

TEST_F(EnvFileTest, DoubleQuotedEscapes) {
  EXPECT_EQ(Value("A=\"a\\tb\\nc\"\n", "A"), "a\tb\nc");
  EXPECT_EQ(Value("A=\"back\\\\slash\"\n", "A"), "back\\slash");
  EXPECT_EQ(Value("A=\"{\\\"hello\\\": \\\"json\\\"}\"\n", "A"), "{\"hello\": \"json\"}");
  EXPECT_EQ(Value("A=\"cost \\$5\"\n", "A"), "cost $5");
  EXPECT_EQ(Value("A=\"keep \\d\"\n", "A"), "keep \\d");
  EXPECT_EQ(Value("A=\"value # not a comment\"\n", "A"), "value # not a comment");
}

TEST_F(EnvFileTest, CommentAfterClosingQuote) {
  EXPECT_EQ(Value("A=\"value\" # comment\n", "A"), "value");
  EXPECT_EQ(Value("A='value'   # comment\nB=2\n", "B"), "2");
}

TEST_F(EnvFileTest, DoubleQuotedSpansLines) {
  std::map<std::string, std::string> vars = Parse(
      "KEY=\"-----BEGIN KEY-----\n"
      "abc\n"
      "-----END KEY-----\"\n"
      "NEXT=after\n");
  EXPECT_EQ(vars["KEY"], "-----BEGIN KEY-----\nabc\n-----END KEY-----");
  EXPECT_EQ(vars["NEXT"], "after");
}

TEST_F(EnvFileTest, MultiLineValueKeepsLineNumbersRight) {
  absl::StatusOr<std::vector<EnvVar>> vars =
      ParseEnvFile("A=\"1\n2\n3\"\nB=x\n", ".env", lookup_);
  ASSERT_TRUE(vars.ok()) << vars.status();
  ASSERT_EQ(vars->size(), 2u);
  EXPECT_EQ((*vars)[1].mark.line, 4);
}

TEST_F(EnvFileTest, UnquotedAndDoubleQuotedInterpolate) {
  EXPECT_EQ(Value("A=$HOME/data\n", "A"), "/home/ctf/data");
  EXPECT_EQ(Value("A=\"${HOME}/data\"\n", "A"), "/home/ctf/data");
  EXPECT_EQ(Value("A=${MISSING:-fallback}\n", "A"), "fallback");
  EXPECT_EQ(Value("A=$$HOME\n", "A"), "$HOME");
}

TEST_F(EnvFileTest, InterpolationSeesEarlierVariables) {
  std::map<std::string, std::string> vars =
      Parse("DB_USER=ctf\nDB_URL=postgres://${DB_USER}@db/${DB_NAME:-ctf}\n");
  EXPECT_EQ(vars["DB_URL"], "postgres://ctf@db/ctf");
}

TEST_F(EnvFileTest, EnvironmentWinsInInterpolation) {
  environment_["USER_NAME"] = "from-env";
  std::map<std::string, std::string> vars = Parse("USER_NAME=from-file\nGREETING=hi $USER_NAME\n");
  EXPECT_EQ(vars["USER_NAME"], "from-file");
  EXPECT_EQ(vars["GREETING"], "hi from-env");
}

TEST_F(EnvFileTest, LaterVariablesAreNotVisible) {
  EXPECT_EQ(Value("A=${B-unset}\nB=2\n", "A"), "unset");
}

TEST_F(EnvFileTest, RedefinitionKeepsPositionTakesLastValue) {
  absl::StatusOr<std::vector<EnvVar>> vars = ParseEnvFile("A=1\nB=2\nA=3\n", ".env", lookup_);
  ASSERT_TRUE(vars.ok()) << vars.status();
  ASSERT_EQ(vars->size(), 2u);
  EXPECT_EQ((*vars)[0].name, "A");
  EXPECT_EQ((*vars)[0].value, "3");
  EXPECT_EQ((*vars)[0].mark.line, 3);
}

TEST_F(EnvFileTest, YamlStyleColon) {
  EXPECT_EQ(Value("A: value\n", "A"), "value");
}

TEST_F(EnvFileTest, NamesWithDotsAndDashes) {
  EXPECT_EQ(Value("spring.datasource-url=x\n", "spring.datasource-url"), "x");
}

TEST_F(EnvFileTest, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(Value("\xef\xbb\xbf" "A=1\n", "A"), "1");
}

TEST_F(EnvFileTest, NoFinalNewline) {
  EXPECT_EQ(Value("A=1", "A"), "1");
  EXPECT_EQ(Value("A='1'", "A"), "1");
}

TEST_F(EnvFileTest, UnterminatedQuoteNamesStartLine) {
  EXPECT_EQ(Error("A=1\nB=\"open\nC=3\n"),
            ".env:2: unterminated double-quoted value of B; add the closing \"");
  EXPECT_EQ(Error("A='open"), ".env:1: unterminated single-quoted value of A; add the closing '");
}

TEST_F(EnvFileTest, TextAfterClosingQuoteIsError) {
  EXPECT_EQ(Error("\nA=\"x\"y\n"),
            ".env:2: unexpected text after the closing quote of A; quote the whole value");
}

TEST_F(EnvFileTest, InvalidNamesAreErrors) {
  EXPECT_EQ(Error("A B=1\n"), ".env:1: variable name \"A B\" contains a space");
  EXPECT_EQ(Error("=1\n"), ".env:1: missing variable name before \"=\"");
  EXPECT_EQ(Error("\n\nA$=1\n"),
            ".env:3: invalid character '$' in variable name \"A$\"; names contain letters, "
            "digits and _ . - [ ]");
}

TEST_F(EnvFileTest, RequiredVariableErrorNamesLine) {
  EXPECT_EQ(Error("A=1\nPASSWORD=${DB_PASSWORD:?set DB_PASSWORD}\n"),
            ".env:2:10: required variable DB_PASSWORD is missing a value: set DB_PASSWORD");
}

TEST_F(EnvFileTest, EmptyLookupMeansNothingIsSet) {
  absl::StatusOr<std::vector<EnvVar>> vars = ParseEnvFile("A=${HOME-none}\nHOME\n", ".env", {});
  ASSERT_TRUE(vars.ok()) << vars.status();
  ASSERT_EQ(vars->size(), 1u);
  EXPECT_EQ((*vars)[0].value, "none");
}

TEST_F(EnvFileTest, RawFormatKeepsValuesAsWritten) {
  absl::StatusOr<std::vector<EnvVar>> vars = ParseEnvFile(
      "# comment\n"
      "\n"
      "JSON='{\"key\": \"value\"}'\n"
      "  SPACED= a b # not a comment \n"
      "DOLLAR=$HOME ${X:?} \\n\r\n"
      "HOME\n"
      "NOT_SET\n"
      "EQUALS=a=b\n",
      "raw.env", lookup_, EnvFileFormat::kRaw);
  ASSERT_TRUE(vars.ok()) << vars.status();
  ASSERT_EQ(vars->size(), 5u);
  EXPECT_EQ((*vars)[0].name, "JSON");
  EXPECT_EQ((*vars)[0].value, "'{\"key\": \"value\"}'");
  EXPECT_EQ((*vars)[1].name, "SPACED");
  EXPECT_EQ((*vars)[1].value, " a b # not a comment ");
  EXPECT_EQ(yaml::ToString((*vars)[1].mark), "raw.env:4:3");
  EXPECT_EQ((*vars)[2].value, "$HOME ${X:?} \\n");
  EXPECT_EQ((*vars)[3].name, "HOME");
  EXPECT_EQ((*vars)[3].value, "/home/ctf");
  EXPECT_EQ((*vars)[4].value, "a=b");
}

TEST_F(EnvFileTest, RawFormatRejectsBadNames) {
  absl::StatusOr<std::vector<EnvVar>> vars =
      ParseEnvFile("A=1\nB C=2\n", "raw.env", lookup_, EnvFileFormat::kRaw);
  ASSERT_FALSE(vars.ok());
  EXPECT_EQ(vars.status().message(), "raw.env:2: variable name \"B C\" contains whitespace");
  vars = ParseEnvFile("=2\n", "raw.env", lookup_, EnvFileFormat::kRaw);
  ASSERT_FALSE(vars.ok());
  EXPECT_EQ(vars.status().message(), "raw.env:1: missing variable name before \"=\"");
}

TEST_F(EnvFileTest, ReadFromDisk) {
  std::string path = ::testing::TempDir() + "/env_file_test.env";
  {
    std::ofstream file(path);
    file << "IMAGE_TAG=1.2\n";
  }
  absl::StatusOr<std::vector<EnvVar>> vars = ReadEnvFile(path, lookup_);
  ASSERT_TRUE(vars.ok()) << vars.status();
  ASSERT_EQ(vars->size(), 1u);
  EXPECT_EQ((*vars)[0].value, "1.2");
  EXPECT_EQ((*vars)[0].mark.file, path);
  unlink(path.c_str());
}

TEST_F(EnvFileTest, MissingFileIsNotFound) {
  std::string path = ::testing::TempDir() + "/no-such-dir/.env";
  absl::StatusOr<std::vector<EnvVar>> vars = ReadEnvFile(path, lookup_);
  ASSERT_FALSE(vars.ok());
  EXPECT_EQ(vars.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(vars.status().message(),
            "open env file " + path + ": No such file or directory");
}

}  // namespace
}  // namespace pycontain::compose
