#include "lib/security/capabilities.h"

#include <linux/capability.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::security {
namespace {

using ::testing::HasSubstr;

uint64_t Bit(int capability) { return uint64_t{1} << capability; }

absl::StatusOr<CapabilitySets> Plan(std::vector<std::string> add, std::vector<std::string> drop,
                                    uint64_t host = ~uint64_t{0}) {
  spec::Capabilities spec;
  for (const std::string& name : add) spec.add_add(name);
  for (const std::string& name : drop) spec.add_drop(name);
  return PlanCapabilities(spec, host);
}

TEST(CapabilitiesTest, DockerDefaultSet) {
  EXPECT_EQ(DescribeCapabilities(DefaultCapabilities()),
            "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_SETGID,"
            "CAP_SETUID,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_NET_RAW,CAP_SYS_CHROOT,"
            "CAP_MKNOD,CAP_AUDIT_WRITE,CAP_SETFCAP");
  absl::StatusOr<CapabilitySets> sets = Plan({}, {});
  ASSERT_TRUE(sets.ok());
  EXPECT_EQ(sets->bounding, DefaultCapabilities());
  EXPECT_EQ(sets->effective, DefaultCapabilities());
  EXPECT_EQ(sets->permitted, DefaultCapabilities());
  EXPECT_EQ(sets->inheritable, 0u);
  EXPECT_EQ(sets->ambient, 0u);
}

TEST(CapabilitiesTest, Names) {
  EXPECT_EQ(CapabilityFromName("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(CapabilityFromName("sys_admin"), 21);
  EXPECT_EQ(CapabilityFromName("NET_ADMIN"), 12);
  EXPECT_EQ(CapabilityFromName("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_FALSE(CapabilityFromName("CAP_FLY").has_value());
  EXPECT_EQ(CapabilityName(CAP_BPF), "CAP_BPF");
  EXPECT_EQ(CapabilityName(55), "CAP_55");
}

TEST(CapabilitiesTest, AddAndDrop) {
  absl::StatusOr<CapabilitySets> sets = Plan({"NET_ADMIN"}, {"CAP_CHOWN"});
  ASSERT_TRUE(sets.ok());
  EXPECT_TRUE(sets->bounding & Bit(CAP_NET_ADMIN));
  EXPECT_FALSE(sets->bounding & Bit(CAP_CHOWN));
  // Drops win over adds, as in Docker.
  sets = Plan({"NET_ADMIN"}, {"NET_ADMIN"});
  ASSERT_TRUE(sets.ok());
  EXPECT_FALSE(sets->bounding & Bit(CAP_NET_ADMIN));
}

TEST(CapabilitiesTest, AllInAddAndDrop) {
  absl::StatusOr<CapabilitySets> none = Plan({}, {"ALL"});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->bounding, 0u);
  absl::StatusOr<CapabilitySets> only = Plan({"KILL"}, {"all"});
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->bounding, Bit(CAP_KILL));
  uint64_t host = Bit(CAP_KILL) | Bit(CAP_SYS_ADMIN) | Bit(CAP_CHOWN);
  absl::StatusOr<CapabilitySets> all = Plan({"ALL"}, {"CHOWN"}, host);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->bounding, Bit(CAP_KILL) | Bit(CAP_SYS_ADMIN));
}

TEST(CapabilitiesTest, Errors) {
  absl::StatusOr<CapabilitySets> unknown = Plan({"CAP_FLY"}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("security.capabilities.add[0]: unknown capability \"CAP_FLY\""));
  absl::StatusOr<CapabilitySets> outside = Plan({"SYS_RESOURCE"}, {}, DefaultCapabilities());
  ASSERT_FALSE(outside.ok());
  EXPECT_THAT(outside.status().message(), HasSubstr("CAP_SYS_RESOURCE not in this process"));

  spec::Capabilities spec;
  spec.add_add("KILL");
  spec.mutable_sets()->add_bounding("KILL");
  EXPECT_THAT(PlanCapabilities(spec, ~uint64_t{0}).status().message(),
              HasSubstr("security.capabilities.sets: cannot be combined"));
}

TEST(CapabilitiesTest, ExactSets) {
  spec::Capabilities spec;
  spec.mutable_sets()->add_bounding("NET_BIND_SERVICE");
  spec.mutable_sets()->add_permitted("NET_BIND_SERVICE");
  spec.mutable_sets()->add_effective("NET_BIND_SERVICE");
  spec.mutable_sets()->add_inheritable("NET_BIND_SERVICE");
  spec.mutable_sets()->add_ambient("NET_BIND_SERVICE");
  absl::StatusOr<CapabilitySets> sets = PlanCapabilities(spec, ~uint64_t{0});
  ASSERT_TRUE(sets.ok()) << sets.status();
  EXPECT_EQ(sets->ambient, Bit(CAP_NET_BIND_SERVICE));

  spec.mutable_sets()->clear_inheritable();
  absl::StatusOr<CapabilitySets> bad = PlanCapabilities(spec, ~uint64_t{0});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("security.capabilities.sets.ambient"));
}

}  // namespace
}  // namespace pycontain::security
