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
 * Growth: images, volumes, networks, compose projects and garbage
 * collection arrive as new handle types and functions beside these, each
 * with a size-prefixed options struct. Existing functions and structs keep
 * their layout; new option fields are only ever appended.
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
#define PYCONTAIN_VERSION_MINOR 1
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
  PYCONTAIN_STATE_STOPPED = 2
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
 * RUNNING. */
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
 * every process of the container). Safe while another thread waits.
 * Errors: FAILED_PRECONDITION before start; INVALID_ARGUMENT for a bad
 * signal number; NOT_FOUND (errno ESRCH) once a wait has reaped the
 * process. */
PYCONTAIN_API int pycontain_container_kill(pycontain_container *container,
                                           int signal, pycontain_error **error);

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
 * FAILED_PRECONDITION before start or once a wait has reaped the first
 * process;
 * INVALID_ARGUMENT for bad JSON; setup errors as for start. */
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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* PYCONTAIN_CAPI_PYCONTAIN_H_ */
