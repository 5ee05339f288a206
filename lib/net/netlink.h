// A small rtnetlink (NETLINK_ROUTE) client: building requests with
// attributes, sending them, and reading acknowledgments and dumps.
//
//   absl::StatusOr<NetlinkSocket> socket = NetlinkSocket::Open();
//   NetlinkRequest request(RTM_DELLINK, 0);
//   request.AddHeader(ifinfomsg{});
//   request.AddString(IFLA_IFNAME, "pcv-1a2b3c4d");
//   absl::Status status = socket->Execute(request, "delete link", "pcv-1a2b3c4d");
//
// A socket acts in the network namespace of the thread that opened it, for
// its whole life (see netns.h for opening one in another namespace).
//
// Thread safety: a NetlinkRequest or NetlinkSocket is used by one thread
// at a time.
#ifndef PYCONTAIN_LIB_NET_NETLINK_H_
#define PYCONTAIN_LIB_NET_NETLINK_H_

#include <linux/netlink.h>
#include <stdint.h>

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"

namespace pycontain::net {

class NetlinkRequest {
 public:
  // A request of message type `type` (RTM_NEWLINK, ...) with `flags` besides
  // NLM_F_REQUEST and NLM_F_ACK, which Execute adds.
  NetlinkRequest(uint16_t type, uint16_t flags);

  // Appends the family header (ifinfomsg, ifaddrmsg, rtmsg). Call once,
  // before any attribute.
  template <typename T>
  void AddHeader(const T& header) {
    Append(&header, sizeof(header));
  }

  void AddAttribute(uint16_t type, const void* data, size_t size);
  void AddString(uint16_t type, absl::string_view value);  // NUL-terminated
  void AddU32(uint16_t type, uint32_t value);
  void AddU16(uint16_t type, uint16_t value);
  void AddU8(uint16_t type, uint8_t value);

  // Opens a nested attribute; returns its offset for EndNested.
  size_t BeginNested(uint16_t type);
  void EndNested(size_t offset);

  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer_.data()); }
  const char* data() const { return buffer_.data(); }
  size_t size() const { return buffer_.size(); }

 private:
  void Append(const void* data, size_t size);

  std::string buffer_;
};

// The attributes of one message, by type: views into the message.
using NetlinkAttributes = absl::flat_hash_map<uint16_t, absl::string_view>;

// Parses the attributes that follow a family header of `header_size` bytes.
NetlinkAttributes ParseAttributes(const nlmsghdr* message, size_t header_size);

// Parses attributes nested in `payload`.
NetlinkAttributes ParseNested(absl::string_view payload);

class NetlinkSocket {
 public:
  NetlinkSocket() = default;
  NetlinkSocket(NetlinkSocket&&) = default;
  NetlinkSocket& operator=(NetlinkSocket&&) = default;

  // Opens a NETLINK_ROUTE socket in the calling thread's network
  // namespace, with extended acknowledgments when the kernel has them.
  static absl::StatusOr<NetlinkSocket> Open();

  // Sends `request` and waits for the kernel's acknowledgment. Errors: the
  // kernel's errno, as "<operation> <object>: <strerror> (<kernel message>)".
  absl::Status Execute(NetlinkRequest& request, absl::string_view operation,
                       absl::string_view object);

  // Sends a request whose reply carries data (RTM_GETLINK for one link)
  // and calls `each` with every reply message before the acknowledgment.
  absl::Status Get(NetlinkRequest& request, absl::string_view operation,
                   absl::string_view object,
                   const std::function<void(const nlmsghdr*)>& each);

  // Sends a dump request (NLM_F_DUMP is added) and calls `each` with every
  // message of the reply.
  absl::Status Dump(NetlinkRequest& request, absl::string_view operation,
                    const std::function<void(const nlmsghdr*)>& each);

  int fd() const { return fd_.get(); }

 private:
  // Reads replies to sequence `seq` until the acknowledgment or the end of
  // a dump; calls `each` for data messages when it is set.
  absl::Status ReadReplies(uint32_t seq, absl::string_view operation,
                           absl::string_view object,
                           const std::function<void(const nlmsghdr*)>* each);

  UniqueFd fd_;
  uint32_t next_seq_ = 1;
};

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_NETLINK_H_
