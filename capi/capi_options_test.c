/* Tests of size negotiation for the options structs added in 0.2, in C99,
 * against libpycontain.so. A newer caller's struct with a non-zero byte
 * beyond this library's fields is rejected before the call does anything,
 * so the store or state directory it names is not even created. The same
 * struct with a zero tail is accepted, and so is an older caller's
 * shorter struct. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pycontain.h"
#include "test_check.h"

static char work[512];

/* Returns "<work>/<name>" in one of 16 static buffers used in turn, so
 * that a test can hold several paths at once. */
static const char *fresh_path(const char *name) {
  static char paths[16][700];
  static int next = 0;
  char *path = paths[next];
  next = (next + 1) % 16;
  snprintf(path, sizeof(paths[0]), "%s/%s", work, name);
  return path;
}

static int exists(const char *path) {
  struct stat info;
  return stat(path, &info) == 0;
}

/* Checks that the message of `error` names a newer pycontain as the
 * cause, and destroys it. */
static void check_newer_message(pycontain_error *error) {
  CHECK(error != NULL);
  if (error != NULL) CHECK(strstr(pycontain_error_message(error), "newer") != NULL);
  pycontain_error_destroy(error);
}

/* A struct of a newer caller: `known` followed by one more field. */
#define NEWER(type) \
  struct {          \
    type known;     \
    uint64_t future; \
  }

static void test_image_options(void) {
  current_test = "image_options";
  const char *store = fresh_path("image-store");
  NEWER(pycontain_image_options) newer;
  memset(&newer, 0, sizeof(newer));
  newer.known.size = sizeof(newer);
  newer.known.store_root = store;
  newer.future = 1;
  pycontain_image_records *images = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_list((const pycontain_image_options *)&newer, &images, &error),
             error);
  check_newer_message(error);
  CHECK(!exists(store));

  newer.future = 0;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_image_list((const pycontain_image_options *)&newer, &images, NULL), NULL);
  pycontain_image_records_destroy(images);
  CHECK(exists(store));

  /* An older caller's struct without store_root uses the default store,
   * which PYCONTAIN_ROOT points into the work directory. */
  pycontain_image_options older = {offsetof(pycontain_image_options, store_root), 0, "ignored"};
  images = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_list(&older, &images, NULL), NULL);
  pycontain_image_records_destroy(images);
  CHECK(exists(fresh_path("default-store")));
  CHECK(!exists("ignored"));
}

static void test_image_load_and_save_options(void) {
  current_test = "image_load_and_save_options";
  const char *store = fresh_path("load-store");
  NEWER(pycontain_image_load_options) load;
  memset(&load, 0, sizeof(load));
  load.known.size = sizeof(load);
  load.known.store_root = store;
  load.future = 1;
  pycontain_image_records *images = NULL;
  pycontain_error *error = NULL;
  /* Accepted options would make this NOT_FOUND: the archive is missing. */
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_load(fresh_path("missing.tar"),
                                  (const pycontain_image_load_options *)&load, &images, &error),
             error);
  check_newer_message(error);
  CHECK(!exists(store));
  load.future = 0;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND,
             pycontain_image_load(fresh_path("missing.tar"),
                                  (const pycontain_image_load_options *)&load, &images, NULL),
             NULL);

  NEWER(pycontain_image_save_options) save;
  memset(&save, 0, sizeof(save));
  save.known.size = sizeof(save);
  save.known.store_root = store;
  save.future = 1;
  const char *references[] = {"capi-none:1"};
  error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_save(references, 1, fresh_path("out.tar"),
                                  (const pycontain_image_save_options *)&save, &error),
             error);
  check_newer_message(error);
  save.future = 0;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND,
             pycontain_image_save(references, 1, fresh_path("out.tar"),
                                  (const pycontain_image_save_options *)&save, NULL),
             NULL);
  CHECK(!exists(fresh_path("out.tar")));
}

static void test_volume_options(void) {
  current_test = "volume_options";
  const char *store = fresh_path("volume-store");
  NEWER(pycontain_volume_options) newer;
  memset(&newer, 0, sizeof(newer));
  newer.known.size = sizeof(newer);
  newer.known.store_root = store;
  newer.future = 1;
  char *json = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_volume_create("capi-vol", (const pycontain_volume_options *)&newer, &json,
                                     &error),
             error);
  check_newer_message(error);
  CHECK(!exists(store));
  newer.future = 0;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_volume_create("capi-vol", (const pycontain_volume_options *)&newer, &json,
                                     NULL),
             NULL);
  pycontain_string_free(json);
  CHECK(exists(store));

  /* An older caller's struct without labels. */
  pycontain_volume_options older;
  memset(&older, 0, sizeof(older));
  older.size = offsetof(pycontain_volume_options, labels);
  older.store_root = store;
  older.label_count = 5; /* beyond the caller's size: never read */
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_remove("capi-vol", &older, NULL), NULL);
}

static void test_network_and_gc_options(void) {
  current_test = "network_and_gc_options";
  const char *state = fresh_path("network-state");
  NEWER(pycontain_network_options) network;
  memset(&network, 0, sizeof(network));
  network.known.size = sizeof(network);
  network.known.state_root = state;
  network.future = 1;
  char *json = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_network_list((const pycontain_network_options *)&network, &json, &error),
             error);
  check_newer_message(error);
  network.future = 0;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_network_list((const pycontain_network_options *)&network, &json, NULL),
             NULL);
  if (json != NULL) CHECK(strcmp(json, "[]") == 0);
  pycontain_string_free(json);

  NEWER(pycontain_gc_options) gc;
  memset(&gc, 0, sizeof(gc));
  gc.known.size = sizeof(gc);
  gc.known.flags = PYCONTAIN_GC_ORPHAN_MIN_AGE;
  gc.known.state_root = state;
  gc.known.orphan_min_age_ns = -1;
  gc.future = 1;
  error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_gc((const pycontain_gc_options *)&gc, NULL, &error), error);
  check_newer_message(error);
  gc.future = 0;
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_gc((const pycontain_gc_options *)&gc, &json, NULL), NULL);
  if (json != NULL) CHECK(strstr(json, "\"containers\":[]") != NULL);
  pycontain_string_free(json);
}

static void test_compose_and_managed_options(void) {
  current_test = "compose_and_managed_options";
  const char *files[] = {fresh_path("missing-compose.yaml")};
  NEWER(pycontain_compose_options) compose;
  memset(&compose, 0, sizeof(compose));
  compose.known.size = sizeof(compose);
  compose.known.files = files;
  compose.known.file_count = 1;
  compose.future = 1;
  pycontain_compose_project *project = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_compose_load((const pycontain_compose_options *)&compose, &project,
                                    &error),
             error);
  check_newer_message(error);
  compose.future = 0;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND,
             pycontain_compose_load((const pycontain_compose_options *)&compose, &project, NULL),
             NULL);
  CHECK(project == NULL);

  NEWER(pycontain_managed_options) managed;
  memset(&managed, 0, sizeof(managed));
  managed.known.size = sizeof(managed);
  managed.future = 1;
  char *json = NULL;
  error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_managed_list((const pycontain_managed_options *)&managed, &json, &error),
             error);
  check_newer_message(error);
  managed.future = 0;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_managed_list((const pycontain_managed_options *)&managed, &json, NULL),
             NULL);
  if (json != NULL) CHECK(strcmp(json, "[]") == 0);
  pycontain_string_free(json);

  /* Too small to hold the size field. */
  managed.known.size = 1;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_managed_list((const pycontain_managed_options *)&managed, &json, NULL),
             NULL);
}

int main(void) {
  if (!check_environment("capi_options_test")) return 1;
  (void)shell_spec; /* a helper of test_check.h this file does not need */
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(work, sizeof(work), "%s/capi-options-XXXXXX", tmp ? tmp : "/tmp");
  if (mkdtemp(work) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  setenv("PYCONTAIN_ROOT", fresh_path("default-store"), 1);
  setenv("PYCONTAIN_STATE_DIR", fresh_path("default-state"), 1);

  test_image_options();
  test_image_load_and_save_options();
  test_volume_options();
  test_network_and_gc_options();
  test_compose_and_managed_options();

  char command[600];
  snprintf(command, sizeof(command), "rm -rf %s", work);
  if (system(command) != 0) fprintf(stderr, "capi_options_test: cannot remove %s\n", work);
  return finish_tests("capi_options_test");
}
