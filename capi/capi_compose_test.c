/* Tests of the C API's Compose and managed container calls, in C99,
 * against libpycontain.so, as root: load a project with interpolation and
 * profiles, print its config, then up, ps and down with busybox
 * containers; and one named container's whole lifecycle. The image store and the
 * state root are private to the test, and services use no network. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "pycontain.h"
#include "test_check.h"

static char work[512];
static char compose_file[600];

static void write_file(const char *path, const char *text) {
  FILE *file = fopen(path, "w");
  CHECK(file != NULL);
  if (file == NULL) return;
  fputs(text, file);
  fclose(file);
}

/* Imports the busybox root filesystem as capi-bb:1 into the store that
 * PYCONTAIN_ROOT names. */
static void import_busybox(void) {
  char tarball[700], command[1400];
  snprintf(tarball, sizeof(tarball), "%s/busybox.tar", work);
  snprintf(command, sizeof(command), "tar -cf %s -C %s .", tarball,
           getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS"));
  CHECK(system(command) == 0);
  const char *names[] = {"capi-bb:1"};
  pycontain_image_import_options options;
  memset(&options, 0, sizeof(options));
  options.size = sizeof(options);
  options.names = names;
  options.name_count = 1;
  pycontain_image_records *image = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_import(tarball, &options, &image, &error), error);
  pycontain_error_destroy(error);
  pycontain_image_records_destroy(image);
}

static pycontain_compose_options project_options(const char *const *files,
                                                 const char *const *environment) {
  pycontain_compose_options options;
  memset(&options, 0, sizeof(options));
  options.size = sizeof(options);
  options.files = files;
  options.file_count = 1;
  options.project_name = "capiproj";
  options.environment = environment;
  options.environment_count = environment == NULL ? 0 : 1;
  return options;
}

static void test_load_and_config(void) {
  current_test = "load_and_config";
  const char *files[] = {compose_file};
  const char *environment[] = {"GREETING=hello-from-env"};
  pycontain_compose_options options = project_options(files, environment);
  pycontain_compose_project *project = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_compose_load(&options, &project, &error), error);
  pycontain_error_destroy(error);
  if (project == NULL) return;
  CHECK(strcmp(pycontain_compose_project_name(project), "capiproj") == 0);
  const char *config = pycontain_compose_project_config(project);
  CHECK(strstr(config, "hello-from-env") != NULL);
  CHECK(strstr(config, "${GREETING}") == NULL);
  CHECK(strstr(config, "web:") != NULL);
  const char *json = pycontain_compose_project_json(project);
  CHECK(strstr(json, "\"services\":[\"job\",\"web\"]") != NULL);
  CHECK(strstr(json, "\"disabledServices\":[\"extra\"]") != NULL);
  CHECK(strstr(json, "network_mode") != NULL);
  pycontain_compose_project_destroy(project);

  /* Without the process environment and without GREETING, the required
   * variable is missing. */
  options.flags = PYCONTAIN_COMPOSE_ONLY_GIVEN_ENVIRONMENT;
  options.environment_count = 0;
  project = NULL;
  error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_compose_load(&options, &project, &error),
             error);
  if (error != NULL) CHECK(strstr(pycontain_error_message(error), "GREETING") != NULL);
  pycontain_error_destroy(error);
  CHECK(project == NULL);
}

static void test_load_errors(void) {
  current_test = "load_errors";
  char missing[700], broken[700];
  snprintf(missing, sizeof(missing), "%s/missing.yaml", work);
  snprintf(broken, sizeof(broken), "%s/broken.yaml", work);
  write_file(broken, "services:\n  web:\n    image: [unclosed\n");
  const char *files[] = {missing};
  pycontain_compose_options options = project_options(files, NULL);
  pycontain_compose_project *project = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND, pycontain_compose_load(&options, &project, NULL), NULL);
  files[0] = broken;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_compose_load(&options, &project, &error),
             error);
  if (error != NULL) CHECK(strstr(pycontain_error_message(error), "broken.yaml:") != NULL);
  pycontain_error_destroy(error);
  const char *bad_environment[] = {"NO_EQUALS_SIGN"};
  options.environment = bad_environment;
  options.environment_count = 1;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_compose_load(&options, &project, NULL),
             NULL);
  CHECK(project == NULL);
}

struct progress {
  int started_lines;
};

static void record_progress(void *user_data, int level, const char *container_id,
                            const char *message) {
  struct progress *progress = (struct progress *)user_data;
  if (level == PYCONTAIN_LOG_INFO && strcmp(container_id, "capiproj") == 0 &&
      strstr(message, "Started") != NULL) {
    ++progress->started_lines;
  }
}

/* Returns the JSON of `ps`, with stopped containers when `all`. */
static char *ps_json(pycontain_compose_project *project, int all) {
  pycontain_compose_run_options options = {sizeof(options), all ? PYCONTAIN_COMPOSE_ALL : 0,
                                           NULL, 0};
  char *json = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_compose_ps(project, &options, &json, &error), error);
  pycontain_error_destroy(error);
  return json;
}

static void test_up_ps_down(void) {
  current_test = "up_ps_down";
  const char *files[] = {compose_file};
  const char *environment[] = {"GREETING=hello"};
  pycontain_compose_options options = project_options(files, environment);
  pycontain_compose_project *project = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_compose_load(&options, &project, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  if (project == NULL) return;

  struct progress progress = {0};
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_set_log_callback(record_progress, &progress, PYCONTAIN_LOG_INFO, NULL),
             NULL);
  CHECK_CODE(PYCONTAIN_OK, pycontain_compose_up(project, NULL, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_set_log_callback(NULL, NULL, 0, NULL), NULL);
  CHECK(progress.started_lines == 2);

  char *json = ps_json(project, 0);
  if (json != NULL) {
    CHECK(strstr(json, "\"name\":\"capiproj-web-1\"") != NULL);
    CHECK(strstr(json, "\"service\":\"web\"") != NULL);
    CHECK(strstr(json, "\"image\":\"capi-bb:1\"") != NULL);
    CHECK(strstr(json, "\"status\":\"running\"") != NULL);
    CHECK(strstr(json, "\"Pid\":") != NULL);
  }
  pycontain_string_free(json);
  json = ps_json(project, 1);
  if (json != NULL) CHECK(strstr(json, "\"name\":\"capiproj-job-1\"") != NULL);
  pycontain_string_free(json);

  /* A newer caller's options: rejected with a non-zero tail, accepted
   * with a zero one. */
  struct {
    pycontain_compose_run_options known;
    uint64_t future;
  } newer;
  memset(&newer, 0, sizeof(newer));
  newer.known.size = sizeof(newer);
  newer.future = 1;
  json = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_compose_ps(project, (const pycontain_compose_run_options *)&newer, &json,
                                  NULL),
             NULL);
  CHECK(json == NULL);
  newer.future = 0;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_compose_ps(project, (const pycontain_compose_run_options *)&newer, &json,
                                  NULL),
             NULL);
  pycontain_string_free(json);

  /* down takes no services, and unknown flags are rejected. */
  const char *services[] = {"web"};
  pycontain_compose_run_options run = {sizeof(run), 0, services, 1};
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_compose_down(project, &run, NULL), NULL);
  run.service_count = 0;
  run.flags = PYCONTAIN_COMPOSE_ALL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_compose_down(project, &run, NULL), NULL);

  run.flags = PYCONTAIN_COMPOSE_VOLUMES;
  CHECK_CODE(PYCONTAIN_OK, pycontain_compose_down(project, &run, &error), error);
  pycontain_error_destroy(error);
  json = ps_json(project, 1);
  if (json != NULL) CHECK(strcmp(json, "[]") == 0);
  pycontain_string_free(json);
  pycontain_compose_project_destroy(project);
}

static void test_managed_lifecycle(void) {
  current_test = "managed_lifecycle";
  const char *labels[] = {"capi.test=managed"};
  pycontain_managed_options options;
  memset(&options, 0, sizeof(options));
  options.size = sizeof(options);
  options.name = "capi-managed";
  options.labels = labels;
  options.label_count = 1;
  const char *spec =
      "{\"image\": \"capi-bb:1\", \"process\": {\"args\": [\"sh\", \"-c\", "
      "\"echo hello from managed; sleep 300\"]}}";
  char *json = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_managed_create(spec, &options, &json, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  if (json != NULL) {
    CHECK(strstr(json, "\"Name\": \"/capi-managed\"") != NULL);
    CHECK(strstr(json, "\"capi.test\": \"managed\"") != NULL);
  }
  pycontain_string_free(json);
  CHECK_CODE(PYCONTAIN_ERROR_ALREADY_EXISTS,
             pycontain_managed_create(spec, &options, NULL, NULL), NULL);

  /* Labels belong to create and list only. */
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_managed_start("capi-managed", &options, NULL), NULL);
  CHECK_CODE(PYCONTAIN_OK, pycontain_managed_start("capi-managed", NULL, &error), error);
  pycontain_error_destroy(error);
  error = NULL;

  /* list filters by label. */
  options.name = NULL;
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_managed_list(&options, &json, NULL), NULL);
  if (json != NULL) {
    CHECK(strstr(json, "\"name\":\"capi-managed\"") != NULL);
    CHECK(strstr(json, "\"status\":\"running\"") != NULL);
  }
  pycontain_string_free(json);
  const char *other[] = {"capi.test=other"};
  options.labels = other;
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_managed_list(&options, &json, NULL), NULL);
  if (json != NULL) CHECK(strcmp(json, "[]") == 0);
  pycontain_string_free(json);

  /* The output reaches the log; wait up to 5 s for it. */
  json = NULL;
  for (int i = 0; i < 500; ++i) {
    pycontain_string_free(json);
    json = NULL;
    CHECK_CODE(PYCONTAIN_OK, pycontain_managed_logs("capi-managed", NULL, &json, NULL), NULL);
    if (json == NULL || strstr(json, "hello from managed") != NULL) break;
    usleep(10000);
  }
  if (json != NULL) {
    CHECK(strstr(json, "\"log\":\"hello from managed\\n\"") != NULL);
    CHECK(strstr(json, "\"stream\":\"stdout\"") != NULL);
  }
  pycontain_string_free(json);

  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_managed_kill("capi-managed", 0, NULL, NULL), NULL);
  CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION,
             pycontain_managed_remove("capi-managed", NULL, NULL), NULL);
  pycontain_managed_options stop;
  memset(&stop, 0, sizeof(stop));
  stop.size = sizeof(stop);
  stop.flags = PYCONTAIN_MANAGED_GRACE;
  stop.grace_ns = 200000000;
  CHECK_CODE(PYCONTAIN_OK, pycontain_managed_stop("capi-managed", &stop, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  int exit_code = -1;
  CHECK_CODE(PYCONTAIN_OK, pycontain_managed_wait("capi-managed", NULL, &exit_code, NULL),
             NULL);
  CHECK(exit_code == 137);

  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_managed_inspect("capi-managed", NULL, &json, NULL), NULL);
  if (json != NULL) CHECK(strstr(json, "\"Status\": \"exited\"") != NULL);
  pycontain_string_free(json);
  CHECK_CODE(PYCONTAIN_OK, pycontain_managed_remove("capi-managed", NULL, &error), error);
  pycontain_error_destroy(error);
  json = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND,
             pycontain_managed_inspect("capi-managed", NULL, &json, NULL), NULL);
  CHECK(json == NULL);
}

/* Detaches what is still mounted below the work directory, such as image
 * layers, so that it can be removed. */
static void unmount_below_work(void) {
  FILE *mounts = fopen("/proc/self/mountinfo", "r");
  if (mounts == NULL) return;
  char line[4096], point[4096];
  size_t length = strlen(work);
  while (fgets(line, sizeof(line), mounts) != NULL) {
    if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1) continue;
    if (strncmp(point, work, length) == 0 && point[length] == '/') {
      umount2(point, MNT_DETACH);
    }
  }
  fclose(mounts);
}

int main(void) {
  if (!check_environment("capi_compose_test")) return 1;
  (void)shell_spec; /* a helper of test_check.h this file does not need */
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(work, sizeof(work), "%s/capi-compose-XXXXXX", tmp ? tmp : "/tmp");
  if (mkdtemp(work) == NULL) {
    perror("mkdtemp");
    return 1;
  }

  char path[700];
  snprintf(path, sizeof(path), "%s/store", work);
  setenv("PYCONTAIN_ROOT", path, 1);
  snprintf(path, sizeof(path), "%s/state", work);
  setenv("PYCONTAIN_STATE_DIR", path, 1);

  snprintf(compose_file, sizeof(compose_file), "%s/compose.yaml", work);
  write_file(compose_file,
             "services:\n"
             "  web:\n"
             "    image: capi-bb:1\n"
             "    command: [\"sleep\", \"300\"]\n"
             "    stop_grace_period: 1s\n"
             "    network_mode: none\n"
             "  job:\n"
             "    image: capi-bb:1\n"
             "    command: [\"echo\", \"${GREETING:?set GREETING}\"]\n"
             "    network_mode: none\n"
             "  extra:\n"
             "    image: capi-bb:1\n"
             "    profiles: [\"extra\"]\n"
             "    network_mode: none\n");
  import_busybox();

  test_load_and_config();
  test_load_errors();
  test_up_ps_down();
  test_managed_lifecycle();

  unmount_below_work();
  char command[600];
  snprintf(command, sizeof(command), "rm -rf %s", work);
  if (system(command) != 0) fprintf(stderr, "capi_compose_test: cannot remove %s\n", work);
  return finish_tests("capi_compose_test");
}
