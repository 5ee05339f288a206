// run_loop: runs a command in containers through container::Run and prints
// each run's duration, so that benchmarks/side_by_side.py can time the
// library without the process start-up of the pycontain CLI.
//
//   run_loop [--rootfs DIR] [--iterations N | --paced] [--id-prefix PREFIX]
//            [--] [COMMAND ARG...]
//
// Prints one line per run: the wall-clock time of the whole container::Run
// call (setup, the command, teardown) in microseconds. The command's stdin,
// stdout and stderr are /dev/null, so nothing it prints can mix with those
// lines. Exits 1 at the first run that fails or whose command exits
// non-zero, with the reason on stderr.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "lib/container/container.h"
#include "lib/spec/container.pb.h"

namespace {

constexpr char kUsage[] = R"(Usage: run_loop [OPTIONS] [--] [COMMAND [ARG...]]

Run COMMAND (default: /bin/true) in a new container per run, through
pycontain::container::Run, and print each run's wall-clock time in
microseconds, one line per run.

Options:
  --rootfs DIR         root filesystem of each container (default: the
                       embedded default, the host's root read-only)
  --iterations N       number of runs (default: 1)
  --paced              run once per line read from stdin, until end of input,
                       instead of --iterations times
  --id-prefix PREFIX   name the containers PREFIX-0, PREFIX-1, ... (default:
                       random ids)
  --isolation-only     only namespaces and pivot_root, as bubblewrap and
                       unshare do: no seccomp filter and no masked /proc and
                       /sys paths (capabilities and the cgroup stay)
  -h, --help           print this help
)";

struct Options {
  std::string rootfs;
  int iterations = 1;
  bool paced = false;
  bool isolation_only = false;
  std::string id_prefix;
  std::vector<std::string> command;
};

// Parses the command line into `options`. Returns an error message, or "".
std::string ParseOptions(int argc, char** argv, Options& options, bool* help) {
  int i = 1;
  for (; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.empty() || arg[0] != '-') break;
    if (arg == "-h" || arg == "--help") {
      *help = true;
      return "";
    }
    if (arg == "--paced") {
      options.paced = true;
      continue;
    }
    if (arg == "--isolation-only") {
      options.isolation_only = true;
      continue;
    }
    if (i + 1 >= argc) return absl::StrCat("option ", arg, " needs a value");
    absl::string_view value = argv[++i];
    if (arg == "--rootfs") {
      options.rootfs = std::string(value);
    } else if (arg == "--id-prefix") {
      options.id_prefix = std::string(value);
    } else if (arg == "--iterations") {
      if (!absl::SimpleAtoi(value, &options.iterations) || options.iterations < 1) {
        return absl::StrCat("invalid --iterations \"", value,
                            "\": expected a positive integer");
      }
    } else {
      return absl::StrCat("unknown option ", arg, " (see --help)");
    }
  }
  options.command.assign(argv + i, argv + argc);
  if (options.command.empty()) options.command.push_back("/bin/true");
  return "";
}

// Waits for the next request line on stdin. Returns false at end of input.
bool AwaitRequest() {
  int c;
  while ((c = getchar()) != EOF) {
    if (c == '\n') return true;
  }
  return false;
}

// Runs `spec` once and prints its duration. Returns false after reporting a
// failure on stderr.
bool RunOnce(pycontain::spec::ContainerSpec& spec, const Options& options, int run) {
  if (!options.id_prefix.empty()) spec.set_id(absl::StrCat(options.id_prefix, "-", run));

  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<pycontain::spec::RunResult> result = pycontain::container::Run(spec);
  auto elapsed = std::chrono::steady_clock::now() - start;

  if (!result.ok()) {
    fprintf(stderr, "run_loop: run %d failed: %s\n", run,
            std::string(result.status().ToString()).c_str());
    return false;
  }
  if (!result->has_exit_code() || result->exit_code() != 0) {
    fprintf(stderr, "run_loop: run %d: %s ended with %s %d\n", run,
            options.command[0].c_str(),
            result->has_exit_code() ? "exit status" : "signal",
            result->has_exit_code() ? result->exit_code() : result->signal());
    return false;
  }
  double micros = std::chrono::duration<double, std::micro>(elapsed).count();
  printf("%.1f\n", micros);
  fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool help = false;
  std::string error = ParseOptions(argc, argv, options, &help);
  if (help) {
    fputs(kUsage, stdout);
    return 0;
  }
  if (!error.empty()) {
    fprintf(stderr, "run_loop: %s\n", error.c_str());
    return 2;
  }

  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    fprintf(stderr, "run_loop: open /dev/null: %s\n", strerror(errno));
    return 1;
  }

  pycontain::spec::ContainerSpec spec;
  for (const std::string& arg : options.command) spec.mutable_process()->add_args(arg);
  spec.mutable_root()->set_path(options.rootfs);
  pycontain::spec::Stdio* stdio = spec.mutable_process()->mutable_stdio();
  stdio->set_stdin_fd(null_fd);
  stdio->set_stdout_fd(null_fd);
  stdio->set_stderr_fd(null_fd);
  if (options.isolation_only) {
    spec.mutable_security()->mutable_seccomp()->set_mode(pycontain::spec::Seccomp::UNCONFINED);
    spec.mutable_security()->set_no_default_paths(true);
  }

  if (options.paced) {
    for (int run = 0; AwaitRequest(); ++run) {
      if (!RunOnce(spec, options, run)) return 1;
    }
    return 0;
  }
  for (int run = 0; run < options.iterations; ++run) {
    if (!RunOnce(spec, options, run)) return 1;
  }
  return 0;
}
