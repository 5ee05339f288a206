#include "lib/security/receipt.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"

namespace pycontain::security {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  if (n < 0) return ErrnoError(errno, "read", path);
  return text;
}

uint64_t Hex(absl::string_view text) {
  uint64_t value = 0;
  (void)absl::SimpleHexAtoi(absl::StripAsciiWhitespace(text), &value);
  return value;
}

int32_t Decimal(absl::string_view text) {
  int32_t value = 0;
  (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &value);
  return value;
}

}  // namespace

void ParseProcStatus(absl::string_view status, spec::EnforcementReceipt& receipt) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(line, absl::MaxSplits(':', 1));
    absl::string_view name = field.first, value = field.second;
    if (name == "Seccomp") receipt.set_seccomp_mode(Decimal(value));
    if (name == "Seccomp_filters") receipt.set_seccomp_filters(Decimal(value));
    if (name == "NoNewPrivs") receipt.set_no_new_privileges(Decimal(value) == 1);
    if (name == "CapInh") receipt.set_capabilities_inheritable(Hex(value));
    if (name == "CapPrm") receipt.set_capabilities_permitted(Hex(value));
    if (name == "CapEff") receipt.set_capabilities_effective(Hex(value));
    if (name == "CapBnd") receipt.set_capabilities_bounding(Hex(value));
    if (name == "CapAmb") receipt.set_capabilities_ambient(Hex(value));
  }
}

std::vector<std::string> ReadonlyMountPoints(absl::string_view mountinfo) {
  std::vector<std::string> points;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    // Field 5 is the mount point, field 6 the per-mount options.
    if (fields.size() < 6) continue;
    std::vector<absl::string_view> options = absl::StrSplit(fields[5], ',');
    bool readonly = false;
    for (absl::string_view option : options) readonly = readonly || option == "ro";
    if (readonly) points.push_back(absl::StrReplaceAll(fields[4], {{"\\040", " "}}));
  }
  return points;
}

absl::Status ReadSecurityReceipt(pid_t pid, spec::EnforcementReceipt& receipt) {
  std::string base = absl::StrCat("/proc/", pid, "/");
  absl::StatusOr<std::string> status = ReadFile(base + "status");
  if (!status.ok()) return status.status();
  ParseProcStatus(*status, receipt);

  absl::StatusOr<std::string> uid_map = ReadFile(base + "uid_map");
  if (uid_map.ok()) receipt.set_uid_map(*uid_map);
  absl::StatusOr<std::string> gid_map = ReadFile(base + "gid_map");
  if (gid_map.ok()) receipt.set_gid_map(*gid_map);
  // An exited process has no mount namespace left: mountinfo reads empty.
  absl::StatusOr<std::string> mountinfo = ReadFile(base + "mountinfo");
  if (mountinfo.ok()) {
    for (std::string& point : ReadonlyMountPoints(*mountinfo)) {
      receipt.add_readonly_mounts(std::move(point));
    }
  }
  receipt.set_security_read(true);
  return absl::OkStatus();
}

}  // namespace pycontain::security
