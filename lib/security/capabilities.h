// Capabilities: names, Docker's default set, --cap-add/--cap-drop, and the
// child hooks that put the five sets in force.
//
//   absl::StatusOr<CapabilitySets> sets = PlanCapabilities(spec.capabilities(),
//                                                           HostBoundingSet());
//   CapabilityChildData data = MakeCapabilityChildData(*sets, LastCapability());
//   plan.hooks.push_back(BoundingHook(&data));  // before the user switch
//   plan.hooks.push_back(FinalSetsHook(&data)); // after it
//
// The bounding set is dropped and PR_SET_KEEPCAPS set before the user
// switch, so a non-root user keeps its permitted set through setresuid();
// capset() and the ambient set follow after the switch. As in the OCI
// runtime spec, each set is given exactly; exec then computes the command's
// sets from them (for uid 0, permitted becomes the bounding set).
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_SECURITY_CAPABILITIES_H_
#define PYCONTAIN_LIB_SECURITY_CAPABILITIES_H_

#include <stdint.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/ns/plan.h"
#include "lib/spec/container.pb.h"

namespace pycontain::security {

// Bit masks: bit N is capability N.
struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
};

// Docker's default set: CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD,
// NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT,
// KILL and AUDIT_WRITE.
uint64_t DefaultCapabilities();

// Returns the number of "CAP_SYS_ADMIN", "SYS_ADMIN" or "sys_admin", or
// nullopt for an unknown name.
std::optional<int> CapabilityFromName(absl::string_view name);

// Returns "CAP_SYS_ADMIN" for 21, "CAP_<N>" for a number without a name.
std::string CapabilityName(int capability);

// Returns the names of the bits of `mask`, comma-separated.
std::string DescribeCapabilities(uint64_t mask);

// The highest capability number the running kernel knows
// (/proc/sys/kernel/cap_last_cap; 40 on Linux 5.9 and later).
int LastCapability();

// The calling process's bounding set (CapBnd in /proc/self/status).
uint64_t HostBoundingSet();

// Plans the five sets from `spec`: Docker's default set with `add` and
// `drop` applied (ALL allowed), bounding = effective = permitted, empty
// inheritable and ambient; or `sets` exactly. "ALL" means every capability
// in `host_bounding`. Errors: InvalidArgument naming the field for an
// unknown name, for add/drop together with sets, for a capability outside
// `host_bounding` (the child could not keep it), and for ambient
// capabilities missing from permitted or inheritable.
absl::StatusOr<CapabilitySets> PlanCapabilities(const spec::Capabilities& spec,
                                                uint64_t host_bounding);

// What the child hooks read. Build it in the parent; it must outlive the
// launch and not move once hooks point at it.
struct CapabilityChildData {
  CapabilitySets sets;
  int last_capability = 0;
};

// PR_CAPBSET_DROP of everything outside the bounding set, then
// PR_SET_KEEPCAPS. Point: kBeforeUserSwitch.
ns::ChildHook BoundingHook(const CapabilityChildData* data);

// capset() of effective = permitted, for work after the user switch that
// needs a capability (installing seccomp without no_new_privs). Point:
// kAfterUserSwitch, before FinalSetsHook.
ns::ChildHook RaiseEffectiveHook();

// capset() of effective, permitted and inheritable, then the ambient set.
// Point: kAfterUserSwitch.
ns::ChildHook FinalSetsHook(const CapabilityChildData* data);

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_CAPABILITIES_H_
