// seccomp_probe: makes the system calls named on its command line and
// prints one line per call, "NAME=ERRNO" (0 when the call succeeded), so
// tests can see from inside a container what the kernel allowed.
//
//   seccomp_probe mount unshare_user getppid_args:1:2
//
// Statically linked, so it runs in any root filesystem. A SIGSYS handler
// prints "sigsys=NR" for SCMP_ACT_TRAP; "default_sigsys" leaves SIGSYS at
// its default, so that a trap kills the process.
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace {

long Result(long value) { return value < 0 ? errno : 0; }

void OnSigsys(int, siginfo_t* info, void*) {
  char line[64];
  int length = snprintf(line, sizeof(line), "sigsys=%d\n", info->si_syscall);
  (void)!write(1, line, length);
  _exit(0);
}

// getppid with arguments: getppid ignores them, but a seccomp filter sees
// the registers, so argument rules can be tested without side effects.
long GetppidArgs(const char* spec) {
  unsigned long args[6] = {};
  const char* cursor = spec;
  for (int i = 0; i < 6 && *cursor == ':'; ++i) {
    args[i] = strtoul(cursor + 1, const_cast<char**>(&cursor), 0);
  }
  return Result(syscall(SYS_getppid, args[0], args[1], args[2], args[3], args[4], args[5]));
}

// The 32-bit entry point: i386 getppid is 64, mount is 21.
long Int80(long number) {
  long result;
  asm volatile("int $0x80" : "=a"(result) : "a"(number), "b"(0), "c"(0), "d"(0) : "memory");
  if (result < 0 && result > -4096) return -result;
  return 0;
}

void* ThreadGetppid(void*) {
  syscall(SYS_getppid);
  return nullptr;
}

long PtraceChild() {
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  long result = Result(ptrace(PTRACE_ATTACH, child, nullptr, nullptr));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return result;
}

long CloneNewUser() {
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(0);
  if (pid < 0) return errno;
  waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return 0;
}

long ReadFirstByte(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno;
  char byte;
  long n = read(fd, &byte, 1);
  long result = n < 0 ? errno : (n == 0 ? -1 : 0);  // -1: empty, as /dev/null
  close(fd);
  return result;
}

long WriteFile(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return errno;
  long result = Result(write(fd, text, strlen(text)));
  close(fd);
  return result;
}

long Probe(const char* name) {
  if (strcmp(name, "mount") == 0) return Result(mount("none", "/tmp", "tmpfs", 0, nullptr));
  if (strcmp(name, "umount") == 0) return Result(umount2("/proc", MNT_DETACH));
  if (strcmp(name, "unshare_user") == 0) return Result(unshare(CLONE_NEWUSER));
  if (strcmp(name, "unshare_mount") == 0) return Result(unshare(CLONE_NEWNS));
  if (strcmp(name, "clone_newuser") == 0) return CloneNewUser();
  if (strcmp(name, "init_module") == 0) {
    return Result(syscall(SYS_init_module, nullptr, 0, ""));
  }
  if (strcmp(name, "finit_module") == 0) return Result(syscall(SYS_finit_module, -1, "", 0));
  if (strcmp(name, "reboot") == 0) {
    // In a PID namespace CAD_OFF fails with EINVAL once allowed, and
    // never reboots anything.
    return Result(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                          LINUX_REBOOT_CMD_CAD_OFF, nullptr));
  }
  if (strcmp(name, "kexec_load") == 0) return Result(syscall(SYS_kexec_load, 0, 0, nullptr, 0));
  if (strcmp(name, "read_kcore") == 0) return ReadFirstByte("/proc/kcore");
  if (strcmp(name, "read_keys") == 0) return ReadFirstByte("/proc/keys");
  if (strcmp(name, "read_timer_list") == 0) return ReadFirstByte("/proc/timer_list");
  if (strcmp(name, "read_interrupts") == 0) return ReadFirstByte("/proc/interrupts");
  if (strcmp(name, "write_proc_sys") == 0) {
    return WriteFile("/proc/sys/kernel/hostname", "probe");
  }
  if (strcmp(name, "ptrace_child") == 0) return PtraceChild();
  if (strcmp(name, "clock_settime") == 0) {
    // CLOCK_MONOTONIC cannot be set: EINVAL once allowed, so the host's
    // clock never changes.
    struct timespec now = {};
    return Result(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &now));
  }
  if (strcmp(name, "settimeofday") == 0) {
    return Result(syscall(SYS_settimeofday, nullptr, nullptr));
  }
  if (strcmp(name, "keyctl") == 0) return Result(syscall(SYS_keyctl, 0, -3, 0));
  if (strcmp(name, "bpf") == 0) return Result(syscall(SYS_bpf, -1, nullptr, 0));
  if (strcmp(name, "perf_event_open") == 0) {
    return Result(syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0));
  }
  if (strcmp(name, "swapon") == 0) return Result(syscall(SYS_swapon, "/nonexistent", 0));
  if (strcmp(name, "personality_query") == 0) return Result(personality(0xffffffff));
  if (strcmp(name, "personality_bsd") == 0) return Result(personality(0x0006));
  if (strcmp(name, "getppid") == 0) return Result(syscall(SYS_getppid));
  if (strncmp(name, "getppid_args", 12) == 0) return GetppidArgs(name + 12);
  if (strcmp(name, "int80_getppid") == 0) return Int80(64);
  if (strcmp(name, "int80_mount") == 0) return Int80(21);
  if (strcmp(name, "thread_getppid") == 0) {
    pthread_t thread;
    pthread_create(&thread, nullptr, &ThreadGetppid, nullptr);
    pthread_join(thread, nullptr);
    return 0;
  }
  if (strcmp(name, "default_sigsys") == 0) {
    signal(SIGSYS, SIG_DFL);
    return 0;
  }
  return -2;
}

}  // namespace

int main(int argc, char** argv) {
  struct sigaction action = {};
  action.sa_sigaction = &OnSigsys;
  action.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &action, nullptr);
  setvbuf(stdout, nullptr, _IONBF, 0);
  for (int i = 1; i < argc; ++i) {
    long result = Probe(argv[i]);
    if (result == -2) {
      fprintf(stderr, "seccomp_probe: unknown probe %s\n", argv[i]);
      return 2;
    }
    printf("%s=%ld\n", argv[i], result);
  }
  return 0;
}
