// Path resolution inside a root directory, as a container resolves paths in
// its root filesystem: "/" means the root, ".." stops at the root, and symlink
// targets (relative or absolute) are resolved inside the root, never on the
// host. A rootfs comes from an image, so its symlinks are untrusted: a link
// `etc -> /` must not turn "/etc/passwd" into the host's /etc/passwd.
//
//   UniqueFd rootfs(
//       open("/var/lib/c1/rootfs", O_PATH | O_DIRECTORY | O_CLOEXEC));
//   absl::StatusOr<UniqueFd> passwd =
//       pycontain::OpenInRoot(rootfs.get(), "/etc/passwd", O_RDONLY);
//
//   // Mount destinations: pick the host path, then create it.
//   absl::StatusOr<std::string> target =
//       pycontain::ResolveInRoot("/var/lib/c1/rootfs", "/data/cache");
//   absl::Status made = pycontain::MakeDirectoriesInRoot(
//       "/var/lib/c1/rootfs", "/data/cache", 0755);
//
// Prefer OpenInRoot: the descriptor it returns keeps referring to the file it
// opened, whatever happens to the tree afterwards. ResolveInRoot and
// MakeDirectoriesInRoot are safe only while no other process can change the
// tree, as during container setup before the container's processes run.
//
// Thread safety: all functions are thread-safe. Two threads that resolve in
// the same tree while one of them changes it see the races described above.
#ifndef PYCONTAIN_LIB_BASE_PATH_H_
#define PYCONTAIN_LIB_BASE_PATH_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/unique_fd.h"

namespace pycontain {

// The number of symlinks one resolution may follow before it fails with
// ELOOP, as in the kernel (MAXSYMLINKS in include/linux/namei.h).
inline constexpr int kMaxSymlinks = 40;

// Opens `path` as seen with `root_fd` as the root directory, like openat(2)
// in a chroot: absolute paths, absolute symlink targets and ".." at the top
// all stay at `root_fd`. Magic links (/proc/<pid>/fd/N and the like) are not
// followed, because they can point anywhere on the host.
//
// `root_fd` is borrowed, and may be an O_PATH descriptor of a directory.
// `path` may be absolute or relative, and both start at `root_fd`. `flags`
// are open(2) flags, and O_CLOEXEC is always added. `mode` is used only with
// O_CREAT or O_TMPFILE. The returned descriptor is owned by the caller.
//
// Uses openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS (Linux 5.6).
// When the kernel lacks openat2 (ENOSYS, also returned by seccomp filters
// that do not know it), logs a warning once and uses OpenInRootWalk for this
// and every later call.
//
// Errors: InvalidArgument for an empty path or one that contains a NUL byte.
// Otherwise the errno of the failed call, through ErrnoError ("open inside
// root <path>: ..."), for example NotFound for ENOENT, and InvalidArgument
// for ENOTDIR and for ELOOP (more than kMaxSymlinks links, a magic link, or
// a trailing symlink with O_NOFOLLOW).
absl::StatusOr<UniqueFd> OpenInRoot(int root_fd, absl::string_view path,
                                    int flags, mode_t mode = 0);

// The fallback behind OpenInRoot, public so that tests and callers that
// cannot use openat2 reach it directly. Needs O_PATH (Linux 2.6.39).
//
// Walks `path` one component at a time with openat(2) and O_NOFOLLOW, reads
// each symlink with readlinkat(2) and resolves its target inside the root.
// ".." goes back along the directories already opened, so a directory moved
// out of the root during the walk cannot lead outside it.
//
// Same arguments, ownership and errors as OpenInRoot, with two differences.
// A magic link yields whatever its text names inside the root (usually
// NotFound) instead of ELOOP. A `path` ending in "/" must name an existing
// directory even with O_CREAT (ENOENT where openat2 returns EISDIR).
absl::StatusOr<UniqueFd> OpenInRootWalk(int root_fd, absl::string_view path,
                                        int flags, mode_t mode = 0);

// Returns the host path of `path` as seen inside `root`: `root` joined with
// `path` after every symlink and ".." in it has been resolved inside `root`.
// Components that do not exist yet are taken as plain directory names, so the
// result can name a mount destination that is created next. A dangling
// symlink resolves to the path of its target. The result is `root` itself or
// starts with `root` followed by "/". Below `root` it contains no "." or ".."
// components, and none of its components is a symlink at the time of the call.
//
// `root` is a host path and is used as given, less trailing slashes. The
// kernel follows symlinks in `root` itself. Uses lstat(2) and readlink(2) on
// the paths under `root`, and opens nothing.
//
// NOTE: the result is a string. If anything in the tree changes before the
// caller uses it, it may no longer be inside `root` (see the file comment).
//
// Errors: InvalidArgument for an empty `root` or `path` or either containing
// a NUL byte. Through ErrnoError ("resolve <path> inside <root>: ..."): ELOOP
// after kMaxSymlinks links, ENOTDIR when a component that must be a
// directory is a file, and any lstat(2) or readlink(2) failure other than
// ENOENT (EACCES, ENAMETOOLONG, ...).
absl::StatusOr<std::string> ResolveInRoot(absl::string_view root,
                                          absl::string_view path);

// Creates each missing directory of `path` inside `root`, like `mkdir -p` in
// a chroot at `root`: symlinks are followed inside `root`, so a link to "/"
// or to "../.." creates directories under `root`, never on the host. A
// dangling symlink gets its target created. Existing directories are left as
// they are. New directories get `mode`, less the process umask.
//
// Works with descriptors: each directory is opened with O_NOFOLLOW before
// the next one is created in it, so the walk never leaves `root` even if the
// tree changes meanwhile.
//
// Errors: InvalidArgument for an empty `root` or `path` or either containing
// a NUL byte. Through ErrnoError, with the path inside the root as the
// object: the failure to open `root`, ELOOP after kMaxSymlinks links, ENOTDIR
// when a component exists but is not a directory, and mkdirat(2) failures
// such as EACCES or EROFS. Directories created before a failure stay.
absl::Status MakeDirectoriesInRoot(absl::string_view root,
                                   absl::string_view path, mode_t mode);

}  // namespace pycontain

#endif  // PYCONTAIN_LIB_BASE_PATH_H_
