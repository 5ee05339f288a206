#include "examples/cli/container_command.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/container/managed.h"
#include "lib/overlay/diff.h"

namespace pycontain::cli {

const char kDetachFlagsHelp[] = R"(Managed containers:
  -d, --detach          run in the background as a managed container and
                        print its id; it is kept after it exits (see
                        `pycontain ps -a`) until `pycontain rm`; --name
                        then names it (default: a random name) and its id
                        is 64 hex digits
  --rm                  with -d: also remove the container once it exits.
                        Without -d, `run` always removes the container
                        when the command exits, and --name sets its id
  -l, --label KEY=VALUE with -d: set a label (repeatable)
  --stop-signal SIGNAL  with -d: the signal `pycontain stop` sends first,
                        by name (SIGINT, INT) or number (default: the
                        image's StopSignal, else SIGTERM)
  --log-opt KEY=VALUE   with -d: an option of the json-file log
                        (repeatable): max-size=SIZE rotates the log when
                        it reaches SIZE (such as 10m); max-file=N keeps N
                        files in all (default 1), oldest dropped
Commands on managed containers: ps, start, stop, restart, pause, unpause, kill,
rm, exec, logs, wait, diff, commit, export, inspect (see pycontain ps --help).
)";

namespace {

// As Docker's: 125 for a usage error, 1 when a command failed.
constexpr int kExitFailed = 125;
constexpr int kExitError = 1;
// exec: the command could not be run, or was not found.
constexpr int kExitCannotRun = 126;
constexpr int kExitNotFound = 127;

constexpr char kCommandsUsage[] = R"(Usage: pycontain COMMAND [OPTIONS] CONTAINER...

Commands on managed containers (made by `pycontain run -d`). CONTAINER is a
name, an id, or a unique prefix of an id.

  ps [-a] [-q] [--no-trunc] [--filter label=KEY[=VALUE]]
                        list running containers (-a: all)
  start CONTAINER...    start stopped containers in the background
  stop [-t SECONDS] [-s SIGNAL] CONTAINER...
                        send the container's stop signal (SIGTERM unless
                        run --stop-signal or the image set another) or
                        SIGNAL, then SIGKILL after SECONDS (default 10)
  restart [-t SECONDS] CONTAINER...
                        stop, then start again (writes are kept)
  pause CONTAINER...    freeze every process of running containers
  unpause CONTAINER...  thaw paused containers
  kill [-s SIGNAL] CONTAINER...
                        send SIGNAL (default SIGKILL) to the first process
  rm [-f] [-v] CONTAINER...
                        remove stopped containers (-f: kill running ones
                        first; -v: also their anonymous volumes)
  exec [-e NAME=VALUE] [-w DIR] [-u USER[:GROUP]] CONTAINER COMMAND [ARG...]
                        run COMMAND in a running container, with this
                        terminal's stdin, stdout and stderr (no -i or -t:
                        no pseudo-terminal is allocated)
  logs [-f] [-t] [--tail N] CONTAINER
                        print the container's output (-f: follow until it
                        stops; -t: with timestamps)
  wait CONTAINER...     wait until the containers stop; print exit codes
  diff CONTAINER        list changed files: A added, C changed, D deleted
  commit [-m MESSAGE] [--pause=false] [-c INSTRUCTION]... CONTAINER [NAME[:TAG]]
                        save the container's changes as a new image; a
                        running container is paused meanwhile unless
                        --pause=false; -c applies a Dockerfile instruction
                        (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME,
                        WORKDIR, STOPSIGNAL) to the new image's config
  export [-o FILE] CONTAINER
                        write the container's root filesystem as a tar
                        archive to FILE or stdout
  inspect CONTAINER...  print the containers' details as JSON

Exit status: 0 on success; 1 when the command failed, also for some of
several CONTAINERs (each error is printed); 125 for a usage error. exec
exits with the command's status, or 126 when it could not be run and 127
when it was not found in the container.
)";

// Prints a usage error and returns 125.
int Fail(const std::string& command, absl::string_view message) {
  fprintf(stderr, "pycontain %s: %s\n", command.c_str(), std::string(message).c_str());
  return kExitFailed;
}

// Prints why a command failed and returns 1.
int Error(const std::string& command, absl::string_view message) {
  fprintf(stderr, "pycontain %s: %s\n", command.c_str(), std::string(message).c_str());
  return kExitError;
}

// A command line split into flags (with their values) and operands.
struct ParsedArgs {
  std::vector<std::pair<std::string, std::string>> flags;
  std::vector<std::string> operands;
  std::string error;
  bool help = false;

  bool Has(absl::string_view name) const {
    for (const auto& [flag, value] : flags) {
      if (flag == name) return true;
    }
    return false;
  }
  std::vector<std::string> Values(absl::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [flag, value] : flags) {
      if (flag == name) values.push_back(value);
    }
    return values;
  }
};

// Splits `args`: `switches` take no value, `valued` take one, and
// `aliases` maps a short flag to its long name. `stop_at_operand` ends
// flag parsing at the first operand, because exec's command follows it.
// Sets `error` for an unknown flag or a missing value.
ParsedArgs ParseArgs(const std::vector<std::string>& args,
                     const std::vector<std::string>& switches,
                     const std::vector<std::string>& valued,
                     const std::map<std::string, std::string>& aliases, bool stop_at_operand) {
  ParsedArgs parsed;
  auto listed = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--") {
      parsed.operands.insert(parsed.operands.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      return parsed;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      parsed.operands.push_back(arg);
      if (stop_at_operand) {
        parsed.operands.insert(parsed.operands.end(), args.begin() + i + 1, args.end());
        break;
      }
      continue;
    }
    std::string value;
    bool has_value = false;
    size_t equals = arg.find('=');
    if (absl::StartsWith(arg, "--") && equals != std::string::npos) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
      has_value = true;
    }
    // Combined short switches, such as -aq for -a -q.
    if (arg.size() > 2 && arg[1] != '-' && !has_value) {
      bool all_switches = true;
      for (size_t k = 1; k < arg.size(); ++k) {
        auto single = aliases.find(std::string("-") + arg[k]);
        if (single == aliases.end() || !listed(switches, single->second)) all_switches = false;
      }
      if (all_switches) {
        for (size_t k = 1; k < arg.size(); ++k) {
          parsed.flags.emplace_back(aliases.at(std::string("-") + arg[k]), "");
        }
        continue;
      }
    }
    auto alias = aliases.find(arg);
    if (alias != aliases.end()) arg = alias->second;
    if (listed(switches, arg)) {
      parsed.flags.emplace_back(arg, "");
    } else if (listed(valued, arg)) {
      if (!has_value) {
        if (i + 1 >= args.size()) {
          parsed.error = absl::StrCat("option ", arg, " needs a value");
          return parsed;
        }
        value = args[++i];
      }
      parsed.flags.emplace_back(arg, value);
    } else {
      parsed.error = absl::StrCat("unknown option ", args[i]);
      return parsed;
    }
  }
  return parsed;
}

// "3 minutes", as Docker's ps writes durations.
std::string HumanDuration(absl::Duration duration) {
  int64_t seconds = absl::ToInt64Seconds(duration);
  if (seconds < 1) return "Less than a second";
  if (seconds < 60) return absl::StrCat(seconds, " seconds");
  if (seconds < 120) return "About a minute";
  if (seconds < 3600) return absl::StrCat(seconds / 60, " minutes");
  if (seconds < 7200) return "About an hour";
  if (seconds < 48 * 3600) return absl::StrCat(seconds / 3600, " hours");
  return absl::StrCat(seconds / 86400, " days");
}

absl::Time ParseTime(const std::string& text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return absl::Now();
  return time;
}

std::string StatusText(const container::ManagedContainer& c) {
  absl::Time now = absl::Now();
  const container::ManagedState& state = c.state;
  if (state.status() == "running") {
    return absl::StrCat("Up ", HumanDuration(now - ParseTime(state.started_at())),
                        state.paused() ? " (Paused)" : "");
  }
  if (state.status() == "exited") {
    std::string text = absl::StrCat("Exited (", state.exit_code(), ")");
    // A container whose monitor died has no finish time until gc.
    if (!state.finished_at().empty()) {
      absl::StrAppend(&text, " ", HumanDuration(now - ParseTime(state.finished_at())), " ago");
    }
    return text;
  }
  return "Created";
}

// The number of characters in UTF-8 `text`: bytes that do not continue a
// multi-byte sequence.
size_t Characters(absl::string_view text) {
  size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

// Shortens `text` to `width` characters, the last one "…", without
// splitting a multi-byte character.
std::string Truncate(const std::string& text, size_t width) {
  if (Characters(text) <= width) return text;
  size_t characters = 0;
  size_t end = 0;
  while (end < text.size()) {
    size_t next = end + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    if (++characters > width - 1) break;
    end = next;
  }
  return text.substr(0, end) + "…";
}

// Prints `rows` as columns separated by at least three spaces, like
// Docker's tables. Widths count characters, so "…" takes one column.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Characters(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - Characters(row[i]) + 3, ' ');
    }
    printf("%s\n", line.c_str());
  }
}

int PsCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {"--all", "--quiet", "--no-trunc"}, {"--filter"},
                                {{"-a", "--all"}, {"-q", "--quiet"}, {"-f", "--filter"}}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("ps", parsed.error);
  if (!parsed.operands.empty()) return Fail("ps", "ps takes no operands");

  container::ListOptions options;
  options.all = parsed.Has("--all");
  for (const std::string& filter : parsed.Values("--filter")) {
    if (!absl::StartsWith(filter, "label=")) {
      return Fail("ps", absl::StrCat("unsupported filter \"", filter,
                                     "\": only label=KEY[=VALUE] is supported"));
    }
    std::vector<std::string> parts =
        absl::StrSplit(filter.substr(strlen("label=")), absl::MaxSplits('=', 1));
    options.labels[parts[0]] = parts.size() > 1 ? parts[1] : "";
  }

  absl::StatusOr<std::vector<container::ManagedContainer>> list =
      container::ListContainers(options);
  if (!list.ok()) return Error("ps", list.status().message());

  bool no_trunc = parsed.Has("--no-trunc");
  if (parsed.Has("--quiet")) {
    for (const auto& c : *list) printf("%s\n", no_trunc ? c.id().c_str() : c.short_id().c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}};
  for (const auto& c : *list) {
    const auto& spec = c.config.spec();
    std::string image = spec.image().empty() ? spec.root().path() : spec.image();
    if (image.empty()) image = "(host root)";
    std::string command =
        absl::StrCat("\"", absl::StrJoin(spec.process().args(), " "), "\"");
    std::string created =
        absl::StrCat(HumanDuration(absl::Now() - ParseTime(c.config.created())), " ago");
    // As in Docker, only a running container has published ports.
    std::string ports = c.running() ? FormatPorts(spec.network().ports()) : "";
    rows.push_back({no_trunc ? c.id() : c.short_id(), no_trunc ? image : Truncate(image, 20),
                    no_trunc ? command : Truncate(command, 22), created, StatusText(c), ports,
                    c.name()});
  }
  PrintTable(rows);
  return 0;
}

// Runs `action` on each operand, prints the operand on success and the
// error otherwise. Returns 0, or 1 when one failed.
int ForEach(const std::string& command, const std::vector<std::string>& operands,
            const std::function<absl::Status(const std::string&)>& action) {
  if (operands.empty()) return Fail(command, "a container is required (see --help)");
  int status = 0;
  for (const std::string& operand : operands) {
    absl::Status done = action(operand);
    if (done.ok()) {
      printf("%s\n", operand.c_str());
    } else {
      fprintf(stderr, "pycontain %s: %s\n", command.c_str(),
              std::string(done.message()).c_str());
      status = 1;
    }
  }
  return status;
}

// `stop` and `restart`, which starts each container again after stopping.
int StopCommand(const std::string& command, const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {}, {"--time", "--signal"},
                                {{"-t", "--time"}, {"-s", "--signal"}}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail(command, parsed.error);
  int seconds = 10;
  for (const std::string& value : parsed.Values("--time")) {
    if (!absl::SimpleAtoi(value, &seconds) || seconds < 0) {
      return Fail(command, absl::StrCat("invalid --time \"", value,
                                        "\": give whole seconds, 0 or more"));
    }
  }
  // 0: the container's own stop signal.
  int signal = 0;
  for (const std::string& value : parsed.Values("--signal")) {
    absl::StatusOr<int> parsed_signal = container::ParseSignal(value);
    if (!parsed_signal.ok()) return Fail(command, parsed_signal.status().message());
    signal = *parsed_signal;
  }
  bool restart = command == "restart";
  return ForEach(command, parsed.operands, [&](const std::string& name) {
    absl::Status stopped = container::StopContainer(name, absl::Seconds(seconds), signal);
    if (!stopped.ok() || !restart) return stopped;
    return container::StartContainer(name);
  });
}

int KillCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {}, {"--signal"}, {{"-s", "--signal"}}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("kill", parsed.error);
  int signal = SIGKILL;
  for (const std::string& value : parsed.Values("--signal")) {
    absl::StatusOr<int> parsed_signal = container::ParseSignal(value);
    if (!parsed_signal.ok()) return Fail("kill", parsed_signal.status().message());
    signal = *parsed_signal;
  }
  return ForEach("kill", parsed.operands, [&](const std::string& name) {
    return container::KillContainer(name, signal);
  });
}

int RmCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {"--force", "--volumes"}, {},
                                {{"-f", "--force"}, {"-v", "--volumes"}}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("rm", parsed.error);
  container::RemoveOptions options;
  options.force = parsed.Has("--force");
  options.volumes = parsed.Has("--volumes");
  return ForEach("rm", parsed.operands, [&](const std::string& name) {
    return container::RemoveContainer(name, options);
  });
}

int ExecCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed =
      ParseArgs(args, {}, {"--env", "--workdir", "--user"},
                {{"-e", "--env"}, {"-w", "--workdir"}, {"-u", "--user"}}, true);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("exec", parsed.error);
  if (parsed.operands.size() < 2) return Fail("exec", "a container and a command are required");

  spec::Process process;
  for (size_t i = 1; i < parsed.operands.size(); ++i) process.add_args(parsed.operands[i]);
  for (const std::string& env : parsed.Values("--env")) process.add_env(env);
  for (const std::string& dir : parsed.Values("--workdir")) process.set_cwd(dir);
  for (const std::string& user : parsed.Values("--user")) {
    std::vector<std::string> parts = absl::StrSplit(user, absl::MaxSplits(':', 1));
    process.mutable_user()->set_user(parts[0]);
    if (parts.size() > 1) process.mutable_user()->set_group(parts[1]);
  }

  // A missing or stopped container is an error of pycontain's (1), while
  // 126 and 127 mean that the command could not be run in the container.
  absl::StatusOr<container::ManagedContainer> found =
      container::ResolveContainer(parsed.operands[0]);
  if (!found.ok()) return Error("exec", found.status().message());
  absl::StatusOr<ns::ChildProcess> child = container::ExecInContainer(found->id(), process);
  if (!child.ok()) {
    const absl::Status& status = child.status();
    fprintf(stderr, "pycontain exec: %s\n", std::string(status.message()).c_str());
    if (status.code() == absl::StatusCode::kFailedPrecondition) return kExitError;
    bool missing = (status.code() == absl::StatusCode::kNotFound &&
                    absl::StrContains(status.message(), "executable")) ||
                   (ErrnoOf(status) == ENOENT && absl::StrContains(status.message(), "exec "));
    return missing ? kExitNotFound : kExitCannotRun;
  }
  // The command receives the terminal's signals itself, because it is in
  // pycontain's process group, so pycontain ignores them and waits.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  absl::StatusOr<ns::ExitStatus> status = child->Wait();
  if (!status.ok()) return Error("exec", status.status().message());
  if (status->signal.has_value()) return 128 + *status->signal;
  return status->exit_code.value_or(kExitFailed);
}

int LogsCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {"--follow", "--timestamps"}, {"--tail"},
                                {{"-f", "--follow"}, {"-t", "--timestamps"}, {"-n", "--tail"}},
                                false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("logs", parsed.error);
  if (parsed.operands.size() != 1) return Fail("logs", "exactly one container is required");
  container::LogOptions options;
  options.follow = parsed.Has("--follow");
  for (const std::string& value : parsed.Values("--tail")) {
    if (value == "all") {
      options.tail = -1;
    } else if (!absl::SimpleAtoi(value, &options.tail) || options.tail < 0) {
      return Fail("logs", absl::StrCat("invalid --tail \"", value, "\": give a count or all"));
    }
  }
  bool timestamps = parsed.Has("--timestamps");
  absl::Status status = container::ReadContainerLogs(
      parsed.operands[0], options, [timestamps](const container::LogRecord& record) {
        FILE* out = record.stream() == "stderr" ? stderr : stdout;
        if (timestamps) fprintf(out, "%s ", record.time().c_str());
        fwrite(record.log().data(), 1, record.log().size(), out);
        fflush(out);
        return true;
      });
  if (!status.ok()) return Error("logs", status.message());
  return 0;
}

int WaitCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {}, {}, {}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("wait", parsed.error);
  if (parsed.operands.empty()) return Fail("wait", "a container is required");
  int status = 0;
  for (const std::string& name : parsed.operands) {
    absl::StatusOr<container::ManagedState> state = container::WaitContainer(name);
    if (!state.ok()) {
      fprintf(stderr, "pycontain wait: %s\n", std::string(state.status().message()).c_str());
      status = 1;
      continue;
    }
    printf("%d\n", state->exit_code());
  }
  return status;
}

int DiffCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {}, {}, {}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("diff", parsed.error);
  if (parsed.operands.size() != 1) return Fail("diff", "exactly one container is required");
  absl::StatusOr<std::vector<overlay::Change>> changes =
      container::ContainerChanges(parsed.operands[0]);
  if (!changes.ok()) return Error("diff", changes.status().message());
  for (const overlay::Change& change : *changes) {
    printf("%s\n", overlay::FormatChange(change).c_str());
  }
  return 0;
}

int CommitCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed =
      ParseArgs(args, {}, {"--message", "--pause", "--change"},
                {{"-m", "--message"}, {"-p", "--pause"}, {"-c", "--change"}}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("commit", parsed.error);
  if (parsed.operands.empty() || parsed.operands.size() > 2) {
    return Fail("commit", "give CONTAINER [NAME[:TAG]]");
  }
  container::ContainerCommitOptions options;
  if (parsed.operands.size() == 2) options.names.push_back(parsed.operands[1]);
  for (const std::string& message : parsed.Values("--message")) options.comment = message;
  options.changes = parsed.Values("--change");
  for (const std::string& value : parsed.Values("--pause")) {
    if (value != "true" && value != "false") {
      return Fail("commit", absl::StrCat("invalid --pause \"", value, "\": give true or false"));
    }
    options.pause = value == "true";
  }
  absl::StatusOr<std::string> id = container::CommitContainer(parsed.operands[0], options);
  if (!id.ok()) return Error("commit", id.status().message());
  printf("%s\n", id->c_str());
  return 0;
}

int ExportCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {}, {"--output"}, {{"-o", "--output"}}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("export", parsed.error);
  if (parsed.operands.size() != 1) return Fail("export", "exactly one container is required");
  int fd = STDOUT_FILENO;
  UniqueFd file;
  for (const std::string& path : parsed.Values("--output")) {
    file = UniqueFd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!file.valid()) return Error("export", ErrnoError(errno, "create", path).message());
    fd = file.get();
  }
  if (fd == STDOUT_FILENO && isatty(fd)) {
    return Error("export", "refusing to write a tar archive to a terminal: use -o FILE or > FILE");
  }
  absl::Status status = container::ExportContainer(parsed.operands[0], fd);
  if (!status.ok()) return Error("export", status.message());
  return 0;
}

int InspectCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {}, {}, {}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("inspect", parsed.error);
  if (parsed.operands.empty()) return Fail("inspect", "a container is required");
  std::vector<std::string> objects;
  int status = 0;
  for (const std::string& name : parsed.operands) {
    absl::StatusOr<std::string> json = container::InspectContainer(name);
    if (!json.ok()) {
      fprintf(stderr, "pycontain inspect: %s\n", std::string(json.status().message()).c_str());
      status = 1;
      continue;
    }
    objects.push_back(*json);
  }
  printf("[%s]\n", absl::StrJoin(objects, ",\n").c_str());
  return status;
}

// `pause` and `unpause`.
int PauseCommand(const std::string& command, const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {}, {}, {}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail(command, parsed.error);
  bool pause = command == "pause";
  return ForEach(command, parsed.operands, [pause](const std::string& name) {
    return pause ? container::PauseContainer(name) : container::UnpauseContainer(name);
  });
}

int StartCommand(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseArgs(args, {}, {}, {}, false);
  if (parsed.help) {
    fputs(kCommandsUsage, stdout);
    return 0;
  }
  if (!parsed.error.empty()) return Fail("start", parsed.error);
  return ForEach("start", parsed.operands,
                 [](const std::string& name) { return container::StartContainer(name); });
}

}  // namespace

std::string ApplyLabelFlag(const std::string& value, DetachFlags& flags) {
  std::vector<std::string> parts = absl::StrSplit(value, absl::MaxSplits('=', 1));
  if (parts[0].empty()) return absl::StrCat("invalid label \"", value, "\": give KEY=VALUE");
  flags.labels[parts[0]] = parts.size() > 1 ? parts[1] : "";
  return "";
}

bool IsDetachFlag(const std::string& flag) {
  return flag == "--stop-signal" || flag == "--log-opt";
}

std::string ApplyDetachFlag(const std::string& flag, const std::string& value,
                            DetachFlags& flags) {
  if (flag == "--stop-signal") {
    absl::StatusOr<int> signal = container::ParseSignal(value);
    if (!signal.ok()) return absl::StrCat("--stop-signal: ", signal.status().message());
    flags.stop_signal = value;
    return "";
  }
  size_t equals = value.find('=');
  if (equals == std::string::npos || equals == 0) {
    return absl::StrCat("--log-opt: expected KEY=VALUE, got \"", value, "\"");
  }
  flags.log_options[value.substr(0, equals)] = value.substr(equals + 1);
  return "";
}

int RunDetached(pycontain::spec::ContainerSpec spec, const DetachFlags& flags) {
  container::CreateOptions options;
  options.name = spec.id();
  spec.clear_id();
  options.spec = std::move(spec);
  options.labels = flags.labels;
  options.auto_remove = options.spec.remove_anonymous_volumes();
  options.stop_signal = flags.stop_signal;
  options.log_options = flags.log_options;
  absl::StatusOr<container::ManagedContainer> created = container::CreateContainer(options);
  if (!created.ok()) {
    return Fail("run", ResourceFieldsAsFlags(
                           NameFlagInError(created.status().message(), flags.flag_origins)));
  }
  absl::Status started = container::StartContainer(created->id());
  if (!started.ok()) {
    fprintf(stderr, "pycontain run: %s\n",
            ResourceFieldsAsFlags(NameFlagInError(started.message(), flags.flag_origins))
                .c_str());
    // As Docker: the container stays, created, unless --rm asked otherwise.
    if (options.auto_remove) {
      absl::Status removed = container::RemoveContainer(created->id(), {});
      if (!removed.ok()) {
        fprintf(stderr, "pycontain run: %s\n", std::string(removed.message()).c_str());
      }
    }
    absl::StatusOr<container::ManagedContainer> failed = container::ResolveContainer(created->id());
    return failed.ok() && failed->state.exit_code() != 0 ? failed->state.exit_code() : kExitFailed;
  }
  printf("%s\n", created->id().c_str());
  return 0;
}

bool IsContainerCommand(const std::string& command) {
  static const char* const kCommands[] = {"ps",      "start",  "stop",   "restart",
                                          "pause",   "unpause", "kill",  "rm",
                                          "exec",    "logs",   "wait",   "diff",
                                          "commit",  "export", "inspect"};
  for (const char* known : kCommands) {
    if (command == known) return true;
  }
  return false;
}

int ContainerCommand(const std::string& command, const std::vector<std::string>& args) {
  if (command == "ps") return PsCommand(args);
  if (command == "start") return StartCommand(args);
  if (command == "stop" || command == "restart") return StopCommand(command, args);
  if (command == "kill") return KillCommand(args);
  if (command == "pause" || command == "unpause") return PauseCommand(command, args);
  if (command == "rm") return RmCommand(args);
  if (command == "exec") return ExecCommand(args);
  if (command == "logs") return LogsCommand(args);
  if (command == "wait") return WaitCommand(args);
  if (command == "diff") return DiffCommand(args);
  if (command == "commit") return CommitCommand(args);
  if (command == "export") return ExportCommand(args);
  if (command == "inspect") return InspectCommand(args);
  return Fail(command, "unknown command (see pycontain --help)");
}

}  // namespace pycontain::cli
