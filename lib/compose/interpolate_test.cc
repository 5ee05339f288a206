#include "lib/compose/interpolate.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/compose/yaml.h"

namespace pycontain::compose {
namespace {

using ::testing::HasSubstr;

// Variables SET, EMPTY (set to ""), TAG and B; every other name is unset.
class InterpolateTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> variables_ = {
      {"SET", "value"}, {"EMPTY", ""}, {"TAG", "1.25"}, {"B", "bee"}};
  std::vector<std::string> looked_up_;
  Lookup lookup_ = [this](absl::string_view name) -> std::optional<std::string> {
    looked_up_.emplace_back(name);
    auto it = variables_.find(std::string(name));
    if (it == variables_.end()) return std::nullopt;
    return it->second;
  };
  yaml::Mark mark_{"compose.yaml", 4, 12};

  std::string Ok(absl::string_view text) {
    absl::StatusOr<std::string> value = Interpolate(text, lookup_, mark_);
    EXPECT_TRUE(value.ok()) << text << ": " << value.status();
    return value.ok() ? *value : "<error>";
  }

  std::string Error(absl::string_view text) {
    absl::StatusOr<std::string> value = Interpolate(text, lookup_, mark_);
    EXPECT_FALSE(value.ok()) << text << " gave " << *value;
    if (value.ok()) return "";
    EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(value.status().message());
  }
};

TEST_F(InterpolateTest, PlainAndBracedNames) {
  EXPECT_EQ(Ok("$SET"), "value");
  EXPECT_EQ(Ok("${SET}"), "value");
  EXPECT_EQ(Ok("nginx:${TAG}-alpine"), "nginx:1.25-alpine");
  EXPECT_EQ(Ok("$SET.$TAG/x"), "value.1.25/x");
  EXPECT_EQ(Ok("$SETX"), "");  // the name is SETX, which is unset
  EXPECT_EQ(Ok("${SET}X"), "valueX");
  EXPECT_EQ(Ok("a$B-c"), "abee-c");
}

TEST_F(InterpolateTest, TextWithoutDollarIsUnchanged) {
  EXPECT_EQ(Ok("no variables {here} }"), "no variables {here} }");
  EXPECT_EQ(Ok(""), "");
  EXPECT_TRUE(looked_up_.empty());
}

TEST_F(InterpolateTest, DoubleDollarIsLiteral) {
  EXPECT_EQ(Ok("$$"), "$");
  EXPECT_EQ(Ok("$$SET"), "$SET");
  EXPECT_EQ(Ok("$${SET}"), "${SET}");
  EXPECT_EQ(Ok("echo $$$SET"), "echo $value");
  EXPECT_EQ(Ok("${UNSET:-$$HOME}"), "$HOME");
}

TEST_F(InterpolateTest, UnsetBecomesEmptyAndIsReported) {
  std::vector<UnsetVariable> unset;
  absl::StatusOr<std::string> value = Interpolate("a${UNSET}b$OTHER$SET", lookup_, mark_, &unset);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, "ab" "value");
  ASSERT_EQ(unset.size(), 2u);
  EXPECT_EQ(unset[0].name, "UNSET");
  EXPECT_EQ(unset[1].name, "OTHER");
  EXPECT_EQ(yaml::ToString(unset[0].mark), "compose.yaml:4:12");
}

TEST_F(InterpolateTest, DefaultsAreNotReportedUnset) {
  std::vector<UnsetVariable> unset;
  ASSERT_TRUE(Interpolate("${UNSET:-x}${UNSET-y}${UNSET:+z}${EMPTY}", lookup_, mark_, &unset).ok());
  EXPECT_TRUE(unset.empty());
}

TEST_F(InterpolateTest, ColonDashTreatsEmptyAsUnset) {
  EXPECT_EQ(Ok("${SET:-d}"), "value");
  EXPECT_EQ(Ok("${EMPTY:-d}"), "d");
  EXPECT_EQ(Ok("${UNSET:-d}"), "d");
  EXPECT_EQ(Ok("${UNSET:-}"), "");
}

TEST_F(InterpolateTest, DashKeepsEmpty) {
  EXPECT_EQ(Ok("${SET-d}"), "value");
  EXPECT_EQ(Ok("${EMPTY-d}"), "");
  EXPECT_EQ(Ok("${UNSET-d}"), "d");
}

TEST_F(InterpolateTest, DefaultMayHoldSpacesAndPunctuation) {
  EXPECT_EQ(Ok("${UNSET:-a b:c-d/e}"), "a b:c-d/e");
  EXPECT_EQ(Ok("${UNSET:-{x}"), "{x");
  EXPECT_EQ(Ok("${UNSET:-x}}"), "x}");
}

TEST_F(InterpolateTest, ColonPlusNeedsNonEmpty) {
  EXPECT_EQ(Ok("${SET:+alt}"), "alt");
  EXPECT_EQ(Ok("${EMPTY:+alt}"), "");
  EXPECT_EQ(Ok("${UNSET:+alt}"), "");
}

TEST_F(InterpolateTest, PlusNeedsSet) {
  EXPECT_EQ(Ok("${SET+alt}"), "alt");
  EXPECT_EQ(Ok("${EMPTY+alt}"), "alt");
  EXPECT_EQ(Ok("${UNSET+alt}"), "");
}

TEST_F(InterpolateTest, ColonQuestionRequiresNonEmpty) {
  EXPECT_EQ(Ok("${SET:?missing}"), "value");
  EXPECT_EQ(Error("${EMPTY:?set EMPTY in .env}"),
            "compose.yaml:4:12: required variable EMPTY is missing a value: set EMPTY in .env");
  EXPECT_EQ(Error("x ${DB_PASSWORD:?the database needs a password}"),
            "compose.yaml:4:12: required variable DB_PASSWORD is missing a value: the database "
            "needs a password");
}

TEST_F(InterpolateTest, QuestionRequiresSet) {
  EXPECT_EQ(Ok("${EMPTY?missing}"), "");
  EXPECT_EQ(Ok("${SET?missing}"), "value");
  EXPECT_EQ(Error("${UNSET?}"), "compose.yaml:4:12: required variable UNSET is missing a value");
  EXPECT_EQ(Error("${UNSET:?}"), "compose.yaml:4:12: required variable UNSET is missing a value");
}

TEST_F(InterpolateTest, MessageIsInterpolated) {
  EXPECT_EQ(Error("${UNSET:?needed by $SET}"),
            "compose.yaml:4:12: required variable UNSET is missing a value: needed by value");
}

TEST_F(InterpolateTest, NestedDefaults) {
  EXPECT_EQ(Ok("${UNSET:-${B:-x}}"), "bee");
  EXPECT_EQ(Ok("${UNSET:-${ALSO_UNSET:-x}}"), "x");
  EXPECT_EQ(Ok("${UNSET:-${ALSO_UNSET:-${SET}}}/tail"), "value/tail");
  EXPECT_EQ(Ok("${SET:+[${TAG}]}"), "[1.25]");
  EXPECT_EQ(Ok("${UNSET-$B}"), "bee");
  EXPECT_EQ(Ok("pre ${UNSET:-a${SET}b} mid ${EMPTY-e} post"), "pre avalueb mid  post");
}

TEST_F(InterpolateTest, UnusedDefaultIsNotEvaluated) {
  EXPECT_EQ(Ok("${SET:-${UNSET?never checked}}"), "value");
  EXPECT_EQ(Ok("${UNSET:+${OTHER?never checked}}"), "");
  EXPECT_EQ(std::count(looked_up_.begin(), looked_up_.end(), "OTHER"), 0);
}

TEST_F(InterpolateTest, NestedRequiredFails) {
  EXPECT_EQ(Error("${UNSET:-${ALSO_UNSET:?inner}}"),
            "compose.yaml:4:12: required variable ALSO_UNSET is missing a value: inner");
}

TEST_F(InterpolateTest, UnterminatedBraceIsError) {
  EXPECT_EQ(Error("image: ${TAG"),
            "compose.yaml:4:12: invalid interpolation format for \"image: ${TAG\": unterminated "
            "\"${\"");
  EXPECT_THAT(Error("${UNSET:-${B}"), HasSubstr("unterminated \"${\""));
  EXPECT_THAT(Error("${"), HasSubstr("unterminated \"${\""));
}

TEST_F(InterpolateTest, LoneDollarIsError) {
  EXPECT_EQ(Error("echo $1"),
            "compose.yaml:4:12: invalid interpolation format for \"echo $1\": \"$1\" starts no "
            "variable; write $$ for a literal $");
  EXPECT_THAT(Error("cost: 5$"), HasSubstr("a $ ends the text; write $$ for a literal $"));
  EXPECT_THAT(Error("a $ b"), HasSubstr("\"$ \" starts no variable"));
}

TEST_F(InterpolateTest, BadBracedExpressionIsError) {
  EXPECT_THAT(Error("${}"), HasSubstr("must be followed by a variable name"));
  EXPECT_THAT(Error("${1A}"), HasSubstr("must be followed by a variable name"));
  EXPECT_THAT(Error("${A B}"), HasSubstr("expected }, :-, -, :?, ?, :+ or + after \"${A\""));
  EXPECT_THAT(Error("${A:x}"), HasSubstr("expected }, :-, -, :?, ?, :+ or + after \"${A\""));
  EXPECT_THAT(Error("${A=x}"), HasSubstr("expected }"));
}

TEST_F(InterpolateTest, UnusedDefaultIsStillChecked) {
  // A malformed default is an error even where it is not needed.
  EXPECT_THAT(Error("${SET:-${}"), HasSubstr("invalid interpolation format"));
  EXPECT_THAT(Error("${SET:-$ }"), HasSubstr("starts no variable"));
}

TEST_F(InterpolateTest, DeepNestingIsError) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "${U:-";
  text += std::string(100, '}');
  EXPECT_THAT(Error(text), HasSubstr("expressions nest deeper than 64 levels"));
}

TEST_F(InterpolateTest, LongTextIsShortenedInError) {
  std::string text = std::string(300, 'x') + "${";
  EXPECT_EQ(Error(text), "compose.yaml:4:12: invalid interpolation format for \"" +
                             std::string(200, 'x') + "...\": unterminated \"${\"");
}

TEST_F(InterpolateTest, NoMarkMeansNoPrefix) {
  absl::StatusOr<std::string> value = Interpolate("${UNSET?}", lookup_, yaml::Mark{});
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().message(), "required variable UNSET is missing a value");
}

TEST_F(InterpolateTest, TreeInterpolatesValuesNotKeys) {
  absl::StatusOr<yaml::Node> doc = yaml::Parse(
      "services:\n"
      "  web:\n"
      "    image: \"nginx:${TAG}\"\n"
      "    environment:\n"
      "      $SET: ${SET}\n"
      "      EMPTY:\n"
      "    ports:\n"
      "      - ${PORT:-8080}:80\n"
      "    labels: {a: '$$literal'}\n",
      "compose.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_TRUE(InterpolateTree(*doc, lookup_).ok());

  const yaml::Node* web = doc->Find("services")->Find("web");
  EXPECT_EQ(web->Find("image")->scalar, "nginx:1.25");
  EXPECT_TRUE(web->Find("image")->quoted);
  EXPECT_EQ(web->Find("image")->mark.line, 3);
  const yaml::Node* environment = web->Find("environment");
  ASSERT_NE(environment->Find("$SET"), nullptr);
  EXPECT_EQ(environment->Find("$SET")->scalar, "value");
  EXPECT_TRUE(environment->Find("EMPTY")->IsNull());
  EXPECT_EQ(web->Find("ports")->items[0].scalar, "8080:80");
  EXPECT_EQ(web->Find("labels")->Find("a")->scalar, "$literal");
}

TEST_F(InterpolateTest, TreeErrorNamesMarkAndPath) {
  absl::StatusOr<yaml::Node> doc = yaml::Parse(
      "services:\n"
      "  db:\n"
      "    environment:\n"
      "      POSTGRES_PASSWORD: ${DB_PASSWORD:?set it in .env}\n"
      "    ports: [\"1\", \"$2\"]\n",
      "compose.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status();
  absl::Status status = InterpolateTree(*doc, lookup_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "compose.yaml:4:26: services.db.environment.POSTGRES_PASSWORD: required variable "
            "DB_PASSWORD is missing a value: set it in .env");

  variables_["DB_PASSWORD"] = "secret";
  status = InterpolateTree(*doc, lookup_);
  EXPECT_EQ(status.message(),
            "compose.yaml:5:18: services.db.ports[1]: invalid interpolation format for \"$2\": "
            "\"$2\" starts no variable; write $$ for a literal $");
}

TEST_F(InterpolateTest, TreeReportsUnsetWithMarks) {
  absl::StatusOr<yaml::Node> doc = yaml::Parse("a: $NOPE\nb:\n  - x${ALSO}\n", "compose.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status();
  std::vector<UnsetVariable> unset;
  ASSERT_TRUE(InterpolateTree(*doc, lookup_, &unset).ok());
  ASSERT_EQ(unset.size(), 2u);
  EXPECT_EQ(unset[0].name, "NOPE");
  EXPECT_EQ(yaml::ToString(unset[0].mark), "compose.yaml:1:4");
  EXPECT_EQ(unset[1].name, "ALSO");
  EXPECT_EQ(yaml::ToString(unset[1].mark), "compose.yaml:3:5");
}

}  // namespace
}  // namespace pycontain::compose
