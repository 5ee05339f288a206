// The child-setup pipe protocol.
//
// Between clone() and exec() a container's first process may not allocate,
// log or build a Status. When a setup step fails it writes one ChildReport to
// a close-on-exec pipe and exits; when exec succeeds the pipe closes with
// nothing written. The parent reads the pipe: end of file means the command
// is running, a report means setup failed at `step` (an index into the
// parent's own plan, which records what that step does) with `err`.
//
// Thread safety: the functions are async-signal-safe and may be called
// between clone() and exec().
#ifndef PYCONTAIN_LIB_BASE_CHILD_REPORT_H_
#define PYCONTAIN_LIB_BASE_CHILD_REPORT_H_

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

namespace pycontain {

struct ChildReport {
  int32_t step = 0;  // meaning defined by the writer's plan
  int32_t err = 0;   // errno of the failed call
};

// Writes `report` to `fd`, retrying on EINTR. A pipe write of this size is
// atomic, so the reader sees all of it or nothing. Errors are ignored: the
// child exits right after, and the parent then reports an exit without a
// report.
inline void WriteChildReport(int fd, int32_t step, int32_t err) {
  ChildReport report{step, err};
  while (write(fd, &report, sizeof(report)) < 0 && errno == EINTR) {
  }
}

enum class ReportReadResult { kEndOfFile, kReport, kError };

// Reads one report from `fd`, blocking. kEndOfFile: the writer exec'd or
// died without writing. kError: read failed or returned a partial report,
// with errno set (EPROTO for a partial report).
inline ReportReadResult ReadChildReport(int fd, ChildReport* report) {
  ssize_t n;
  do {
    n = read(fd, report, sizeof(*report));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return ReportReadResult::kEndOfFile;
  if (n == static_cast<ssize_t>(sizeof(*report))) return ReportReadResult::kReport;
  if (n > 0) errno = EPROTO;
  return ReportReadResult::kError;
}

}  // namespace pycontain

#endif  // PYCONTAIN_LIB_BASE_CHILD_REPORT_H_
