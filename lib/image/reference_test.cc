#include "lib/image/reference.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::image {
namespace {

using ::testing::HasSubstr;

const std::string kHex(64, 'a');

TEST(ValidateReferenceTest, AcceptsValidReferences) {
  for (const std::string& reference : {
           std::string("debian"),
           std::string("debian:12"),
           std::string("library/debian:bookworm-slim"),
           std::string("my.app_v2__beta---x:Tag_1.0-rc"),
           std::string("localhost/app"),
           std::string("localhost:5000/team/app:v1"),
           std::string("Registry.Example-1.com/app"),
           std::string("[::1]:5000/app:latest"),
           std::string("10.0.0.1:5000/a/b/c"),
           absl::StrCat("app@sha256:", kHex),
           absl::StrCat("registry.example/app:v1@sha256:", kHex),
           absl::StrCat("app:", std::string(128, 'x')),
       }) {
    EXPECT_TRUE(ValidateReference(reference).ok()) << reference << ": "
                                                   << ValidateReference(reference);
  }
}

struct InvalidCase {
  std::string reference;
  std::string problem;
};

TEST(ValidateReferenceTest, RejectsWithReason) {
  for (const InvalidCase& test : std::vector<InvalidCase>{
           {"Debian:12", "component \"Debian\" must be lower-case"},
           {"", "empty repository name"},
           {":12", "empty repository name"},
           {"app:", "empty tag"},
           {"app:.hidden", "tag \".hidden\" must start with"},
           {"app:v1/x", "invalid port \"v1\""},
           {"app:a+b", "tag \"a+b\""},
           {absl::StrCat("app:", std::string(129, 'x')), "tag is longer than 128"},
           {"a//b", "empty repository name component"},
           {"team/", "empty repository name component"},
           {"_app", "component \"_app\""},
           {"app-", "component \"app-\""},
           {"a...b", "component \"a...b\""},
           {"a___b", "component \"a___b\""},
           {"my app", "component \"my app\""},
           {"reg.example:port/app", "invalid port \"port\""},
           {"reg.example:/app", "empty port"},
           {"-reg.example/app", "invalid registry host \"-reg.example\""},
           {"reg..example/app", "invalid registry host"},
           {"[::1/app", "lacks the closing"},
           {std::string(256, 'a'), "longer than 255"},
           {"app@sha256:abc", "64 lowercase hex digits"},
       }) {
    absl::Status status = ValidateReference(test.reference);
    ASSERT_FALSE(status.ok()) << "accepted \"" << test.reference << "\"";
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << test.reference;
    std::string message(status.message());
    EXPECT_THAT(message, HasSubstr(absl::StrCat("\"", test.reference, "\"")));
    EXPECT_THAT(message, HasSubstr(test.problem)) << test.reference;
  }
}

TEST(ValidateReferenceTest, OtherDigestAlgorithmUnimplemented) {
  absl::Status status = ValidateReference(absl::StrCat("app@sha512:", kHex));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(status.message()), HasSubstr("app@sha512:"));
}

}  // namespace
}  // namespace pycontain::image
