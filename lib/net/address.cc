#include "lib/net/address.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"

namespace pycontain::net {

absl::Status AddAddress(NetlinkSocket& socket, int index, const IpPrefix& address) {
  NetlinkRequest request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg header = {};
  header.ifa_family = static_cast<uint8_t>(address.family());
  header.ifa_prefixlen = static_cast<uint8_t>(address.length());
  header.ifa_index = static_cast<uint32_t>(index);
  if (!address.address().is_v4()) header.ifa_flags = IFA_F_NODAD;
  request.AddHeader(header);
  request.AddAttribute(IFA_LOCAL, address.address().bytes(), address.address().size());
  request.AddAttribute(IFA_ADDRESS, address.address().bytes(), address.address().size());
  if (!address.address().is_v4()) request.AddU32(IFA_FLAGS, IFA_F_NODAD);
  Logf(LogLevel::kDebug, "", "add address %s to link %d", address.ToString(), index);
  return socket.Execute(request, absl::StrCat("add address ", address.ToString(), " to"),
                        absl::StrCat("link ", index));
}

absl::StatusOr<std::vector<AddressInfo>> ListAddresses(NetlinkSocket& socket, int family) {
  NetlinkRequest request(RTM_GETADDR, 0);
  ifaddrmsg header = {};
  header.ifa_family = static_cast<uint8_t>(family);
  request.AddHeader(header);
  std::vector<AddressInfo> addresses;
  absl::Status status = socket.Dump(request, "list addresses", [&](const nlmsghdr* message) {
    if (message->nlmsg_type != RTM_NEWADDR) return;
    const ifaddrmsg* info = static_cast<const ifaddrmsg*>(NLMSG_DATA(message));
    NetlinkAttributes attributes = ParseAttributes(message, sizeof(ifaddrmsg));
    auto local = attributes.find(IFA_LOCAL);
    if (local == attributes.end()) local = attributes.find(IFA_ADDRESS);
    size_t size = info->ifa_family == AF_INET ? 4 : 16;
    if (local == attributes.end() || local->second.size() < size) return;
    AddressInfo address;
    address.index = static_cast<int>(info->ifa_index);
    address.address = IpPrefix(IpAddress::FromBytes(info->ifa_family, local->second.data()),
                               info->ifa_prefixlen);
    addresses.push_back(address);
  });
  if (!status.ok()) return status;
  return addresses;
}

absl::Status AddRoute(NetlinkSocket& socket, const IpPrefix& destination,
                      const IpAddress& gateway, int index) {
  NetlinkRequest request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg header = {};
  header.rtm_family = static_cast<uint8_t>(destination.family());
  header.rtm_dst_len = static_cast<uint8_t>(destination.length());
  header.rtm_table = RT_TABLE_MAIN;
  header.rtm_protocol = RTPROT_STATIC;
  header.rtm_scope = RT_SCOPE_UNIVERSE;
  header.rtm_type = RTN_UNICAST;
  request.AddHeader(header);
  if (destination.length() > 0) {
    IpAddress network = destination.Network().address();
    request.AddAttribute(RTA_DST, network.bytes(), network.size());
  }
  request.AddAttribute(RTA_GATEWAY, gateway.bytes(), gateway.size());
  request.AddU32(RTA_OIF, static_cast<uint32_t>(index));
  Logf(LogLevel::kDebug, "", "add route to %s via %s on link %d", destination.ToString(),
       gateway.ToString(), index);
  return socket.Execute(request,
                        absl::StrCat("add route to ", destination.ToString(), " via"),
                        gateway.ToString());
}

absl::StatusOr<std::vector<IpPrefix>> ListRouteDestinations(NetlinkSocket& socket,
                                                            int family) {
  NetlinkRequest request(RTM_GETROUTE, 0);
  rtmsg header = {};
  header.rtm_family = static_cast<uint8_t>(family);
  request.AddHeader(header);
  std::vector<IpPrefix> destinations;
  absl::Status status = socket.Dump(request, "list routes", [&](const nlmsghdr* message) {
    if (message->nlmsg_type != RTM_NEWROUTE) return;
    const rtmsg* info = static_cast<const rtmsg*>(NLMSG_DATA(message));
    if (info->rtm_table != RT_TABLE_MAIN || info->rtm_dst_len == 0) return;
    NetlinkAttributes attributes = ParseAttributes(message, sizeof(rtmsg));
    auto destination = attributes.find(RTA_DST);
    size_t size = info->rtm_family == AF_INET ? 4 : 16;
    if (destination == attributes.end() || destination->second.size() < size) return;
    destinations.emplace_back(
        IpAddress::FromBytes(info->rtm_family, destination->second.data()),
        info->rtm_dst_len);
  });
  if (!status.ok()) return status;
  return destinations;
}

}  // namespace pycontain::net
