#include "lib/compose/convert.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::compose {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SplitCommandTest, ShellQuoting) {
  EXPECT_THAT(*SplitCommand("echo  hello\tworld"), ElementsAre("echo", "hello", "world"));
  EXPECT_THAT(*SplitCommand("sh -c 'echo \"$HOME\"'"), ElementsAre("sh", "-c", "echo \"$HOME\""));
  EXPECT_THAT(*SplitCommand("a \"b \\\"c\\\" \\x\" d\\ e"), ElementsAre("a", "b \"c\" \\x", "d e"));
  EXPECT_THAT(*SplitCommand("''"), ElementsAre(""));
  EXPECT_THAT(*SplitCommand(""), ElementsAre());
}

TEST(SplitCommandTest, UnterminatedQuote) {
  EXPECT_THAT(SplitCommand("echo 'oops").status().message(), HasSubstr("unterminated '"));
  EXPECT_THAT(SplitCommand("echo \"oops").status().message(), HasSubstr("unterminated \""));
  EXPECT_THAT(SplitCommand("echo \\").status().message(), HasSubstr("ends with"));
}

std::string Describe(const std::vector<PortMapping>& ports) {
  std::string text;
  for (const PortMapping& port : ports) {
    text += port.host_ip + "|" + port.published + "|" + std::to_string(port.target) + "/" +
            port.protocol + " ";
  }
  return text;
}

TEST(ParsePortSpecTest, ShortForms) {
  EXPECT_EQ(Describe(*ParsePortSpec("80")), "||80/tcp ");
  EXPECT_EQ(Describe(*ParsePortSpec("8080:80")), "|8080|80/tcp ");
  EXPECT_EQ(Describe(*ParsePortSpec("53:53/UDP")), "|53|53/udp ");
  EXPECT_EQ(Describe(*ParsePortSpec("127.0.0.1:8080:80")), "127.0.0.1|8080|80/tcp ");
  EXPECT_EQ(Describe(*ParsePortSpec("127.0.0.1::80")), "127.0.0.1||80/tcp ");
}

TEST(ParsePortSpecTest, Ipv6Addresses) {
  EXPECT_EQ(Describe(*ParsePortSpec("[::1]:8080:80")), "::1|8080|80/tcp ");
  EXPECT_EQ(Describe(*ParsePortSpec("[::]:53:53/udp")), "::|53|53/udp ");
  EXPECT_EQ(Describe(*ParsePortSpec("::1:8080:80")), "::1|8080|80/tcp ");
}

TEST(ParsePortSpecTest, Ranges) {
  EXPECT_EQ(Describe(*ParsePortSpec("3000-3002")), "||3000/tcp ||3001/tcp ||3002/tcp ");
  EXPECT_EQ(Describe(*ParsePortSpec("9090-9091:8080-8081")), "|9090|8080/tcp |9091|8081/tcp ");
  EXPECT_EQ(Describe(*ParsePortSpec("8000-8005:80")), "|8000-8005|80/tcp ");
}

TEST(ParsePortSpecTest, Errors) {
  EXPECT_THAT(ParsePortSpec("70000").status().message(), HasSubstr("outside 1-65535"));
  EXPECT_THAT(ParsePortSpec("80:80/icmp").status().message(), HasSubstr("unknown protocol"));
  EXPECT_THAT(ParsePortSpec("1-3:1-2").status().message(), HasSubstr("differ in length"));
  EXPECT_THAT(ParsePortSpec("http").status().message(), HasSubstr("not a port"));
  EXPECT_THAT(ParsePortSpec("8080:").status().message(), HasSubstr("missing container port"));
  EXPECT_THAT(ParsePortSpec("[::1:80").status().message(), HasSubstr("brackets"));
}

TEST(ParseVolumeSpecTest, Kinds) {
  VolumeMount bind = *ParseVolumeSpec("./data:/data:ro,z");
  EXPECT_EQ(bind.type, "bind");
  EXPECT_EQ(bind.source, "./data");
  EXPECT_EQ(bind.target, "/data");
  EXPECT_TRUE(bind.read_only);
  EXPECT_EQ(bind.selinux, "z");

  VolumeMount named = *ParseVolumeSpec("cache:/var/cache:nocopy");
  EXPECT_EQ(named.type, "volume");
  EXPECT_EQ(named.source, "cache");
  EXPECT_TRUE(named.nocopy);
  EXPECT_FALSE(named.read_only);

  VolumeMount anonymous = *ParseVolumeSpec("/scratch");
  EXPECT_EQ(anonymous.type, "volume");
  EXPECT_EQ(anonymous.source, "");
  EXPECT_EQ(anonymous.target, "/scratch");

  EXPECT_EQ(ParseVolumeSpec("~/x:/x:rshared")->propagation, "rshared");
  EXPECT_EQ(ParseVolumeSpec("/host:/c:cached")->type, "bind");
}

TEST(ParseVolumeSpecTest, Errors) {
  EXPECT_THAT(ParseVolumeSpec("a:relative").status().message(), HasSubstr("absolute path"));
  EXPECT_THAT(ParseVolumeSpec("a:/b:fast").status().message(), HasSubstr("unknown mode \"fast\""));
  EXPECT_THAT(ParseVolumeSpec("a:/b:ro:x").status().message(), HasSubstr("too many"));
}

TEST(PathTest, CleanAndResolve) {
  EXPECT_EQ(CleanPath("/a/./b/../c//d/"), "/a/c/d");
  EXPECT_EQ(CleanPath("/../x"), "/x");
  EXPECT_EQ(CleanPath("../a/../../b"), "../../b");
  EXPECT_EQ(CleanPath("."), ".");
  EXPECT_EQ(ResolvePath("./data", "/srv/app", "/root"), "/srv/app/data");
  EXPECT_EQ(ResolvePath("../shared", "/srv/app", "/root"), "/srv/shared");
  EXPECT_EQ(ResolvePath("~/x", "/srv/app", "/home/u"), "/home/u/x");
  EXPECT_EQ(ResolvePath("~", "/srv/app", "/home/u"), "/home/u");
  EXPECT_EQ(ResolvePath("/abs/./p", "/srv/app", "/root"), "/abs/p");
  EXPECT_EQ(DirectoryOf("/a/b/c.yaml"), "/a/b");
  EXPECT_EQ(DirectoryOf("/c.yaml"), "/");
  EXPECT_EQ(DirectoryOf("c.yaml"), ".");
}

}  // namespace
}  // namespace pycontain::compose
