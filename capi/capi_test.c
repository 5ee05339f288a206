/* Tests of the C API, written in C99 so that they prove pycontain.h is
 * C-clean, and linked against libpycontain.so so that they use only the
 * exported symbols. The container tests run real containers as root in the
 * busybox root filesystem named by PYCONTAIN_TEST_BUSYBOX_ROOTFS. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pycontain.h"
#include "test_check.h"

static void test_version(void) {
  current_test = "version";
  CHECK(pycontain_version() == PYCONTAIN_VERSION);
  char expected[32];
  snprintf(expected, sizeof(expected), "%d.%d.%d", PYCONTAIN_VERSION_MAJOR,
           PYCONTAIN_VERSION_MINOR, PYCONTAIN_VERSION_PATCH);
  CHECK(strcmp(pycontain_version_string(), expected) == 0);
  CHECK(strcmp(pycontain_code_name(PYCONTAIN_ERROR_TIMED_OUT), "TIMED_OUT") == 0);
  CHECK(strcmp(pycontain_code_name(9999), "UNKNOWN") == 0);
}

static void test_exit_code(void) {
  current_test = "exit_code";
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_run(shell_spec("exit 3", ""), NULL, &result, &error),
             error);
  if (result == NULL) return;
  CHECK(pycontain_run_result_exit_code(result) == 3);
  CHECK(pycontain_run_result_signal(result) == 0);
  CHECK(pycontain_run_result_timed_out(result) == 0);
  CHECK(pycontain_run_result_wall_time_ns(result) > 0);
  CHECK(pycontain_run_result_memory_peak_bytes(result) > 0);
  CHECK(strstr(pycontain_run_result_json(result), "\"exitCode\": 3") != NULL ||
        strstr(pycontain_run_result_json(result), "\"exitCode\":3") != NULL);
  pycontain_run_result_destroy(result);
}

static void test_captured_output(void) {
  current_test = "captured_output";
  int fd = memfd_create("stdout", MFD_CLOEXEC);
  CHECK(fd >= 0);
  char extra[64];
  snprintf(extra, sizeof(extra), ", \"id\": \"capi-output\"");
  const char *root = getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS");
  snprintf(spec_buffer, sizeof(spec_buffer),
           "{\"root\": {\"path\": \"%s\"}, \"process\": {\"args\": [\"/bin/echo\", "
           "\"hello from busybox\"], \"stdio\": {\"stdoutFd\": %d}}%s}",
           root ? root : "", fd, extra);
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_run(spec_buffer, NULL, &result, &error), error);
  char output[64] = {0};
  CHECK(pread(fd, output, sizeof(output) - 1, 0) > 0);
  CHECK(strcmp(output, "hello from busybox\n") == 0);
  pycontain_run_result_destroy(result);
  pycontain_error_destroy(error);
  close(fd);
}

static void test_invalid_spec_names_field(void) {
  current_test = "invalid_spec_names_field";
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  const char *spec = "{\"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"tmp\"}}";
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_run(spec, NULL, &result, &error),
             error);
  CHECK(result == NULL);
  CHECK(error != NULL);
  if (error == NULL) return;
  CHECK(pycontain_error_code(error) == PYCONTAIN_ERROR_INVALID_ARGUMENT);
  CHECK(strcmp(pycontain_error_field(error), "process.cwd") == 0);
  CHECK(strstr(pycontain_error_message(error), "tmp") != NULL);
  CHECK(pycontain_error_errno(error) == 0);
  CHECK(strcmp(pycontain_error_step(error), "") == 0);
  pycontain_error_destroy(error);
}

static void test_malformed_json(void) {
  current_test = "malformed_json";
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_run("{\"process\": ", NULL, &result, &error), error);
  pycontain_error_destroy(error);

  error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_run("{\"nosuchfield\": 1}", NULL, &result, &error), error);
  if (error != NULL) CHECK(strcmp(pycontain_error_field(error), "nosuchfield") == 0);
  pycontain_error_destroy(error);

  /* A NULL error pointer still gets the code. */
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_run(NULL, NULL, &result, NULL),
             NULL);
}

static void test_failed_step_has_errno(void) {
  current_test = "failed_step_has_errno";
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  const char *spec = shell_spec(
      "true", ", \"mounts\": [{\"destination\": \"/mnt\", \"type\": \"nosuchfs\"}]");
  int code = pycontain_run(spec, NULL, &result, &error);
  CHECK(code != PYCONTAIN_OK);
  CHECK(error != NULL);
  if (error == NULL) return;
  CHECK(pycontain_error_errno(error) == ENODEV);
  CHECK(strstr(pycontain_error_step(error), "/mnt") != NULL);
  CHECK(strstr(pycontain_error_message(error), pycontain_error_step(error)) != NULL);
  pycontain_error_destroy(error);
}

/* A spec whose run would create `marker` on the host through a bind mount,
 * so a test can tell whether the call did anything. */
static const char *marker_spec(const char *directory) {
  const char *root = getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS");
  snprintf(spec_buffer, sizeof(spec_buffer),
           "{\"root\": {\"path\": \"%s\"}, \"process\": {\"args\": [\"/bin/touch\", "
           "\"/mnt/marker\"]}, \"mounts\": [{\"destination\": \"/mnt\", \"type\": "
           "\"bind\", \"source\": \"%s\", \"options\": [\"rbind\"]}]}",
           root ? root : "", directory);
  return spec_buffer;
}

static int marker_exists(const char *directory) {
  char path[256];
  snprintf(path, sizeof(path), "%s/marker", directory);
  struct stat info;
  int exists = stat(path, &info) == 0;
  if (exists) unlink(path);
  return exists;
}

/* An options struct from a newer caller: this version's fields, then one
 * more that this library does not know. */
struct newer_run_options {
  pycontain_run_options known;
  uint64_t future_field;
};

static void test_options_size_negotiation(void) {
  current_test = "options_size_negotiation";
  char directory[] = "/tmp/pycontain-capi-XXXXXX";
  CHECK(mkdtemp(directory) != NULL);
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;

  /* An older caller's struct: only the size field. */
  pycontain_run_options older;
  memset(&older, 0, sizeof(older));
  older.size = sizeof(size_t);
  CHECK_CODE(PYCONTAIN_OK, pycontain_run(marker_spec(directory), &older, &result, &error),
             error);
  CHECK(marker_exists(directory));
  pycontain_run_result_destroy(result);
  result = NULL;

  /* A newer caller's struct whose extra field is zero. */
  struct newer_run_options newer;
  memset(&newer, 0, sizeof(newer));
  newer.known.size = sizeof(newer);
  CHECK_CODE(PYCONTAIN_OK, pycontain_run(marker_spec(directory),
                                         (const pycontain_run_options *)&newer, &result,
                                         &error),
             error);
  CHECK(marker_exists(directory));
  pycontain_run_result_destroy(result);
  result = NULL;

  /* The same with the extra field set: rejected before the container ran. */
  newer.future_field = 1;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_run(marker_spec(directory), (const pycontain_run_options *)&newer,
                           &result, &error),
             error);
  CHECK(result == NULL);
  CHECK(!marker_exists(directory));
  if (error != NULL) CHECK(strstr(pycontain_error_message(error), "newer") != NULL);
  pycontain_error_destroy(error);
  error = NULL;

  /* A size too small to hold the size field, and unknown flags. */
  older.size = 1;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_run(marker_spec(directory), &older, &result, NULL), NULL);
  older.size = sizeof(older);
  older.flags = 1u << 20;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_run(marker_spec(directory), &older, &result, NULL), NULL);
  CHECK(!marker_exists(directory));
  rmdir(directory);
}

int main(void) {
  if (!check_environment("capi_test")) return 1;
  test_version();
  test_exit_code();
  test_captured_output();
  test_invalid_spec_names_field();
  test_malformed_json();
  test_failed_step_has_errno();
  test_options_size_negotiation();
  return finish_tests("capi_test");
}
