/* Tests of the C API's image and volume calls, in C99, against
 * libpycontain.so: import, list, save, load (from a path, a file descriptor
 * and a pipe), remove, running a container from an imported image, and
 * volumes shared by containers. Each test uses a private store in the
 * test's temporary directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "pycontain.h"
#include "test_check.h"

static char work[512];
static char tarball[600];

/* Writes "<work>/<name>" into `out`. */
static void work_path(char *out, size_t size, const char *name) {
  snprintf(out, size, "%s/%s", work, name);
}

static void make_tarball(void) {
  char command[1400];
  snprintf(tarball, sizeof(tarball), "%s/busybox.tar", work);
  snprintf(command, sizeof(command), "tar -cf %s -C %s .", tarball,
           getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS"));
  CHECK(system(command) == 0);
}

/* Imports the busybox tarball into `store` as `name`. Returns the image id
 * in a static buffer, or "" on failure. */
static const char *import_busybox(const char *store, const char *name) {
  static char id[128];
  const char *names[] = {name};
  const char *cmd[] = {"/bin/sh", "-c", "echo default command"};
  const char *env[] = {"PATH=/bin:/sbin", "FROM_IMAGE=yes"};
  pycontain_image_import_options options;
  memset(&options, 0, sizeof(options));
  options.size = sizeof(options);
  options.store_root = store;
  options.names = names;
  options.name_count = 1;
  options.comment = "from capi_images_test";
  options.cmd = cmd;
  options.cmd_count = 3;
  options.env = env;
  options.env_count = 2;
  pycontain_image_records *image = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_import(tarball, &options, &image, &error), error);
  pycontain_error_destroy(error);
  id[0] = '\0';
  if (image == NULL) return id;
  CHECK(pycontain_image_records_count(image) == 1);
  const char *found = pycontain_image_records_id(image, 0);
  if (found != NULL) snprintf(id, sizeof(id), "%s", found);
  pycontain_image_records_destroy(image);
  return id;
}

static size_t image_count(const char *store) {
  pycontain_image_options options = {sizeof(options), 0, store};
  pycontain_image_records *images = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_list(&options, &images, &error), error);
  pycontain_error_destroy(error);
  size_t count = pycontain_image_records_count(images);
  pycontain_image_records_destroy(images);
  return count;
}

static void test_import_and_list(void) {
  current_test = "import_and_list";
  char store[700];
  work_path(store, sizeof(store), "store-list");
  CHECK(image_count(store) == 0);
  char id[128];
  snprintf(id, sizeof(id), "%s", import_busybox(store, "capi-busybox:1"));
  CHECK(strncmp(id, "sha256:", 7) == 0);
  CHECK(strlen(id) == 7 + 64);

  pycontain_image_options options = {sizeof(options), 0, store};
  pycontain_image_records *images = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_list(&options, &images, NULL), NULL);
  if (images == NULL) return;
  CHECK(pycontain_image_records_count(images) == 1);
  CHECK(strcmp(pycontain_image_records_id(images, 0), id) == 0);
  CHECK(pycontain_image_records_name_count(images, 0) == 1);
  CHECK(strcmp(pycontain_image_records_name(images, 0, 0), "capi-busybox:1") == 0);
  CHECK(pycontain_image_records_loaded(images, 0) > 1700000000);
  /* Out-of-range indexes return the documented defaults. */
  CHECK(pycontain_image_records_id(images, 1) == NULL);
  CHECK(pycontain_image_records_name(images, 0, 1) == NULL);
  CHECK(pycontain_image_records_name_count(images, 5) == 0);
  CHECK(pycontain_image_records_loaded(images, 5) == -1);
  const char *json = pycontain_image_records_json(images);
  CHECK(json[0] == '[');
  CHECK(strstr(json, id) != NULL);
  CHECK(strstr(json, "\"capi-busybox:1\"") != NULL);
  CHECK(strstr(json, "echo default command") != NULL);
  CHECK(strstr(json, "FROM_IMAGE=yes") != NULL);
  pycontain_image_records_destroy(images);
}

static void test_run_imported_image(void) {
  current_test = "run_imported_image";
  char store[700];
  work_path(store, sizeof(store), "store-run");
  import_busybox(store, "capi-run:1");
  /* Containers find images in the default store, which PYCONTAIN_ROOT
   * names. */
  setenv("PYCONTAIN_ROOT", store, 1);
  int fd = memfd_create("image-stdout", MFD_CLOEXEC);
  char spec[256];
  snprintf(spec, sizeof(spec),
           "{\"image\": \"capi-run:1\", \"process\": {\"stdio\": {\"stdoutFd\": %d}}}", fd);
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_run(spec, NULL, &result, &error), error);
  pycontain_error_destroy(error);
  unsetenv("PYCONTAIN_ROOT");
  if (result != NULL) CHECK(pycontain_run_result_exit_code(result) == 0);
  pycontain_run_result_destroy(result);
  char output[64] = {0};
  CHECK(pread(fd, output, sizeof(output) - 1, 0) > 0);
  CHECK(strcmp(output, "default command\n") == 0);
  close(fd);
}

/* Checks that `store` contains exactly the image `id` named `name`. */
static void check_only_image(const char *store, const char *id, const char *name) {
  pycontain_image_options options = {sizeof(options), 0, store};
  pycontain_image_records *images = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_list(&options, &images, NULL), NULL);
  if (images == NULL) return;
  CHECK(pycontain_image_records_count(images) == 1);
  const char *found = pycontain_image_records_id(images, 0);
  CHECK(found != NULL);
  if (found != NULL) CHECK(strcmp(found, id) == 0);
  const char *found_name = pycontain_image_records_name(images, 0, 0);
  CHECK(found_name != NULL);
  if (found_name != NULL) CHECK(strcmp(found_name, name) == 0);
  pycontain_image_records_destroy(images);
}

static void test_save_and_load_round_trip(void) {
  current_test = "save_and_load_round_trip";
  char source[700], archive[700], layout[700];
  work_path(source, sizeof(source), "store-source");
  work_path(archive, sizeof(archive), "saved.tar");
  work_path(layout, sizeof(layout), "saved-oci");
  char id[128];
  snprintf(id, sizeof(id), "%s", import_busybox(source, "capi-save:2"));
  const char *references[] = {"capi-save:2"};

  pycontain_image_save_options save = {sizeof(save), 0, source,
                                       PYCONTAIN_IMAGE_FORMAT_DOCKER_ARCHIVE};
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_save(references, 1, archive, &save, &error),
             error);
  pycontain_error_destroy(error);
  error = NULL;
  save.format = PYCONTAIN_IMAGE_FORMAT_OCI_LAYOUT;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_save(references, 1, layout, &save, &error), error);
  pycontain_error_destroy(error);
  error = NULL;

  /* docker-archive from a path. */
  char target[700];
  work_path(target, sizeof(target), "store-from-archive");
  pycontain_image_load_options load;
  memset(&load, 0, sizeof(load));
  load.size = sizeof(load);
  load.store_root = target;
  pycontain_image_records *loaded = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_load(archive, &load, &loaded, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  if (loaded != NULL) {
    CHECK(pycontain_image_records_count(loaded) == 1);
    CHECK(strcmp(pycontain_image_records_id(loaded, 0), id) == 0);
  }
  pycontain_image_records_destroy(loaded);
  check_only_image(target, id, "capi-save:2");

  /* OCI layout directory. */
  work_path(target, sizeof(target), "store-from-oci");
  load.store_root = target;
  loaded = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_load(layout, &load, &loaded, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  pycontain_image_records_destroy(loaded);
  check_only_image(target, id, "capi-save:2");

  /* docker-archive from a regular file's descriptor, written by save_fd. */
  char by_fd[700];
  work_path(by_fd, sizeof(by_fd), "saved-by-fd.tar");
  int fd = open(by_fd, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  CHECK(fd >= 0);
  save.format = PYCONTAIN_IMAGE_FORMAT_DOCKER_ARCHIVE;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_save_fd(references, 1, fd, &save, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  work_path(target, sizeof(target), "store-from-fd");
  load.store_root = target;
  loaded = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_load_fd(fd, &load, &loaded, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  pycontain_image_records_destroy(loaded);
  close(fd);
  check_only_image(target, id, "capi-save:2");
}

static void test_load_from_pipe(void) {
  current_test = "load_from_pipe";
  char source[700], target[700];
  work_path(source, sizeof(source), "store-pipe-source");
  work_path(target, sizeof(target), "store-pipe-target");
  char id[128];
  snprintf(id, sizeof(id), "%s", import_busybox(source, "capi-pipe:1"));
  const char *references[] = {id};

  /* A child saves into the pipe while this process loads from it. */
  int pipe_fds[2];
  CHECK(pipe2(pipe_fds, O_CLOEXEC) == 0);
  pid_t writer = fork();
  if (writer == 0) {
    close(pipe_fds[0]);
    pycontain_image_save_options save = {sizeof(save), 0, source, 0};
    _exit(pycontain_image_save_fd(references, 1, pipe_fds[1], &save, NULL));
  }
  close(pipe_fds[1]);
  pycontain_image_load_options load;
  memset(&load, 0, sizeof(load));
  load.size = sizeof(load);
  load.store_root = target;
  pycontain_image_records *loaded = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_load_fd(pipe_fds[0], &load, &loaded, &error),
             error);
  pycontain_error_destroy(error);
  close(pipe_fds[0]);
  int status = -1;
  CHECK(waitpid(writer, &status, 0) == writer);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == PYCONTAIN_OK);
  if (loaded != NULL) {
    CHECK(pycontain_image_records_count(loaded) == 1);
    CHECK(strcmp(pycontain_image_records_id(loaded, 0), id) == 0);
    /* Saved by id, the archive still lists the image's name. */
    CHECK(pycontain_image_records_name_count(loaded, 0) == 1);
    const char *name = pycontain_image_records_name(loaded, 0, 0);
    CHECK(name != NULL);
    if (name != NULL) CHECK(strcmp(name, "capi-pipe:1") == 0);
  }
  pycontain_image_records_destroy(loaded);
}

static void test_remove(void) {
  current_test = "remove";
  char store[700];
  work_path(store, sizeof(store), "store-remove");
  char id[128];
  snprintf(id, sizeof(id), "%s", import_busybox(store, "capi-rm:1"));
  pycontain_image_options options = {sizeof(options), 0, store};
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_remove("capi-rm:1", &options, &error), error);
  pycontain_error_destroy(error);
  CHECK(image_count(store) == 0);

  error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND, pycontain_image_remove("capi-rm:1", &options, &error),
             error);
  if (error != NULL) CHECK(strstr(pycontain_error_message(error), "capi-rm") != NULL);
  pycontain_error_destroy(error);

  /* By id prefix: the image goes with its names. */
  snprintf(id, sizeof(id), "%s", import_busybox(store, "capi-rm:2"));
  char prefix[16];
  snprintf(prefix, sizeof(prefix), "%.12s", id + 7);
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_remove(prefix, &options, NULL), NULL);
  CHECK(image_count(store) == 0);
}

static void test_invalid_arguments(void) {
  current_test = "invalid_arguments";
  char store[700], missing[700];
  work_path(store, sizeof(store), "store-invalid");
  work_path(missing, sizeof(missing), "no-such-archive.tar");
  pycontain_image_load_options load;
  memset(&load, 0, sizeof(load));
  load.size = sizeof(load);
  load.store_root = store;
  pycontain_image_records *loaded = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND, pycontain_image_load(missing, &load, &loaded, &error),
             error);
  if (error != NULL) CHECK(pycontain_error_errno(error) == ENOENT);
  pycontain_error_destroy(error);
  CHECK(loaded == NULL);

  /* A directory that is neither a docker-archive nor an OCI layout. */
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_load(work, &load, &loaded, NULL), NULL);
  load.platform = "linux/amd64/v1/extra";
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_load(tarball, &load, &loaded, NULL), NULL);
  load.platform = NULL;

  /* A socket is no archive source. */
  int sockets[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) == 0);
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_load_fd(sockets[0], &load, &loaded, NULL), NULL);
  close(sockets[0]);
  close(sockets[1]);
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_image_load_fd(-1, &load, &loaded, NULL),
             NULL);

  /* save: no references, a NULL reference, an unknown format, an OCI
   * layout to a descriptor, an unknown image. */
  char archive[700];
  work_path(archive, sizeof(archive), "invalid.tar");
  const char *references[] = {"capi-none:1", NULL};
  pycontain_image_save_options save = {sizeof(save), 0, store, 0};
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_save(references, 0, archive, &save, NULL), NULL);
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_save(references, 2, archive, &save, NULL), NULL);
  save.format = 7;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_save(references, 1, archive, &save, NULL), NULL);
  save.format = PYCONTAIN_IMAGE_FORMAT_OCI_LAYOUT;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_save_fd(references, 1, STDERR_FILENO, &save, NULL), NULL);
  save.format = PYCONTAIN_IMAGE_FORMAT_DOCKER_ARCHIVE;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND,
             pycontain_image_save(references, 1, archive, &save, NULL), NULL);

  /* import: a NULL name in the array, an empty name. */
  const char *names[] = {NULL};
  pycontain_image_import_options import;
  memset(&import, 0, sizeof(import));
  import.size = sizeof(import);
  import.store_root = store;
  import.names = names;
  import.name_count = 1;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_import(tarball, &import, &loaded, NULL), NULL);
  names[0] = "";
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_import(tarball, &import, &loaded, NULL), NULL);
  CHECK(loaded == NULL);
  CHECK(image_count(store) == 0);
}

/* Runs `script` in a busybox container with volume `volume` (NULL: an
 * anonymous one) at /data; returns its stdout in `output`. */
static int run_with_volume(const char *volume, const char *script, char *output,
                           size_t size) {
  int fd = memfd_create("volume-stdout", MFD_CLOEXEC);
  char source[128] = "";
  if (volume != NULL) snprintf(source, sizeof(source), "\"source\": \"%s\", ", volume);
  char spec[2048];
  snprintf(spec, sizeof(spec),
           "{\"root\": {\"path\": \"%s\"}, \"process\": {\"args\": [\"/bin/sh\", "
           "\"-c\", \"%s\"], \"stdio\": {\"stdoutFd\": %d}}, \"mounts\": [{\"type\": "
           "\"volume\", %s\"destination\": \"/data\"}]}",
           getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS"), script, fd, source);
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  int code = pycontain_run(spec, NULL, &result, &error);
  CHECK_CODE(PYCONTAIN_OK, code, error);
  pycontain_error_destroy(error);
  int exit_code = result != NULL ? pycontain_run_result_exit_code(result) : -1;
  pycontain_run_result_destroy(result);
  memset(output, 0, size);
  if (pread(fd, output, size - 1, 0) < 0) output[0] = '\0';
  close(fd);
  return exit_code;
}

static void test_volumes(void) {
  current_test = "volumes";
  char store[700];
  work_path(store, sizeof(store), "store-volumes");
  /* Containers find volumes in the default store. */
  setenv("PYCONTAIN_ROOT", store, 1);
  const char *labels[] = {"purpose=test", "owner=capi"};
  pycontain_volume_options options = {sizeof(options), 0, store, labels, 2};
  char *json = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_create("capi-data", &options, &json, &error),
             error);
  pycontain_error_destroy(error);
  error = NULL;
  if (json != NULL) {
    CHECK(strstr(json, "\"Name\": \"capi-data\"") != NULL);
    CHECK(strstr(json, "\"purpose\": \"test\"") != NULL);
    CHECK(strstr(json, store) != NULL);
  }
  pycontain_string_free(json);
  CHECK_CODE(PYCONTAIN_ERROR_ALREADY_EXISTS,
             pycontain_volume_create("capi-data", &options, NULL, NULL), NULL);

  /* Data written by one container is read by the next. */
  char output[256];
  CHECK(run_with_volume("capi-data", "echo kept > /data/file", output, sizeof(output)) == 0);
  CHECK(run_with_volume("capi-data", "cat /data/file", output, sizeof(output)) == 0);
  CHECK(strcmp(output, "kept\n") == 0);

  /* Labels belong to create only. */
  options.label_count = 0;
  options.labels = NULL;
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_inspect("capi-data", &options, &json, NULL), NULL);
  pycontain_string_free(json);
  options.labels = labels;
  options.label_count = 1;
  json = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_volume_inspect("capi-data", &options, &json, NULL), NULL);
  CHECK(json == NULL);
  options.labels = NULL;
  options.label_count = 0;

  /* An anonymous volume: created by name NULL, removed by prune. */
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_create(NULL, &options, &json, NULL), NULL);
  pycontain_string_free(json);
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_list(&options, &json, NULL), NULL);
  if (json != NULL) {
    CHECK(json[0] == '[');
    CHECK(strstr(json, "capi-data") != NULL);
    CHECK(strstr(json, "pycontain.volume.anonymous") != NULL);
  }
  pycontain_string_free(json);
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_prune(&options, &json, NULL), NULL);
  if (json != NULL) {
    CHECK(strstr(json, "capi-data") == NULL);
    CHECK(strlen(json) == 2 + 2 + 64); /* ["<64 hex digits>"] */
  }
  pycontain_string_free(json);

  /* remove, then NOT_FOUND; prune's and remove's flags are their own. */
  options.flags = PYCONTAIN_VOLUME_PRUNE_ALL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_volume_remove("capi-data", &options, NULL),
             NULL);
  options.flags = PYCONTAIN_VOLUME_FORCE;
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_remove("capi-data", &options, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  options.flags = 0;
  CHECK_CODE(PYCONTAIN_ERROR_NOT_FOUND, pycontain_volume_remove("capi-data", &options, &error),
             error);
  pycontain_error_destroy(error);
  json = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_list(&options, &json, NULL), NULL);
  if (json != NULL) CHECK(strcmp(json, "[]") == 0);
  pycontain_string_free(json);
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_volume_create("-bad name", &options, NULL, NULL), NULL);
  unsetenv("PYCONTAIN_ROOT");
}

static void test_volume_in_use_is_kept(void) {
  current_test = "volume_in_use_is_kept";
  char store[700];
  work_path(store, sizeof(store), "store-volume-use");
  setenv("PYCONTAIN_ROOT", store, 1);
  pycontain_volume_options options = {sizeof(options), 0, store, NULL, 0};
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_create("capi-used", &options, NULL, NULL), NULL);
  char spec[1024];
  snprintf(spec, sizeof(spec),
           "{\"root\": {\"path\": \"%s\"}, \"process\": {\"args\": [\"/bin/sleep\", "
           "\"30\"]}, \"mounts\": [{\"type\": \"volume\", \"source\": \"capi-used\", "
           "\"destination\": \"/data\"}]}",
           getenv("PYCONTAIN_TEST_BUSYBOX_ROOTFS"));
  pycontain_container *container = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_container_create(spec, NULL, &container, NULL), NULL);
  if (container != NULL) {
    CHECK_CODE(PYCONTAIN_OK, pycontain_container_start(container, NULL), NULL);
    pycontain_error *error = NULL;
    CHECK_CODE(PYCONTAIN_ERROR_FAILED_PRECONDITION,
               pycontain_volume_remove("capi-used", &options, &error), error);
    if (error != NULL) {
      CHECK(strstr(pycontain_error_message(error), pycontain_container_id(container)) != NULL);
    }
    pycontain_error_destroy(error);
    pycontain_container_destroy(container);
  }
  CHECK_CODE(PYCONTAIN_OK, pycontain_volume_remove("capi-used", &options, NULL), NULL);
  unsetenv("PYCONTAIN_ROOT");
}

/* An import options struct from a newer caller: this version's fields,
 * then one more. */
struct newer_import_options {
  pycontain_image_import_options known;
  uint64_t future_field;
};

static void test_options_size_negotiation(void) {
  current_test = "options_size_negotiation";
  char store[700];
  work_path(store, sizeof(store), "store-sizes");

  /* An older caller's struct that ends after store_root: no names. */
  pycontain_image_import_options older;
  memset(&older, 0, sizeof(older));
  older.size = offsetof(pycontain_image_import_options, names);
  older.store_root = store;
  older.name_count = 3; /* beyond the caller's size: never read */
  pycontain_image_records *image = NULL;
  pycontain_error *error = NULL;
  CHECK_CODE(PYCONTAIN_OK, pycontain_image_import(tarball, &older, &image, &error), error);
  pycontain_error_destroy(error);
  error = NULL;
  if (image != NULL) CHECK(pycontain_image_records_name_count(image, 0) == 0);
  pycontain_image_records_destroy(image);
  image = NULL;
  CHECK(image_count(store) == 1);

  /* A newer caller's struct: accepted with a zero tail, rejected before
   * any import with a non-zero one. */
  const char *names[] = {"capi-newer:1"};
  struct newer_import_options newer;
  memset(&newer, 0, sizeof(newer));
  newer.known.size = sizeof(newer);
  newer.known.store_root = store;
  newer.known.names = names;
  newer.known.name_count = 1;
  newer.future_field = 1;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT,
             pycontain_image_import(tarball, (const pycontain_image_import_options *)&newer,
                                    &image, &error),
             error);
  if (error != NULL) CHECK(strstr(pycontain_error_message(error), "newer") != NULL);
  pycontain_error_destroy(error);
  error = NULL;
  CHECK(image == NULL);
  newer.future_field = 0;
  CHECK_CODE(PYCONTAIN_OK,
             pycontain_image_import(tarball, (const pycontain_image_import_options *)&newer,
                                    &image, &error),
             error);
  pycontain_error_destroy(error);
  if (image != NULL) CHECK(pycontain_image_records_name_count(image, 0) == 1);
  pycontain_image_records_destroy(image);

  /* Unknown flags and a too small size in the other structs. */
  pycontain_image_options options = {sizeof(options), 1, store};
  pycontain_image_records *images = NULL;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_image_list(&options, &images, NULL),
             NULL);
  options.flags = 0;
  options.size = 1;
  CHECK_CODE(PYCONTAIN_ERROR_INVALID_ARGUMENT, pycontain_image_list(&options, &images, NULL),
             NULL);
  CHECK(images == NULL);
  /* The rejected import added nothing; the accepted one a second image. */
  CHECK(image_count(store) == 2);
}

/* Detaches whatever is still mounted below the work directory, such as
 * layers that the store mounted for a container, so that it can be
 * removed. */
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
  if (!check_environment("capi_images_test")) return 1;
  (void)shell_spec; /* a helper of test_check.h this file does not need */
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(work, sizeof(work), "%s/capi-images-XXXXXX", tmp ? tmp : "/tmp");
  if (mkdtemp(work) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  make_tarball();
  test_import_and_list();
  test_run_imported_image();
  test_save_and_load_round_trip();
  test_load_from_pipe();
  test_remove();
  test_invalid_arguments();
  test_options_size_negotiation();
  test_volumes();
  test_volume_in_use_is_kept();
  unmount_below_work();
  char command[600];
  snprintf(command, sizeof(command), "rm -rf %s", work);
  if (system(command) != 0) fprintf(stderr, "capi_images_test: cannot remove %s\n", work);
  return finish_tests("capi_images_test");
}
