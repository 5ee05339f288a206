// IP addresses and prefixes (IPv4 and IPv6) as plain values: parsing,
// formatting, containment and overlap, for the address pools and the
// netlink and nftables code.
//
//   absl::StatusOr<IpPrefix> subnet = IpPrefix::Parse("10.213.0.16/28");
//   IpAddress gateway = subnet->Host(1);   // 10.213.0.17
//
// Thread safety: values; all functions are thread-safe.
#ifndef PYCONTAIN_LIB_NET_IP_H_
#define PYCONTAIN_LIB_NET_IP_H_

#include <stdint.h>
#include <sys/socket.h>

#include <array>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pycontain::net {

class IpAddress {
 public:
  // The IPv4 address 0.0.0.0.
  IpAddress() = default;

  // Parses dotted IPv4 ("10.0.0.1") or IPv6 ("fd00::1"), without brackets
  // or a zone. Errors: InvalidArgument naming the text.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);
  static IpAddress V4(uint32_t host_order);
  static IpAddress FromBytes(int family, const void* bytes);

  // AF_INET or AF_INET6.
  int family() const { return family_; }
  bool is_v4() const { return family_ == AF_INET; }
  // 4 or 16.
  size_t size() const { return is_v4() ? 4 : 16; }
  const uint8_t* bytes() const { return bytes_.data(); }
  uint8_t* mutable_bytes() { return bytes_.data(); }

  bool IsUnspecified() const;  // 0.0.0.0 or ::
  bool IsLoopback() const;     // 127.0.0.0/8 or ::1

  // "10.0.0.1" or "fd00::1" (RFC 5952 form, from inet_ntop).
  std::string ToString() const;

  bool operator==(const IpAddress& other) const {
    return family_ == other.family_ && bytes_ == other.bytes_;
  }
  bool operator!=(const IpAddress& other) const { return !(*this == other); }
  bool operator<(const IpAddress& other) const {
    return family_ != other.family_ ? family_ < other.family_ : bytes_ < other.bytes_;
  }

 private:
  int family_ = AF_INET;
  std::array<uint8_t, 16> bytes_ = {};
};

class IpPrefix {
 public:
  IpPrefix() = default;
  // `address` with its host bits kept as given.
  IpPrefix(IpAddress address, int length) : address_(address), length_(length) {}

  // Parses "10.0.0.0/24" or "fd00::/64". The address may have host bits
  // set ("10.0.0.5/24", an interface address). Errors: InvalidArgument.
  static absl::StatusOr<IpPrefix> Parse(absl::string_view text);

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  int family() const { return address_.family(); }

  // The prefix with its host bits cleared ("10.0.0.0/24").
  IpPrefix Network() const;
  // True when the host bits of address() are all zero.
  bool IsNetwork() const { return Network().address() == address_; }
  bool Contains(const IpAddress& address) const;
  bool Overlaps(const IpPrefix& other) const;
  // The address `index` places after the network address: Host(1) is the
  // first usable address of an IPv4 subnet. Wraps inside the prefix.
  IpAddress Host(uint64_t index) const;
  // Number of addresses, saturated at 2^63 for large IPv6 prefixes.
  uint64_t Size() const;
  // The last address (the IPv4 broadcast address).
  IpAddress Last() const;

  std::string ToString() const;

  bool operator==(const IpPrefix& other) const {
    return address_ == other.address_ && length_ == other.length_;
  }

 private:
  IpAddress address_;
  int length_ = 0;
};

}  // namespace pycontain::net

#endif  // PYCONTAIN_LIB_NET_IP_H_
