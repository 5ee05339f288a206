/* Tests of the C API's container lifecycle and log callback, in C99,
 * against libpycontain.so: create, start, state, wait with and without a
 * timeout, exec, kill, pause, resume and destroy on real containers as
 * root. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pycontain.h"
#include "test_check.h"

static pycontain_container *create_started(const char *spec) {
  pycontain_container *container = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_create(spec, NULL, &container, &error),
             error);
  if (container == NULL) {
    pycontain_error_destroy(error);
    return NULL;
  }
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_start(container, &error), error);
  pycontain_error_destroy(error);
  return container;
}

static void test_create_does_not_start(void) {
  current_test = "create_does_not_start";
  pycontain_container *container = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_container_create(shell_spec("true", ""), NULL, &container, &error),
             error);
  if (container == NULL) return;
  CHECK(pycontain_container_state(container) == PYCONTAIN_STATE_CREATED);
  CHECK(strlen(pycontain_container_id(container)) == 12);
  CHECK(pycontain_container_pid(container) == 0);
  CHECK(count_children() == 0);

  pycontain_run_result *result = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION,
             pycontain_container_wait(container, NULL, &result, NULL), NULL);
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION,
             pycontain_container_kill(container, SIGKILL, NULL), NULL);
  pycontain_container_destroy(container);
}

static void test_wait_timeout_keeps_running(void) {
  current_test = "wait_timeout_keeps_running";
  pycontain_container *container =
      create_started(shell_spec("sleep 30", ", \"id\": \"capi-timeout\""));
  if (container == NULL) return;
  CHECK(strcmp(pycontain_container_id(container), "capi-timeout") == 0);
  CHECK(pycontain_container_state(container) == PYCONTAIN_STATE_RUNNING);
  CHECK(pycontain_container_pid(container) > 0);

  pycontain_wait_options options = {sizeof(options), PYCONTAIN_WAIT_TIMEOUT, 50000000};
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_TIMED_OUT,
             pycontain_container_wait(container, &options, &result, &error), error);
  CHECK(result == NULL);
  pycontain_error_destroy(error);
  CHECK(pycontain_container_state(container) == PYCONTAIN_STATE_RUNNING);

  options.flags |= PYCONTAIN_WAIT_KILL_ON_TIMEOUT;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_wait(container, &options, &result, NULL),
             NULL);
  if (result != NULL) {
    CHECK(pycontain_run_result_timed_out(result) == 1);
    CHECK(pycontain_run_result_signal(result) == SIGKILL);
    CHECK(pycontain_run_result_exit_code(result) == -1);
  }
  CHECK(pycontain_container_state(container) == PYCONTAIN_STATE_STOPPED);
  pycontain_run_result_destroy(result);
  pycontain_container_destroy(container);
}

static void test_exec_and_kill(void) {
  current_test = "exec_and_kill";
  pycontain_container *container = create_started(shell_spec("sleep 30", ""));
  if (container == NULL) return;

  int fd = memfd_create("exec-stdout", MFD_CLOEXEC);
  char process_json[256];
  snprintf(process_json, sizeof(process_json),
           "{\"args\": [\"/bin/sh\", \"-c\", \"echo $$ $HOSTNAME\"], "
           "\"stdio\": {\"stdoutFd\": %d}}",
           fd);
  pycontain_process *process = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_container_exec(container, process_json, NULL, &process, &error),
             error);
  pycontain_run_result *result = NULL;
  if (process != NULL) {
    CHECK(pycontain_process_pid(process) > 0);
    CHECK_CODE(PYCONTAIN_OK, pycontain_process_wait(process, NULL, &result, NULL), NULL);
    if (result != NULL) CHECK(pycontain_run_result_exit_code(result) == 0);
    pycontain_run_result_destroy(result);
    pycontain_process_destroy(process);
  }
  /* The exec'd shell sees itself as pid 2 of the container's PID namespace,
   * and the container's hostname. */
  char output[128] = {0};
  CHECK(pread(fd, output, sizeof(output) - 1, 0) > 0);
  char expected[128];
  snprintf(expected, sizeof(expected), "2 %s\n", pycontain_container_id(container));
  CHECK(strcmp(output, expected) == 0);
  close(fd);

  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_container_kill(container, 0, NULL), NULL);
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_kill(container, SIGKILL, NULL), NULL);
  result = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_wait(container, NULL, &result, NULL), NULL);
  if (result != NULL) {
    CHECK(pycontain_run_result_signal(result) == SIGKILL);
    CHECK(pycontain_run_result_timed_out(result) == 0);
  }
  pycontain_run_result_destroy(result);

  /* Everything after the first wait is a precondition failure or ESRCH. */
  result = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION,
             pycontain_container_wait(container, NULL, &result, NULL), NULL);
  error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND, pycontain_container_kill(container, SIGKILL, &error),
             error);
  if (error != NULL) CHECK(pycontain_error_errno(error) == ESRCH);
  pycontain_error_destroy(error);
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION,
             pycontain_container_exec(container, "{\"args\": [\"/bin/true\"]}", NULL,
                                      &process, NULL),
             NULL);
  pycontain_container_destroy(container);
}

static void test_spec_timeout_kills(void) {
  current_test = "spec_timeout_kills";
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_run(shell_spec("sleep 30", ", \"timeout\": \"0.2s\""), NULL, &result,
                           &error),
             error);
  if (result == NULL) return;
  CHECK(pycontain_run_result_timed_out(result) == 1);
  CHECK(pycontain_run_result_wall_time_ns(result) >= 200000000);
  CHECK(pycontain_run_result_wall_time_ns(result) < 10000000000LL);
  pycontain_run_result_destroy(result);
}

static void test_destroy_kills_running(void) {
  current_test = "destroy_kills_running";
  pycontain_container *container = create_started(shell_spec("sleep 30", ""));
  if (container == NULL) return;
  CHECK(count_children() == 1);
  pycontain_container_destroy(container);
  CHECK(count_children() == 0);
}

static off_t file_size(int fd) {
  struct stat info;
  return fstat(fd, &info) == 0 ? info.st_size : -1;
}

static void sleep_ms(long ms) {
  struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&delay, NULL);
}

/* Returns the "frozen" value of the cgroup v2 cgroup.events of `pid`
 * (0 or 1), or -1 when the process has no cgroup v2 directory to read. */
static int cgroup_frozen(int pid) {
  char path[1024];
  snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
  FILE *file = fopen(path, "r");
  if (file == NULL) return -1;
  char line[512], cgroup[512] = "";
  while (fgets(line, sizeof(line), file) != NULL) {
    if (strncmp(line, "0::", 3) == 0) {
      snprintf(cgroup, sizeof(cgroup), "%s", line + 3);
      cgroup[strcspn(cgroup, "\n")] = '\0';
    }
  }
  fclose(file);
  if (cgroup[0] == '\0') return -1;
  const char *mounts[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
  for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); ++i) {
    snprintf(path, sizeof(path), "%s%s/cgroup.events", mounts[i], cgroup);
    file = fopen(path, "r");
    if (file == NULL) continue;
    int frozen = -1, value = 0;
    while (fgets(line, sizeof(line), file) != NULL) {
      if (sscanf(line, "frozen %d", &value) == 1) frozen = value;
    }
    fclose(file);
    return frozen;
  }
  return -1;
}

/* Starts a container whose shell writes a line to a memfd as fast as it
 * can; returns it with the memfd in *fd. */
static pycontain_container *start_counter(int *fd) {
  *fd = memfd_create("counter", MFD_CLOEXEC);
  char spec[1024];
  const char *root = getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS");
  snprintf(spec, sizeof(spec),
           "{\"root\": {\"path\": \"%s\"}, \"process\": {\"args\": "
           "[\"/bin/sh\", \"-c\", \"while :; do echo x; done\"], "
           "\"stdio\": {\"stdoutFd\": %d}}}",
           root, *fd);
  return create_started(spec);
}

/* Returns how many bytes the counter wrote during `ms` milliseconds. */
static off_t growth_during(int fd, long ms) {
  off_t before = file_size(fd);
  sleep_ms(ms);
  return file_size(fd) - before;
}

static void test_pause_stops_processes(void) {
  current_test = "pause_stops_processes";
  int fd = -1;
  pycontain_container *container = start_counter(&fd);
  if (container == NULL) return;
  int pid = pycontain_container_pid(container);
  CHECK(growth_during(fd, 200) > 0);

  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_pause(container, &error), error);
  CHECK(pycontain_container_state(container) == PYCONTAIN_STATE_PAUSED);
  CHECK(pycontain_container_pid(container) == pid);
  int frozen = cgroup_frozen(pid);
  CHECK(frozen == 1 || frozen == -1);
  CHECK(growth_during(fd, 300) == 0);

  /* A second pause, and exec into a paused container, are rejected. */
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION, pycontain_container_pause(container, NULL),
             NULL);
  pycontain_process *process = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION,
             pycontain_container_exec(container, "{\"args\": [\"/bin/true\"]}", NULL,
                                      &process, NULL),
             NULL);
  CHECK(process == NULL);
  /* A wait times out: the paused process cannot exit. */
  pycontain_wait_options options = {sizeof(options), PYCONTAIN_WAIT_TIMEOUT, 50000000};
  pycontain_run_result *result = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_TIMED_OUT,
             pycontain_container_wait(container, &options, &result, NULL), NULL);

  CHECK_CODE(PYCONTAIN_OK, pycontain_container_resume(container, &error), error);
  CHECK(pycontain_container_state(container) == PYCONTAIN_STATE_RUNNING);
  frozen = cgroup_frozen(pid);
  CHECK(frozen == 0 || frozen == -1);
  CHECK(growth_during(fd, 200) > 0);
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION, pycontain_container_resume(container, NULL),
             NULL);

  CHECK_CODE(PYCONTAIN_OK, pycontain_container_kill(container, SIGKILL, NULL), NULL);
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_wait(container, NULL, &result, NULL), NULL);
  pycontain_run_result_destroy(result);
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION, pycontain_container_pause(container, NULL),
             NULL);
  pycontain_container_destroy(container);
  close(fd);
}

static void test_pause_before_start_fails(void) {
  current_test = "pause_before_start_fails";
  pycontain_container *container = NULL;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_container_create(shell_spec("true", ""), NULL, &container, NULL),
             NULL);
  if (container == NULL) return;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION, pycontain_container_pause(container, &error),
             error);
  pycontain_error_destroy(error);
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION, pycontain_container_resume(container, NULL),
             NULL);
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_container_pause(NULL, NULL), NULL);
  CHECK(pycontain_container_state(container) == PYCONTAIN_STATE_CREATED);
  pycontain_container_destroy(container);
}

static void test_kill_paused_container(void) {
  current_test = "kill_paused_container";
  int fd = -1;
  pycontain_container *container = start_counter(&fd);
  if (container == NULL) return;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_pause(container, NULL), NULL);
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_kill(container, SIGKILL, NULL), NULL);
  pycontain_wait_options options = {sizeof(options), PYCONTAIN_WAIT_TIMEOUT, 5000000000LL};
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_wait(container, &options, &result, &error),
             error);
  pycontain_error_destroy(error);
  if (result != NULL) CHECK(pycontain_run_result_signal(result) == SIGKILL);
  pycontain_run_result_destroy(result);
  CHECK(pycontain_container_state(container) == PYCONTAIN_STATE_STOPPED);
  pycontain_container_destroy(container);
  close(fd);
}

static void test_destroy_paused_container(void) {
  current_test = "destroy_paused_container";
  int fd = -1;
  pycontain_container *container = start_counter(&fd);
  if (container == NULL) return;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_pause(container, NULL), NULL);
  CHECK(count_children() == 1);
  pycontain_container_destroy(container);
  CHECK(count_children() == 0);
  close(fd);
}

struct log_record {
  int lines;
  int lines_with_id;
};

static void record_log(void *user_data, int level, const char *container_id,
                       const char *message) {
  struct log_record *record = (struct log_record *)user_data;
  ++record->lines;
  if (strcmp(container_id, "capi-log") == 0 && message[0] != '\0' &&
      level == PYCONTAIN_LOG_DEBUG) {
    ++record->lines_with_id;
  }
}

static void test_log_callback(void) {
  current_test = "log_callback";
  struct log_record record = {0, 0};
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_set_log_callback(record_log, &record, 7, NULL), NULL);
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_set_log_callback(record_log, &record, PYCONTAIN_LOG_DEBUG, NULL),
             NULL);
  pycontain_run_result *result = NULL;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_run(shell_spec("true", ", \"id\": \"capi-log\""), NULL, &result, NULL),
             NULL);
  pycontain_run_result_destroy(result);
  CHECK(record.lines_with_id > 0);

  /* After removing the callback it receives nothing more. */
  CHECK_CODE(PYCONTAIN_OK, pycontain_set_log_callback(NULL, NULL, 0, NULL), NULL);
  int lines = record.lines;
  result = NULL;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_run(shell_spec("true", ", \"id\": \"capi-log\""), NULL, &result, NULL),
             NULL);
  pycontain_run_result_destroy(result);
  CHECK(record.lines == lines);
}

int main(void) {
  if (!check_environment("capi_lifecycle_test")) return 1;
  test_create_does_not_start();
  test_wait_timeout_keeps_running();
  test_exec_and_kill();
  test_spec_timeout_kills();
  test_destroy_kills_running();
  test_pause_stops_processes();
  test_pause_before_start_fails();
  test_kill_paused_container();
  test_destroy_paused_container();
  test_log_callback();
  return finish_tests("capi_lifecycle_test");
}
