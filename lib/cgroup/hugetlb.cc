// The hugetlb controller: a limit per huge page size.
#include <dirent.h>
#include <fcntl.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/cgroup/controllers.h"

namespace pycontain::cgroup {
namespace {

const char* LimitSuffix(Version version) {
  return version == Version::kV1 ? ".limit_in_bytes" : ".max";
}

// Returns the page sizes that `dir` has limit files for.
std::vector<std::string> ListPageSizes(const CgroupDir& dir, Version version) {
  std::vector<std::string> sizes;
  DIR* listing = fdopendir(fcntl(dir.fd(), F_DUPFD_CLOEXEC, 0));
  if (listing == nullptr) return sizes;
  while (struct dirent* entry = readdir(listing)) {
    absl::string_view name = entry->d_name;
    // "hugetlb.2MB.rsvd.max" limits reservations, not use.
    if (absl::ConsumePrefix(&name, "hugetlb.") && absl::ConsumeSuffix(&name, LimitSuffix(version)) &&
        !absl::StrContains(name, ".")) {
      sizes.emplace_back(name);
    }
  }
  closedir(listing);
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

}  // namespace

absl::Status ApplyHugetlb(const ControllerDirs& dirs, const spec::Resources& r) {
  if (dirs.hugetlb == nullptr) return absl::OkStatus();
  for (int i = 0; i < r.hugepage_limits_size(); ++i) {
    const spec::HugepageLimit& limit = r.hugepage_limits(i);
    std::string file = absl::StrCat("hugetlb.", limit.page_size(), LimitSuffix(dirs.version));
    std::string value = limit.limit_bytes() == -1 && dirs.version == Version::kV2
                            ? "max"
                            : absl::StrCat(limit.limit_bytes());
    absl::Status status = dirs.hugetlb->Write(file, value);
    if (!status.ok()) {
      return FieldStatus(status, absl::StrCat("hugepage_limits[", i, "]"));
    }
  }
  return absl::OkStatus();
}

void ReadHugetlbReceipt(const ControllerDirs& dirs, spec::EnforcementReceipt* receipt) {
  if (dirs.hugetlb == nullptr) return;
  for (const std::string& size : ListPageSizes(*dirs.hugetlb, dirs.version)) {
    absl::StatusOr<int64_t> limit =
        ReadLimit(*dirs.hugetlb, absl::StrCat("hugetlb.", size, LimitSuffix(dirs.version)));
    if (limit.ok()) receipt->add_hugetlb_limits(absl::StrCat(size, "=", *limit));
  }
}

}  // namespace pycontain::cgroup
