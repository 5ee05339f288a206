#include "lib/net/netlink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/status.h"

namespace pycontain::net {
namespace {

size_t Align(size_t size) { return NLMSG_ALIGN(size); }

// The kernel's extended acknowledgment text, when the error carries one.
std::string ExtendedMessage(const nlmsghdr* message) {
  if (!(message->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  const nlmsgerr* error = static_cast<const nlmsgerr*>(NLMSG_DATA(message));
  // Without NLM_F_CAPPED the error echoes the whole request.
  size_t offset = sizeof(nlmsgerr);
  if (!(message->nlmsg_flags & NLM_F_CAPPED)) {
    offset += error->msg.nlmsg_len - NLMSG_HDRLEN;
  }
  size_t header = NLMSG_HDRLEN + Align(offset);
  if (header > message->nlmsg_len) return "";
  const char* start = reinterpret_cast<const char*>(message) + header;
  NetlinkAttributes attributes =
      ParseNested(absl::string_view(start, message->nlmsg_len - header));
  auto text = attributes.find(NLMSGERR_ATTR_MSG);
  if (text == attributes.end()) return "";
  return std::string(text->second.data(), strnlen(text->second.data(), text->second.size()));
}

// Appends the kernel's explanation to `status`, keeping its errno payload.
absl::Status WithDetail(const absl::Status& status, const std::string& detail) {
  if (detail.empty()) return status;
  absl::Status result(status.code(), absl::StrCat(status.message(), " (", detail, ")"));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    result.SetPayload(url, payload);
  });
  return result;
}

}  // namespace

NetlinkRequest::NetlinkRequest(uint16_t type, uint16_t flags) {
  nlmsghdr header = {};
  header.nlmsg_type = type;
  header.nlmsg_flags = NLM_F_REQUEST | flags;
  Append(&header, sizeof(header));
}

void NetlinkRequest::Append(const void* data, size_t size) {
  buffer_.append(static_cast<const char*>(data), size);
  buffer_.resize(Align(buffer_.size()), '\0');
  header()->nlmsg_len = static_cast<uint32_t>(buffer_.size());
}

void NetlinkRequest::AddAttribute(uint16_t type, const void* data, size_t size) {
  nlattr attribute = {};
  attribute.nla_type = type;
  attribute.nla_len = static_cast<uint16_t>(NLA_HDRLEN + size);
  buffer_.append(reinterpret_cast<const char*>(&attribute), sizeof(attribute));
  buffer_.resize(Align(buffer_.size()), '\0');
  Append(data, size);
}

void NetlinkRequest::AddString(uint16_t type, absl::string_view value) {
  std::string terminated(value);
  AddAttribute(type, terminated.c_str(), terminated.size() + 1);
}

void NetlinkRequest::AddU32(uint16_t type, uint32_t value) {
  AddAttribute(type, &value, sizeof(value));
}

void NetlinkRequest::AddU16(uint16_t type, uint16_t value) {
  AddAttribute(type, &value, sizeof(value));
}

void NetlinkRequest::AddU8(uint16_t type, uint8_t value) {
  AddAttribute(type, &value, sizeof(value));
}

size_t NetlinkRequest::BeginNested(uint16_t type) {
  size_t offset = buffer_.size();
  nlattr attribute = {};
  attribute.nla_type = type | NLA_F_NESTED;
  Append(&attribute, sizeof(attribute));
  return offset;
}

void NetlinkRequest::EndNested(size_t offset) {
  nlattr* attribute = reinterpret_cast<nlattr*>(buffer_.data() + offset);
  attribute->nla_len = static_cast<uint16_t>(buffer_.size() - offset);
}

NetlinkAttributes ParseNested(absl::string_view payload) {
  NetlinkAttributes attributes;
  size_t offset = 0;
  while (offset + NLA_HDRLEN <= payload.size()) {
    nlattr attribute;
    memcpy(&attribute, payload.data() + offset, sizeof(attribute));
    if (attribute.nla_len < NLA_HDRLEN || offset + attribute.nla_len > payload.size()) {
      break;
    }
    attributes[attribute.nla_type & NLA_TYPE_MASK] = payload.substr(
        offset + NLA_HDRLEN, attribute.nla_len - NLA_HDRLEN);
    offset += NLA_ALIGN(attribute.nla_len);
  }
  return attributes;
}

NetlinkAttributes ParseAttributes(const nlmsghdr* message, size_t header_size) {
  size_t start = NLMSG_HDRLEN + Align(header_size);
  if (message->nlmsg_len < start) return {};
  const char* data = reinterpret_cast<const char*>(message) + start;
  return ParseNested(absl::string_view(data, message->nlmsg_len - start));
}

absl::StatusOr<NetlinkSocket> NetlinkSocket::Open() {
  NetlinkSocket socket;
  socket.fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!socket.fd_.valid()) return ErrnoError(errno, "open rtnetlink socket");
  int on = 1;
  // Extended acknowledgments (Linux 4.12) carry the kernel's reason for an
  // error; without them errors still come as errno.
  (void)setsockopt(socket.fd_.get(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
  (void)setsockopt(socket.fd_.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));
  sockaddr_nl local = {};
  local.nl_family = AF_NETLINK;
  if (bind(socket.fd_.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return ErrnoError(errno, "bind rtnetlink socket");
  }
  return socket;
}

absl::Status NetlinkSocket::Execute(NetlinkRequest& request, absl::string_view operation,
                                    absl::string_view object) {
  uint32_t seq = next_seq_++;
  request.header()->nlmsg_seq = seq;
  request.header()->nlmsg_flags |= NLM_F_ACK;
  if (send(fd_.get(), request.data(), request.size(), 0) < 0) {
    return ErrnoError(errno, operation, object);
  }
  return ReadReplies(seq, operation, object, nullptr);
}

absl::Status NetlinkSocket::Get(NetlinkRequest& request, absl::string_view operation,
                                absl::string_view object,
                                const std::function<void(const nlmsghdr*)>& each) {
  uint32_t seq = next_seq_++;
  request.header()->nlmsg_seq = seq;
  request.header()->nlmsg_flags |= NLM_F_ACK;
  if (send(fd_.get(), request.data(), request.size(), 0) < 0) {
    return ErrnoError(errno, operation, object);
  }
  return ReadReplies(seq, operation, object, &each);
}

absl::Status NetlinkSocket::Dump(NetlinkRequest& request, absl::string_view operation,
                                 const std::function<void(const nlmsghdr*)>& each) {
  uint32_t seq = next_seq_++;
  request.header()->nlmsg_seq = seq;
  request.header()->nlmsg_flags |= NLM_F_DUMP;
  if (send(fd_.get(), request.data(), request.size(), 0) < 0) {
    return ErrnoError(errno, operation);
  }
  return ReadReplies(seq, operation, "", &each);
}

absl::Status NetlinkSocket::ReadReplies(uint32_t seq, absl::string_view operation,
                                        absl::string_view object,
                                        const std::function<void(const nlmsghdr*)>* each) {
  std::vector<char> buffer(64 * 1024);
  while (true) {
    ssize_t received = recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat(operation, " (read reply)"), object);
    }
    size_t left = static_cast<size_t>(received);
    for (const nlmsghdr* message = reinterpret_cast<const nlmsghdr*>(buffer.data());
         NLMSG_OK(message, left); message = NLMSG_NEXT(message, left)) {
      if (message->nlmsg_seq != seq) continue;
      if (message->nlmsg_type == NLMSG_DONE) return absl::OkStatus();
      if (message->nlmsg_type != NLMSG_ERROR) {
        if (each != nullptr) (*each)(message);
        continue;
      }
      const nlmsgerr* error = static_cast<const nlmsgerr*>(NLMSG_DATA(message));
      if (error->error == 0) return absl::OkStatus();
      return WithDetail(ErrnoError(-error->error, operation, object),
                        ExtendedMessage(message));
    }
  }
}

}  // namespace pycontain::net
