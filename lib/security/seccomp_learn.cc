#include "lib/security/seccomp_learn.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/security/default_profile.h"
#include "lib/security/seccomp_profile.pb.h"

namespace pycontain::security {
namespace {

// How long the child may take from clone to installing the filter.
constexpr absl::Duration kInstallTimeout = absl::Seconds(30);
// How long Finish waits for the last process with the filter to go.
constexpr absl::Duration kFinishTimeout = absl::Seconds(5);

}  // namespace

absl::StatusOr<std::unique_ptr<SyscallLearner>> SyscallLearner::Create(
    const std::string& log_id) {
  if (seccomp_api_get() < 5) {
    return absl::UnimplementedError(
        "seccomp learning needs user notification (Linux 5.5 or later and "
        "libseccomp 2.5)");
  }
  std::unique_ptr<SyscallLearner> learner(new SyscallLearner());
  learner->log_id_ = log_id;

  // The architectures the default profile covers on this host.
  absl::StatusOr<SeccompPolicy> defaults = ResolveSeccompProfile(DefaultSeccompProfile(), {});
  if (!defaults.ok()) return defaults.status();
  SeccompPolicy policy;
  policy.default_action = SCMP_ACT_NOTIFY;
  policy.architectures = defaults->architectures;
  policy.uses_notify = true;
  learner->architectures_ = policy.architectures;

  absl::StatusOr<SeccompProgram> program = CompileSeccompPolicy(policy, {false, log_id});
  if (!program.ok()) return program.status();
  learner->program_ = std::move(*program);

  absl::StatusOr<SharedListenerSlot> slot = SharedListenerSlot::Create();
  if (!slot.ok()) return slot.status();
  learner->slot_ = std::make_unique<SharedListenerSlot>(std::move(*slot));
  learner->program_.listener = learner->slot_->get();

  learner->stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!learner->stop_.valid()) return ErrnoError(errno, "create an eventfd");
  return learner;
}

SyscallLearner::~SyscallLearner() {
  if (!thread_.joinable()) return;
  Stop();
  thread_.join();
}

void SyscallLearner::Stop() {
  uint64_t one = 1;
  // An eventfd write of 1 fails only when the counter would overflow,
  // and it is written at most twice.
  if (write(stop_.get(), &one, sizeof(one)) != sizeof(one)) {
    Log(LogLevel::kDebug, log_id_, "seccomp learning: stop signal not written");
  }
}

absl::Status SyscallLearner::Start(pid_t pid) {
  thread_ = std::thread([this, pid] { Record(pid); });
  return absl::OkStatus();
}

void SyscallLearner::Record(pid_t pid) {
  absl::StatusOr<UniqueFd> listener = slot_->Take(pid, kInstallTimeout);
  if (!listener.ok()) {
    status_ = listener.status();
  } else {
    Logf(LogLevel::kDebug, log_id_, "seccomp learning: recording the system calls of pid %d",
         pid);
    status_ = Drain(listener->get());
  }
  done_.Notify();
}

absl::Status SyscallLearner::Drain(int listener) {
  struct seccomp_notif_sizes sizes = {};
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
    return ErrnoError(errno, "seccomp(SECCOMP_GET_NOTIF_SIZES)");
  }
  // The kernel's structures may be larger than this program's headers.
  std::vector<char> request(std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<char> response(
      std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));

  for (;;) {
    struct pollfd fds[2] = {{listener, POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "poll the seccomp listener");
    }
    if (fds[1].revents & POLLIN) return absl::OkStatus();
    if (fds[0].revents & POLLIN) {
      memset(request.data(), 0, request.size());
      auto* notification = reinterpret_cast<seccomp_notif*>(request.data());
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, notification) != 0) {
        // ENOENT: the caller died before we read its call.
        if (errno == ENOENT || errno == EINTR) continue;
        return ErrnoError(errno, "receive a seccomp notification");
      }
      seen_.insert({notification->data.arch, notification->data.nr});
      ++notifications_;

      memset(response.data(), 0, response.size());
      auto* reply = reinterpret_cast<seccomp_notif_resp*>(response.data());
      reply->id = notification->id;
      reply->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, reply) != 0 && errno != ENOENT) {
        return ErrnoError(errno, "send the response to a seccomp notification");
      }
      continue;
    }
    // POLLHUP: no process with the filter is left.
    if (fds[0].revents & (POLLHUP | POLLERR)) return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<std::string>> SyscallLearner::Finish() {
  if (!thread_.joinable()) {
    return absl::FailedPreconditionError("seccomp learning was not started");
  }
  if (!done_.WaitForNotificationWithTimeout(kFinishTimeout)) {
    Log(LogLevel::kWarning, log_id_,
        "seccomp learning: processes with the recording filter are still running; "
        "stopping the recording");
  }
  Stop();
  thread_.join();
  if (!status_.ok()) return Annotate(status_, "seccomp learning");

  std::set<std::string> names;
  for (const auto& [arch, number] : seen_) {
    char* name = seccomp_syscall_resolve_num_arch(arch, number);
    if (name == nullptr) {
      Logf(LogLevel::kWarning, log_id_,
           "seccomp learning: system call %d of %s has no name in libseccomp; left out",
           number, ArchitectureName(arch));
      continue;
    }
    names.insert(name);
    free(name);
  }
  Logf(LogLevel::kDebug, log_id_, "seccomp learning: %d calls, %d distinct names",
       notifications_, static_cast<int>(names.size()));
  return std::vector<std::string>(names.begin(), names.end());
}

std::string LearnedProfileJson(const std::vector<std::string>& names,
                               const std::vector<uint32_t>& architectures) {
  SeccompProfileJson profile;
  profile.set_default_action("SCMP_ACT_ERRNO");
  profile.set_default_errno_ret(EPERM);
  for (uint32_t arch : architectures) profile.add_architectures(ArchitectureName(arch));
  SyscallRule* rule = profile.add_syscalls();
  for (const std::string& name : names) rule->add_names(name);
  rule->set_action("SCMP_ACT_ALLOW");

  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  // Printing a message we built cannot fail: every field is well-typed.
  (void)google::protobuf::util::MessageToJsonString(profile, &json, options);
  return json;
}

}  // namespace pycontain::security
