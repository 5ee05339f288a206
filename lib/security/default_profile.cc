#include "lib/security/default_profile.h"

#include <errno.h>
#include <linux/sched.h>

#include <initializer_list>

namespace pycontain::security {
namespace {

// Allowed for every container. Names that an architecture lacks (the
// 32-bit "_llseek" on x86_64) apply to the architectures that have them.
constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat",
    "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
    "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
    "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
    "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
    "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
    "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
    "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
    "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
    "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
    "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait",
    "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents",
    "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
    "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
    "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list",
    "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid",
    "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
    "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
    "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill",
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
    "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr",
    "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
    "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret",
    "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall",
    "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv",
    "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
    "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause",
    "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
    "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
    "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64",
    "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
    "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
    "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
    "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid",
    "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
    "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
    "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
    "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt",
    "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
    "sigreturn", "socket", "socketcall", "socketpair", "splice", "stat", "stat64",
    "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
    "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
    "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
    "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4",
    "waitid", "waitpid", "write", "writev",
};

// The namespace flags that clone() may not carry without CAP_SYS_ADMIN.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                     CLONE_NEWCGROUP;

// personality() values allowed without a capability: PER_LINUX,
// PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32, and 0xffffffff (query).
constexpr uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

struct CapabilityGroup {
  const char* capability;
  std::initializer_list<const char*> names;
};

const CapabilityGroup kCapabilityGroups[] = {
    {"CAP_SYS_ADMIN",
     {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
      "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree",
      "perf_event_open", "pivot_root", "quotactl", "quotactl_fd", "setdomainname",
      "sethostname", "setns", "syslog", "umount", "umount2", "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE",
     {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
      "process_vm_writev", "ptrace", "userfaultfd"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy",
                      "set_mempolicy_home_node", "migrate_pages", "move_pages"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
};

SyscallRule* AddRule(SeccompProfileJson& profile, std::initializer_list<const char*> names,
                     const char* action) {
  SyscallRule* rule = profile.add_syscalls();
  for (const char* name : names) rule->add_names(name);
  rule->set_action(action);
  return rule;
}

void AddArchitectureRules(SeccompProfileJson& profile) {
  SyscallRule* x86 = AddRule(profile, {"arch_prctl", "modify_ldt"}, "SCMP_ACT_ALLOW");
  x86->mutable_includes()->add_arches("amd64");
  x86->mutable_includes()->add_arches("x32");
  x86->mutable_includes()->add_arches("386");
}

void AddConditionalRules(SeccompProfileJson& profile) {
  for (uint64_t value : kPersonalities) {
    SyscallRule* rule = AddRule(profile, {"personality"}, "SCMP_ACT_ALLOW");
    SyscallArg* arg = rule->add_args();
    arg->set_index(0);
    arg->set_value(value);
    arg->set_op("SCMP_CMP_EQ");
  }

  // clone's flags are its first argument on x86 and most architectures
  // (the second on s390, which this profile does not cover).
  SyscallRule* clone = AddRule(profile, {"clone"}, "SCMP_ACT_ALLOW");
  SyscallArg* flags = clone->add_args();
  flags->set_index(0);
  flags->set_value(kNamespaceFlags);
  flags->set_value_two(0);
  flags->set_op("SCMP_CMP_MASKED_EQ");
  clone->mutable_excludes()->add_caps("CAP_SYS_ADMIN");

  // clone3 passes its flags in memory, out of the filter's reach: make the
  // C library fall back to clone.
  SyscallRule* clone3 = AddRule(profile, {"clone3"}, "SCMP_ACT_ERRNO");
  clone3->set_errno_ret(ENOSYS);
  clone3->mutable_excludes()->add_caps("CAP_SYS_ADMIN");
}

SeccompProfileJson MakeDefaultProfile() {
  SeccompProfileJson profile;
  profile.set_default_action("SCMP_ACT_ERRNO");
  profile.set_default_errno_ret(EPERM);
  ArchMap* x86_64 = profile.add_arch_map();
  x86_64->set_architecture("SCMP_ARCH_X86_64");
  x86_64->add_sub_architectures("SCMP_ARCH_X86");
  x86_64->add_sub_architectures("SCMP_ARCH_X32");
  ArchMap* aarch64 = profile.add_arch_map();
  aarch64->set_architecture("SCMP_ARCH_AARCH64");
  aarch64->add_sub_architectures("SCMP_ARCH_ARM");

  SyscallRule* allowed = profile.add_syscalls();
  for (const char* name : kAllowed) allowed->add_names(name);
  allowed->set_action("SCMP_ACT_ALLOW");

  AddArchitectureRules(profile);
  AddConditionalRules(profile);
  for (const CapabilityGroup& group : kCapabilityGroups) {
    SyscallRule* rule = AddRule(profile, group.names, "SCMP_ACT_ALLOW");
    rule->mutable_includes()->add_caps(group.capability);
  }
  return profile;
}

}  // namespace

const SeccompProfileJson& DefaultSeccompProfile() {
  static const SeccompProfileJson* const profile =
      new SeccompProfileJson(MakeDefaultProfile());
  return *profile;
}

}  // namespace pycontain::security
