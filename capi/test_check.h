/* A tiny test harness for the C API's tests, in C99: CHECK macros that
 * count failures, spec builders for the busybox test root, and the checks
 * every test program ends with. Header-only, because each test program
 * includes it once. */
#ifndef PYCONTAIN_CAPI_TEST_CHECK_H_
#define PYCONTAIN_CAPI_TEST_CHECK_H_

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "pycontain.h"

static int failures = 0;
static const char *current_test = "";

#define CHECK(condition)                                                \
  do {                                                                  \
    if (!(condition)) {                                                 \
      fprintf(stderr, "%s:%d: %s: CHECK failed: %s\n", __FILE__,        \
              __LINE__, current_test, #condition);                      \
      ++failures;                                                       \
    }                                                                   \
  } while (0)

#define CHECK_CODE(expected, actual, error)                             \
  do {                                                                  \
    int actual_code_ = (actual);                                        \
    if (actual_code_ != (expected)) {                                   \
      fprintf(stderr, "%s:%d: %s: expected %s, got %s: %s\n", __FILE__, \
              __LINE__, current_test, pycontain_code_name(expected),    \
              pycontain_code_name(actual_code_),                        \
              (error) ? pycontain_error_message(error) : "(no error)"); \
      ++failures;                                                       \
    }                                                                   \
  } while (0)

static char spec_buffer[4096];

/* Returns spec JSON that runs `script` with busybox sh; `extra` is more
 * top-level JSON members ("" for none). */
static const char *shell_spec(const char *script, const char *extra) {
  const char *root = getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS");
  snprintf(spec_buffer, sizeof(spec_buffer),
           "{\"root\": {\"path\": \"%s\"}, \"process\": {\"args\": "
           "[\"/bin/sh\", \"-c\", \"%s\"]}%s}",
           root ? root : "", script, extra);
  return spec_buffer;
}

static int count_children(void) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
  FILE *file = fopen(path, "r");
  if (file == NULL) return -1;
  int count = 0, pid = 0;
  while (fscanf(file, "%d", &pid) == 1) ++count;
  fclose(file);
  return count;
}

/* Returns 1 when the tests can run: as root, with the busybox root. */
static int check_environment(const char *program) {
  if (geteuid() != 0) {
    fprintf(stderr, "%s: must run as root, because the tests start containers\n",
            program);
    return 0;
  }
  if (getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS") == NULL) {
    fprintf(stderr, "%s: PYCONTAIN_TEST_BUSYBOX_ROOTFS is not set "
                    "(scripts/make-test-rootfs prints it)\n", program);
    return 0;
  }
  return 1;
}

/* Checks that no container process was left unreaped, prints the outcome
 * and returns the exit status for main. */
static int finish_tests(const char *program) {
  current_test = "no_leaks";
  CHECK(count_children() == 0);
  if (failures > 0) {
    fprintf(stderr, "%s: %d checks failed\n", program, failures);
    return 1;
  }
  fprintf(stderr, "%s: all checks passed\n", program);
  return 0;
}

#endif  /* PYCONTAIN_CAPI_TEST_CHECK_H_ */
