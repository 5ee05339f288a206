#include "lib/container/user.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pycontain::container {
namespace {

std::optional<uint32_t> ParseId(absl::string_view text) {
  uint32_t id = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &id)) return std::nullopt;
  return id;
}

// Returns the lines of a colon-separated file, without comments and blanks.
std::vector<std::vector<absl::string_view>> SplitFields(absl::string_view text) {
  std::vector<std::vector<absl::string_view>> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line.front() == '#') continue;
    lines.push_back(absl::StrSplit(line, ':'));
  }
  return lines;
}

}  // namespace

std::vector<PasswdEntry> ParsePasswd(absl::string_view text) {
  std::vector<PasswdEntry> entries;
  for (const auto& fields : SplitFields(text)) {
    if (fields.size() < 7) continue;
    std::optional<uint32_t> uid = ParseId(fields[2]);
    std::optional<uint32_t> gid = ParseId(fields[3]);
    if (!uid || !gid) continue;
    entries.push_back({std::string(fields[0]), *uid, *gid, std::string(fields[5])});
  }
  return entries;
}

std::vector<GroupEntry> ParseGroup(absl::string_view text) {
  std::vector<GroupEntry> entries;
  for (const auto& fields : SplitFields(text)) {
    if (fields.size() < 4) continue;
    std::optional<uint32_t> gid = ParseId(fields[2]);
    if (!gid) continue;
    GroupEntry entry{std::string(fields[0]), *gid, {}};
    for (absl::string_view member : absl::StrSplit(fields[3], ',', absl::SkipEmpty())) {
      entry.members.emplace_back(member);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<ResolvedUser> ResolveUser(absl::string_view user,
                                         absl::string_view group,
                                         absl::string_view passwd_text,
                                         absl::string_view group_text) {
  std::vector<PasswdEntry> passwd = ParsePasswd(passwd_text);
  std::vector<GroupEntry> groups = ParseGroup(group_text);

  ResolvedUser resolved;
  const PasswdEntry* entry = nullptr;
  std::optional<uint32_t> uid = user.empty() ? std::optional<uint32_t>(0) : ParseId(user);
  for (const PasswdEntry& candidate : passwd) {
    if (uid ? candidate.uid == *uid : candidate.name == user) {
      entry = &candidate;
      break;
    }
  }
  if (entry == nullptr && !uid) {
    return absl::NotFoundError(absl::StrCat(
        "user \"", user, "\" not found in the container's /etc/passwd"));
  }
  resolved.uid = entry ? entry->uid : *uid;
  // Like runc: a numeric uid without an entry gets gid 0 and home "/".
  resolved.gid = entry ? entry->gid : 0;
  if (entry && !entry->home.empty()) resolved.home = entry->home;

  if (!group.empty()) {
    std::optional<uint32_t> gid = ParseId(group);
    if (!gid) {
      auto found = std::find_if(groups.begin(), groups.end(),
                                [&](const GroupEntry& g) { return g.name == group; });
      if (found == groups.end()) {
        return absl::NotFoundError(absl::StrCat(
            "group \"", group, "\" not found in the container's /etc/group"));
      }
      gid = found->gid;
    }
    resolved.gid = *gid;
  }

  if (entry != nullptr) {
    for (const GroupEntry& candidate : groups) {
      bool member = std::find(candidate.members.begin(), candidate.members.end(),
                              entry->name) != candidate.members.end();
      if (member && candidate.gid != resolved.gid) {
        resolved.additional_gids.push_back(candidate.gid);
      }
    }
  }
  return resolved;
}

}  // namespace pycontain::container
