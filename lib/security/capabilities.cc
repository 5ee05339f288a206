#include "lib/security/capabilities.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_join.h"

namespace pycontain::security {
namespace {

// Capability numbers from linux/capability.h, 0 to 40.
constexpr const char* kNames[] = {
    "CHOWN",           "DAC_OVERRIDE",     "DAC_READ_SEARCH", "FOWNER",
    "FSETID",          "KILL",             "SETGID",          "SETUID",
    "SETPCAP",         "LINUX_IMMUTABLE",  "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_ADMIN",       "NET_RAW",          "IPC_LOCK",        "IPC_OWNER",
    "SYS_MODULE",      "SYS_RAWIO",        "SYS_CHROOT",      "SYS_PTRACE",
    "SYS_PACCT",       "SYS_ADMIN",        "SYS_BOOT",        "SYS_NICE",
    "SYS_RESOURCE",    "SYS_TIME",         "SYS_TTY_CONFIG",  "MKNOD",
    "LEASE",           "AUDIT_WRITE",      "AUDIT_CONTROL",   "SETFCAP",
    "MAC_OVERRIDE",    "MAC_ADMIN",        "SYSLOG",          "WAKE_ALARM",
    "BLOCK_SUSPEND",   "AUDIT_READ",       "PERFMON",         "BPF",
    "CHECKPOINT_RESTORE",
};
constexpr int kKnownCapabilities = sizeof(kNames) / sizeof(kNames[0]);

uint64_t Bit(int capability) { return uint64_t{1} << capability; }

absl::Status FieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// Parses a list of names into a mask; "ALL" sets `all`.
absl::StatusOr<uint64_t> ParseList(absl::string_view field,
                                   const google::protobuf::RepeatedPtrField<std::string>& names,
                                   bool allow_all, bool* all) {
  uint64_t mask = 0;
  for (int i = 0; i < names.size(); ++i) {
    if (allow_all && absl::EqualsIgnoreCase(names[i], "ALL")) {
      *all = true;
      continue;
    }
    std::optional<int> capability = CapabilityFromName(names[i]);
    if (!capability.has_value()) {
      return FieldError(absl::StrCat(field, "[", i, "]"),
                        absl::StrCat("unknown capability \"", names[i],
                                     "\" (use names such as CAP_NET_ADMIN or NET_ADMIN)"));
    }
    mask |= Bit(*capability);
  }
  return mask;
}

absl::StatusOr<CapabilitySets> PlanExactSets(const spec::CapabilitySets& spec) {
  CapabilitySets sets;
  struct Entry {
    const char* field;
    const google::protobuf::RepeatedPtrField<std::string>& names;
    uint64_t* mask;
  };
  const Entry entries[] = {
      {"security.capabilities.sets.bounding", spec.bounding(), &sets.bounding},
      {"security.capabilities.sets.effective", spec.effective(), &sets.effective},
      {"security.capabilities.sets.permitted", spec.permitted(), &sets.permitted},
      {"security.capabilities.sets.inheritable", spec.inheritable(), &sets.inheritable},
      {"security.capabilities.sets.ambient", spec.ambient(), &sets.ambient},
  };
  for (const Entry& entry : entries) {
    absl::StatusOr<uint64_t> mask = ParseList(entry.field, entry.names, false, nullptr);
    if (!mask.ok()) return mask.status();
    *entry.mask = *mask;
  }
  if ((sets.effective & ~sets.permitted) != 0) {
    return FieldError("security.capabilities.sets.effective",
                      absl::StrCat("not in permitted: ",
                                   DescribeCapabilities(sets.effective & ~sets.permitted)));
  }
  uint64_t ambient_allowed = sets.permitted & sets.inheritable;
  if ((sets.ambient & ~ambient_allowed) != 0) {
    return FieldError("security.capabilities.sets.ambient",
                      absl::StrCat("each ambient capability must also be permitted and "
                                   "inheritable: ",
                                   DescribeCapabilities(sets.ambient & ~ambient_allowed)));
  }
  return sets;
}

}  // namespace

uint64_t DefaultCapabilities() {
  return Bit(CAP_CHOWN) | Bit(CAP_DAC_OVERRIDE) | Bit(CAP_FSETID) | Bit(CAP_FOWNER) |
         Bit(CAP_MKNOD) | Bit(CAP_NET_RAW) | Bit(CAP_SETGID) | Bit(CAP_SETUID) |
         Bit(CAP_SETFCAP) | Bit(CAP_SETPCAP) | Bit(CAP_NET_BIND_SERVICE) |
         Bit(CAP_SYS_CHROOT) | Bit(CAP_KILL) | Bit(CAP_AUDIT_WRITE);
}

std::optional<int> CapabilityFromName(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(name);
  absl::string_view bare = upper;
  absl::ConsumePrefix(&bare, "CAP_");
  for (int i = 0; i < kKnownCapabilities; ++i) {
    if (bare == kNames[i]) return i;
  }
  return std::nullopt;
}

std::string CapabilityName(int capability) {
  if (capability >= 0 && capability < kKnownCapabilities) {
    return absl::StrCat("CAP_", kNames[capability]);
  }
  return absl::StrCat("CAP_", capability);
}

std::string DescribeCapabilities(uint64_t mask) {
  std::vector<std::string> names;
  for (int i = 0; i < 64; ++i) {
    if (mask & Bit(i)) names.push_back(CapabilityName(i));
  }
  return names.empty() ? "none" : absl::StrJoin(names, ",");
}

int LastCapability() {
  std::ifstream file("/proc/sys/kernel/cap_last_cap");
  int last = 0;
  if (file >> last && last > 0 && last < 64) return last;
  // Linux 3.2 and later have the file; CAP_LAST_CAP of the headers is the
  // best guess without it.
  return CAP_LAST_CAP;
}

uint64_t HostBoundingSet() {
  std::ifstream file("/proc/self/status");
  for (std::string line; std::getline(file, line);) {
    absl::string_view value = line;
    if (!absl::ConsumePrefix(&value, "CapBnd:")) continue;
    uint64_t mask = 0;
    if (absl::SimpleHexAtoi(absl::StripAsciiWhitespace(value), &mask)) return mask;
  }
  return ~uint64_t{0};
}

absl::StatusOr<CapabilitySets> PlanCapabilities(const spec::Capabilities& spec,
                                                uint64_t host_bounding) {
  CapabilitySets sets;
  if (spec.has_sets()) {
    if (spec.add_size() > 0 || spec.drop_size() > 0) {
      return FieldError("security.capabilities.sets",
                        "cannot be combined with add or drop");
    }
    absl::StatusOr<CapabilitySets> exact = PlanExactSets(spec.sets());
    if (!exact.ok()) return exact.status();
    sets = *exact;
  } else {
    bool add_all = false, drop_all = false;
    absl::StatusOr<uint64_t> add =
        ParseList("security.capabilities.add", spec.add(), true, &add_all);
    if (!add.ok()) return add.status();
    absl::StatusOr<uint64_t> drop =
        ParseList("security.capabilities.drop", spec.drop(), true, &drop_all);
    if (!drop.ok()) return drop.status();

    // Docker: with "drop ALL" only the added ones remain; otherwise the
    // drops win over the adds, "add ALL" included.
    uint64_t mask = DefaultCapabilities();
    if (add_all) mask = host_bounding;
    if (drop_all) {
      mask = *add;
    } else {
      mask = (mask | *add) & ~*drop;
    }
    sets.bounding = sets.effective = sets.permitted = mask;
  }
  uint64_t outside = (sets.bounding | sets.permitted) & ~host_bounding;
  if (outside != 0) {
    return FieldError("security.capabilities",
                      absl::StrCat(DescribeCapabilities(outside),
                                   " not in this process's bounding set, so the "
                                   "container cannot get it"));
  }
  return sets;
}

namespace {

// Child side: system calls only, no allocation.

int DropBounding(const void* raw) {
  const CapabilityChildData* data = static_cast<const CapabilityChildData*>(raw);
  for (int capability = 0; capability <= data->last_capability; ++capability) {
    if (data->sets.bounding & Bit(capability)) continue;
    if (prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0) return -1;
  }
  return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
}

int SetFinalSets(const void* raw) {
  const CapabilityChildData* data = static_cast<const CapabilityChildData*>(raw);
  struct __user_cap_header_struct header = {};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  struct __user_cap_data_struct sets[2] = {};
  for (int word = 0; word < 2; ++word) {
    int shift = 32 * word;
    sets[word].effective = static_cast<uint32_t>(data->sets.effective >> shift);
    sets[word].permitted = static_cast<uint32_t>(data->sets.permitted >> shift);
    sets[word].inheritable = static_cast<uint32_t>(data->sets.inheritable >> shift);
  }
  if (syscall(SYS_capset, &header, sets) != 0) return -1;

  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return -1;
  }
  for (int capability = 0; capability <= data->last_capability; ++capability) {
    if (!(data->sets.ambient & Bit(capability))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, capability, 0, 0) != 0) return -1;
  }
  return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

// Makes every permitted capability effective again; setresuid() away from
// uid 0 cleared the effective set even with PR_SET_KEEPCAPS.
int RaiseEffective(const void*) {
  struct __user_cap_header_struct header = {};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  struct __user_cap_data_struct sets[2] = {};
  if (syscall(SYS_capget, &header, sets) != 0) return -1;
  for (int word = 0; word < 2; ++word) sets[word].effective = sets[word].permitted;
  return static_cast<int>(syscall(SYS_capset, &header, sets));
}

}  // namespace

ns::ChildHook RaiseEffectiveHook() {
  ns::ChildHook hook;
  hook.point = ns::ChildHook::Point::kAfterUserSwitch;
  hook.run = &RaiseEffective;
  hook.description = "make the permitted capabilities effective";
  return hook;
}

ns::ChildHook BoundingHook(const CapabilityChildData* data) {
  ns::ChildHook hook;
  hook.point = ns::ChildHook::Point::kBeforeUserSwitch;
  hook.run = &DropBounding;
  hook.data = data;
  hook.description = "drop capabilities from the bounding set";
  return hook;
}

ns::ChildHook FinalSetsHook(const CapabilityChildData* data) {
  ns::ChildHook hook;
  hook.point = ns::ChildHook::Point::kAfterUserSwitch;
  hook.run = &SetFinalSets;
  hook.data = data;
  hook.description = "set the capability sets (capset and ambient)";
  return hook;
}

}  // namespace pycontain::security
