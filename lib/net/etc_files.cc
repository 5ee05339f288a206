#include "lib/net/etc_files.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/net/hosts.h"

namespace pycontain::net {
namespace {

absl::Status WriteInPlace(const std::string& path, absl::string_view contents) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError(errno, "open", path);
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd.get(), contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "write", path);
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

std::string ReadOrEmpty(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string text;
  if (!fd.valid()) return text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd.get(), buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  return text;
}

std::vector<std::string> NamesOf(const EndpointRecord& endpoint) {
  std::vector<std::string> names = {endpoint.name()};
  names.insert(names.end(), endpoint.aliases().begin(), endpoint.aliases().end());
  return names;
}

// The container's own entries and its peers', over every network it is on.
void CollectEntries(const std::vector<NetworkRecord>& networks,
                    absl::string_view container_id, std::string& hostname,
                    std::vector<HostsEntry>& self, std::vector<HostsEntry>& peers) {
  for (const NetworkRecord& network : networks) {
    const EndpointRecord* own = nullptr;
    for (const EndpointRecord& endpoint : network.endpoints()) {
      if (endpoint.container_id() == container_id) own = &endpoint;
    }
    if (own == nullptr) continue;
    if (hostname.empty()) hostname = own->hostname();
    for (const std::string& ip : {own->ip(), own->ip6()}) {
      if (!ip.empty()) self.push_back({ip, NamesOf(*own)});
    }
    for (const EndpointRecord& endpoint : network.endpoints()) {
      if (endpoint.container_id() == container_id) continue;
      for (const std::string& ip : {endpoint.ip(), endpoint.ip6()}) {
        if (!ip.empty()) peers.push_back({ip, NamesOf(endpoint)});
      }
    }
  }
}

// Appends the container's extra hosts ("HOST:IP") to `peers`, from its
// first endpoint that has any, so that several networks do not repeat them.
void AppendExtraHosts(const std::vector<NetworkRecord>& networks,
                      absl::string_view container_id, std::vector<HostsEntry>& peers) {
  for (const NetworkRecord& network : networks) {
    for (const EndpointRecord& endpoint : network.endpoints()) {
      if (endpoint.container_id() != container_id || endpoint.extra_hosts().empty()) continue;
      for (const std::string& line : endpoint.extra_hosts()) {
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        peers.push_back({line.substr(colon + 1), {line.substr(0, colon)}});
      }
      return;
    }
  }
}

}  // namespace

absl::Status CreateEtcFiles(const std::string& etc_dir) {
  for (const char* name : {kHostsFile, kResolvConfFile, kHostnameFile}) {
    absl::Status status = WriteInPlace(absl::StrCat(etc_dir, "/", name), "");
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status WriteEtcFiles(const std::vector<NetworkRecord>& networks,
                           absl::string_view container_id, const std::string& etc_dir,
                           const std::string& host_resolv_conf, bool all) {
  std::string hostname;
  std::vector<HostsEntry> self, peers;
  CollectEntries(networks, container_id, hostname, self, peers);
  AppendExtraHosts(networks, container_id, peers);
  absl::Status status = WriteInPlace(absl::StrCat(etc_dir, "/", kHostsFile),
                                     RenderHosts(hostname, self, peers));
  if (!status.ok() || !all) return status;
  status = WriteInPlace(absl::StrCat(etc_dir, "/", kResolvConfFile),
                        RenderResolvConf(ReadOrEmpty(host_resolv_conf)));
  if (!status.ok()) return status;
  return WriteInPlace(absl::StrCat(etc_dir, "/", kHostnameFile), RenderHostname(hostname));
}

void RefreshHostsFiles(const std::vector<NetworkRecord>& networks,
                       absl::string_view network) {
  for (const NetworkRecord& record : networks) {
    if (record.name() != network) continue;
    for (const EndpointRecord& endpoint : record.endpoints()) {
      if (endpoint.etc_dir().empty()) continue;
      absl::Status status =
          WriteEtcFiles(networks, endpoint.container_id(), endpoint.etc_dir(), "", false);
      // One container whose state directory vanished must not keep the
      // others from learning about the change.
      if (!status.ok()) {
        Logf(LogLevel::kWarning, endpoint.container_id(), "update hosts file: %s",
             status.ToString());
      }
    }
  }
}

void RemoveEtcFiles(const std::string& etc_dir) {
  if (etc_dir.empty()) return;
  for (const char* name : {kHostsFile, kResolvConfFile, kHostnameFile}) {
    std::string path = absl::StrCat(etc_dir, "/", name);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      Logf(LogLevel::kWarning, "", "remove %s: %s", path, strerror(errno));
    }
  }
}

}  // namespace pycontain::net
