/* Runs a command in a container with a memory limit and prints the result.
 *
 * Usage: run_limited ROOTFS MEMORY_BYTES COMMAND [ARG...]
 * Example: run_limited /srv/busybox 16777216 sh -c 'echo hello'
 *
 * Build against an installed libpycontain:
 *   cc run_limited.c $(pkg-config --cflags --libs pycontain) -o run_limited
 *
 * The memory limit is the spec's resources.memoryBytes. The exit status is
 * the command's, or 125 when pycontain could not run it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pycontain.h>

/* Appends `text` to `out` as a JSON string. Returns 0 when it did not fit. */
static int append_json_string(char *out, size_t size, const char *text) {
  size_t length = strlen(out);
  if (length + 2 >= size) return 0;
  out[length++] = '"';
  for (; *text != '\0'; ++text) {
    if (length + 8 >= size) return 0;
    unsigned char c = (unsigned char)*text;
    if (c == '"' || c == '\\') {
      out[length++] = '\\';
      out[length++] = (char)c;
    } else if (c < 0x20) {
      length += (size_t)snprintf(out + length, size - length, "\\u%04x", c);
    } else {
      out[length++] = (char)c;
    }
  }
  out[length++] = '"';
  out[length] = '\0';
  return 1;
}

/* Builds the spec JSON; returns 0 when it does not fit in `size`. */
static int build_spec(char *spec, size_t size, const char *rootfs, long long memory,
                      char **args) {
  snprintf(spec, size, "{\"root\": {\"path\": ");
  if (!append_json_string(spec, size, rootfs)) return 0;
  size_t length = strlen(spec);
  snprintf(spec + length, size - length,
           "}, \"resources\": {\"memoryBytes\": %lld}, \"process\": {\"args\": [",
           memory);
  for (int i = 0; args[i] != NULL; ++i) {
    if (i > 0 && strlen(spec) + 1 < size) strcat(spec, ",");
    if (!append_json_string(spec, size, args[i])) return 0;
  }
  if (strlen(spec) + 4 >= size) return 0;
  strcat(spec, "]}}");
  return 1;
}

static void print_result(const pycontain_run_result *result) {
  if (pycontain_run_result_signal(result) != 0) {
    printf("killed by signal %d\n", pycontain_run_result_signal(result));
  } else {
    printf("exit code %d\n", pycontain_run_result_exit_code(result));
  }
  printf("oom killed: %s\n", pycontain_run_result_oom_killed(result) ? "yes" : "no");
  printf("wall time: %.3f ms\n", pycontain_run_result_wall_time_ns(result) / 1e6);
  printf("cpu time: %.3f ms\n", pycontain_run_result_cpu_time_ns(result) / 1e6);
  printf("memory peak: %lld bytes\n",
         (long long)pycontain_run_result_memory_peak_bytes(result));
  printf("result: %s\n", pycontain_run_result_json(result));
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s ROOTFS MEMORY_BYTES COMMAND [ARG...]\n", argv[0]);
    return 2;
  }
  char *end = NULL;
  long long memory = strtoll(argv[2], &end, 10);
  if (*argv[2] == '\0' || *end != '\0' || memory <= 0) {
    fprintf(stderr, "%s: invalid MEMORY_BYTES %s: expected a positive number of bytes\n",
            argv[0], argv[2]);
    return 2;
  }
  static char spec[65536];
  if (!build_spec(spec, sizeof(spec), argv[1], memory, argv + 3)) {
    fprintf(stderr, "%s: the command line is too long\n", argv[0]);
    return 2;
  }

  printf("libpycontain %s\n", pycontain_version_string());
  pycontain_run_result *result = NULL;
  pycontain_error *error = NULL;
  if (pycontain_run(spec, NULL, &result, &error) != PYCONTAIN_OK) {
    fprintf(stderr, "%s: %s (code %s, errno %d, field \"%s\", step \"%s\")\n", argv[0],
            pycontain_error_message(error), pycontain_code_name(pycontain_error_code(error)),
            pycontain_error_errno(error), pycontain_error_field(error),
            pycontain_error_step(error));
    pycontain_error_destroy(error);
    return 125;
  }
  print_result(result);
  int status = pycontain_run_result_signal(result) != 0
                   ? 128 + pycontain_run_result_signal(result)
                   : pycontain_run_result_exit_code(result);
  pycontain_run_result_destroy(result);
  return status;
}
