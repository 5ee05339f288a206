/* pycontain.h: the stable C API of libpycontain.
 *
 * A container is described by a ContainerSpec in JSON (the protobuf JSON
 * mapping of lib/spec/container.proto, field names in lowerCamelCase), so
 * new spec fields never change this ABI. Results come back through accessor
 * functions and, for everything else, as RunResult JSON.
 *
 *   #include <pycontain.h>
 *
 *   pycontain_run_result *result = NULL;
 *   pycontain_error *error = NULL;
 *   int rc = pycontain_run(
 *       "{\"process\": {\"args\": [\"/bin/true\"]}}", NULL, &result, &error);
 *   if (rc != PYCONTAIN_OK) {
 *     fprintf(stderr, "%s\n", pycontain_error_message(error));
 *     pycontain_error_destroy(error);
 *   } else {
 *     printf("exit code %d\n", pycontain_run_result_exit_code(result));
 *     pycontain_run_result_destroy(result);
 *   }
 *
 * Build: cc app.c $(pkg-config --cflags --libs pycontain)
 *
 * Conventions, which every function below follows:
 *  - Functions that can fail return an int from enum pycontain_code:
 *    PYCONTAIN_OK (0) or an error code. A code's value is never reused.
 *  - Their last parameter is `pycontain_error **error`. It may be NULL.
 *    Otherwise, on failure, *error receives a new error object that the
 *    caller owns and frees with pycontain_error_destroy. On success *error
 *    is left unchanged.
 *  - Out-parameters are written only on success.
 *  - Pointer parameters are BORROWED (read during the call only, never
 *    kept) unless documented as COPIED or TRANSFERRED.
 *  - Handles are opaque; each has a create and a destroy function.
 *    Destroying NULL does nothing.
 *  - Option structs begin with `size_t size`, which the caller sets to
 *    sizeof the struct it was compiled with. A NULL options pointer means
 *    all defaults; zero in every field is the default. A struct smaller
 *    than this version's is accepted (missing fields read as zero); a
 *    larger one is accepted only when its extra bytes are zero. Anything
 *    else fails with PYCONTAIN_ERROR_INVALID_ARGUMENT before any side
 *    effect.
 *  - No C++ exception crosses this interface. Out of memory is reported as
 *    PYCONTAIN_ERROR_OUT_OF_MEMORY where the library can report it.
 *
 * Thread safety: every function may be called from any thread. Calls on
 * different handles never interfere. The per-handle rules are stated
 * beside each handle type.
 *
 * Requires Linux 5.3 (clone3 and pidfds). Running containers needs root,
 * or an unprivileged user namespace for rootless mode.
 *
 * Growth: new layers arrive as new handle types and functions beside
 * these, each with a size-prefixed options struct. Existing functions and
 * structs keep their layout; new option fields are only ever appended.
 * Functions added after version 0.1 name the version that added them
 * ("Since 0.2"); the library exports them under the symbol version
 * PYCONTAIN_0.2.
 */
#ifndef PYCONTAIN_CAPI_PYCONTAIN_H_
#define PYCONTAIN_CAPI_PYCONTAIN_H_

#include <stddef.h>
#include <stdint.h>

/* Marks a symbol of the public ABI. Everything else in the library is
 * hidden (-fvisibility=hidden plus the linker version script). */
#if defined(PYCONTAIN_BUILDING_LIBRARY)
#define PYCONTAIN_API __attribute__((visibility("default")))
#else
#define PYCONTAIN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version --------------------------------------------------------- */

/* The version of this header. The library's soname changes only when the
 * major version does. */
#define PYCONTAIN_VERSION_MAJOR 0
#define PYCONTAIN_VERSION_MINOR 2
#define PYCONTAIN_VERSION_PATCH 0
/* major * 10000 + minor * 100 + patch, for #if comparisons. */
#define PYCONTAIN_VERSION                                         \
  (PYCONTAIN_VERSION_MAJOR * 10000 + PYCONTAIN_VERSION_MINOR * 100 + \
   PYCONTAIN_VERSION_PATCH)

/* Returns the version of the loaded library, encoded as PYCONTAIN_VERSION
 * is. It may be newer than the header the caller was compiled with. */
PYCONTAIN_API int pycontain_version(void);

/* Returns the loaded library's version as "major.minor.patch". The string
 * is static: never freed, valid for the life of the process. */
PYCONTAIN_API const char *pycontain_version_string(void);

/* ---- Result codes ---------------------------------------------------- */

/* Values are part of the ABI: they never change and are never reused.
 * Callers must treat unknown values as generic failures, since newer
 * libraries may add codes. */
enum pycontain_code {
  PYCONTAIN_OK = 0,
  /* A parameter, option struct or spec field is invalid. For specs,
   * pycontain_error_field names the field. */
  PYCONTAIN_ERROR_INVALID_ARGUMENT = 1,
  /* A file, user, group or other named object does not exist. */
  PYCONTAIN_ERROR_NOT_FOUND = 2,
  PYCONTAIN_ERROR_ALREADY_EXISTS = 3,
  PYCONTAIN_ERROR_PERMISSION_DENIED = 4,
  /* The handle is in the wrong state for the call, such as exec into a
   * container that has exited. */
  PYCONTAIN_ERROR_FAILED_PRECONDITION = 5,
  /* A spec field or call that this build does not apply yet. */
  PYCONTAIN_ERROR_UNIMPLEMENTED = 6,
  /* A wait's timeout expired; the container is still running. */
  PYCONTAIN_ERROR_TIMED_OUT = 7,
  /* A kernel or process limit was reached (EAGAIN, ENOSPC, EMFILE...). */
  PYCONTAIN_ERROR_RESOURCE_EXHAUSTED = 8,
  PYCONTAIN_ERROR_OUT_OF_MEMORY = 9,
  /* A system call failed in a way no other code describes; see
   * pycontain_error_errno. */
  PYCONTAIN_ERROR_SYSTEM = 10,
  /* A bug in pycontain, or a failure it cannot classify. */
  PYCONTAIN_ERROR_INTERNAL = 11
};

/* Returns the enumerator's name without the prefix ("INVALID_ARGUMENT"),
 * or "UNKNOWN" for a value this library does not know. Static string. */
PYCONTAIN_API const char *pycontain_code_name(int code);

/* ---- Errors ---------------------------------------------------------- */

/* The details of one failure. Immutable once returned, so it may be read
 * from several threads at once; destroy it once. */
typedef struct pycontain_error pycontain_error;

PYCONTAIN_API void pycontain_error_destroy(pycontain_error *error);

/* The pycontain_code that the failing call returned. */
PYCONTAIN_API int pycontain_error_code(const pycontain_error *error);

/* The full message, naming the operation and the object, such as
 * "container c1: pivot_root into /srv/rootfs: Invalid argument". Never
 * NULL. Valid until the error is destroyed. */
PYCONTAIN_API const char *pycontain_error_message(const pycontain_error *error);

/* The errno of the failed system call, or 0 when the failure was not a
 * system call's. */
PYCONTAIN_API int pycontain_error_errno(const pycontain_error *error);

/* The step that failed: the system call's operation and object, such as
 * "pivot_root into /srv/rootfs", or "" when no system call failed. Never
 * NULL. Valid until the error is destroyed. */
PYCONTAIN_API const char *pycontain_error_step(const pycontain_error *error);

/* For an invalid spec, the field at fault as a dotted path in the spec's
 * field names, such as "process.cwd"; otherwise "". Never NULL. Valid until
 * the error is destroyed. */
PYCONTAIN_API const char *pycontain_error_field(const pycontain_error *error);

/* ---- Strings -------------------------------------------------------- */

/* Frees a string that a pycontain function returned as TRANSFERRED, such
 * as the JSON of pycontain_network_inspect. NULL does nothing. Since 0.2. */
PYCONTAIN_API void pycontain_string_free(char *string);

/* ---- Logging --------------------------------------------------------- */

enum pycontain_log_level {
  PYCONTAIN_LOG_DEBUG = 0,
  PYCONTAIN_LOG_INFO = 1,
  PYCONTAIN_LOG_WARNING = 2,
  PYCONTAIN_LOG_ERROR = 3
};

/* Receives one log line. `container_id` ("" for lines about no container)
 * and `message` are borrowed: valid only during the call. Called from the
 * thread that logs, possibly several threads at once. It must not call
 * pycontain_set_log_callback. */
typedef void (*pycontain_log_callback)(void *user_data, int level,
                                       const char *container_id,
                                       const char *message);

/* Sends every later log line at or above `min_level` to `callback`, with
 * `user_data` (borrowed, kept until the next call; the library never
 * dereferences it). A NULL callback restores the default: warnings and
 * errors to stderr, or the level set by the environment variable
 * PYCONTAIN_LOG. Without a callback nothing else is printed.
 *
 * Lines already being delivered on other threads may still reach the old
 * callback after this returns; keep its user_data alive until those calls
 * can have finished. Errors: INVALID_ARGUMENT for an unknown level. */
PYCONTAIN_API int pycontain_set_log_callback(pycontain_log_callback callback,
                                             void *user_data, int min_level,
                                             pycontain_error **error);

/* ---- Run results ----------------------------------------------------- */

/* What a finished container or exec'd process reported. Immutable, so it
 * may be read from several threads at once; destroy it once. */
typedef struct pycontain_run_result pycontain_run_result;

PYCONTAIN_API void pycontain_run_result_destroy(pycontain_run_result *result);

/* The exit status of the first process, or -1 when a signal ended it. */
PYCONTAIN_API int pycontain_run_result_exit_code(const pycontain_run_result *result);

/* The signal that ended the first process, or 0 when it exited. */
PYCONTAIN_API int pycontain_run_result_signal(const pycontain_run_result *result);

/* 1 when a timeout expired and the container was killed, else 0. */
PYCONTAIN_API int pycontain_run_result_timed_out(const pycontain_run_result *result);

/* 1 when the OOM killer ended the first process, else 0. */
PYCONTAIN_API int pycontain_run_result_oom_killed(const pycontain_run_result *result);

/* Wall-clock time from the start of setup to the exit, in nanoseconds. */
PYCONTAIN_API int64_t pycontain_run_result_wall_time_ns(
    const pycontain_run_result *result);

/* User plus system CPU time of the process and the descendants it reaped,
 * in nanoseconds. */
PYCONTAIN_API int64_t pycontain_run_result_cpu_time_ns(
    const pycontain_run_result *result);

/* Peak memory of the container's cgroup in bytes when the cgroup layer
 * measured it, else the largest resident set size of one process
 * (getrusage), else -1. */
PYCONTAIN_API int64_t pycontain_run_result_memory_peak_bytes(
    const pycontain_run_result *result);

/* The whole result as RunResult JSON (lowerCamelCase names), including the
 * cgroup accounting and the enforcement receipt. Never NULL. Valid until
 * the result is destroyed. */
PYCONTAIN_API const char *pycontain_run_result_json(
    const pycontain_run_result *result);

/* ---- One-shot run ---------------------------------------------------- */

typedef struct pycontain_run_options {
  size_t size; /* sizeof(pycontain_run_options) */
  /* Reserved for flags; must be 0. */
  uint64_t flags;
} pycontain_run_options;

/* Starts a container for `spec_json` (borrowed), waits for it to exit
 * (killing it when the spec's timeout expires) and removes it. On success
 * *result receives a new result the caller owns. A command that exits
 * non-zero is a success of this call; check the result.
 *
 * Errors: INVALID_ARGUMENT for malformed JSON or an invalid spec (see
 * pycontain_error_field); UNIMPLEMENTED for a spec field this build does
 * not apply; the code of the failed setup step otherwise, with its errno
 * and step. Nothing is left behind on error. Blocks until the container
 * exits. Thread-safe. */
PYCONTAIN_API int pycontain_run(const char *spec_json,
                                const pycontain_run_options *options,
                                pycontain_run_result **result,
                                pycontain_error **error);

/* ---- Containers ------------------------------------------------------ */

/* One container. Its functions may be called from several threads at
 * once: kill, state and exec are safe while another thread waits. Destroy
 * only when no other call on it is in progress. */
typedef struct pycontain_container pycontain_container;

enum pycontain_state {
  /* Created: the spec is validated; nothing exists in the kernel yet. */
  PYCONTAIN_STATE_CREATED = 0,
  /* The first process runs. */
  PYCONTAIN_STATE_RUNNING = 1,
  /* The first process has exited (whether or not a wait collected it). */
  PYCONTAIN_STATE_STOPPED = 2,
  /* Every process is frozen by pycontain_container_pause. Since 0.2. */
  PYCONTAIN_STATE_PAUSED = 3
};

typedef struct pycontain_create_options {
  size_t size; /* sizeof(pycontain_create_options) */
  /* Reserved for flags; must be 0. */
  uint64_t flags;
} pycontain_create_options;

/* Parses and validates `spec_json` (borrowed) and returns a container in
 * the CREATED state in *container (owned by the caller). No kernel object
 * exists until pycontain_container_start. Errors: INVALID_ARGUMENT and
 * UNIMPLEMENTED as for pycontain_run. */
PYCONTAIN_API int pycontain_container_create(
    const char *spec_json, const pycontain_create_options *options,
    pycontain_container **container, pycontain_error **error);

/* Deletes the container: kills every process in it with SIGKILL, reaps
 * them and removes its state. Blocks until they are gone. */
PYCONTAIN_API void pycontain_container_destroy(pycontain_container *container);

/* Sets the container up and starts its command; returns once the command
 * has been exec'd. Errors: FAILED_PRECONDITION unless CREATED; the failed
 * setup step's code, errno and step otherwise, with nothing left behind
 * and the container still CREATED. */
PYCONTAIN_API int pycontain_container_start(pycontain_container *container,
                                            pycontain_error **error);

/* The container's id (from the spec, or generated at create). Valid until
 * the container is destroyed. */
PYCONTAIN_API const char *pycontain_container_id(
    const pycontain_container *container);

/* The current pycontain_state. Polls the first process without blocking,
 * so a container whose process has exited is STOPPED before any wait. */
PYCONTAIN_API int pycontain_container_state(
    const pycontain_container *container);

/* The first process's pid in the caller's PID namespace, or 0 unless
 * RUNNING or PAUSED. */
PYCONTAIN_API int pycontain_container_pid(const pycontain_container *container);

/* Wait flags. */
/* Use timeout_ns instead of the spec's timeout. */
#define PYCONTAIN_WAIT_TIMEOUT ((uint64_t)1)
/* When the timeout expires, kill the container with SIGKILL and return its
 * result with timed_out set, instead of PYCONTAIN_ERROR_TIMED_OUT. */
#define PYCONTAIN_WAIT_KILL_ON_TIMEOUT ((uint64_t)2)

typedef struct pycontain_wait_options {
  size_t size; /* sizeof(pycontain_wait_options) */
  uint64_t flags; /* PYCONTAIN_WAIT_* */
  /* With PYCONTAIN_WAIT_TIMEOUT: how long to wait, in nanoseconds, >= 0;
   * 0 polls. */
  int64_t timeout_ns;
} pycontain_wait_options;

/* Waits for the first process to exit, reaps it and returns its result in
 * *result (owned by the caller); the container becomes STOPPED. Without
 * PYCONTAIN_WAIT_TIMEOUT the spec's timeout applies, counted from this
 * call, and kills the container when it expires; with no spec timeout it
 * waits forever. Errors: FAILED_PRECONDITION before start, after a
 * wait returned a result, or while another thread waits; TIMED_OUT
 * when the options' timeout expired without KILL_ON_TIMEOUT (the container
 * keeps running). */
PYCONTAIN_API int pycontain_container_wait(
    pycontain_container *container, const pycontain_wait_options *options,
    pycontain_run_result **result, pycontain_error **error);

/* Sends `signal` to the first process (in a new PID namespace, SIGKILL ends
 * every process of the container). SIGKILL to a PAUSED container also
 * resumes it, so that its processes can die; other signals stay pending
 * until pycontain_container_resume. Safe while another thread waits.
 * Errors: FAILED_PRECONDITION before start; INVALID_ARGUMENT for a bad
 * signal number; NOT_FOUND (errno ESRCH) once a wait has reaped the
 * process. */
PYCONTAIN_API int pycontain_container_kill(pycontain_container *container,
                                           int signal, pycontain_error **error);

/* Freezes every process of the container through its cgroup's freezer
 * (cgroup v2 cgroup.freeze, Linux 5.2, or the v1 freezer), like `docker
 * pause`: they keep their memory but get no CPU time, and signals other
 * than SIGKILL wait until they are thawed. Returns once the kernel reports
 * the cgroup frozen; the state is then PAUSED. A wait keeps waiting (a
 * spec or wait timeout still kills). Safe while another thread waits.
 *
 * Errors: FAILED_PRECONDITION unless RUNNING (not started, already paused,
 * or exited), or when the container has no cgroup (rootless without a
 * delegated cgroup v2 subtree); TIMED_OUT when the kernel did not report
 * the cgroup frozen within 5 seconds; SYSTEM with errno for a failed write
 * to the cgroup. Since 0.2. */
PYCONTAIN_API int pycontain_container_pause(pycontain_container *container,
                                            pycontain_error **error);

/* Thaws a PAUSED container; the state becomes RUNNING again. Errors:
 * FAILED_PRECONDITION unless PAUSED; otherwise as for pause. Since 0.2. */
PYCONTAIN_API int pycontain_container_resume(pycontain_container *container,
                                             pycontain_error **error);

/* A process started in a running container by pycontain_container_exec.
 * Use it from one thread at a time, except that kill is safe while
 * another thread waits. */
typedef struct pycontain_process pycontain_process;

typedef struct pycontain_exec_options {
  size_t size; /* sizeof(pycontain_exec_options) */
  /* Reserved for flags; must be 0. */
  uint64_t flags;
} pycontain_exec_options;

/* Starts the process described by `process_json` (borrowed; the JSON of a
 * spec Process: args, env, cwd, user, stdio) in all of the container's
 * namespaces, like `docker exec`, and returns it in *process (owned by the
 * caller). Returns once the command has been exec'd. Errors:
 * FAILED_PRECONDITION before start, while PAUSED, or once a wait has
 * reaped the first process; INVALID_ARGUMENT for bad JSON; setup errors as
 * for start. */
PYCONTAIN_API int pycontain_container_exec(
    pycontain_container *container, const char *process_json,
    const pycontain_exec_options *options, pycontain_process **process,
    pycontain_error **error);

/* Kills the process with SIGKILL if it still runs, and reaps it. */
PYCONTAIN_API void pycontain_process_destroy(pycontain_process *process);

/* The process's pid in the caller's PID namespace. */
PYCONTAIN_API int pycontain_process_pid(const pycontain_process *process);

/* Waits for the process as pycontain_container_wait does for a container
 * (without PYCONTAIN_WAIT_TIMEOUT it waits forever). The result's
 * accounting and receipt are empty. */
PYCONTAIN_API int pycontain_process_wait(pycontain_process *process,
                                         const pycontain_wait_options *options,
                                         pycontain_run_result **result,
                                         pycontain_error **error);

/* Sends `signal` to the process. Errors as for pycontain_container_kill. */
PYCONTAIN_API int pycontain_process_kill(pycontain_process *process,
                                         int signal, pycontain_error **error);

/* ---- Images ---------------------------------------------------------- */

/* Images live in a content-addressed store: blobs by sha256 digest, each
 * layer unpacked once, one record per image with its "name:tag" names.
 * The store is the options' store_root when given, else $PYCONTAIN_ROOT,
 * else /var/lib/pycontain for root and $XDG_DATA_HOME/pycontain (default
 * ~/.local/share/pycontain) for other users. A container whose spec names
 * an `image` finds it in the default store, so a program that runs images
 * it loaded into another store_root sets PYCONTAIN_ROOT instead.
 *
 * An image is named by a reference: "name:tag" (":latest" when the tag is
 * missing), its id "sha256:<64 hex digits>", or a unique prefix of at
 * least 4 hex digits of the id.
 *
 * Thread safety: every image function is thread-safe, also against other
 * processes using the same store: a lock file in the store orders
 * writers. Since 0.2. */

/* Images returned by load, import and list: an immutable snapshot, so it
 * may be read from several threads at once; destroy it once. The store may
 * change after it was taken. */
typedef struct pycontain_image_records pycontain_image_records;

PYCONTAIN_API void pycontain_image_records_destroy(pycontain_image_records *records);

/* The number of images. */
PYCONTAIN_API size_t pycontain_image_records_count(
    const pycontain_image_records *records);

/* The id ("sha256:<hex>") of image `index`, or NULL when index >= count.
 * Valid until the records are destroyed. */
PYCONTAIN_API const char *pycontain_image_records_id(
    const pycontain_image_records *records, size_t index);

/* The number of "name:tag" names of image `index` (0 for an image without
 * a name, or when index >= count). */
PYCONTAIN_API size_t pycontain_image_records_name_count(
    const pycontain_image_records *records, size_t index);

/* Name `name_index` of image `index`, such as "busybox:latest", or NULL
 * when either index is out of range. Valid until the records are
 * destroyed. */
PYCONTAIN_API const char *pycontain_image_records_name(
    const pycontain_image_records *records, size_t index, size_t name_index);

/* When image `index` was added to the store, in seconds since the Unix
 * epoch, or -1 when index >= count. */
PYCONTAIN_API int64_t pycontain_image_records_loaded(
    const pycontain_image_records *records, size_t index);

/* All images as a JSON array of objects with "id", "names", "loaded" (as
 * above), "manifest" (the manifest's digest) and "config" (the image's
 * OCI config object, as stored). Never NULL. Valid until the records are
 * destroyed. */
PYCONTAIN_API const char *pycontain_image_records_json(
    const pycontain_image_records *records);

/* Options of list and remove. */
typedef struct pycontain_image_options {
  size_t size; /* sizeof(pycontain_image_options) */
  /* Reserved for flags; must be 0. */
  uint64_t flags;
  /* The store's directory (borrowed); NULL or "": the default store. */
  const char *store_root;
} pycontain_image_options;

typedef struct pycontain_image_load_options {
  size_t size; /* sizeof(pycontain_image_load_options) */
  /* Reserved for flags; must be 0. */
  uint64_t flags;
  /* As in pycontain_image_options. */
  const char *store_root;
  /* "os/architecture[/variant]" (borrowed), such as "linux/arm64": images
   * of an OCI index that name another platform are skipped. An empty part
   * matches anything. NULL or "": linux on the running machine's
   * architecture. */
  const char *platform;
  /* The repository for OCI index entries that name only a tag (umoci and
   * skopeo write "latest", not "busybox:latest"). NULL or "": the base name
   * of the path less ".tar"; for pycontain_image_load_fd, "image". */
  const char *repository;
} pycontain_image_load_options;

/* Loads every image of `path` (borrowed) into the store: a docker-archive
 * (`docker save`) or OCI archive, plain or gzip/zstd compressed, or an OCI
 * image layout directory. Every digest given is verified. On success
 * *images receives the loaded images (owned by the caller), with all their
 * names. A load that fails leaves the store as it was.
 *
 * Errors: INVALID_ARGUMENT for a path that is neither format, a bad
 * platform or bad options; NOT_FOUND for a missing path, or when no image
 * matches the platform; SYSTEM with errno for a failed system call;
 * INTERNAL for a digest mismatch or corrupt archive. */
PYCONTAIN_API int pycontain_image_load(const char *path,
                                       const pycontain_image_load_options *options,
                                       pycontain_image_records **images,
                                       pycontain_error **error);

/* Loads an archive read from `fd` (borrowed; left open) as
 * pycontain_image_load does from a path. `fd` must be a regular file,
 * which is read from its start, or a pipe or FIFO, which is read to its
 * end. Errors: as for pycontain_image_load; INVALID_ARGUMENT for another
 * kind of file (such as a socket). */
PYCONTAIN_API int pycontain_image_load_fd(int fd,
                                          const pycontain_image_load_options *options,
                                          pycontain_image_records **images,
                                          pycontain_error **error);

enum pycontain_image_format {
  /* A `docker save` tar file: uncompressed layers, manifest.json and
   * repositories, which `docker load` and pycontain_image_load read. */
  PYCONTAIN_IMAGE_FORMAT_DOCKER_ARCHIVE = 0,
  /* An OCI image layout directory; each name becomes an index entry. */
  PYCONTAIN_IMAGE_FORMAT_OCI_LAYOUT = 1
};

typedef struct pycontain_image_save_options {
  size_t size; /* sizeof(pycontain_image_save_options) */
  /* Reserved for flags; must be 0. */
  uint64_t flags;
  /* As in pycontain_image_options. */
  const char *store_root;
  /* A pycontain_image_format; 0: docker-archive. */
  int format;
} pycontain_image_save_options;

/* Writes the `count` images named by `references` (an array of borrowed
 * strings) to `path` (borrowed): a docker-archive file, replaced when it
 * exists, or an OCI layout directory, which must be missing or empty.
 *
 * Errors: INVALID_ARGUMENT for count 0, a NULL reference or an unknown
 * format; NOT_FOUND for an unknown image; SYSTEM with errno for a failed
 * write. A failed save may leave a partial file at `path`. */
PYCONTAIN_API int pycontain_image_save(const char *const *references, size_t count,
                                       const char *path,
                                       const pycontain_image_save_options *options,
                                       pycontain_error **error);

/* Writes the images as a docker-archive to `fd` (borrowed; left open), a
 * regular file or a pipe or FIFO, at its current offset. The archive is
 * made in a temporary file first ($TMPDIR, else /var/tmp), so that
 * directory needs room for it. Errors: as for pycontain_image_save;
 * INVALID_ARGUMENT for the OCI layout format, which is a directory, or
 * another kind of file; SYSTEM with errno EPIPE when the reader of a pipe
 * went away (SIGPIPE must be ignored or handled for that). */
PYCONTAIN_API int pycontain_image_save_fd(const char *const *references, size_t count,
                                          int fd,
                                          const pycontain_image_save_options *options,
                                          pycontain_error **error);

typedef struct pycontain_image_import_options {
  size_t size; /* sizeof(pycontain_image_import_options) */
  /* Reserved for flags; must be 0. */
  uint64_t flags;
  /* As in pycontain_image_options. */
  const char *store_root;
  /* Names for the new image, "name:tag" (borrowed array of name_count
   * strings). None: an image known only by its id. */
  const char *const *names;
  size_t name_count;
  /* Recorded in the image's history (borrowed); NULL: none. */
  const char *comment;
  /* The image's default command (Cmd) and environment (Env, NAME=value),
   * borrowed arrays; none: empty. */
  const char *const *cmd;
  size_t cmd_count;
  const char *const *env;
  size_t env_count;
} pycontain_image_import_options;

/* Imports the tar file `path` (borrowed; plain or compressed) of a root
 * filesystem as a new one-layer image, like `docker import`. On success
 * *image receives a record of the one new image (owned by the caller).
 *
 * Errors: INVALID_ARGUMENT for a NULL or empty name, or a NULL array with
 * a non-zero count; NOT_FOUND for a missing path; SYSTEM with errno for a
 * failed system call; INTERNAL for a corrupt tar file.
 * NOTE: names are stored as given, without checking Docker's reference
 * syntax. */
PYCONTAIN_API int pycontain_image_import(const char *path,
                                         const pycontain_image_import_options *options,
                                         pycontain_image_records **image,
                                         pycontain_error **error);

/* Returns every image of the store in *images (owned by the caller),
 * ordered by id. Errors: SYSTEM with errno when the store cannot be read. */
PYCONTAIN_API int pycontain_image_list(const pycontain_image_options *options,
                                       pycontain_image_records **images,
                                       pycontain_error **error);

/* Removes `reference` (borrowed). For "name:tag" the name goes, and the
 * image with it when it has no other name; for an id (or id prefix) the
 * image goes with all its names. Blobs and layers that no image uses any
 * more stay until a prune (`pycontain image prune`). Running containers
 * keep their root filesystems. Like `docker rmi`, an image that a named
 * container (pycontain_managed_create) was created from is not deleted
 * while that container exists; removing one of several names of it is
 * allowed. Errors: NOT_FOUND for an unknown reference; INVALID_ARGUMENT
 * for an ambiguous id prefix; FAILED_PRECONDITION, naming the container,
 * for an image a named container uses. */
PYCONTAIN_API int pycontain_image_remove(const char *reference,
                                         const pycontain_image_options *options,
                                         pycontain_error **error);

/* ---- Volumes --------------------------------------------------------- */

/* Volumes as in Docker: directories in the store that outlive containers
 * and are bound into them by spec mounts of type "volume" ({"type":
 * "volume", "source": NAME, "destination": PATH}). A mount without a
 * source gets a new anonymous volume. They live under <store>/volumes,
 * where the store is chosen as for images (store_root, else
 * $PYCONTAIN_ROOT, else the user's default); containers use the default
 * store.
 *
 * Records are returned as JSON objects in the form of `docker volume
 * inspect`: "Name", "Driver" ("local"), "Mountpoint" (the host directory
 * of the data), "CreatedAt" (RFC 3339), "Labels", "Options" and "Scope".
 *
 * Thread safety: every volume function is thread-safe; processes
 * coordinate through the file system. Since 0.2. */

/* Flag of pycontain_volume_remove: remove a volume that containers use. */
#define PYCONTAIN_VOLUME_FORCE ((uint64_t)1)
/* Flag of pycontain_volume_prune: remove unused named volumes too, not
 * only anonymous ones. */
#define PYCONTAIN_VOLUME_PRUNE_ALL ((uint64_t)2)

typedef struct pycontain_volume_options {
  size_t size; /* sizeof(pycontain_volume_options) */
  /* PYCONTAIN_VOLUME_* flags where the call names them; otherwise 0. */
  uint64_t flags;
  /* As in pycontain_image_options (borrowed). */
  const char *store_root;
  /* create: label_count labels, "KEY=VALUE" (borrowed). Must be 0 for the
   * other calls. */
  const char *const *labels;
  size_t label_count;
} pycontain_volume_options;

/* Creates the volume `name` (borrowed; [a-zA-Z0-9][a-zA-Z0-9_.-]+), or an
 * anonymous volume with a random name when `name` is NULL or "". When
 * record_json is not NULL, *record_json receives its record (TRANSFERRED:
 * free it with pycontain_string_free). Errors: INVALID_ARGUMENT for an
 * invalid name or label; ALREADY_EXISTS when the name is taken; SYSTEM
 * with errno when the file system fails. */
PYCONTAIN_API int pycontain_volume_create(const char *name,
                                          const pycontain_volume_options *options,
                                          char **record_json, pycontain_error **error);

/* Returns the record of volume `name` (borrowed) in *record_json
 * (TRANSFERRED: free it with pycontain_string_free). Errors: NOT_FOUND;
 * INVALID_ARGUMENT for an invalid name. */
PYCONTAIN_API int pycontain_volume_inspect(const char *name,
                                           const pycontain_volume_options *options,
                                           char **record_json, pycontain_error **error);

/* Returns a JSON array of every volume's record, ordered by name, in
 * *records_json (TRANSFERRED: free it with pycontain_string_free). A
 * damaged volume is left out with a warning in the log. */
PYCONTAIN_API int pycontain_volume_list(const pycontain_volume_options *options,
                                        char **records_json, pycontain_error **error);

/* Removes volume `name` (borrowed) and its data. Without
 * PYCONTAIN_VOLUME_FORCE a volume that a container uses is kept: the call
 * fails with FAILED_PRECONDITION naming the containers. Errors: NOT_FOUND. */
PYCONTAIN_API int pycontain_volume_remove(const char *name,
                                          const pycontain_volume_options *options,
                                          pycontain_error **error);

/* Removes the volumes that no container uses: anonymous ones only, as
 * Docker 23 and later do, unless PYCONTAIN_VOLUME_PRUNE_ALL. When
 * removed_json is not NULL, *removed_json receives a JSON array of the
 * removed names (TRANSFERRED: free it with pycontain_string_free). */
PYCONTAIN_API int pycontain_volume_prune(const pycontain_volume_options *options,
                                         char **removed_json, pycontain_error **error);

/* ---- Networks -------------------------------------------------------- */

/* Named networks that containers join with a spec's
 * "network": {"mode": "BRIDGE", "name": NAME} (or MACVLAN, IPVLAN). A
 * bridge network is a Linux bridge with a /28 subnet (by default), NAT for
 * outbound traffic and name resolution between its containers.
 *
 * Networks are recorded under the state root: the options' state_root,
 * else $PYCONTAIN_STATE_DIR, else /run/pycontain for root (/dev/shm/pycontain
 * when /run is not a tmpfs). Containers look
 * networks up in the default state root, so give state_root only for
 * networks that no container of this process joins, or set
 * PYCONTAIN_STATE_DIR instead.
 *
 * Records are returned as JSON objects with lowerCamelCase names: "name",
 * "id", "driver" ("BRIDGE", "MACVLAN" or "IPVLAN"), "subnet", "gateway",
 * "subnet6", "gateway6", "mtu", "bridge", "parent", "internal", "created"
 * (RFC 3339) and "endpoints" (the attached containers, each with
 * "containerId", "name", "ip", "ip6" and more). Fields with default
 * values (empty, 0, false) are left out.
 *
 * Needs CAP_NET_ADMIN in the host namespace, and the nft command for
 * bridge networks. Thread safety: every network function is thread-safe,
 * also against other processes: a lock in the state root orders changes.
 * Since 0.2. */

enum pycontain_network_driver {
  /* A Linux bridge with NAT. */
  PYCONTAIN_NETWORK_BRIDGE = 0,
  /* macvlan links on a parent interface's L2 segment, without NAT. */
  PYCONTAIN_NETWORK_MACVLAN = 1,
  /* ipvlan links on a parent interface, without NAT. */
  PYCONTAIN_NETWORK_IPVLAN = 2
};

/* Flags of pycontain_network_create. */
/* Add an IPv6 subnet: subnet6, or a random fd00::/8 /64 when NULL. */
#define PYCONTAIN_NETWORK_IPV6 ((uint64_t)1)
/* No outbound NAT and no published ports: containers reach only each
 * other and the gateway. */
#define PYCONTAIN_NETWORK_INTERNAL ((uint64_t)2)

/* Options of every network call. Fields marked "create" are read only by
 * pycontain_network_create and must be 0 (NULL) for the other calls. All
 * strings are borrowed. */
typedef struct pycontain_network_options {
  size_t size; /* sizeof(pycontain_network_options) */
  /* create: PYCONTAIN_NETWORK_* flags. Must be 0 for the other calls. */
  uint64_t flags;
  /* A network namespace file (such as /proc/PID/ns/net) that plays the
   * host: bridges and NAT rules are made there. NULL or "": the caller's
   * namespace. A network can only be changed from the namespace it was
   * created in. */
  const char *host_netns_path;
  /* The state root whose networks to use; NULL or "": the default. */
  const char *state_root;
  /* create: a pycontain_network_driver; 0: bridge. */
  int driver;
  /* create: MTU of the bridge and links in bytes; 0: 1500. */
  uint32_t mtu;
  /* create: IPv4 subnet ("10.1.2.0/24") and gateway; NULL: the next free
   * /28 of the pool and its first address. */
  const char *subnet;
  const char *gateway;
  /* create, with PYCONTAIN_NETWORK_IPV6: IPv6 subnet and gateway. */
  const char *subnet6;
  const char *gateway6;
  /* create: the parent interface of a macvlan or ipvlan network. */
  const char *parent;
  /* create: the IPv4 pool that subnets are taken from; NULL:
   * 10.213.0.0/24. */
  const char *pool;
} pycontain_network_options;

/* Creates the network `name` (borrowed; [A-Za-z0-9][A-Za-z0-9_.-]*, at
 * most 64 bytes) and, for a bridge network, its bridge and rules. When
 * record_json is not NULL, *record_json receives the new network's record
 * (TRANSFERRED: free it with pycontain_string_free).
 *
 * Errors: INVALID_ARGUMENT naming a bad name or option; ALREADY_EXISTS for
 * a taken name or an overlapping subnet; RESOURCE_EXHAUSTED when the pool
 * has no free subnet; UNIMPLEMENTED when the kernel lacks the driver's
 * link type; PERMISSION_DENIED without CAP_NET_ADMIN; SYSTEM with errno
 * for other failed system calls or a failed nft command. */
PYCONTAIN_API int pycontain_network_create(const char *name,
                                           const pycontain_network_options *options,
                                           char **record_json,
                                           pycontain_error **error);

/* Returns the record of network `name` (borrowed) in *record_json
 * (TRANSFERRED: free it with pycontain_string_free). Errors: NOT_FOUND. */
PYCONTAIN_API int pycontain_network_inspect(const char *name,
                                            const pycontain_network_options *options,
                                            char **record_json, pycontain_error **error);

/* Returns a JSON array of every network's record, ordered by name, in
 * *records_json (TRANSFERRED: free it with pycontain_string_free). */
PYCONTAIN_API int pycontain_network_list(const pycontain_network_options *options,
                                         char **records_json, pycontain_error **error);

/* Removes network `name` (borrowed): its bridge, rules and record.
 * Errors: NOT_FOUND; FAILED_PRECONDITION naming the containers still
 * attached. */
PYCONTAIN_API int pycontain_network_remove(const char *name,
                                           const pycontain_network_options *options,
                                           pycontain_error **error);

/* ---- Managed containers ---------------------------------------------- */

/* Containers with a name and a lifetime of their own, like `docker run -d`:
 * created from spec JSON, started with a monitor process that keeps them
 * running after the caller exits, and found later by name, full id or a
 * unique id prefix. They are recorded under <store>/containers of the
 * default image store ($PYCONTAIN_ROOT, else /var/lib/pycontain for root);
 * their output goes to a log in Docker's json-file format. Compose
 * projects run their services as managed containers.
 *
 * NOTE: pycontain_managed_start forks the monitor from the calling process,
 * which then goes on running library code. Other threads of the caller
 * must not hold locks that this code takes at that moment (glibc's malloc
 * is safe through its fork handlers).
 *
 * Records are JSON: pycontain_managed_create and _inspect return the
 * layout of `docker inspect` (Id, Name as "/name", Created, State, Config
 * with Image, Labels, Cmd and Env, Spec, LogPath and more).
 *
 * Thread safety: every function is thread-safe, also across processes: a
 * lock file per container orders changes. Since 0.2. */

/* create: remove the container once it exits (`docker run --rm`). */
#define PYCONTAIN_MANAGED_AUTO_REMOVE ((uint64_t)1)
/* remove: kill a running container first instead of failing. */
#define PYCONTAIN_MANAGED_FORCE ((uint64_t)2)
/* remove: also remove the container's anonymous volumes. */
#define PYCONTAIN_MANAGED_VOLUMES ((uint64_t)4)
/* list: include containers that are not running. */
#define PYCONTAIN_MANAGED_ALL ((uint64_t)8)
/* stop: wait grace_ns instead of Docker's 10 seconds before SIGKILL. */
#define PYCONTAIN_MANAGED_GRACE ((uint64_t)16)
/* logs: only the last `tail` lines. */
#define PYCONTAIN_MANAGED_TAIL ((uint64_t)32)

/* Options of every managed call; each reads only the fields and flags
 * marked with its name, and rejects other flags and labels. */
typedef struct pycontain_managed_options {
  size_t size; /* sizeof(pycontain_managed_options) */
  uint64_t flags; /* PYCONTAIN_MANAGED_* */
  /* create: the name (borrowed; [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64
   * bytes); NULL or "": a random name such as "quiet_lynx_3f2a". */
  const char *name;
  /* create: labels "KEY=VALUE"; list: only containers with all these
   * labels, where "KEY" alone matches any value. Borrowed. */
  const char *const *labels;
  size_t label_count;
  /* stop, with PYCONTAIN_MANAGED_GRACE: nanoseconds between SIGTERM and
   * SIGKILL, >= 0. */
  int64_t grace_ns;
  /* logs, with PYCONTAIN_MANAGED_TAIL: how many of the last lines. */
  int64_t tail;
} pycontain_managed_options;

/* Validates `spec_json` (borrowed; its id must be empty and its stdio
 * unset, because the monitor owns them) and saves the container as
 * "created"; starts nothing. When record_json is not NULL, *record_json
 * receives its inspect JSON (TRANSFERRED: free it with
 * pycontain_string_free). Errors: INVALID_ARGUMENT for an invalid spec,
 * name or label; ALREADY_EXISTS naming the container that has the name;
 * NOT_FOUND for an unknown image. */
PYCONTAIN_API int pycontain_managed_create(const char *spec_json,
                                           const pycontain_managed_options *options,
                                           char **record_json, pycontain_error **error);

/* Starts a created or exited container through a new monitor and returns
 * once its command has been exec'd (see the NOTE above). Starting a
 * running container does nothing. Errors: NOT_FOUND naming the container;
 * FAILED_PRECONDITION for an ambiguous id prefix; the setup step's error
 * otherwise, which is also recorded in the container's State.Error. */
PYCONTAIN_API int pycontain_managed_start(const char *name_or_id,
                                          const pycontain_managed_options *options,
                                          pycontain_error **error);

/* Sends SIGTERM, then SIGKILL after the grace period, and returns once
 * the monitor recorded the exit. A stopped container is no error. */
PYCONTAIN_API int pycontain_managed_stop(const char *name_or_id,
                                         const pycontain_managed_options *options,
                                         pycontain_error **error);

/* Sends `signal` to the running container's first process. Errors:
 * FAILED_PRECONDITION when it is not running; INVALID_ARGUMENT for a bad
 * signal number. */
PYCONTAIN_API int pycontain_managed_kill(const char *name_or_id, int signal,
                                         const pycontain_managed_options *options,
                                         pycontain_error **error);

/* Blocks until the container is not running and, when exit_code is not
 * NULL, stores its exit code as Docker reports it (128 + signal for a
 * killed one) in *exit_code. A container made with
 * PYCONTAIN_MANAGED_AUTO_REMOVE is gone once it exited, so waiting for
 * one may fail with NOT_FOUND instead. */
PYCONTAIN_API int pycontain_managed_wait(const char *name_or_id,
                                         const pycontain_managed_options *options,
                                         int *exit_code, pycontain_error **error);

/* Returns the running containers (all with PYCONTAIN_MANAGED_ALL), the
 * most recently created first, in *containers_json (TRANSFERRED: free it
 * with pycontain_string_free): a JSON array of objects with "id", "name",
 * "image", "status" ("created", "running" or "exited"), "labels" and
 * "state" (the monitor's record: "Status", "Pid", "ExitCode", "StartedAt"
 * and more). */
PYCONTAIN_API int pycontain_managed_list(const pycontain_managed_options *options,
                                         char **containers_json, pycontain_error **error);

/* Returns the container's inspect JSON in *record_json (TRANSFERRED: free
 * it with pycontain_string_free). Errors: NOT_FOUND. */
PYCONTAIN_API int pycontain_managed_inspect(const char *name_or_id,
                                            const pycontain_managed_options *options,
                                            char **record_json, pycontain_error **error);

/* Removes the container with its writable layer, log and name. Errors:
 * FAILED_PRECONDITION for a running container without
 * PYCONTAIN_MANAGED_FORCE; NOT_FOUND. */
PYCONTAIN_API int pycontain_managed_remove(const char *name_or_id,
                                           const pycontain_managed_options *options,
                                           pycontain_error **error);

/* Returns the container's output so far as a JSON array of objects with
 * "log" (the line, with its newline), "stream" ("stdout" or "stderr") and
 * "time" (RFC 3339) in *logs_json (TRANSFERRED: free it with
 * pycontain_string_free). */
PYCONTAIN_API int pycontain_managed_logs(const char *name_or_id,
                                         const pycontain_managed_options *options,
                                         char **logs_json, pycontain_error **error);

/* ---- Compose projects ------------------------------------------------ */

/* Compose projects as docker compose v2 runs them: the files are loaded,
 * interpolated, merged and validated into a normalized model (what
 * `docker compose config` prints), and up, down and ps run its services as
 * managed containers named <project>-<service>-<n>. The containers outlive
 * the calling process: their monitors keep them, and down in another
 * process finds them by their labels. Images come from the default image
 * store and containers are recorded under <store>/containers.
 *
 * Fields that Compose defines but pycontain does not apply are listed as
 * warnings in the project's JSON, never ignored silently.
 *
 * Thread safety: load is thread-safe. A project is used by one thread at a
 * time; its accessors may be read from several threads at once. Since 0.2.
 */
typedef struct pycontain_compose_project pycontain_compose_project;

/* Flag of pycontain_compose_options: interpolate with `environment` only,
 * without the process environment under it. */
#define PYCONTAIN_COMPOSE_ONLY_GIVEN_ENVIRONMENT ((uint64_t)1)

/* What to load; every string is borrowed, every array has its count. */
typedef struct pycontain_compose_options {
  size_t size; /* sizeof(pycontain_compose_options) */
  uint64_t flags; /* PYCONTAIN_COMPOSE_ONLY_GIVEN_ENVIRONMENT or 0 */
  /* Compose files (-f), merged in order. None: COMPOSE_FILE, else
   * compose.yaml (and the other standard names, with their override file)
   * in the working directory or its nearest parent. */
  const char *const *files;
  size_t file_count;
  /* --project-directory; NULL: the first file's directory. */
  const char *project_directory;
  /* -p; NULL: COMPOSE_PROJECT_NAME, the top-level name, else the project
   * directory's base name. */
  const char *project_name;
  /* --env-file files, read instead of the project directory's .env. */
  const char *const *env_files;
  size_t env_file_count;
  /* --profile values; none: COMPOSE_PROFILES. "*" enables every profile. */
  const char *const *profiles;
  size_t profile_count;
  /* "KEY=VALUE" variables for interpolation, over the process
   * environment (or alone with PYCONTAIN_COMPOSE_ONLY_GIVEN_ENVIRONMENT). */
  const char *const *environment;
  size_t environment_count;
  /* The directory where relative file paths and the file search start;
   * NULL: the current directory. */
  const char *working_directory;
} pycontain_compose_options;

/* Loads and validates a project and returns it in *project (owned by the
 * caller). Starts nothing. Errors: INVALID_ARGUMENT naming the file, line
 * and field of a YAML error, unknown field, wrong type, missing required
 * variable or dependency cycle; NOT_FOUND for a missing Compose file, env
 * file or extended service. */
PYCONTAIN_API int pycontain_compose_load(const pycontain_compose_options *options,
                                         pycontain_compose_project **project,
                                         pycontain_error **error);

PYCONTAIN_API void pycontain_compose_project_destroy(pycontain_compose_project *project);

/* The project's name. Valid until the project is destroyed. */
PYCONTAIN_API const char *pycontain_compose_project_name(
    const pycontain_compose_project *project);

/* The normalized model as YAML, in the shape `docker compose config`
 * prints. Valid until the project is destroyed. */
PYCONTAIN_API const char *pycontain_compose_project_config(
    const pycontain_compose_project *project);

/* A JSON object with "name", "directory", "files" (the files merged),
 * "services" (the active services, sorted), "disabledServices" (left out
 * by profiles) and "warnings" (fields parsed but not applied, each as
 * "FILE:LINE:COLUMN: FIELD: reason"). Valid until the project is
 * destroyed. */
PYCONTAIN_API const char *pycontain_compose_project_json(
    const pycontain_compose_project *project);

/* Flags of pycontain_compose_run_options. */
/* down: also remove the project's named volumes and the containers'
 * anonymous volumes. */
#define PYCONTAIN_COMPOSE_VOLUMES ((uint64_t)1)
/* down: also remove containers of services the project no longer has. */
#define PYCONTAIN_COMPOSE_REMOVE_ORPHANS ((uint64_t)2)
/* ps: include stopped containers. */
#define PYCONTAIN_COMPOSE_ALL ((uint64_t)4)

typedef struct pycontain_compose_run_options {
  size_t size; /* sizeof(pycontain_compose_run_options) */
  /* PYCONTAIN_COMPOSE_* flags that the call names; otherwise 0. */
  uint64_t flags;
  /* up and ps: only these services (borrowed), with up also their
   * dependencies; none: all. Must be empty for down. */
  const char *const *services;
  size_t service_count;
} pycontain_compose_run_options;

/* Creates the project's networks and volumes and starts its services in
 * dependency order, like `docker compose up -d`: returns once they are
 * started and their depends_on conditions held. Every container is
 * planned before anything is created, so an invalid service starts
 * nothing. Progress lines ("Container shop-web-1  Started") go to the
 * log at INFO level with the project's name as the container id.
 * Blocks while dependencies become healthy or complete.
 *
 * Errors: INVALID_ARGUMENT for a service that cannot run; NOT_FOUND for a
 * missing image or external network or volume; FAILED_PRECONDITION naming
 * a dependency that failed its condition; the failed setup step
 * otherwise. */
PYCONTAIN_API int pycontain_compose_up(pycontain_compose_project *project,
                                       const pycontain_compose_run_options *options,
                                       pycontain_error **error);

/* Stops and removes the project's containers and networks (and with
 * PYCONTAIN_COMPOSE_VOLUMES its volumes), like `docker compose down`.
 * Progress lines go to the log as for up. */
PYCONTAIN_API int pycontain_compose_down(pycontain_compose_project *project,
                                         const pycontain_compose_run_options *options,
                                         pycontain_error **error);

/* Returns the project's containers, like `docker compose ps` (running
 * ones; all with PYCONTAIN_COMPOSE_ALL), sorted by service and number, in
 * *containers_json (TRANSFERRED: free it with pycontain_string_free): a
 * JSON array of objects with "id", "name", "service", "image", "status"
 * (as ps prints it, such as "running (healthy)" or "exited (1)") and
 * "state" (the monitor's record: "Status", "Pid", "ExitCode", "StartedAt"
 * and more). */
PYCONTAIN_API int pycontain_compose_ps(pycontain_compose_project *project,
                                       const pycontain_compose_run_options *options,
                                       char **containers_json, pycontain_error **error);

/* ---- Garbage collection ---------------------------------------------- */

/* Use orphan_min_age_ns instead of the default of 60 seconds. */
#define PYCONTAIN_GC_ORPHAN_MIN_AGE ((uint64_t)1)

typedef struct pycontain_gc_options {
  size_t size; /* sizeof(pycontain_gc_options) */
  uint64_t flags; /* PYCONTAIN_GC_* */
  /* The state root to collect in (borrowed); NULL or "": the default
   * ($PYCONTAIN_STATE_DIR, else /run/pycontain for root, or
   * /dev/shm/pycontain when /run is not a tmpfs). */
  const char *state_root;
  /* With PYCONTAIN_GC_ORPHAN_MIN_AGE: how old, in nanoseconds, an empty
   * cgroup under pycontain's parent without a state directory must be
   * before it is removed; negative: keep such cgroups. */
  int64_t orphan_min_age_ns;
} pycontain_gc_options;

/* Removes what containers left behind when the process that owned them
 * died without cleaning up (killed, crashed, or from an earlier boot):
 * processes still in their cgroups, the cgroups, mounts below their state
 * directories, the state directories, and network endpoints and links.
 * Containers whose owner still runs are kept, so it is safe to call while
 * other processes run containers.
 *
 * When report_json is not NULL, *report_json receives (TRANSFERRED: free
 * it with pycontain_string_free) a JSON object of string arrays:
 * "containers" (removed, each "ID (reason)"), "cgroups", "mounts",
 * "endpoints" ("network/container"), "links", "kept" (ids whose owner
 * runs), "errors" (what could not be removed; the rest was still
 * collected) and "exited" (managed containers whose monitor died, now
 * recorded as exited). Every array is present, possibly empty.
 *
 * Errors: INVALID_ARGUMENT for bad options; the errno of reading the state
 * root. A failure to remove one object is listed in "errors" instead.
 * Thread-safe; two concurrent calls may both report an object that one of
 * them removed. Since 0.2. */
PYCONTAIN_API int pycontain_gc(const pycontain_gc_options *options, char **report_json,
                               pycontain_error **error);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PYCONTAIN_CAPI_PYCONTAIN_H_ */
