#include "lib/net/pool.h"

#include <sys/random.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace pycontain::net {
namespace {

bool IsReserved(const IpPrefix& subnet, const IpAddress& address) {
  if (address == subnet.Network().address()) return true;
  return subnet.family() == AF_INET && subnet.length() < 31 && address == subnet.Last();
}

}  // namespace

absl::StatusOr<IpPrefix> AllocateSubnet(const IpPrefix& base, int length,
                                        const std::vector<IpPrefix>& taken) {
  int max_length = base.family() == AF_INET ? 30 : 64;
  if (length < base.length() || length > max_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "subnet length /", length, " does not fit in the pool ", base.ToString(),
        " (use /", base.length(), " to /", max_length, ")"));
  }
  int host_bits_between = length - base.length();
  uint64_t count = host_bits_between >= 32 ? (uint64_t{1} << 32)
                                            : (uint64_t{1} << host_bits_between);
  IpPrefix network = base.Network();
  int address_bits = static_cast<int>(network.address().size()) * 8;
  for (uint64_t i = 0; i < count; ++i) {
    // The i-th subnet starts i * 2^(host bits) after the base.
    IpPrefix candidate(network.address(), length);
    int shift = address_bits - length;
    if (shift < 64) {
      candidate = IpPrefix(network.Host(i << shift), length);
    } else {
      // A /64 or shorter inside IPv6: step in the upper 64 bits.
      IpAddress address = network.address();
      uint64_t step = i << (shift - 64);
      for (int b = 7; b >= 0 && step != 0; --b) {
        unsigned sum = address.bytes()[b] + (step & 0xff);
        address.mutable_bytes()[b] = static_cast<uint8_t>(sum);
        step = (step >> 8) + (sum >> 8);
      }
      candidate = IpPrefix(address, length);
    }
    bool free = std::none_of(taken.begin(), taken.end(), [&](const IpPrefix& used) {
      return used.Overlaps(candidate);
    });
    if (free) return candidate;
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "the address pool ", base.ToString(), " has no free /", length,
      " subnet left: remove a network, give --subnet, or configure a larger pool"));
}

absl::StatusOr<IpAddress> AllocateAddress(const IpPrefix& subnet,
                                          const std::vector<IpAddress>& used) {
  uint64_t size = subnet.Size();
  for (uint64_t i = 1; i < size; ++i) {
    IpAddress candidate = subnet.Host(i);
    if (IsReserved(subnet, candidate)) continue;
    if (std::find(used.begin(), used.end(), candidate) == used.end()) return candidate;
    // A /64 never runs out in practice; stop after 2^20 tries anyway.
    if (i > (uint64_t{1} << 20)) break;
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "subnet ", subnet.ToString(), " has no free address left (", used.size(),
      " in use): create the network with a larger --subnet"));
}

absl::Status CheckAddress(const IpPrefix& subnet, const IpAddress& address,
                          const std::vector<IpAddress>& used,
                          absl::string_view field) {
  if (!subnet.Contains(address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", address.ToString(), " is not in the subnet ", subnet.ToString()));
  }
  if (IsReserved(subnet, address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", address.ToString(),
        " is the network or broadcast address of ", subnet.ToString()));
  }
  if (std::find(used.begin(), used.end(), address) != used.end()) {
    return absl::AlreadyExistsError(absl::StrCat(
        field, ": ", address.ToString(), " is already in use in ", subnet.ToString()));
  }
  return absl::OkStatus();
}

IpPrefix UlaSubnet(uint64_t global_id, uint16_t subnet_id) {
  uint8_t bytes[16] = {0xfd};
  for (int i = 0; i < 5; ++i) {
    bytes[1 + i] = static_cast<uint8_t>(global_id >> (8 * (4 - i)));
  }
  bytes[6] = static_cast<uint8_t>(subnet_id >> 8);
  bytes[7] = static_cast<uint8_t>(subnet_id);
  return IpPrefix(IpAddress::FromBytes(AF_INET6, bytes), 64);
}

absl::StatusOr<IpPrefix> RandomUlaSubnet(const std::vector<IpPrefix>& taken) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    uint64_t global_id = 0;
    if (getrandom(&global_id, sizeof(global_id), 0) != sizeof(global_id)) {
      return absl::InternalError("getrandom failed for an IPv6 ULA prefix");
    }
    IpPrefix candidate = UlaSubnet(global_id, 0);
    bool free = std::none_of(taken.begin(), taken.end(), [&](const IpPrefix& used) {
      return used.Overlaps(candidate);
    });
    if (free) return candidate;
  }
  return absl::ResourceExhaustedError("no free random IPv6 ULA /64 found");
}

}  // namespace pycontain::net
