#include "lib/cgroup/machine.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/base/status.h"
#include "lib/cgroup/files.h"

namespace pycontain::cgroup {
namespace {

// A list longer than this many numbers is surely a typo ("0-4000000").
constexpr int kMaxListEntry = 65535;

absl::Status ListError(absl::string_view text, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid list \"", text, "\": ", problem,
                   " (use numbers and ranges, such as 0-2,4)"));
}

std::set<std::string> ReadHugepageSizes() {
  std::set<std::string> sizes;
  DIR* dir = opendir("/sys/kernel/mm/hugepages");
  if (dir == nullptr) return sizes;  // no huge page support: none offered
  while (struct dirent* entry = readdir(dir)) {
    absl::string_view name = entry->d_name;
    uint64_t kib;
    if (absl::ConsumePrefix(&name, "hugepages-") && absl::ConsumeSuffix(&name, "kB") &&
        absl::SimpleAtoi(name, &kib)) {
      sizes.insert(HugepageSizeName(kib));
    }
  }
  closedir(dir);
  return sizes;
}

}  // namespace

absl::StatusOr<std::set<int>> ParseCpuList(absl::string_view text) {
  std::set<int> numbers;
  absl::string_view list = absl::StripAsciiWhitespace(text);
  if (list.empty()) return numbers;
  for (absl::string_view part : absl::StrSplit(list, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(part, absl::MaxSplits('-', 1));
    int first, last;
    if (!absl::SimpleAtoi(ends[0], &first) ||
        !absl::SimpleAtoi(ends.size() == 2 ? ends[1] : ends[0], &last) || first < 0) {
      return ListError(text, absl::StrCat("\"", part, "\" is not a number or range"));
    }
    if (last < first) {
      return ListError(text, absl::StrCat("range \"", part, "\" is reversed"));
    }
    if (last > kMaxListEntry) {
      return ListError(text, absl::StrCat(last, " is too large"));
    }
    for (int i = first; i <= last; ++i) numbers.insert(i);
  }
  return numbers;
}

std::string FormatCpuList(const std::set<int>& numbers) {
  std::string text;
  for (auto it = numbers.begin(); it != numbers.end();) {
    int first = *it;
    int last = first;
    for (++it; it != numbers.end() && *it == last + 1; ++it) last = *it;
    if (!text.empty()) text.push_back(',');
    absl::StrAppend(&text, first);
    if (last != first) absl::StrAppend(&text, "-", last);
  }
  return text;
}

std::string HugepageSizeName(uint64_t size_kib) {
  if (size_kib % (1024 * 1024) == 0) return absl::StrCat(size_kib / (1024 * 1024), "GB");
  if (size_kib % 1024 == 0) return absl::StrCat(size_kib / 1024, "MB");
  return absl::StrCat(size_kib, "KB");
}

absl::StatusOr<Machine> ReadMachine(unsigned parts) {
  Machine machine;
  if (parts & kUsableCpus) {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
      return ErrnoError(errno, "read the CPUs this thread may run on (sched_getaffinity)");
    }
    machine.usable_cpus = CPU_COUNT(&allowed);
  }
  if (parts & kOnlineCpus) {
    absl::StatusOr<std::string> cpus = ReadWholeFile("/sys/devices/system/cpu/online");
    if (!cpus.ok()) return cpus.status();
    absl::StatusOr<std::set<int>> online = ParseCpuList(*cpus);
    if (!online.ok()) return online.status();
    machine.online_cpus = std::move(*online);
  }
  if (parts & kMemoryNodes) {
    absl::StatusOr<std::string> nodes = ReadWholeFile("/sys/devices/system/node/has_memory");
    if (nodes.ok()) {
      absl::StatusOr<std::set<int>> parsed = ParseCpuList(*nodes);
      if (!parsed.ok()) return parsed.status();
      machine.memory_nodes = std::move(*parsed);
    } else {
      machine.memory_nodes = {0};  // a kernel without NUMA has one node
    }
  }
  if (parts & kHugepageSizes) machine.hugepage_sizes = ReadHugepageSizes();
  return machine;
}

}  // namespace pycontain::cgroup
