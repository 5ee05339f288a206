#include "examples/cli/compose_run_command.h"

#include <signal.h>
#include <stdio.h>

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/compose/runner.h"
#include "lib/compose/service_spec.h"

namespace pycontain::cli {
namespace {

constexpr int kExitFailed = 125;

volatile sig_atomic_t interrupted = 0;

void OnInterrupt(int) { interrupted = 1; }

bool Interrupted() { return interrupted != 0; }

int Fail(absl::string_view message) {
  fprintf(stderr, "pycontain: compose: %s\n", std::string(message).c_str());
  return kExitFailed;
}

int Result(const absl::Status& status) { return status.ok() ? 0 : Fail(status.message()); }

void Progress(absl::string_view line) {
  fprintf(stderr, "%s\n", std::string(line).c_str());
}

void Output(absl::string_view line) {
  fwrite(line.data(), 1, line.size(), stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

// The words of a command line: flags (with their values) and the rest.
struct Arguments {
  std::vector<std::string> flags;
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;

  bool Has(absl::string_view flag) const {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
  }
};

// Splits `args` by the flags a command takes: `switches` without values,
// `valued` with one. Positional arguments end the flags when
// `stop_at_positional` (exec and run, whose command has flags of its own).
absl::StatusOr<Arguments> ParseArguments(const std::vector<std::string>& args,
                                         const std::vector<std::string>& switches,
                                         const std::vector<std::string>& valued,
                                         bool stop_at_positional) {
  Arguments parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    bool flags_over = stop_at_positional && !parsed.positional.empty();
    if (flags_over || !absl::StartsWith(arg, "-") || arg == "-") {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      parsed.positional.insert(parsed.positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (std::find(switches.begin(), switches.end(), arg) != switches.end()) {
      parsed.flags.push_back(arg);
    } else if (std::find(valued.begin(), valued.end(), arg) != valued.end()) {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
      parsed.values[arg].push_back(args[++i]);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option \"", arg, "\" (see pycontain compose --help)"));
    }
  }
  return parsed;
}

void PrintWarnings(const compose::Project& project) {
  for (const compose::Warning& warning : project.warnings) {
    fprintf(stderr, "pycontain: compose: warning: %s\n", compose::ToString(warning).c_str());
  }
}

int Up(const compose::Project& project, const Arguments& args) {
  compose::UpOptions options;
  options.detach = args.Has("-d") || args.Has("--detach");
  options.services = args.positional;
  options.interrupted = Interrupted;
  options.output = Output;
  auto scales = args.values.find("--scale");
  if (scales != args.values.end()) {
    for (const std::string& scale : scales->second) {
      // SERVICE=N, as docker compose up --scale.
      std::vector<std::string> parts = absl::StrSplit(scale, absl::MaxSplits('=', 1));
      int replicas = -1;
      if (parts.size() != 2 || parts[0].empty() || !absl::SimpleAtoi(parts[1], &replicas) ||
          replicas < 0) {
        return Fail(absl::StrCat("up: invalid --scale \"", scale,
                                 "\": use SERVICE=N with N a number of replicas, 0 or more"));
      }
      options.scale[parts[0]] = replicas;
    }
  }
  return Result(compose::Up(project, options, Progress));
}

int Ps(const compose::Project& project, const Arguments& args) {
  bool all = args.Has("-a") || args.Has("--all");
  absl::StatusOr<std::vector<container::ManagedContainer>> containers =
      compose::ProjectContainers(project, args.positional, all);
  if (!containers.ok()) return Fail(containers.status().message());
  bool quiet = args.Has("-q") || args.Has("--quiet");
  if (!quiet) printf("%-30s %-24s %-12s %-22s %s\n", "NAME", "IMAGE", "SERVICE", "STATUS", "PORTS");
  for (const container::ManagedContainer& c : *containers) {
    if (quiet) {
      printf("%s\n", c.id().c_str());
      continue;
    }
    const spec::ContainerSpec& spec = c.config.spec();
    std::string ports;
    for (const std::string& port : spec.network().ports()) {
      absl::StrAppend(&ports, ports.empty() ? "" : ", ", port);
    }
    auto service = c.config.labels().find(compose::kServiceLabel);
    printf("%-30s %-24s %-12s %-22s %s\n", c.name().c_str(), spec.image().c_str(),
           service == c.config.labels().end() ? "" : service->second.c_str(),
           compose::DescribeStatus(c).c_str(), ports.c_str());
  }
  return 0;
}

int Exec(const compose::Project& project, const Arguments& args) {
  if (args.positional.size() < 2) return Fail("exec needs a service and a command");
  compose::ExecOptions options;
  options.service = args.positional[0];
  options.command.assign(args.positional.begin() + 1, args.positional.end());
  auto value = [&](const char* flag) -> std::vector<std::string> {
    auto found = args.values.find(flag);
    return found == args.values.end() ? std::vector<std::string>{} : found->second;
  };
  for (const char* flag : {"-e", "--env"}) {
    for (const std::string& entry : value(flag)) options.env.push_back(entry);
  }
  for (const char* flag : {"-u", "--user"}) {
    if (!value(flag).empty()) options.user = value(flag).back();
  }
  for (const char* flag : {"-w", "--workdir"}) {
    if (!value(flag).empty()) options.working_dir = value(flag).back();
  }
  if (!value("--index").empty() && !absl::SimpleAtoi(value("--index").back(), &options.index)) {
    return Fail("--index needs a number");
  }
  absl::StatusOr<int> code = compose::Exec(project, options);
  return code.ok() ? *code : Fail(code.status().message());
}

int Run(const compose::Project& project, const Arguments& args) {
  if (args.positional.empty()) return Fail("run needs a service");
  compose::RunOptions options;
  options.service = args.positional[0];
  options.command.assign(args.positional.begin() + 1, args.positional.end());
  options.remove = args.Has("--rm");
  absl::StatusOr<int> code = compose::Run(project, options, Progress, Output);
  return code.ok() ? *code : Fail(code.status().message());
}

// The flags of each command: without and with a value.
struct CommandFlags {
  const char* command;
  std::vector<std::string> switches;
  std::vector<std::string> valued;
  bool stop_at_positional = false;
};

const CommandFlags* FlagsOf(const std::string& command) {
  static const CommandFlags kTable[] = {
      {"up", {"-d", "--detach"}, {"--scale"}},
      {"down", {"-v", "--volumes", "--remove-orphans"}, {}},
      {"ps", {"-a", "--all", "-q", "--quiet"}, {}},
      {"logs", {"-f", "--follow"}, {}},
      {"exec", {"-T"}, {"-e", "--env", "-u", "--user", "-w", "--workdir", "--index"}, true},
      {"run", {"--rm", "-T"}, {}, true},
      {"start", {}, {}},
      {"stop", {}, {}},
      {"restart", {}, {}},
      {"pull", {}, {}},
      {"build", {}, {}},
  };
  for (const CommandFlags& flags : kTable) {
    if (command == flags.command) return &flags;
  }
  return nullptr;
}

}  // namespace

bool IsComposeRunCommand(const std::string& command) { return FlagsOf(command) != nullptr; }

int ComposeRunCommand(compose::LoadOptions options, const std::string& command,
                      const std::vector<std::string>& args) {
  const CommandFlags* flags = FlagsOf(command);
  if (flags == nullptr) return Fail(absl::StrCat("unknown command \"", command, "\""));
  if (command == "pull") {
    return Fail("pull: no registry configured: pycontain cannot pull images yet; load them "
                "with `pycontain image load` or `pycontain image import`");
  }
  if (command == "build") {
    return Fail("build: building images is not supported yet; build elsewhere and load the "
                "image with `pycontain image load`");
  }
  absl::StatusOr<Arguments> parsed =
      ParseArguments(args, flags->switches, flags->valued, flags->stop_at_positional);
  if (!parsed.ok()) return Fail(absl::StrCat(command, ": ", parsed.status().message()));
  // Services named on the command line are active whatever their profiles.
  if (command == "up") options.services = parsed->positional;
  if (command == "run" && !parsed->positional.empty()) {
    options.services = {parsed->positional[0]};
  }
  // As docker compose, these work from the containers' labels when -p
  // names the project and there is no Compose file.
  options.allow_missing_files = command == "down" || command == "ps" || command == "stop" ||
                                command == "start" || command == "restart" || command == "logs";
  absl::StatusOr<compose::Project> project = compose::LoadProject(options);
  if (project.ok() && project->files.empty()) {
    project = compose::ProjectFromContainers(project->name);
  }
  if (!project.ok()) return Fail(project.status().message());
  PrintWarnings(*project);
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const std::vector<std::string>& services = parsed->positional;
  if (command == "up") return Up(*project, *parsed);
  if (command == "down") {
    compose::DownOptions down;
    down.volumes = parsed->Has("-v") || parsed->Has("--volumes");
    down.remove_orphans = parsed->Has("--remove-orphans");
    return Result(compose::Down(*project, down, Progress));
  }
  if (command == "ps") return Ps(*project, *parsed);
  if (command == "logs") {
    compose::LogsOptions logs;
    logs.follow = parsed->Has("-f") || parsed->Has("--follow");
    logs.services = services;
    logs.interrupted = Interrupted;
    return Result(compose::Logs(*project, logs, Output));
  }
  if (command == "exec") return Exec(*project, *parsed);
  if (command == "run") return Run(*project, *parsed);
  if (command == "start") return Result(compose::StartServices(*project, services, Progress));
  if (command == "stop") return Result(compose::StopServices(*project, services, Progress));
  return Result(compose::RestartServices(*project, services, Progress));
}

}  // namespace pycontain::cli
