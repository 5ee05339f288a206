#include "lib/ns/rootfs_plan.h"

#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::ns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RootfsPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                          "/rootfs-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    unlink((root_ + "/proc").c_str());
    rmdir(root_.c_str());
  }

  // Returns the first step acting on `target`, or nullptr.
  static const RootfsStep* Find(const RootfsPlan& plan, RootfsStep::Kind kind,
                                const std::string& target) {
    for (const RootfsStep& step : plan.steps) {
      if (step.kind == kind && step.target == target) return &step;
    }
    return nullptr;
  }

  std::string root_;
};

TEST_F(RootfsPlanTest, BindsRootOntoItselfFirst) {
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_});
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_FALSE(plan->steps.empty());
  EXPECT_EQ(plan->steps[0].kind, RootfsStep::Kind::kMount);
  EXPECT_EQ(plan->steps[0].source, root_);
  EXPECT_EQ(plan->steps[0].target, root_);
  EXPECT_EQ(plan->steps[0].flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(plan->new_root, root_);
  EXPECT_FALSE(plan->readonly_root);
}

TEST_F(RootfsPlanTest, ReadOnlyRootIsRemountedAfterPivot) {
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_, .readonly = true});
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->readonly_root);
}

TEST_F(RootfsPlanTest, ProcDevSysMounted) {
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_});
  ASSERT_TRUE(plan.ok());
  const RootfsStep* proc = Find(*plan, RootfsStep::Kind::kMount, root_ + "/proc");
  ASSERT_NE(proc, nullptr);
  EXPECT_EQ(proc->fstype, "proc");
  const RootfsStep* sys = Find(*plan, RootfsStep::Kind::kMount, root_ + "/sys");
  ASSERT_NE(sys, nullptr);
  EXPECT_TRUE(sys->flags & MS_RDONLY);
  EXPECT_NE(Find(*plan, RootfsStep::Kind::kMount, root_ + "/dev/pts"), nullptr);
  EXPECT_NE(Find(*plan, RootfsStep::Kind::kMount, root_ + "/dev/shm"), nullptr);
}

TEST_F(RootfsPlanTest, DevicesCreatedAsRootBoundInUserNamespace) {
  absl::StatusOr<RootfsPlan> as_root = PlanRootfs({.root = root_});
  ASSERT_TRUE(as_root.ok());
  EXPECT_NE(Find(*as_root, RootfsStep::Kind::kMakeDevice, root_ + "/dev/null"), nullptr);

  absl::StatusOr<RootfsPlan> rootless = PlanRootfs({.root = root_, .user_namespace = true});
  ASSERT_TRUE(rootless.ok());
  EXPECT_EQ(Find(*rootless, RootfsStep::Kind::kMakeDevice, root_ + "/dev/null"), nullptr);
  const RootfsStep* bind = Find(*rootless, RootfsStep::Kind::kMount, root_ + "/dev/null");
  ASSERT_NE(bind, nullptr);
  EXPECT_EQ(bind->source, "/dev/null");
  EXPECT_TRUE(bind->flags & MS_BIND);
}

TEST_F(RootfsPlanTest, SymlinkedProcStaysInsideRoot) {
  // An image whose /proc is a link to the host's /etc must not get procfs
  // mounted on the host's /etc.
  ASSERT_EQ(symlink("/etc", (root_ + "/proc").c_str()), 0);
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_});
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const RootfsStep& step : plan->steps) {
    if (step.kind == RootfsStep::Kind::kMount && step.fstype == "proc") {
      EXPECT_EQ(step.target, root_ + "/etc");
    }
  }
}

TEST_F(RootfsPlanTest, HostRootIsReadOnlyWithFreshTmp) {
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_, .host_root = true});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->steps[0].source, "/");
  EXPECT_NE(Find(*plan, RootfsStep::Kind::kReadOnlyRecursive, root_), nullptr);
  const RootfsStep* tmp = Find(*plan, RootfsStep::Kind::kMount, root_ + "/tmp");
  ASSERT_NE(tmp, nullptr);
  EXPECT_EQ(tmp->fstype, "tmpfs");
}

TEST_F(RootfsPlanTest, ReadOnlyBindIsMadeReadOnlyRecursively) {
  spec::Mount mount;
  mount.set_destination("/data");
  mount.set_type("bind");
  mount.set_source("/etc");
  mount.add_options("rbind");
  mount.add_options("ro");
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_, .mounts = {mount}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<RootfsStep::Kind> kinds;
  for (const RootfsStep& step : plan->steps) {
    if (step.target == root_ + "/data") kinds.push_back(step.kind);
  }
  // The bind, then mount_setattr(AT_RECURSIVE), which also covers the
  // submounts that rbind copied.
  EXPECT_THAT(kinds, ElementsAre(RootfsStep::Kind::kMakeDirectory, RootfsStep::Kind::kMount,
                                 RootfsStep::Kind::kReadOnlyRecursive));
  const RootfsStep* bind = Find(*plan, RootfsStep::Kind::kMount, root_ + "/data");
  ASSERT_NE(bind, nullptr);
  EXPECT_EQ(bind->flags, static_cast<unsigned long>(MS_BIND | MS_REC));
}

TEST_F(RootfsPlanTest, BindFlagsNeedRemount) {
  spec::Mount mount;
  mount.set_destination("/data");
  mount.set_type("bind");
  mount.set_source("/etc");
  mount.add_options("nosuid");
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_, .mounts = {mount}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  bool remounted = false;
  for (const RootfsStep& step : plan->steps) {
    if (step.target == root_ + "/data" && (step.flags & MS_REMOUNT)) {
      remounted = (step.flags & MS_NOSUID) != 0;
    }
  }
  EXPECT_TRUE(remounted);
}

TEST_F(RootfsPlanTest, SlavePropagationKeepsOthersPrivate) {
  spec::Mount slave;
  slave.set_destination("/slave");
  slave.set_type("bind");
  slave.set_source("/etc");
  slave.add_options("rslave");
  spec::Mount plain = slave;
  plain.set_destination("/plain");
  plain.clear_options();
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_, .mounts = {slave, plain}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->root_slave);
  auto propagation_of = [&](const std::string& target) -> unsigned long {
    unsigned long flags = 0;
    for (const RootfsStep& step : plan->steps) {
      if (step.kind == RootfsStep::Kind::kMount && step.target == target &&
          (step.flags & (MS_PRIVATE | MS_SLAVE | MS_SHARED))) {
        flags = step.flags;
      }
    }
    return flags;
  };
  EXPECT_EQ(propagation_of(root_), static_cast<unsigned long>(MS_REC | MS_PRIVATE));
  EXPECT_EQ(propagation_of(root_ + "/slave"), static_cast<unsigned long>(MS_REC | MS_SLAVE));
  EXPECT_EQ(propagation_of(root_ + "/plain"), static_cast<unsigned long>(MS_REC | MS_PRIVATE));

  plan = PlanRootfs({.root = root_, .mounts = {plain}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->root_slave);
  EXPECT_EQ(propagation_of(root_ + "/plain"), 0u) << "private already, no extra step";
}

TEST_F(RootfsPlanTest, HostRootNeedsExistingDestination) {
  spec::Mount mount;
  mount.set_destination("/nonexistent-pycontain-destination/data");
  mount.set_type("tmpfs");
  absl::StatusOr<RootfsPlan> plan =
      PlanRootfs({.root = root_, .host_root = true, .mounts = {mount}});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("mounts[0].destination"));
  EXPECT_THAT(plan.status().message(), HasSubstr("/nonexistent-pycontain-destination/data"));

  mount.set_destination("/tmp");
  plan = PlanRootfs({.root = root_, .host_root = true, .mounts = {mount}});
  EXPECT_TRUE(plan.ok()) << plan.status();
}

TEST_F(RootfsPlanTest, MissingParentsAreMadeInsideRoot) {
  spec::Mount mount;
  mount.set_destination("/a/b/c");
  mount.set_type("tmpfs");
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_, .mounts = {mount}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<std::string> made;
  for (const RootfsStep& step : plan->steps) {
    if (step.kind == RootfsStep::Kind::kMakeDirectory &&
        absl::StartsWith(step.target, root_ + "/a")) {
      made.push_back(step.target);
    }
  }
  EXPECT_THAT(made, ElementsAre(root_ + "/a", root_ + "/a/b", root_ + "/a/b/c"));
}

TEST_F(RootfsPlanTest, TmpfsOptionsBecomeData) {
  spec::Mount mount;
  mount.set_destination("/scratch");
  mount.set_type("tmpfs");
  mount.add_options("nosuid");
  mount.add_options("size=16m");
  mount.add_options("mode=1777");
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_, .mounts = {mount}});
  ASSERT_TRUE(plan.ok());
  const RootfsStep* step = Find(*plan, RootfsStep::Kind::kMount, root_ + "/scratch");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->data, "size=16m,mode=1777");
  EXPECT_TRUE(step->flags & MS_NOSUID);
}

TEST_F(RootfsPlanTest, MissingBindSourceIsError) {
  spec::Mount mount;
  mount.set_destination("/data");
  mount.set_type("bind");
  mount.set_source("/nonexistent/source");
  absl::StatusOr<RootfsPlan> plan = PlanRootfs({.root = root_, .mounts = {mount}});
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("mounts[0]"));
  EXPECT_THAT(plan.status().message(), HasSubstr("/nonexistent/source"));
}

TEST(DescribeChildStep, NamesFixedAndRootfsSteps) {
  ChildPlan plan;
  plan.new_root = "/srv/rootfs";
  RootfsStep step;
  step.kind = RootfsStep::Kind::kMount;
  step.fstype = "proc";
  step.target = "/srv/rootfs/proc";
  plan.rootfs_steps.push_back(step);
  plan.hooks.push_back({ChildHook::Point::kBeforeExec, nullptr, nullptr, "load seccomp filter"});
  EXPECT_EQ(DescribeChildStep(plan, 0), "mount proc on /srv/rootfs/proc");
  EXPECT_EQ(DescribeChildStep(plan, kStepPivotRoot), "pivot_root into /srv/rootfs");
  EXPECT_EQ(DescribeChildStep(plan, kStepHookBase), "load seccomp filter");
  EXPECT_THAT(DescribeChildStep(plan, 7), HasSubstr("unknown"));
}

TEST(DescribeMountFlags, ListsFlags) {
  EXPECT_EQ(DescribeMountFlags(MS_RDONLY | MS_NOSUID | MS_BIND), "rdonly,nosuid,bind");
  EXPECT_EQ(DescribeMountFlags(0), "none");
}

}  // namespace
}  // namespace pycontain::ns
