#include "lib/security/seccomp_filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"

namespace pycontain::security {
namespace {

struct ContextDeleter {
  void operator()(void* context) const { seccomp_release(context); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

absl::Status LibseccompError(int result, absl::string_view operation) {
  return ErrnoError(-result, operation);
}

absl::Status AddArchitectures(scmp_filter_ctx context, const SeccompPolicy& policy) {
  for (uint32_t arch : policy.architectures) {
    if (arch == seccomp_arch_native()) continue;
    int result = seccomp_arch_add(context, arch);
    if (result != 0 && result != -EEXIST) {
      return LibseccompError(result, absl::StrCat("seccomp: add architecture ",
                                                  ArchitectureName(arch)));
    }
  }
  if (!policy.architectures.empty() && policy.architectures[0] != seccomp_arch_native()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "seccomp: the native architecture of this libseccomp is not ",
        ArchitectureName(policy.architectures[0])));
  }
  return absl::OkStatus();
}

std::vector<scmp_arg_cmp> ToArgs(const std::vector<SeccompCondition>& conditions) {
  std::vector<scmp_arg_cmp> args;
  for (const SeccompCondition& condition : conditions) {
    args.push_back({condition.index, condition.op, condition.value, condition.value_two});
  }
  return args;
}

// Adds one rule for one system call, splitting conditions as runc does
// (see seccomp_profile.h): one AND rule, or one rule per condition when an
// argument has several.
int AddRuleConditions(scmp_filter_ctx context, int number, const SeccompRule& rule) {
  std::vector<scmp_arg_cmp> args = ToArgs(rule.conditions);
  bool repeated_argument = false;
  for (size_t i = 0; i < args.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (args[i].arg == args[j].arg) repeated_argument = true;
    }
  }
  if (!repeated_argument) {
    return seccomp_rule_add_array(context, rule.action, number,
                                  static_cast<unsigned int>(args.size()), args.data());
  }
  for (const scmp_arg_cmp& arg : args) {
    int result = seccomp_rule_add_array(context, rule.action, number, 1, &arg);
    if (result != 0) return result;
  }
  return 0;
}

absl::Status AddRule(scmp_filter_ctx context, const SeccompPolicy& policy,
                     const SeccompRule& rule, const CompileOptions& options,
                     SeccompProgram& program) {
  // libseccomp rejects a rule whose action is the default one; such a rule
  // changes nothing, so runc skips it too.
  if (rule.action == policy.default_action) return absl::OkStatus();
  for (const std::string& name : rule.names) {
    int number = seccomp_syscall_resolve_name(name.c_str());
    if (number == __NR_SCMP_ERROR) {
      std::string problem = absl::StrCat(rule.field, ".names: unknown system call \"", name,
                                         "\" (libseccomp ", SCMP_VER_MAJOR, ".",
                                         SCMP_VER_MINOR, " does not know it)");
      if (options.strict) return absl::InvalidArgumentError(problem);
      Log(LogLevel::kWarning, options.log_id, absl::StrCat(problem, "; rule skipped"));
      program.skipped_names.push_back(name);
      continue;
    }
    int result = AddRuleConditions(context, number, rule);
    if (result == -EEXIST) continue;
    if (result != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          rule.field, ": libseccomp rejected the rule for \"", name, "\": ",
          strerror(-result)));
    }
    ++program.rule_count;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<sock_filter>> ExportBpf(scmp_filter_ctx context) {
  UniqueFd memory(memfd_create("pycontain-seccomp", MFD_CLOEXEC));
  if (!memory.valid()) return ErrnoError(errno, "memfd_create for the seccomp filter");
  int result = seccomp_export_bpf(context, memory.get());
  if (result != 0) return LibseccompError(result, "seccomp: export the BPF program");

  off_t size = lseek(memory.get(), 0, SEEK_END);
  if (size < 0) return ErrnoError(errno, "seek in the seccomp filter");
  if (size == 0 || size % sizeof(sock_filter) != 0) {
    return absl::InternalError(absl::StrCat("seccomp: exported BPF program has ", size,
                                            " bytes, not whole instructions"));
  }
  std::vector<sock_filter> instructions(size / sizeof(sock_filter));
  if (pread(memory.get(), instructions.data(), size, 0) != size) {
    return ErrnoError(errno, "read the seccomp filter");
  }
  return instructions;
}

}  // namespace

absl::StatusOr<SeccompProgram> CompileSeccompPolicy(const SeccompPolicy& policy,
                                                    const CompileOptions& options) {
  Context context(seccomp_init(policy.default_action));
  if (context == nullptr) {
    return absl::InvalidArgumentError("seccomp: libseccomp rejected the default action");
  }
  // The child sets no_new_privs itself (or keeps it off, as asked).
  seccomp_attr_set(context.get(), SCMP_FLTATR_CTL_NNP, 0);
  // Binary search over system call numbers instead of a linear list.
  int result = seccomp_attr_set(context.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (result != 0) {
    Logf(LogLevel::kDebug, options.log_id,
         "seccomp: binary tree optimisation unavailable (%s)", strerror(-result));
  }

  SeccompProgram program;
  absl::Status status = AddArchitectures(context.get(), policy);
  if (!status.ok()) return status;
  for (const SeccompRule& rule : policy.rules) {
    status = AddRule(context.get(), policy, rule, options, program);
    if (!status.ok()) return status;
  }

  absl::StatusOr<std::vector<sock_filter>> instructions = ExportBpf(context.get());
  if (!instructions.ok()) return instructions.status();
  program.instructions = std::move(*instructions);
  program.flags = policy.flags;
  if (policy.uses_notify) program.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  Logf(LogLevel::kDebug, options.log_id,
       "seccomp: %d rules over %d architectures compiled to %d BPF instructions",
       program.rule_count, static_cast<int>(policy.architectures.size()),
       static_cast<int>(program.instructions.size()));
  return program;
}

namespace {

// Child side: system calls only, no allocation.
int InstallFilter(const void* raw) {
  const SeccompProgram* program = static_cast<const SeccompProgram*>(raw);
  long result = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program->flags,
                        &program->program);
  if (result < 0) return -1;
  if ((program->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) == 0) return 0;
  return PublishListener(program->listener, static_cast<int>(result));
}

int SetNoNewPrivileges(const void*) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

}  // namespace

ns::ChildHook SeccompInstallHook(SeccompProgram* program, ns::ChildHook::Point point) {
  program->program.len = static_cast<unsigned short>(program->instructions.size());
  program->program.filter = program->instructions.data();
  ns::ChildHook hook;
  hook.point = point;
  hook.run = &InstallFilter;
  hook.data = program;
  hook.description = absl::StrCat("install the seccomp filter (",
                                  program->instructions.size(), " BPF instructions)");
  return hook;
}

ns::ChildHook NoNewPrivilegesHook(ns::ChildHook::Point point) {
  ns::ChildHook hook;
  hook.point = point;
  hook.run = &SetNoNewPrivileges;
  hook.description = "set no_new_privs";
  return hook;
}

}  // namespace pycontain::security
