// Looking up the container's user and groups in its own /etc/passwd and
// /etc/group, as Docker and runc do for `--user name[:group]`.
//
// Thread safety: all functions are thread-safe.
#ifndef PYCONTAIN_LIB_CONTAINER_USER_H_
#define PYCONTAIN_LIB_CONTAINER_USER_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pycontain::container {

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

// Parses /etc/passwd text. Malformed lines are skipped, as getpwent does.
std::vector<PasswdEntry> ParsePasswd(absl::string_view text);

// Parses /etc/group text. Malformed lines are skipped.
std::vector<GroupEntry> ParseGroup(absl::string_view text);

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  // Groups that list the user as a member, besides the primary group.
  std::vector<gid_t> additional_gids;
  // From /etc/passwd; "/" when the user has no entry.
  std::string home = "/";
};

// Resolves `user` and `group` (names or decimal ids; empty user means uid
// 0, empty group means the user's primary group, else gid 0) against the
// given file contents. A name that the files do not list is NotFound, with
// the name in the message: "user \"app\" not found in the container's
// /etc/passwd".
absl::StatusOr<ResolvedUser> ResolveUser(absl::string_view user,
                                         absl::string_view group,
                                         absl::string_view passwd_text,
                                         absl::string_view group_text);

}  // namespace pycontain::container

#endif  // PYCONTAIN_LIB_CONTAINER_USER_H_
