#include "lib/net/ip.h"

#include <arpa/inet.h>
#include <string.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pycontain::net {
namespace {

// Sets `mask` to the prefix mask of `length` bits over `size` bytes.
void PrefixMask(int length, size_t size, uint8_t* mask) {
  for (size_t i = 0; i < size; ++i) {
    int bits = length - static_cast<int>(i) * 8;
    if (bits >= 8) {
      mask[i] = 0xff;
    } else if (bits <= 0) {
      mask[i] = 0;
    } else {
      mask[i] = static_cast<uint8_t>(0xff << (8 - bits));
    }
  }
}

}  // namespace

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  std::string copy(text);
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes_.data()) == 1) {
    address.family_ = AF_INET;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes_.data()) == 1) {
    address.family_ = AF_INET6;
    return address;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not an IPv4 or IPv6 address"));
}

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress address;
  uint32_t network_order = htonl(host_order);
  memcpy(address.bytes_.data(), &network_order, 4);
  return address;
}

IpAddress IpAddress::FromBytes(int family, const void* bytes) {
  IpAddress address;
  address.family_ = family;
  memcpy(address.bytes_.data(), bytes, family == AF_INET ? 4 : 16);
  return address;
}

bool IpAddress::IsUnspecified() const {
  for (size_t i = 0; i < size(); ++i) {
    if (bytes_[i] != 0) return false;
  }
  return true;
}

bool IpAddress::IsLoopback() const {
  if (is_v4()) return bytes_[0] == 127;
  for (size_t i = 0; i < 15; ++i) {
    if (bytes_[i] != 0) return false;
  }
  return bytes_[15] == 1;
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family_, bytes_.data(), text, sizeof(text));
  return text;
}

absl::StatusOr<IpPrefix> IpPrefix::Parse(absl::string_view text) {
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not a prefix: expected ADDRESS/LENGTH, such as 10.0.0.0/24"));
  }
  absl::StatusOr<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  if (!address.ok()) return address.status();
  int length = 0;
  int max_length = address->is_v4() ? 32 : 128;
  if (!absl::SimpleAtoi(text.substr(slash + 1), &length) || length < 0 ||
      length > max_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": the prefix length must be 0 to ", max_length));
  }
  return IpPrefix(*address, length);
}

IpPrefix IpPrefix::Network() const {
  uint8_t mask[16];
  PrefixMask(length_, address_.size(), mask);
  IpAddress network = address_;
  for (size_t i = 0; i < network.size(); ++i) network.mutable_bytes()[i] &= mask[i];
  return IpPrefix(network, length_);
}

bool IpPrefix::Contains(const IpAddress& address) const {
  if (address.family() != family()) return false;
  return IpPrefix(address, length_).Network().address() == Network().address();
}

bool IpPrefix::Overlaps(const IpPrefix& other) const {
  if (other.family() != family()) return false;
  int shorter = std::min(length_, other.length_);
  return IpPrefix(address_, shorter).Network() ==
         IpPrefix(other.address_, shorter).Network();
}

IpAddress IpPrefix::Host(uint64_t index) const {
  IpAddress result = Network().address();
  uint8_t* bytes = result.mutable_bytes();
  // Add `index` to the address as a big-endian number.
  unsigned carry = 0;
  for (int i = static_cast<int>(result.size()) - 1; i >= 0; --i) {
    unsigned sum = bytes[i] + static_cast<unsigned>(index & 0xff) + carry;
    bytes[i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
    index >>= 8;
  }
  // Keep the network bits, so that the index wraps inside the prefix.
  uint8_t mask[16];
  PrefixMask(length_, result.size(), mask);
  // A named copy: a pointer into the temporary Network() would dangle.
  const IpPrefix network_prefix = Network();
  const uint8_t* network = network_prefix.address().bytes();
  for (size_t i = 0; i < result.size(); ++i) {
    bytes[i] = static_cast<uint8_t>((network[i] & mask[i]) | (bytes[i] & ~mask[i]));
  }
  return result;
}

uint64_t IpPrefix::Size() const {
  int host_bits = static_cast<int>(address_.size()) * 8 - length_;
  if (host_bits >= 63) return uint64_t{1} << 63;
  return uint64_t{1} << host_bits;
}

IpAddress IpPrefix::Last() const {
  uint8_t mask[16];
  PrefixMask(length_, address_.size(), mask);
  IpAddress last = address_;
  for (size_t i = 0; i < last.size(); ++i) last.mutable_bytes()[i] |= ~mask[i];
  return last;
}

std::string IpPrefix::ToString() const {
  return absl::StrCat(address_.ToString(), "/", length_);
}

}  // namespace pycontain::net
