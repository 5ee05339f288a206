// Resource limits (OCI process.rlimits, Docker's --ulimit) for a
// container's first process.
//
//   absl::StatusOr<spec::Rlimit> limit = ParseUlimit("nofile=1024:2048");
//   absl::StatusOr<RlimitChildData> data = PlanRlimits(spec.security().rlimits());
//   plan.hooks.push_back(RlimitHook(&*data));
//
// Limits are set with setrlimit() in the child before the user switch. A
// hard limit above the caller's own can be set only with CAP_SYS_RESOURCE
// in the initial user namespace (and never above fs.nr_open for nofile),
// so PlanRlimits checks that in the parent and names the limit and the
// ceiling instead of failing in the child.
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_SECURITY_RLIMITS_H_
#define PYCONTAIN_LIB_SECURITY_RLIMITS_H_

#include <sys/resource.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/ns/plan.h"
#include "lib/spec/container.pb.h"

namespace pycontain::security {

// Returns the resource number of "RLIMIT_NOFILE" or "nofile" (any case).
std::optional<int> RlimitFromName(absl::string_view name);

// Returns "RLIMIT_NOFILE" for RLIMIT_NOFILE.
std::string RlimitName(int resource);

// Parses Docker's --ulimit value: "TYPE=SOFT[:HARD]", each number or
// "unlimited" (-1 too). Without HARD, hard equals soft.
absl::StatusOr<spec::Rlimit> ParseUlimit(absl::string_view text);

// Checks the rlimits of a spec without looking at the host: known type,
// no type twice, soft not above hard. Errors name the field.
absl::Status ValidateRlimits(const google::protobuf::RepeatedPtrField<spec::Rlimit>& rlimits);

struct RlimitChildData {
  int count = 0;
  int resources[RLIM_NLIMITS] = {};
  struct rlimit limits[RLIM_NLIMITS] = {};
};

// Validates `rlimits` and checks each hard limit against the caller's
// ceiling. Errors: InvalidArgument from validation; FailedPrecondition
// naming the limit and the current ceiling when a hard limit would have to
// be raised and cannot be.
absl::StatusOr<RlimitChildData> PlanRlimits(
    const google::protobuf::RepeatedPtrField<spec::Rlimit>& rlimits);

// setrlimit() of each planned limit. Point: kBeforeUserSwitch. `data` is
// borrowed and must outlive the launch.
ns::ChildHook RlimitHook(const RlimitChildData* data);

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_RLIMITS_H_
