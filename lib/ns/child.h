// The container's first process between clone() and exec().
//
// RunChild carries out a ChildPlan with system calls only: no allocation, no
// locks, no logging, so it is safe in a child cloned from a multi-threaded
// parent. It never returns: it either execs the command or writes a
// ChildReport to `report_fd` and exits with status 127.
#ifndef PYCONTAIN_LIB_NS_CHILD_H_
#define PYCONTAIN_LIB_NS_CHILD_H_

#include "lib/ns/plan.h"

namespace pycontain::ns {

// argv and envp as exec wants them, built in the parent from a ChildPlan.
// The pointers borrow the plan's strings, so the plan must outlive this.
struct ExecArrays {
  std::vector<char*> argv;
  std::vector<char*> envp;
};

ExecArrays MakeExecArrays(const ChildPlan& plan);

// Sets every signal's disposition to the default and unblocks all, so the
// command does not inherit what the caller ignored or blocked (exec keeps
// both). Async-signal-safe; for use between clone() and exec().
void ResetSignals();

// Carries out `plan`. When `wait_for_parent` is set, one byte is read from
// `sync_fd` before the first mount (the parent writes it once the id maps
// are written and its own setup of the child is done); `report_fd` is
// close-on-exec. `parent_report_fd` is the child's copy of the parent's
// (reading) end of the report pipe, which the child closes first, so that
// the pipe shows whether the parent has died.
[[noreturn]] void RunChild(const ChildPlan& plan, const ExecArrays& exec,
                           bool wait_for_parent, int report_fd, int sync_fd,
                           int parent_report_fd);

}  // namespace pycontain::ns

#endif  // PYCONTAIN_LIB_NS_CHILD_H_
