#include "lib/image/layer_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"

namespace pycontain::image {

namespace {

// A free device can be taken by another process between LOOP_CTL_GET_FREE
// and LOOP_CONFIGURE (EBUSY); this many tries before giving up.
constexpr int kLoopAttempts = 16;

std::string ReadSmallFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool InInitialUserNamespace() {
  // The initial namespace maps all 2^32 - 1 ids onto themselves.
  std::string map = ReadSmallFile("/proc/self/uid_map");
  std::vector<std::string> fields =
      absl::StrSplit(map, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  return fields.size() == 3 && fields[0] == "0" && fields[1] == "0" &&
         fields[2] == "4294967295";
}

bool KernelHasSquashfs() {
  for (absl::string_view line : absl::StrSplit(ReadSmallFile("/proc/filesystems"), '\n')) {
    if (absl::EndsWith(line, "\tsquashfs")) return true;
  }
  return false;
}

// Binds `backing` to the loop device open at `loop`, read-only with
// autoclear: LOOP_CONFIGURE in one step, or LOOP_SET_FD and
// LOOP_SET_STATUS64 before Linux 5.8.
int ConfigureLoop(int loop, int backing, const std::string& image) {
  struct loop_config config;
  memset(&config, 0, sizeof(config));
  config.fd = static_cast<__u32>(backing);
  config.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
  strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(),
          LO_NAME_SIZE - 1);
  if (ioctl(loop, LOOP_CONFIGURE, &config) == 0) return 0;
  if (errno != EINVAL && errno != ENOTTY) return -1;

  if (ioctl(loop, LOOP_SET_FD, backing) != 0) return -1;
  if (ioctl(loop, LOOP_SET_STATUS64, &config.info) != 0) {
    int saved = errno;
    ioctl(loop, LOOP_CLR_FD, 0);
    errno = saved;
    return -1;
  }
  return 0;
}

}  // namespace

bool LoopMountsAvailable() {
  static const bool available = [] {
    if (geteuid() != 0 || !InInitialUserNamespace()) return false;
    if (access("/dev/loop-control", R_OK | W_OK) != 0) return false;
    return KernelHasSquashfs();
  }();
  return available;
}

absl::Status MountSquashfsImage(const std::string& image, const std::string& mountpoint) {
  int backing = open(image.c_str(), O_RDONLY | O_CLOEXEC);
  if (backing < 0) return ErrnoError(errno, "open layer image", image);
  UniqueFd backing_fd(backing);
  int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (control < 0) return ErrnoError(errno, "open", "/dev/loop-control");
  UniqueFd control_fd(control);

  for (int attempt = 0; attempt < kLoopAttempts; ++attempt) {
    int number = ioctl(control, LOOP_CTL_GET_FREE);
    if (number < 0) return ErrnoError(errno, "find a free loop device for", image);
    std::string device = absl::StrCat("/dev/loop", number);
    int loop = open(device.c_str(), O_RDONLY | O_CLOEXEC);
    if (loop < 0) return ErrnoError(errno, "open", device);
    // Closing this descriptor detaches the device unless a mount holds it.
    UniqueFd loop_fd(loop);
    if (ConfigureLoop(loop, backing, image) != 0) {
      if (errno == EBUSY) continue;
      return ErrnoError(errno, absl::StrCat("attach ", image, " to"), device);
    }
    Logf(LogLevel::kDebug, "", "image: attached %s to %s (read-only, autoclear)", image,
         device);

    if (mount(device.c_str(), mountpoint.c_str(), "squashfs", MS_RDONLY, nullptr) != 0) {
      return ErrnoError(errno, absl::StrCat("mount ", device, " (", image, ") on"),
                        mountpoint);
    }
    Logf(LogLevel::kDebug, "", "image: mounted %s on %s (squashfs, ro)", device, mountpoint);
    return absl::OkStatus();
  }
  return ErrnoError(EBUSY, "find a free loop device for", image);
}

bool IsMountPoint(const std::string& path) {
  struct stat self, parent;
  if (stat(path.c_str(), &self) != 0) return false;
  if (stat(absl::StrCat(path, "/..").c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev;
}

absl::Status DetachMount(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
    if (errno == EINVAL || errno == ENOENT) return absl::OkStatus();  // not mounted
    return ErrnoError(errno, "unmount", path);
  }
  Logf(LogLevel::kDebug, "", "image: unmounted %s (detached)", path);
  return absl::OkStatus();
}

}  // namespace pycontain::image
