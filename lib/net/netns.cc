#include "lib/net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>
#include <sys/vfs.h>

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "lib/base/log.h"
#include "lib/base/status.h"

namespace pycontain::net {
namespace {

constexpr const char* kNftPaths[] = {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"};

absl::StatusOr<std::string> FindNft() {
  for (const char* path : kNftPaths) {
    if (access(path, X_OK) == 0) return std::string(path);
  }
  return absl::NotFoundError(
      "the nft command is not installed (Debian package nftables); pycontain "
      "needs it for NAT and published ports");
}

absl::StatusOr<std::string> ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read output of nft");
    if (n == 0) return text;
    text.append(buffer, n);
  }
}

struct NftResult {
  int exit_code = 0;
  std::string output;
};

// Runs nft with `args` in the namespace `ns_fd`, `input` on stdin, and
// returns its exit code and combined output.
absl::StatusOr<NftResult> ExecNft(int ns_fd, const std::vector<std::string>& args,
                                  absl::string_view input) {
  absl::StatusOr<std::string> nft = FindNft();
  if (!nft.ok()) return nft.status();
  std::vector<std::string> argv_strings = {"nft"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The script goes in through a memory file rather than a pipe, so an
  // nft that exits early cannot raise SIGPIPE in the caller.
  UniqueFd input_file(memfd_create("pycontain-nft", MFD_CLOEXEC));
  if (!input_file.valid()) return ErrnoError(errno, "create memfd for nft input");
  if (write(input_file.get(), input.data(), input.size()) !=
      static_cast<ssize_t>(input.size())) {
    return ErrnoError(errno, "write nft input");
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return ErrnoError(errno, "create pipe for nft");
  UniqueFd out_read(out[0]), out_write(out[1]);

  pid_t pid = fork();
  if (pid < 0) return ErrnoError(errno, "fork for nft");
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (setns(ns_fd, CLONE_NEWNET) != 0) _exit(126);
    if (lseek(input_file.get(), 0, SEEK_SET) != 0 || dup2(input_file.get(), 0) < 0 ||
        dup2(out_write.get(), 1) < 0 || dup2(out_write.get(), 2) < 0) {
      _exit(126);
    }
    execv(nft->c_str(), argv.data());
    _exit(127);
  }
  out_write.reset();
  absl::StatusOr<std::string> output = ReadAll(out_read.get());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!output.ok()) return output.status();
  NftResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = std::move(*output);
  return result;
}

}  // namespace

absl::StatusOr<NetNamespace> NetNamespace::Open(const std::string& path) {
  NetNamespace ns;
  ns.fd_.reset(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.fd_.valid()) return ErrnoError(errno, "open network namespace", path);
  struct statfs fs;
  if (fstatfs(ns.fd_.get(), &fs) != 0) return ErrnoError(errno, "statfs", path);
  if (fs.f_type != NSFS_MAGIC) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a namespace file (such as /proc/PID/ns/net)"));
  }
  absl::Status status = ns.Identify();
  if (!status.ok()) return status;
  return ns;
}

absl::StatusOr<NetNamespace> NetNamespace::OfProcess(pid_t pid) {
  return Open(absl::StrCat("/proc/", pid, "/ns/net"));
}

absl::StatusOr<NetNamespace> NetNamespace::Current() {
  return Open("/proc/thread-self/ns/net");
}

absl::StatusOr<NetNamespace> NetNamespace::CreateNew() {
  absl::StatusOr<NetNamespace> result = absl::InternalError("not run");
  // unshare moves only the calling thread, and that thread ends here.
  std::thread thread([&result] {
    if (unshare(CLONE_NEWNET) != 0) {
      result = ErrnoError(errno, "unshare a new network namespace");
      return;
    }
    result = Current();
  });
  thread.join();
  if (result.ok()) Logf(LogLevel::kDebug, "", "created network namespace %d", result->inode());
  return result;
}

absl::Status NetNamespace::Identify() {
  struct stat info;
  if (fstat(fd_.get(), &info) != 0) return ErrnoError(errno, "stat network namespace");
  device_ = info.st_dev;
  inode_ = info.st_ino;
  return absl::OkStatus();
}

absl::Status NetNamespace::Run(const std::function<absl::Status()>& task) const {
  struct stat current;
  if (stat("/proc/thread-self/ns/net", &current) == 0 && current.st_dev == device_ &&
      current.st_ino == inode_) {
    return task();
  }
  absl::Status result;
  int fd = fd_.get();
  std::thread thread([&result, &task, fd] {
    // The thread ends after the task, so it never has to return.
    if (setns(fd, CLONE_NEWNET) != 0) {
      result = ErrnoError(errno, "join network namespace");
      return;
    }
    result = task();
  });
  thread.join();
  return result;
}

absl::StatusOr<NetlinkSocket> NetNamespace::OpenNetlink() const {
  absl::StatusOr<NetlinkSocket> socket = absl::InternalError("not run");
  absl::Status status = Run([&socket] {
    socket = NetlinkSocket::Open();
    return socket.status();
  });
  if (!status.ok()) return status;
  return socket;
}

absl::Status NetNamespace::WriteSysctl(absl::string_view name,
                                       absl::string_view value) const {
  std::string path = absl::StrCat("/proc/sys/net/", name);
  return Run([&] {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return ErrnoError(errno, "open", path);
    if (write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
      return ErrnoError(errno, absl::StrCat("write ", value, " to"), path);
    }
    Logf(LogLevel::kDebug, "", "sysctl %s = %s in network namespace %d", path, value,
         inode_);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> NetNamespace::ReadSysctl(absl::string_view name) const {
  std::string path = absl::StrCat("/proc/sys/net/", name);
  std::string value;
  absl::Status status = Run([&] {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return ErrnoError(errno, "open", path);
    char buffer[256];
    ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) return ErrnoError(errno, "read", path);
    value = std::string(absl::StripTrailingAsciiWhitespace(absl::string_view(buffer, n)));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return value;
}

absl::Status NetNamespace::RunNft(absl::string_view script) const {
  Logf(LogLevel::kDebug, "", "nft -f - in network namespace %d:\n%s", inode_, script);
  absl::StatusOr<NftResult> result = ExecNft(fd_.get(), {"-f", "-"}, script);
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("nft -f - failed with status ",
                                            result->exit_code, ": ", result->output));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NetNamespace::NftOutput(
    const std::vector<std::string>& args) const {
  absl::StatusOr<NftResult> result = ExecNft(fd_.get(), args, "");
  if (!result.ok()) return result.status();
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("nft ", absl::StrJoin(args, " "),
                                            " failed: ", result->output));
  }
  return result->output;
}

}  // namespace pycontain::net
