#include "lib/container/mount_check.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/base/log.h"
#include "lib/base/unique_fd.h"
#include "lib/ns/rootfs_plan.h"

namespace pycontain::container {
namespace {

// Returns the messages the kernel left in the filesystem context: lines
// such as "e tmpfs: Bad value for 'size'", without the level letter.
std::string ContextMessages(int context) {
  std::string messages;
  char buffer[512];
  while (true) {
    ssize_t n = read(context, buffer, sizeof(buffer) - 1);
    if (n <= 0) break;
    absl::string_view line(buffer, static_cast<size_t>(n));
    if (line.size() > 2 && line[1] == ' ') line.remove_prefix(2);
    absl::StrAppend(&messages, messages.empty() ? "" : "; ", absl::StripTrailingAsciiWhitespace(line));
  }
  return messages;
}

}  // namespace

absl::Status CheckFilesystemOptions(const std::vector<spec::Mount>& mounts) {
  for (size_t i = 0; i < mounts.size(); ++i) {
    const spec::Mount& mount = mounts[i];
    if (mount.type() != "tmpfs") continue;
    UniqueFd context(fsopen("tmpfs", FSOPEN_CLOEXEC));
    if (!context.valid()) {
      Logf(LogLevel::kDebug, "", "cannot check tmpfs options before mounting: fsopen: %s",
           strerror(errno));
      return absl::OkStatus();
    }
    for (const std::string& option : mount.options()) {
      if (ns::IsMountFlagOption(option)) continue;
      size_t equals = option.find('=');
      std::string key = option.substr(0, equals);
      int result = equals == std::string::npos
                       ? fsconfig(context.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                       : fsconfig(context.get(), FSCONFIG_SET_STRING, key.c_str(),
                                  option.c_str() + equals + 1, 0);
      if (result == 0) continue;
      int err = errno;
      std::string messages = ContextMessages(context.get());
      return absl::InvalidArgumentError(absl::StrCat(
          "mounts[", i, "].options: invalid tmpfs option \"", option, "\": ",
          messages.empty() ? strerror(err) : messages));
    }
  }
  return absl::OkStatus();
}

}  // namespace pycontain::container
