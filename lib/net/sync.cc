#include "lib/net/sync.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/unique_fd.h"
#include "lib/net/link.h"
#include "lib/net/nft_rules.h"

namespace pycontain::net {

absl::Status ApplyRuleset(const NetNamespace& host,
                          const std::vector<NetworkRecord>& networks) {
  absl::StatusOr<std::string> script = RenderRuleset(networks);
  if (!script.ok()) return script.status();
  // The kernel refuses to route packets with a 127.0.0.0/8 source out of
  // a non-loopback interface unless route_localnet is set on it; output
  // DNAT of connections to 127.0.0.1 produces exactly those.
  for (const std::string& bridge : BridgesWithLoopbackPorts(networks)) {
    absl::Status status =
        host.WriteSysctl(absl::StrCat("ipv4/conf/", bridge, "/route_localnet"), "1");
    if (!status.ok()) return status;
  }
  return host.RunNft(*script);
}

void DeleteLinkIfPresent(const NetNamespace& host, const std::string& name) {
  if (name.empty()) return;
  absl::StatusOr<NetlinkSocket> socket = host.OpenNetlink();
  absl::Status status = socket.ok() ? DeleteLink(*socket, name) : socket.status();
  if (!status.ok() && status.code() != absl::StatusCode::kNotFound) {
    Logf(LogLevel::kWarning, "", "delete link %s: %s", name, status.ToString());
  }
}

absl::Status EnableForwarding(const NetNamespace& host, bool ipv6) {
  absl::Status status = host.WriteSysctl("ipv4/ip_forward", "1");
  if (!status.ok() || !ipv6) return status;
  return host.WriteSysctl("ipv6/conf/all/forwarding", "1");
}

absl::Status CheckSameHost(const NetworkRecord& record, const NetNamespace& host) {
  if (record.host_netns_device() == host.device() &&
      record.host_netns_inode() == host.inode()) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "network ", record.name(), " belongs to another network namespace (inode ",
      record.host_netns_inode(), "); use the host namespace it was created in, or "
      "remove its record"));
}

uint64_t ProcessStartTime(pid_t pid) {
  std::string path = absl::StrCat("/proc/", pid, "/stat");
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return 0;
  char buffer[1024];
  ssize_t n = read(fd.get(), buffer, sizeof(buffer) - 1);
  if (n <= 0) return 0;
  absl::string_view text(buffer, static_cast<size_t>(n));
  // The command name may contain spaces and parentheses: fields are
  // counted after the last ')'.
  size_t close = text.rfind(')');
  if (close == absl::string_view::npos) return 0;
  std::vector<absl::string_view> fields =
      absl::StrSplit(text.substr(close + 2), ' ', absl::SkipEmpty());
  // Field 3 (state) is fields[0], so field 22 is fields[19].
  uint64_t start = 0;
  if (fields.size() < 20 || !absl::SimpleAtoi(fields[19], &start)) return 0;
  return start;
}

bool OwnerAlive(const EndpointRecord& endpoint) {
  if (endpoint.owner_pid() <= 0) return false;
  uint64_t start = ProcessStartTime(endpoint.owner_pid());
  return start != 0 && start == endpoint.owner_start_time();
}

std::string RandomHex(int count) {
  std::string text;
  while (static_cast<int>(text.size()) < count) {
    uint32_t value = 0;
    if (getrandom(&value, sizeof(value), 0) != sizeof(value)) {
      value = static_cast<uint32_t>(getpid()) * 2654435761u + text.size();
    }
    absl::StrAppendFormat(&text, "%08x", value);
  }
  return text.substr(0, count);
}

}  // namespace pycontain::net
