/* Tests of the C API's network and gc calls, in C99, against
 * libpycontain.so, as root. Networks are made in a network namespace that
 * the test creates to play the host, and recorded in a private state root,
 * so the machine's own networks are never touched. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pycontain.h"
#include "test_check.h"

static char state_root[512];
static char host_netns[64];
static pid_t host_pid = -1;

/* Forks a process that sits in a new network namespace until killed. */
static int start_host_namespace(void) {
  int ready[2];
  if (pipe(ready) != 0) return 0;
  host_pid = fork();
  if (host_pid == 0) {
    char byte = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
    if (write(ready[1], &byte, 1) != 1) _exit(1);
    for (;;) pause();
  }
  close(ready[1]);
  char byte = 0;
  int ok = read(ready[0], &byte, 1) == 1 && byte == 1;
  close(ready[0]);
  snprintf(host_netns, sizeof(host_netns), "/proc/%d/ns/net", (int)host_pid);
  return ok;
}

static void stop_host_namespace(void) {
  if (host_pid <= 0) return;
  kill(host_pid, SIGKILL);
  waitpid(host_pid, NULL, 0);
  host_pid = -1;
}

static pycontain_network_options host_options(void) {
  pycontain_network_options options;
  memset(&options, 0, sizeof(options));
  options.size = sizeof(options);
  options.host_netns_path = host_netns;
  options.state_root = state_root;
  return options;
}

/* Returns 1 when `link` exists in the test's host namespace. */
static int link_exists(const char *link) {
  char command[256];
  snprintf(command, sizeof(command),
           "nsenter --net=%s ip link show %s >/dev/null 2>&1", host_netns, link);
  return system(command) == 0;
}

/* Copies the value of the JSON string member `key` of `json` into `out`. */
static void json_string(const char *json, const char *key, char *out, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
  out[0] = '\0';
  const char *start = strstr(json, pattern);
  if (start == NULL) return;
  start += strlen(pattern);
  const char *end = strchr(start, '"');
  if (end == NULL || (size_t)(end - start) >= size) return;
  memcpy(out, start, end - start);
  out[end - start] = '\0';
}

static void test_create_inspect_list_remove(void) {
  current_test = "create_inspect_list_remove";
  pycontain_network_options options = host_options();
  options.subnet = "10.213.7.0/28";
  char *json = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_network_create("capinet", &options, &json, &error),
             error);
  pycontain_error_destroy(error);
  error = NULL;
  if (json == NULL) return;
  CHECK(strstr(json, "\"name\":\"capinet\"") != NULL);
  CHECK(strstr(json, "\"subnet\":\"10.213.7.0/28\"") != NULL);
  CHECK(strstr(json, "\"gateway\":\"10.213.7.1\"") != NULL);
  char bridge[64];
  json_string(json, "bridge", bridge, sizeof(bridge));
  pycontain_string_free(json);
  CHECK(strncmp(bridge, "pcbr-", 5) == 0);
  CHECK(link_exists(bridge));

  /* The same name again, and create-only fields in another call. */
  CHECK_CODE(PYCONTAIN_ERROR_ALREADY_EXISTS,
             pycontain_network_create("capinet", &options, NULL, NULL), NULL);
  json = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_network_inspect("capinet", &options, &json, NULL), NULL);
  CHECK(json == NULL);

  options = host_options();
  CHECK_CODE(PYCONTAIN_OK, pycontain_network_inspect("capinet", &options, &json, &error),
             error);
  pycontain_error_destroy(error);
  error = NULL;
  if (json != NULL) CHECK(strstr(json, bridge) != NULL);
  pycontain_string_free(json);
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_network_list(&options, &json, NULL), NULL);
  if (json != NULL) {
    CHECK(json[0] == '[');
    CHECK(strstr(json, "\"name\":\"capinet\"") != NULL);
  }
  pycontain_string_free(json);

  CHECK_CODE(PYCONTAIN_OK, pycontain_network_remove("capinet", &options, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  CHECK(!link_exists(bridge));
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_network_list(&options, &json, NULL), NULL);
  if (json != NULL) CHECK(strcmp(json, "[]") == 0);
  pycontain_string_free(json);
  json = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND,
             pycontain_network_inspect("capinet", &options, &json, &error), error);
  pycontain_error_destroy(error);
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND, pycontain_network_remove("capinet", &options, NULL),
             NULL);
}

static void test_container_on_network(void) {
  current_test = "container_on_network";
  pycontain_network_options options = host_options();
  options.subnet = "10.213.8.0/28";
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_network_create("capiweb", &options, NULL, &error), error);
  pycontain_error_destroy(error);
  error = NULL;

  /* A container on the network gets an address of its subnet. */
  int fd = memfd_create("ip-output", MFD_CLOEXEC);
  char spec[1024];
  snprintf(spec, sizeof(spec),
           "{\"root\": {\"path\": \"%s\"}, \"process\": {\"args\": [\"/bin/sh\", \"-c\", "
           "\"ip -4 addr show eth0; sleep 30\"], \"stdio\": {\"stdoutFd\": %d}}, "
           "\"network\": {\"mode\": \"BRIDGE\", \"name\": \"capiweb\", "
           "\"hostNamespacePath\": \"%s\"}}",
           getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS"), fd, host_netns);
  pycontain_container *container = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_create(spec, NULL, &container, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  if (container == NULL) return;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_start(container, &error), error);
  pycontain_error_destroy(error);
  error = NULL;

  /* While it is attached, the network cannot go. */
  options = host_options();
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION,
             pycontain_network_remove("capiweb", &options, &error), error);
  if (error != NULL) {
    CHECK(strstr(pycontain_error_message(error), pycontain_container_id(container)) != NULL);
  }
  pycontain_error_destroy(error);
  error = NULL;
  char *json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_network_inspect("capiweb", &options, &json, NULL), NULL);
  if (json != NULL) CHECK(strstr(json, pycontain_container_id(container)) != NULL);
  pycontain_string_free(json);

  /* The shell prints its address before it sleeps; wait up to 5 s. */
  char output[512] = {0};
  for (int i = 0; i < 500 && strstr(output, "inet ") == NULL; ++i) {
    usleep(10000);
    if (pread(fd, output, sizeof(output) - 1, 0) < 0) break;
  }
  CHECK(strstr(output, "inet 10.213.8.") != NULL);
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_kill(container, SIGKILL, NULL), NULL);
  pycontain_run_result *result = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_wait(container, NULL, &result, NULL), NULL);
  pycontain_run_result_destroy(result);
  pycontain_container_destroy(container);
  close(fd);

  CHECK_CODE(PYCONTAIN_OK, pycontain_network_remove("capiweb", &options, &error), error);
  pycontain_error_destroy(error);
}

static void test_network_options(void) {
  current_test = "network_options";
  pycontain_network_options options = host_options();
  options.driver = 9;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_network_create("capibad", &options, NULL, NULL), NULL);
  options = host_options();
  options.flags = 1u << 10;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_network_create("capibad", &options, NULL, NULL), NULL);
  /* Create flags are rejected by the other calls. */
  options.flags = PYCONTAIN_NETWORK_INTERNAL;
  char *json = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_network_list(&options, &json, NULL),
             NULL);
  options = host_options();
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_network_create("bad name!", &options, NULL, &error), error);
  pycontain_error_destroy(error);
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_network_create(NULL, &options, NULL, NULL), NULL);

  /* An older caller's struct, without the create fields: list works. */
  options.size = offsetof(pycontain_network_options, driver);
  CHECK_CODE(PYCONTAIN_OK, pycontain_network_list(&options, &json, NULL), NULL);
  if (json != NULL) CHECK(strcmp(json, "[]") == 0);
  pycontain_string_free(json);
  pycontain_string_free(NULL);
}

/* Starts a container in a forked process that then exits without
 * removing it, as a crashed program would. */
static void abandon_container(const char *id) {
  pid_t owner = fork();
  if (owner == 0) {
    char extra[128];
    snprintf(extra, sizeof(extra), ", \"id\": \"%s\"", id);
    pycontain_container *container = NULL;
    if (pycontain_container_create(shell_spec("sleep 30", extra), NULL, &container, NULL) !=
            PYCONTAIN_OK ||
        pycontain_container_start(container, NULL) != PYCONTAIN_OK) {
      _exit(1);
    }
    _exit(0);
  }
  int status = -1;
  CHECK(waitpid(owner, &status, 0) == owner);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

static void test_gc_removes_abandoned(void) {
  current_test = "gc_removes_abandoned";
  /* Ids name cgroups too, which concurrent runs of this test share. */
  char abandoned[64], kept[64], extra[128];
  snprintf(abandoned, sizeof(abandoned), "capi-gc-abandoned-%d", (int)getpid());
  snprintf(kept, sizeof(kept), "capi-gc-live-%d", (int)getpid());
  abandon_container(abandoned);
  char directory[700];
  snprintf(directory, sizeof(directory), "%s/%s", state_root, abandoned);
  struct stat info;
  CHECK(stat(directory, &info) == 0);

  /* A container of this live process is kept. */
  pycontain_container *live = NULL;
  snprintf(extra, sizeof(extra), ", \"id\": \"%s\"", kept);
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_container_create(shell_spec("sleep 30", extra), NULL, &live, NULL),
             NULL);
  if (live != NULL) CHECK_CODE(PYCONTAIN_OK, pycontain_container_start(live, NULL), NULL);

  /* Orphan cgroups are skipped: they may belong to other state roots. */
  pycontain_gc_options options = {sizeof(options), PYCONTAIN_GC_ORPHAN_MIN_AGE, state_root, -1};
  char *report = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_gc(&options, &report, &error), error);
  pycontain_error_destroy(error);
  if (report != NULL) {
    char expected[128];
    snprintf(expected, sizeof(expected), "\"containers\":[\"%s ", abandoned);
    CHECK(strstr(report, expected) != NULL);
    snprintf(expected, sizeof(expected), "\"kept\":[\"%s\"]", kept);
    CHECK(strstr(report, expected) != NULL);
    CHECK(strstr(report, "\"errors\":[]") != NULL);
    CHECK(strstr(report, "\"exited\":[]") != NULL);
    CHECK(strstr(report, "\"cgroups\":[") != NULL);
  }
  pycontain_string_free(report);
  CHECK(stat(directory, &info) != 0);
  CHECK(errno == ENOENT);

  /* A second run finds nothing more. */
  report = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_gc(&options, &report, NULL), NULL);
  if (report != NULL) CHECK(strstr(report, "\"containers\":[]") != NULL);
  pycontain_string_free(report);
  pycontain_container_destroy(live);

  /* Unknown flags are rejected. */
  options.flags = 4;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_gc(&options, NULL, NULL), NULL);
}

int main(void) {
  if (!check_environment("capi_network_test")) return 1;
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(state_root, sizeof(state_root), "%s/capi-network-XXXXXX", tmp ? tmp : "/tmp");
  if (mkdtemp(state_root) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  /* Containers record themselves and find networks in the state root. */
  setenv("PYCONTAIN_STATE_DIR", state_root, 1);
  if (!start_host_namespace()) {
    fprintf(stderr, "capi_network_test: cannot create a network namespace\n");
    return 1;
  }
  test_create_inspect_list_remove();
  test_container_on_network();
  test_network_options();
  stop_host_namespace();
  test_gc_removes_abandoned();
  return finish_tests("capi_network_test");
}
