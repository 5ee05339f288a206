// NetNamespace: a handle on a network namespace, and the ways pycontain
// acts inside one without moving the calling thread: netlink sockets,
// sysctls under /proc/sys/net and the `nft` command.
//
// Every operation of lib/net takes the namespace that plays the host as a
// NetNamespace, so tests and embedders can build whole topologies inside a
// namespace of their own:
//
//   absl::StatusOr<NetNamespace> host = NetNamespace::CreateNew();
//   absl::StatusOr<NetlinkSocket> socket = host->OpenNetlink();
//
// Thread safety: a NetNamespace may be shared by threads for reading; each
// call that enters the namespace does so on a thread of its own.
#ifndef PYCONTAIN_LIB_NET_NETNS_H_
#define PYCONTAIN_LIB_NET_NETNS_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"
#include "lib/net/netlink.h"

namespace pycontain::net {

class NetNamespace {
 public:
  NetNamespace() = default;
  NetNamespace(NetNamespace&&) = default;
  NetNamespace& operator=(NetNamespace&&) = default;

  // Opens the namespace file at `path`, such as /proc/self/ns/net or
  // /run/netns/NAME. Errors: those of open(2); InvalidArgument when the
  // file is not a network namespace.
  static absl::StatusOr<NetNamespace> Open(const std::string& path);
  // The network namespace of process `pid`.
  static absl::StatusOr<NetNamespace> OfProcess(pid_t pid);
  // The calling thread's network namespace.
  static absl::StatusOr<NetNamespace> Current();
  // A new, empty network namespace (loopback down), alive as long as the
  // handle or anything inside it. Needs CAP_SYS_ADMIN.
  static absl::StatusOr<NetNamespace> CreateNew();

  int fd() const { return fd_.get(); }
  // Identity of the namespace: the device and inode of its nsfs file.
  dev_t device() const { return device_; }
  ino_t inode() const { return inode_; }
  bool SameAs(const NetNamespace& other) const {
    return device_ == other.device_ && inode_ == other.inode_;
  }

  // Runs `task` on a thread that has joined this namespace (or on the
  // calling thread when it is already inside) and returns its status.
  absl::Status Run(const std::function<absl::Status()>& task) const;

  // Opens a netlink socket that acts inside this namespace.
  absl::StatusOr<NetlinkSocket> OpenNetlink() const;

  // Writes `value` to /proc/sys/net/<name> as seen inside this namespace
  // ("ipv4/ip_forward"). Reads it back with ReadSysctl.
  absl::Status WriteSysctl(absl::string_view name, absl::string_view value) const;
  absl::StatusOr<std::string> ReadSysctl(absl::string_view name) const;

  // Runs `nft -f -` inside this namespace with `script` on its standard
  // input. Errors: NotFound when nft is not installed (Debian package
  // nftables); Internal with nft's error output when it fails.
  absl::Status RunNft(absl::string_view script) const;

  // Runs `nft` with `args` inside this namespace and returns its output.
  absl::StatusOr<std::string> NftOutput(const std::vector<std::string>& args) const;

 private:
  absl::Status Identify();

  UniqueFd fd_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_NETNS_H_
