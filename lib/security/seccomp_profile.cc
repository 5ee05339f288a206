#include "lib/security/seccomp_profile.h"

#include <linux/seccomp.h>
#include <sys/utsname.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "lib/security/capabilities.h"

namespace pycontain::security {
namespace {

// Largest errno a system call can return (the kernel's MAX_ERRNO).
constexpr uint32_t kMaxErrno = 4095;

struct ArchitectureNames {
  uint32_t token;
  const char* seccomp;  // libseccomp's and the OCI name, after SCMP_ARCH_
  const char* go;       // Go's GOARCH, which Docker profiles use
};

constexpr ArchitectureNames kArchitectures[] = {
    {SCMP_ARCH_X86_64, "X86_64", "amd64"},
    {SCMP_ARCH_X86, "X86", "386"},
    {SCMP_ARCH_X32, "X32", "x32"},
    {SCMP_ARCH_AARCH64, "AARCH64", "arm64"},
    {SCMP_ARCH_ARM, "ARM", "arm"},
    {SCMP_ARCH_PPC64LE, "PPC64LE", "ppc64le"},
    {SCMP_ARCH_PPC64, "PPC64", "ppc64"},
    {SCMP_ARCH_PPC, "PPC", "ppc"},
    {SCMP_ARCH_S390X, "S390X", "s390x"},
    {SCMP_ARCH_S390, "S390", "s390"},
    {SCMP_ARCH_RISCV64, "RISCV64", "riscv64"},
    {SCMP_ARCH_MIPS, "MIPS", "mips"},
    {SCMP_ARCH_MIPSEL, "MIPSEL", "mipsle"},
    {SCMP_ARCH_MIPS64, "MIPS64", "mips64"},
    {SCMP_ARCH_MIPSEL64, "MIPSEL64", "mips64le"},
    {SCMP_ARCH_MIPS64N32, "MIPS64N32", "mips64n32"},
    {SCMP_ARCH_MIPSEL64N32, "MIPSEL64N32", "mips64len32"},
};

constexpr std::pair<const char*, scmp_compare> kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE}, {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

constexpr std::pair<const char*, unsigned int> kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// Returns the libseccomp action for `name`. `errno_ret` applies to
// SCMP_ACT_ERRNO and SCMP_ACT_TRACE only; elsewhere it is an error.
absl::StatusOr<uint32_t> ParseAction(absl::string_view field, const std::string& name,
                                     bool has_errno, uint32_t errno_ret,
                                     absl::string_view errno_field) {
  if (has_errno && errno_ret > kMaxErrno) {
    return FieldError(errno_field, absl::StrCat("must be at most ", kMaxErrno,
                                                ", got ", errno_ret));
  }
  uint32_t code = has_errno ? errno_ret : kDefaultErrno;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(code);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(code);
  uint32_t action = 0;
  if (name == "SCMP_ACT_ALLOW") {
    action = SCMP_ACT_ALLOW;
  } else if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") {
    action = SCMP_ACT_KILL_THREAD;
  } else if (name == "SCMP_ACT_KILL_PROCESS") {
    action = SCMP_ACT_KILL_PROCESS;
  } else if (name == "SCMP_ACT_TRAP") {
    action = SCMP_ACT_TRAP;
  } else if (name == "SCMP_ACT_LOG") {
    action = SCMP_ACT_LOG;
  } else if (name == "SCMP_ACT_NOTIFY") {
    action = SCMP_ACT_NOTIFY;
  } else if (name.empty()) {
    return FieldError(field, "an action is required (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, ...)");
  } else {
    return FieldError(field, absl::StrCat(
        "unknown action \"", name, "\" (use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, "
        "SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_TRAP, SCMP_ACT_LOG, "
        "SCMP_ACT_TRACE or SCMP_ACT_NOTIFY)"));
  }
  if (has_errno) {
    return FieldError(errno_field,
                      "only allowed with SCMP_ACT_ERRNO and SCMP_ACT_TRACE");
  }
  return action;
}

absl::StatusOr<std::vector<SeccompCondition>> ParseConditions(
    const std::string& field, const SyscallRule& rule) {
  std::vector<SeccompCondition> conditions;
  for (int i = 0; i < rule.args_size(); ++i) {
    const SyscallArg& arg = rule.args(i);
    std::string arg_field = absl::StrCat(field, ".args[", i, "]");
    if (arg.index() > 5) {
      return FieldError(absl::StrCat(arg_field, ".index"),
                        absl::StrCat("must be 0 to 5, got ", arg.index()));
    }
    SeccompCondition condition;
    condition.index = arg.index();
    condition.value = arg.value();
    condition.value_two = arg.value_two();
    bool known = false;
    for (const auto& [name, op] : kOperators) {
      if (arg.op() == name) {
        condition.op = op;
        known = true;
      }
    }
    if (!known) {
      return FieldError(absl::StrCat(arg_field, ".op"),
                        absl::StrCat("unknown operator \"", arg.op(),
                                     "\" (use SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_LT, "
                                     "SCMP_CMP_LE, SCMP_CMP_GE, SCMP_CMP_GT or "
                                     "SCMP_CMP_MASKED_EQ)"));
    }
    conditions.push_back(condition);
  }
  return conditions;
}

int KernelVersion() {
  struct utsname name;
  if (uname(&name) != 0) return 0;
  std::vector<absl::string_view> parts = absl::StrSplit(name.release, absl::MaxSplits('.', 2));
  int major = 0, minor = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &major)) return 0;
  absl::string_view minor_text = parts[1];
  size_t digits = 0;
  while (digits < minor_text.size() && absl::ascii_isdigit(minor_text[digits])) ++digits;
  (void)absl::SimpleAtoi(minor_text.substr(0, digits), &minor);
  return major * 1000 + minor;
}

absl::StatusOr<int> ParseKernelVersion(absl::string_view field, absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  int major = 0, minor = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &major) ||
      !absl::SimpleAtoi(parts[1], &minor) || major < 0 || minor < 0) {
    return FieldError(field, absl::StrCat("must be \"major.minor\", got \"", text, "\""));
  }
  return major * 1000 + minor;
}

// Returns whether `filter` holds for the container (includes) or matches
// it (excludes): every listed architecture, capability and kernel version
// condition is tested, and `all` selects AND (includes) or OR (excludes).
absl::StatusOr<bool> FilterMatches(const std::string& field, const Filter& filter,
                                   bool all, const ResolveOptions& options,
                                   uint32_t native) {
  std::vector<bool> results;
  if (filter.arches_size() > 0) {
    bool any = false;
    for (int i = 0; i < filter.arches_size(); ++i) {
      uint32_t token = ArchitectureFromName(filter.arches(i));
      if (token == 0) {
        return FieldError(absl::StrCat(field, ".arches[", i, "]"),
                          absl::StrCat("unknown architecture \"", filter.arches(i), "\""));
      }
      any = any || token == native;
    }
    results.push_back(any);
  }
  for (int i = 0; i < filter.caps_size(); ++i) {
    std::optional<int> cap = CapabilityFromName(filter.caps(i));
    if (!cap.has_value()) {
      return FieldError(absl::StrCat(field, ".caps[", i, "]"),
                        absl::StrCat("unknown capability \"", filter.caps(i), "\""));
    }
    results.push_back((options.capabilities >> *cap) & 1);
  }
  if (!filter.min_kernel().empty()) {
    absl::StatusOr<int> min = ParseKernelVersion(absl::StrCat(field, ".minKernel"),
                                                 filter.min_kernel());
    if (!min.ok()) return min.status();
    int kernel = options.kernel_version != 0 ? options.kernel_version : KernelVersion();
    results.push_back(kernel >= *min);
  }
  if (results.empty()) return all;
  for (bool result : results) {
    if (all && !result) return false;
    if (!all && result) return true;
  }
  return all;
}

absl::Status ResolveArchitectures(const SeccompProfileJson& profile, uint32_t native,
                                  SeccompPolicy& policy) {
  policy.architectures = {native};
  auto add = [&](uint32_t token) {
    for (uint32_t existing : policy.architectures) {
      if (existing == token) return;
    }
    policy.architectures.push_back(token);
  };
  for (int i = 0; i < profile.architectures_size(); ++i) {
    uint32_t token = ArchitectureFromName(profile.architectures(i));
    if (token == 0) {
      return FieldError(absl::StrCat("architectures[", i, "]"),
                        absl::StrCat("unknown architecture \"", profile.architectures(i),
                                     "\" (use SCMP_ARCH_X86_64, SCMP_ARCH_X86, ...)"));
    }
    add(token);
  }
  for (int i = 0; i < profile.arch_map_size(); ++i) {
    const ArchMap& entry = profile.arch_map(i);
    std::string field = absl::StrCat("archMap[", i, "]");
    uint32_t token = ArchitectureFromName(entry.architecture());
    if (token == 0) {
      return FieldError(absl::StrCat(field, ".architecture"),
                        absl::StrCat("unknown architecture \"", entry.architecture(), "\""));
    }
    std::vector<uint32_t> secondary;
    for (int j = 0; j < entry.sub_architectures_size(); ++j) {
      uint32_t sub = ArchitectureFromName(entry.sub_architectures(j));
      if (sub == 0) {
        return FieldError(absl::StrCat(field, ".subArchitectures[", j, "]"),
                          absl::StrCat("unknown architecture \"",
                                       entry.sub_architectures(j), "\""));
      }
      secondary.push_back(sub);
    }
    // Docker takes the architectures list when there is one, else the
    // archMap entry of the native architecture.
    if (profile.architectures_size() > 0 || token != native) continue;
    for (uint32_t sub : secondary) add(sub);
  }
  return absl::OkStatus();
}

absl::Status ResolveFlags(const SeccompProfileJson& profile, SeccompPolicy& policy) {
  for (int i = 0; i < profile.flags_size(); ++i) {
    bool known = false;
    for (const auto& [name, flag] : kFlags) {
      if (profile.flags(i) == name) {
        policy.flags |= flag;
        known = true;
      }
    }
    if (!known) {
      return FieldError(absl::StrCat("flags[", i, "]"),
                        absl::StrCat("unknown flag \"", profile.flags(i), "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status ResolveRule(int index, const SyscallRule& rule, const ResolveOptions& options,
                         uint32_t native, SeccompPolicy& policy) {
  std::string field = absl::StrCat("syscalls[", index, "]");
  absl::StatusOr<uint32_t> action =
      ParseAction(absl::StrCat(field, ".action"), rule.action(), rule.has_errno_ret(),
                  rule.errno_ret(), absl::StrCat(field, ".errnoRet"));
  if (!action.ok()) return action.status();
  absl::StatusOr<std::vector<SeccompCondition>> conditions = ParseConditions(field, rule);
  if (!conditions.ok()) return conditions.status();

  std::vector<std::string> names(rule.names().begin(), rule.names().end());
  if (!rule.name().empty()) names.push_back(rule.name());
  if (names.empty()) return FieldError(absl::StrCat(field, ".names"), "no system call named");
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return FieldError(absl::StrCat(field, ".names[", i, "]"), "must not be empty");
    }
  }

  absl::StatusOr<bool> included = FilterMatches(absl::StrCat(field, ".includes"),
                                                rule.includes(), true, options, native);
  if (!included.ok()) return included.status();
  absl::StatusOr<bool> excluded = FilterMatches(absl::StrCat(field, ".excludes"),
                                                rule.excludes(), false, options, native);
  if (!excluded.ok()) return excluded.status();
  bool has_excludes = rule.excludes().arches_size() > 0 ||
                      rule.excludes().caps_size() > 0 ||
                      !rule.excludes().min_kernel().empty();
  if (!*included || (has_excludes && *excluded)) return absl::OkStatus();

  if (*action == SCMP_ACT_NOTIFY) policy.uses_notify = true;
  policy.rules.push_back(SeccompRule{std::move(names), *action, std::move(*conditions),
                                     std::move(field)});
  return absl::OkStatus();
}

}  // namespace

uint32_t ArchitectureFromName(absl::string_view name) {
  absl::string_view bare = name;
  bool prefixed = absl::ConsumePrefix(&bare, "SCMP_ARCH_");
  for (const ArchitectureNames& arch : kArchitectures) {
    if (prefixed ? bare == arch.seccomp
                 : absl::EqualsIgnoreCase(bare, arch.seccomp) || bare == arch.go) {
      return arch.token;
    }
  }
  return 0;
}

std::string ArchitectureName(uint32_t token) {
  for (const ArchitectureNames& arch : kArchitectures) {
    if (arch.token == token) return absl::StrCat("SCMP_ARCH_", arch.seccomp);
  }
  return absl::StrCat("architecture ", token);
}

absl::StatusOr<SeccompProfileJson> ParseSeccompProfile(absl::string_view json) {
  SeccompProfileJson profile;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &profile, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid seccomp profile JSON: ", status.message().as_string()));
  }
  return profile;
}

absl::StatusOr<SeccompPolicy> ResolveSeccompProfile(const SeccompProfileJson& profile,
                                                    const ResolveOptions& options) {
  uint32_t native = options.native_arch != 0 ? options.native_arch : seccomp_arch_native();
  SeccompPolicy policy;
  absl::StatusOr<uint32_t> default_action = ParseAction(
      "defaultAction", profile.default_action(), profile.has_default_errno_ret(),
      profile.default_errno_ret(), "defaultErrnoRet");
  if (!default_action.ok()) return default_action.status();
  policy.default_action = *default_action;
  policy.uses_notify = *default_action == SCMP_ACT_NOTIFY;

  absl::Status status = ResolveArchitectures(profile, native, policy);
  if (!status.ok()) return status;
  status = ResolveFlags(profile, policy);
  if (!status.ok()) return status;
  for (int i = 0; i < profile.syscalls_size(); ++i) {
    status = ResolveRule(i, profile.syscalls(i), options, native, policy);
    if (!status.ok()) return status;
  }
  if (policy.uses_notify && profile.listener_path().empty()) {
    return FieldError("listenerPath", "required when an action is SCMP_ACT_NOTIFY: "
                                      "the unix socket that receives the listener");
  }
  policy.listener_path = profile.listener_path();
  policy.listener_metadata = profile.listener_metadata();
  return policy;
}

}  // namespace pycontain::security
