// Strings that cross the C API: TRANSFERRED copies, borrowed arrays and
// file descriptors turned into paths.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "capi/internal.h"
#include "lib/base/status.h"

namespace pycontain::capi {

char* NewString(absl::string_view text) {
  char* copy = static_cast<char*>(malloc(text.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  return copy;
}

std::string StringOrEmpty(const char* text) { return text == nullptr ? "" : text; }

absl::StatusOr<std::vector<std::string>> ReadStrings(const char* const* strings,
                                                     size_t count, absl::string_view what) {
  std::vector<std::string> copies;
  if (count == 0) return copies;
  if (strings == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": NULL array with a count of ", count));
  }
  for (size_t i = 0; i < count; ++i) {
    if (strings[i] == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(what, "[", i, "]: must not be NULL"));
    }
    copies.emplace_back(strings[i]);
  }
  return copies;
}

absl::StatusOr<std::string> PathOfFd(int fd, absl::string_view what) {
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", fd, " is not a file descriptor"));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError(errno, "stat", absl::StrCat(what, " ", fd));
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": descriptor ", fd, " is neither a regular file nor a pipe or FIFO"));
  }
  return absl::StrCat("/proc/self/fd/", fd);
}

}  // namespace pycontain::capi

extern "C" {

PYCONTAIN_API void pycontain_string_free(char* string) { free(string); }

}  // extern "C"
