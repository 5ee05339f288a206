#include "examples/cli/gc_command.h"

#include <stdio.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/units.h"
#include "lib/container/gc.h"
#include "lib/container/state_dir.h"

namespace pycontain::cli {
namespace {

constexpr char kGcUsage[] = R"(Usage: pycontain gc [OPTIONS]

Remove what containers left behind when the process that started them died
without cleaning up (killed, crashed, or from an earlier boot): the
processes still in their cgroups, the cgroups in every hierarchy, mounts
below their state directories, the state directories, and the network
endpoints and links of dead containers. Containers whose owner still runs
are kept. Empty cgroups under the pycontain parent that no state directory
claims, and state directories that have no record (their owner died
before it saved one), are removed too, once they are older than
--orphan-min-age.

The state directory is $PYCONTAIN_STATE_DIR, else /run/pycontain for root
(/dev/shm/pycontain when /run is not a tmpfs).

Options:
  --orphan-min-age DURATION
                 minimum age of a cgroup without a state directory, or of
                 a state directory without a record, before it is removed,
                 such as 60s (default: 60s)
  -h, --help     print this help

Exit status: 0 when everything of dead owners was removed; 1 when
something could not be (each problem is printed); 125 when gc failed.
)";

void PrintList(const char* verb, const std::vector<std::string>& items) {
  for (const std::string& item : items) printf("%s %s\n", verb, item.c_str());
}

}  // namespace

int GcCommand(const std::vector<std::string>& args) {
  container::GcOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      fputs(kGcUsage, stdout);
      return 0;
    }
    std::string value;
    if (absl::StartsWith(arg, "--orphan-min-age=")) {
      value = arg.substr(arg.find('=') + 1);
    } else if (arg == "--orphan-min-age" && i + 1 < args.size()) {
      value = args[++i];
    } else {
      fprintf(stderr, "pycontain: gc: unknown option \"%s\" (see pycontain gc --help)\n",
              arg.c_str());
      return 125;
    }
    absl::StatusOr<absl::Duration> age = ParseDuration(value);
    if (!age.ok()) {
      fprintf(stderr, "pycontain: gc: --orphan-min-age: %s\n",
              std::string(age.status().message()).c_str());
      return 125;
    }
    options.orphan_min_age = *age;
  }

  absl::StatusOr<container::GcReport> report = container::CollectGarbage(options);
  if (!report.ok()) {
    fprintf(stderr, "pycontain: gc: %s\n", std::string(report.status().message()).c_str());
    return 125;
  }
  PrintList("removed container", report->containers);
  PrintList("removed cgroup", report->cgroups);
  PrintList("unmounted", report->mounts);
  PrintList("removed network endpoint", report->endpoints);
  PrintList("removed link", report->links);
  PrintList("marked exited", report->exited);
  PrintList("removed volume", report->volumes);
  for (const std::string& error : report->errors) {
    fprintf(stderr, "pycontain: gc: %s\n", error.c_str());
  }
  printf("%zu containers removed, %zu kept (owner running), state root %s\n",
         report->containers.size(), report->kept.size(), container::StateRoot().c_str());
  return report->errors.empty() ? 0 : 1;
}

}  // namespace pycontain::cli
