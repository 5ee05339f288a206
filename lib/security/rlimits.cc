#include "lib/security/rlimits.h"

#include <errno.h>
#include <linux/capability.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_split.h"
#include "lib/security/capabilities.h"

namespace pycontain::security {
namespace {

constexpr std::pair<const char*, int> kResources[] = {
    {"CPU", RLIMIT_CPU},         {"FSIZE", RLIMIT_FSIZE},
    {"DATA", RLIMIT_DATA},       {"STACK", RLIMIT_STACK},
    {"CORE", RLIMIT_CORE},       {"RSS", RLIMIT_RSS},
    {"NPROC", RLIMIT_NPROC},     {"NOFILE", RLIMIT_NOFILE},
    {"MEMLOCK", RLIMIT_MEMLOCK}, {"AS", RLIMIT_AS},
    {"LOCKS", RLIMIT_LOCKS},     {"SIGPENDING", RLIMIT_SIGPENDING},
    {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},
    {"RTPRIO", RLIMIT_RTPRIO},   {"RTTIME", RLIMIT_RTTIME},
};

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

std::string FormatLimit(uint64_t value) {
  return value == RLIM_INFINITY ? "unlimited" : absl::StrCat(value);
}

absl::StatusOr<uint64_t> ParseLimitValue(absl::string_view text) {
  if (text == "unlimited" || text == "-1") return uint64_t{RLIM_INFINITY};
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid limit \"", text, "\": use a number or \"unlimited\""));
  }
  return value;
}

// Whether the caller may raise hard limits: CAP_SYS_RESOURCE, effective,
// in the initial user namespace (the kernel checks capable()).
bool CanRaiseHardLimits() {
  std::ifstream status("/proc/self/status");
  uint64_t effective = 0;
  for (std::string line; std::getline(status, line);) {
    absl::string_view value = line;
    if (absl::ConsumePrefix(&value, "CapEff:")) {
      (void)absl::SimpleHexAtoi(absl::StripAsciiWhitespace(value), &effective);
    }
  }
  std::ifstream uid_map("/proc/self/uid_map");
  std::string first, second, size;
  bool initial_namespace = uid_map >> first >> second >> size && first == "0" &&
                           second == "0" && size == "4294967295";
  return initial_namespace && ((effective >> CAP_SYS_RESOURCE) & 1);
}

uint64_t NrOpen() {
  std::ifstream file("/proc/sys/fs/nr_open");
  uint64_t value = 0;
  if (file >> value && value > 0) return value;
  return 1048576;  // the kernel's default
}

absl::Status CheckCeiling(const spec::Rlimit& limit, int resource, bool can_raise) {
  std::string name = RlimitName(resource);
  if (resource == RLIMIT_NOFILE && limit.hard() != RLIM_INFINITY && limit.hard() > NrOpen()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rlimit ", name, ": hard limit ", limit.hard(),
        " is above the kernel's fs.nr_open, ", NrOpen()));
  }
  if (resource == RLIMIT_NOFILE && limit.hard() == RLIM_INFINITY) {
    return absl::FailedPreconditionError(absl::StrCat(
        "rlimit ", name, ": the kernel does not allow an unlimited number of open "
        "files; the ceiling is fs.nr_open, ", NrOpen()));
  }
  struct rlimit current;
  if (getrlimit(resource, &current) != 0) return absl::OkStatus();
  if (limit.hard() <= current.rlim_max || can_raise) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "rlimit ", name, ": hard limit ", FormatLimit(limit.hard()),
      " is above the current ceiling of ", FormatLimit(current.rlim_max),
      ", which only a process with CAP_SYS_RESOURCE in the initial user namespace "
      "can raise; request at most ", FormatLimit(current.rlim_max)));
}

}  // namespace

std::optional<int> RlimitFromName(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(name);
  absl::string_view bare = upper;
  absl::ConsumePrefix(&bare, "RLIMIT_");
  for (const auto& [resource_name, resource] : kResources) {
    if (bare == resource_name) return resource;
  }
  return std::nullopt;
}

std::string RlimitName(int resource) {
  for (const auto& [name, value] : kResources) {
    if (value == resource) return absl::StrCat("RLIMIT_", name);
  }
  return absl::StrCat("RLIMIT_", resource);
}

absl::StatusOr<spec::Rlimit> ParseUlimit(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('=', 1));
  if (parts.size() != 2 || parts[0].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid ulimit \"", text, "\": use TYPE=SOFT[:HARD], as nofile=1024:2048"));
  }
  if (!RlimitFromName(parts[0]).has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown ulimit type \"", parts[0],
                                                   "\" (nofile, nproc, core, ...)"));
  }
  std::vector<absl::string_view> values = absl::StrSplit(parts[1], absl::MaxSplits(':', 1));
  absl::StatusOr<uint64_t> soft = ParseLimitValue(values[0]);
  if (!soft.ok()) return soft.status();
  absl::StatusOr<uint64_t> hard = values.size() > 1 ? ParseLimitValue(values[1]) : soft;
  if (!hard.ok()) return hard.status();
  spec::Rlimit limit;
  limit.set_type(std::string(parts[0]));
  limit.set_soft(*soft);
  limit.set_hard(*hard);
  return limit;
}

absl::Status ValidateRlimits(const google::protobuf::RepeatedPtrField<spec::Rlimit>& rlimits) {
  uint64_t seen = 0;
  for (int i = 0; i < rlimits.size(); ++i) {
    const spec::Rlimit& limit = rlimits[i];
    std::string field = absl::StrCat("security.rlimits[", i, "]");
    std::optional<int> resource = RlimitFromName(limit.type());
    if (!resource.has_value()) {
      return FieldError(absl::StrCat(field, ".type"),
                        absl::StrCat("unknown type \"", limit.type(),
                                     "\" (RLIMIT_NOFILE, RLIMIT_NPROC, ...)"));
    }
    if (seen & (uint64_t{1} << *resource)) {
      return FieldError(absl::StrCat(field, ".type"),
                        absl::StrCat(RlimitName(*resource), " is given twice"));
    }
    seen |= uint64_t{1} << *resource;
    if (limit.soft() > limit.hard()) {
      return FieldError(field, absl::StrCat("soft limit ", FormatLimit(limit.soft()),
                                            " is above the hard limit ",
                                            FormatLimit(limit.hard())));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RlimitChildData> PlanRlimits(
    const google::protobuf::RepeatedPtrField<spec::Rlimit>& rlimits) {
  absl::Status status = ValidateRlimits(rlimits);
  if (!status.ok()) return status;
  bool can_raise = CanRaiseHardLimits();
  RlimitChildData data;
  for (const spec::Rlimit& limit : rlimits) {
    int resource = *RlimitFromName(limit.type());
    status = CheckCeiling(limit, resource, can_raise);
    if (!status.ok()) return status;
    data.resources[data.count] = resource;
    data.limits[data.count].rlim_cur = limit.soft();
    data.limits[data.count].rlim_max = limit.hard();
    ++data.count;
  }
  return data;
}

namespace {

int SetRlimits(const void* raw) {
  const RlimitChildData* data = static_cast<const RlimitChildData*>(raw);
  for (int i = 0; i < data->count; ++i) {
    if (setrlimit(static_cast<__rlimit_resource>(data->resources[i]), &data->limits[i]) != 0) {
      return -1;
    }
  }
  return 0;
}

}  // namespace

ns::ChildHook RlimitHook(const RlimitChildData* data) {
  ns::ChildHook hook;
  hook.point = ns::ChildHook::Point::kBeforeUserSwitch;
  hook.run = &SetRlimits;
  hook.data = data;
  hook.description = "set the rlimits";
  return hook;
}

}  // namespace pycontain::security
