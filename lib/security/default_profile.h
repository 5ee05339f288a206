// The built-in default seccomp profile, equivalent to Docker's default.
//
// An allow-list: every system call not listed fails with EPERM. Blocked
// unless the container holds the capability that the kernel would check
// anyway: kernel modules (CAP_SYS_MODULE), reboot (CAP_SYS_BOOT), mount,
// umount, pivot_root, setns, unshare and clone with namespace flags,
// bpf, perf_event_open and the rest of CAP_SYS_ADMIN's calls, ptrace,
// process_vm_readv/writev, kcmp and pidfd_getfd (CAP_SYS_PTRACE), clock
// setting (CAP_SYS_TIME). Blocked always: kexec, keyctl/add_key/
// request_key, swapon/swapoff, io_uring, userfaultfd without
// CAP_SYS_PTRACE, and obsolete calls (uselib, ustat, _sysctl, ...).
// personality() is allowed for the values Docker allows; clone3 fails
// with ENOSYS without CAP_SYS_ADMIN, so C libraries fall back to clone,
// whose flags the filter can inspect. The filter covers x86_64, x86 and x32
// on x86_64 hosts (and aarch64 with arm), so 32-bit entry points cannot
// bypass it.
//
// Deviation from Docker (since 19.03): ptrace is allowed there on Linux
// 4.8 and later; here it needs CAP_SYS_PTRACE, as in Docker before 19.03.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_SECURITY_DEFAULT_PROFILE_H_
#define PYCONTAIN_LIB_SECURITY_DEFAULT_PROFILE_H_

#include "lib/security/seccomp_profile.pb.h"

namespace pycontain::security {

// Returns the default profile in Docker's format; ResolveSeccompProfile
// applies its includes for the container's capabilities.
const SeccompProfileJson& DefaultSeccompProfile();

}  // namespace pycontain::security

#endif  // PYCONTAIN_LIB_SECURITY_DEFAULT_PROFILE_H_
