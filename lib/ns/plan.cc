#include "lib/ns/plan.h"

#include <sys/mount.h>
#include <sys/sysmacros.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pycontain::ns {

std::string DescribeMountFlags(unsigned long flags) {
  static constexpr std::pair<unsigned long, const char*> kNames[] = {
      {MS_RDONLY, "rdonly"},   {MS_NOSUID, "nosuid"},       {MS_NODEV, "nodev"},
      {MS_NOEXEC, "noexec"},   {MS_REMOUNT, "remount"},     {MS_BIND, "bind"},
      {MS_REC, "rec"},         {MS_PRIVATE, "private"},     {MS_SLAVE, "slave"},
      {MS_SHARED, "shared"},   {MS_STRICTATIME, "strictatime"},
      {MS_RELATIME, "relatime"}, {MS_NOATIME, "noatime"}, {MS_MOVE, "move"},
  };
  std::vector<const char*> names;
  for (const auto& [flag, name] : kNames) {
    if (flags & flag) names.push_back(name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

std::string DescribeRootfsStep(const RootfsStep& step) {
  switch (step.kind) {
    case RootfsStep::Kind::kMount:
      if (step.flags & MS_BIND) {
        return absl::StrCat("bind mount ", step.source, " on ", step.target);
      }
      if (step.flags & (MS_PRIVATE | MS_SLAVE | MS_SHARED)) {
        return absl::StrCat("set propagation of ", step.target);
      }
      return absl::StrCat("mount ", step.fstype, " on ", step.target);
    case RootfsStep::Kind::kMakeDirectory:
      return absl::StrCat("create directory ", step.target);
    case RootfsStep::Kind::kMakeFile:
      return absl::StrCat("create file ", step.target);
    case RootfsStep::Kind::kMakeDevice:
      return absl::StrCat("create device ", major(step.device), ":",
                          minor(step.device), " at ", step.target);
    case RootfsStep::Kind::kSymlink:
      return absl::StrCat("create symlink ", step.target, " -> ", step.source);
    case RootfsStep::Kind::kDetach:
      return absl::StrCat("detach mount ", step.target);
    case RootfsStep::Kind::kReadOnlyRecursive:
      return absl::StrCat("make mounts under ", step.target, " read-only");
    case RootfsStep::Kind::kAttachMount:
      return absl::StrCat("attach ", step.source.empty() ? "a detached mount" : step.source,
                          " on ", step.target);
  }
  return "unknown step";
}

std::string DescribeChildStep(const ChildPlan& plan, int32_t step) {
  if (step >= kStepHookBase) {
    size_t index = static_cast<size_t>(step - kStepHookBase);
    if (index < plan.hooks.size()) return plan.hooks[index].description;
    return absl::StrCat("unknown setup step ", step);
  }
  if (step >= 0) {
    if (static_cast<size_t>(step) < plan.rootfs_steps.size()) {
      return DescribeRootfsStep(plan.rootfs_steps[step]);
    }
    return absl::StrCat("unknown setup step ", step);
  }
  switch (static_cast<FixedStep>(step)) {
    case kStepWaitForParent:
      return "wait for the parent to write the id maps";
    case kStepJoinNetworkNamespace:
      return "join the network namespace of another container or from the pool";
    case kStepJoinIpcNamespace:
      return "join the IPC namespace of another container";
    case kStepBecomeNamespaceRoot:
      return "switch to root of the user namespace";
    case kStepDeathSignal:
      return "set the parent-death signal";
    case kStepMakeMountsPrivate:
      return plan.root_slave ? "make all mounts slaves" : "make all mounts private";
    case kStepEnterNewRoot:
      return absl::StrCat("change directory to ", plan.new_root);
    case kStepPivotRoot:
      return absl::StrCat("pivot_root into ", plan.new_root);
    case kStepDetachOldRoot:
      return "detach the old root";
    case kStepRemountRootReadOnly:
      return "remount the root read-only";
    case kStepSetHostname:
      return absl::StrCat("set hostname ", plan.hostname);
    case kStepLoopbackUp:
      return "bring up the loopback interface";
    case kStepSetGroups:
      return "set supplementary groups";
    case kStepSetGid:
      return absl::StrCat("switch to gid ", plan.gid);
    case kStepSetUid:
      return absl::StrCat("switch to uid ", plan.uid);
    case kStepChangeDirectory:
      return absl::StrCat("change directory to ", plan.cwd,
                          " inside the container");
    case kStepStdio:
      return "set up stdin, stdout and stderr";
    case kStepCloseDescriptors:
      return "close inherited file descriptors";
    case kStepExec:
      return absl::StrCat("exec ", plan.executable);
  }
  return absl::StrCat("unknown setup step ", step);
}

}  // namespace pycontain::ns
