// The memory controller: limit, memory+swap, reservation; peak use, OOM
// kills and limit hits.
#include <limits>

#include "absl/strings/str_cat.h"
#include "lib/base/status.h"
#include "lib/cgroup/controllers.h"

namespace pycontain::cgroup {
namespace {

// Docker's memory+swap when only the memory limit is set: as much swap as
// memory. Returns 0 when no memory limit is set, and -1 (no swap limit)
// when twice the memory limit does not fit in 64 bits.
int64_t SwapTotal(const spec::Resources& r) {
  if (r.memory_swap_bytes() != 0) return r.memory_swap_bytes();
  if (r.memory_bytes() <= 0) return 0;
  if (r.memory_bytes() > std::numeric_limits<int64_t>::max() / 2) return -1;
  return 2 * r.memory_bytes();
}

absl::Status ApplyV1(const CgroupDir& dir, const spec::Resources& r) {
  if (r.memory_bytes() > 0) {
    absl::Status status = dir.Write("memory.limit_in_bytes", absl::StrCat(r.memory_bytes()));
    if (!status.ok()) return FieldStatus(status, "memory_bytes");
  }
  // memory.memsw.* exists only with swap accounting (CONFIG_MEMCG_SWAP).
  // Docker skips the implicit default without it; an explicit request is
  // left to the receipt check.
  int64_t total = SwapTotal(r);
  if (total != 0 && dir.Has("memory.memsw.limit_in_bytes")) {
    absl::Status status = dir.Write("memory.memsw.limit_in_bytes", absl::StrCat(total));
    if (!status.ok()) return FieldStatus(status, "memory_swap_bytes");
  }
  if (r.memory_reservation_bytes() > 0) {
    absl::Status status = dir.Write("memory.soft_limit_in_bytes",
                                    absl::StrCat(r.memory_reservation_bytes()));
    if (!status.ok()) return FieldStatus(status, "memory_reservation_bytes");
  }
  return absl::OkStatus();
}

absl::Status ApplyV2(const CgroupDir& dir, const spec::Resources& r) {
  if (r.memory_bytes() > 0) {
    absl::Status status = dir.Write("memory.max", absl::StrCat(r.memory_bytes()));
    if (!status.ok()) return FieldStatus(status, "memory_bytes");
  }
  // v2 limits swap alone, not memory+swap.
  int64_t total = SwapTotal(r);
  if (total != 0 && dir.Has("memory.swap.max")) {
    std::string swap = total == -1 ? "max" : absl::StrCat(total - r.memory_bytes());
    absl::Status status = dir.Write("memory.swap.max", swap);
    if (!status.ok()) return FieldStatus(status, "memory_swap_bytes");
  }
  if (r.memory_reservation_bytes() > 0) {
    absl::Status status =
        dir.Write("memory.low", absl::StrCat(r.memory_reservation_bytes()));
    if (!status.ok()) return FieldStatus(status, "memory_reservation_bytes");
  }
  return absl::OkStatus();
}

// Calls `set` with the value when it was read.
template <typename Setter>
void SetIfRead(const absl::StatusOr<int64_t>& value, Setter set) {
  if (value.ok()) set(*value);
}

}  // namespace

absl::Status ApplyMemory(const ControllerDirs& dirs, const spec::Resources& r) {
  if (dirs.memory == nullptr) return absl::OkStatus();
  return dirs.version == Version::kV1 ? ApplyV1(*dirs.memory, r) : ApplyV2(*dirs.memory, r);
}

void ReadMemoryReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt) {
  if (dirs.memory == nullptr) return;
  const CgroupDir& dir = *dirs.memory;
  if (dirs.version == Version::kV1) {
    SetIfRead(ReadLimit(dir, "memory.limit_in_bytes"),
              [&](int64_t v) { receipt->set_memory_limit_bytes(v); });
    SetIfRead(ReadLimit(dir, "memory.memsw.limit_in_bytes"),
              [&](int64_t v) { receipt->set_memory_swap_limit_bytes(v); });
    SetIfRead(ReadLimit(dir, "memory.soft_limit_in_bytes"),
              [&](int64_t v) { receipt->set_memory_reservation_bytes(v); });
    return;
  }
  absl::StatusOr<int64_t> max = ReadLimit(dir, "memory.max");
  SetIfRead(max, [&](int64_t v) { receipt->set_memory_limit_bytes(v); });
  absl::StatusOr<int64_t> swap = ReadLimit(dir, "memory.swap.max");
  if (max.ok() && swap.ok()) {
    receipt->set_memory_swap_limit_bytes(*max == -1 || *swap == -1 ? -1 : *max + *swap);
  }
  SetIfRead(ReadLimit(dir, "memory.low"),
            [&](int64_t v) { receipt->set_memory_reservation_bytes(v); });
}

void ReadMemoryAccounting(const ControllerDirs& dirs, spec::Accounting* accounting) {
  if (dirs.memory == nullptr) return;
  const CgroupDir& dir = *dirs.memory;
  bool v1 = dirs.version == Version::kV1;
  SetIfRead(dir.ReadInt(v1 ? "memory.max_usage_in_bytes" : "memory.peak"),
            [&](int64_t v) { accounting->set_memory_peak_bytes(v); });
  absl::StatusOr<KeyedValues> events = dir.ReadKeyed(v1 ? "memory.oom_control" : "memory.events");
  if (events.ok()) {
    auto oom_kill = events->find("oom_kill");
    if (oom_kill != events->end()) accounting->set_oom_kill_count(oom_kill->second);
    auto max = events->find("max");
    if (!v1 && max != events->end()) accounting->set_memory_limit_hits(max->second);
  }
  if (v1) {
    SetIfRead(dir.ReadInt("memory.failcnt"),
              [&](int64_t v) { accounting->set_memory_limit_hits(v); });
  }
}

void KeepMemoryAccountingOpen(const ControllerDirs& dirs) {
  if (dirs.memory == nullptr) return;
  if (dirs.version == Version::kV1) {
    for (const char* name :
         {"memory.max_usage_in_bytes", "memory.oom_control", "memory.failcnt"}) {
      dirs.memory->KeepOpen(name);
    }
    return;
  }
  for (const char* name : {"memory.peak", "memory.events"}) dirs.memory->KeepOpen(name);
}

absl::StatusOr<int64_t> ReadLimit(const CgroupDir& dir, absl::string_view name) {
  absl::StatusOr<int64_t> value = dir.ReadInt(name);
  if (value.ok() && *value >= kV1Unlimited) return -1;
  return value;
}

absl::Status FieldStatus(const absl::Status& status, absl::string_view field) {
  return Annotate(status, absl::StrCat("resources.", field));
}

}  // namespace pycontain::cgroup
