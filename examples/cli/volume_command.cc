#include "examples/cli/volume_command.h"

#include <stdio.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/container/volume.h"

namespace pycontain::cli {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 125;

constexpr char kUsage[] = R"(Usage: pycontain volume COMMAND

Manage volumes: directories in the store (<store>/volumes/NAME/_data) that
containers mount with -v NAME:/path or --mount type=volume,... and that stay
after the containers are gone.

Commands:
  create [OPTIONS] [NAME]   create a volume (a random 64-hex-digit name when
                            NAME is omitted) and print its name
      --label KEY[=VALUE]   add a label (repeatable)
      -d, --driver local    the driver; "local" is the only one
  ls [-q] [--filter dangling=true|false|label=KEY[=VALUE]]
                            list volumes; -q prints names only
  inspect NAME...           print volumes as JSON, like docker volume inspect
  rm [-f] NAME...           remove volumes; -f also removes volumes in use
  prune [-a] [-f]           remove unused anonymous volumes; -a also unused
                            named ones (-f is accepted for Docker's sake:
                            nothing is asked)

A volume is in use while a container that mounts it exists. Volumes live in
the store given by $PYCONTAIN_ROOT (default /var/lib/pycontain for root).
)";

int Usage(const std::string& message) {
  fprintf(stderr, "pycontain volume: %s\n", message.c_str());
  return kExitUsage;
}

int Failed(const absl::Status& status) {
  fprintf(stderr, "pycontain volume: %s\n", std::string(status.message()).c_str());
  return kExitFailed;
}

std::optional<container::VolumeStore> OpenStore(int* exit_status) {
  absl::StatusOr<container::VolumeStore> store = container::VolumeStore::Open("");
  if (!store.ok()) {
    fprintf(stderr, "pycontain volume: %s\n", std::string(store.status().message()).c_str());
    *exit_status = kExitUsage;
    return std::nullopt;
  }
  return std::move(*store);
}

// Splits "KEY=VALUE" (or "KEY", with an empty value).
std::pair<std::string, std::string> SplitLabel(const std::string& text) {
  size_t equals = text.find('=');
  if (equals == std::string::npos) return {text, ""};
  return {text.substr(0, equals), text.substr(equals + 1)};
}

int Create(const std::vector<std::string>& args) {
  container::VolumeOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](absl::string_view flag) -> std::optional<std::string> {
      if (absl::StartsWith(arg, absl::StrCat(flag, "="))) return arg.substr(flag.size() + 1);
      if (i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (arg == "--label" || absl::StartsWith(arg, "--label=")) {
      std::optional<std::string> label = value("--label");
      if (!label.has_value() || label->empty()) return Usage("--label needs KEY[=VALUE]");
      auto [key, text] = SplitLabel(*label);
      options.labels[key] = text;
    } else if (arg == "-d" || arg == "--driver" || absl::StartsWith(arg, "--driver=")) {
      std::optional<std::string> driver = value(arg == "-d" ? "-d" : "--driver");
      if (!driver.has_value()) return Usage("--driver needs a value");
      options.driver = *driver;
    } else if (arg == "-o" || arg == "--opt" || absl::StartsWith(arg, "--opt=")) {
      std::optional<std::string> option = value(arg == "-o" ? "-o" : "--opt");
      if (!option.has_value()) return Usage("--opt needs KEY=VALUE");
      auto [key, text] = SplitLabel(*option);
      options.driver_options[key] = text;
    } else if (absl::StartsWith(arg, "-")) {
      return Usage(absl::StrCat("unknown option ", arg, " for create (see --help)"));
    } else if (options.name.empty()) {
      options.name = arg;
    } else {
      return Usage("create takes one NAME");
    }
  }
  int exit_status = 0;
  std::optional<container::VolumeStore> store = OpenStore(&exit_status);
  if (!store.has_value()) return exit_status;
  absl::StatusOr<container::VolumeRecord> created = store->Create(options);
  if (!created.ok()) {
    // As Docker: creating a named volume that exists is not an error.
    if (created.status().code() == absl::StatusCode::kAlreadyExists && !options.name.empty()) {
      printf("%s\n", options.name.c_str());
      return 0;
    }
    return Failed(created.status());
  }
  printf("%s\n", created->name().c_str());
  return 0;
}

// Whether `record` passes the `ls --filter` values in `filters`.
bool Matches(const container::VolumeRecord& record, bool in_use,
             const std::vector<std::pair<std::string, std::string>>& filters) {
  for (const auto& [key, value] : filters) {
    if (key == "dangling") {
      if ((value == "true" || value == "1") == in_use) return false;
    } else if (key == "label") {
      auto [label, text] = SplitLabel(value);
      auto it = record.labels().find(label);
      if (it == record.labels().end()) return false;
      if (value.find('=') != std::string::npos && it->second != text) return false;
    } else if (key == "name") {
      if (!absl::StrContains(record.name(), value)) return false;
    }
  }
  return true;
}

int List(const std::vector<std::string>& args) {
  bool quiet = false;
  std::vector<std::pair<std::string, std::string>> filters;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-q" || arg == "--quiet") {
      quiet = true;
    } else if (arg == "-f" || arg == "--filter" || absl::StartsWith(arg, "--filter=")) {
      std::string filter;
      if (absl::StartsWith(arg, "--filter=")) {
        filter = arg.substr(9);
      } else if (i + 1 < args.size()) {
        filter = args[++i];
      }
      auto [key, value] = SplitLabel(filter);
      if (key != "dangling" && key != "label" && key != "name") {
        return Usage(absl::StrCat("unknown filter \"", filter,
                                  "\" (use dangling=true|false, label=KEY[=VALUE] or name=TEXT)"));
      }
      filters.emplace_back(key, value);
    } else {
      return Usage(absl::StrCat("unknown option ", arg, " for ls (see --help)"));
    }
  }
  int exit_status = 0;
  std::optional<container::VolumeStore> store = OpenStore(&exit_status);
  if (!store.has_value()) return exit_status;
  absl::StatusOr<std::vector<container::VolumeRecord>> volumes = store->List();
  if (!volumes.ok()) return Failed(volumes.status());
  if (!quiet) printf("%-8s %s\n", "DRIVER", "VOLUME NAME");
  for (const container::VolumeRecord& volume : *volumes) {
    bool in_use = !store->Users(volume.name()).empty();
    if (!Matches(volume, in_use, filters)) continue;
    if (quiet) {
      printf("%s\n", volume.name().c_str());
    } else {
      printf("%-8s %s\n", volume.driver().c_str(), volume.name().c_str());
    }
  }
  return 0;
}

int Inspect(const std::vector<std::string>& args) {
  if (args.empty()) return Usage("inspect needs at least one NAME");
  int exit_status = 0;
  std::optional<container::VolumeStore> store = OpenStore(&exit_status);
  if (!store.has_value()) return exit_status;
  std::vector<std::string> found;
  for (const std::string& name : args) {
    absl::StatusOr<container::VolumeRecord> record = store->Inspect(name);
    if (!record.ok()) {
      exit_status = Failed(record.status());
      continue;
    }
    found.push_back(container::VolumeToJson(*record));
  }
  printf("[%s]\n", absl::StrJoin(found, ",\n").c_str());
  return exit_status;
}

int Remove(const std::vector<std::string>& args) {
  bool force = false;
  std::vector<std::string> names;
  for (const std::string& arg : args) {
    if (arg == "-f" || arg == "--force") {
      force = true;
    } else if (absl::StartsWith(arg, "-")) {
      return Usage(absl::StrCat("unknown option ", arg, " for rm (see --help)"));
    } else {
      names.push_back(arg);
    }
  }
  if (names.empty()) return Usage("rm needs at least one NAME");
  int exit_status = 0;
  std::optional<container::VolumeStore> store = OpenStore(&exit_status);
  if (!store.has_value()) return exit_status;
  for (const std::string& name : names) {
    absl::Status removed = store->Remove(name, force);
    // As Docker, -f also ignores volumes that do not exist.
    if (removed.code() == absl::StatusCode::kNotFound && force) continue;
    if (!removed.ok()) {
      exit_status = Failed(removed);
      continue;
    }
    printf("%s\n", name.c_str());
  }
  return exit_status;
}

int Prune(const std::vector<std::string>& args) {
  bool all = false;
  for (const std::string& arg : args) {
    if (arg == "-a" || arg == "--all") {
      all = true;
    } else if (arg != "-f" && arg != "--force") {
      return Usage(absl::StrCat("unknown option ", arg, " for prune (see --help)"));
    }
  }
  int exit_status = 0;
  std::optional<container::VolumeStore> store = OpenStore(&exit_status);
  if (!store.has_value()) return exit_status;
  absl::StatusOr<std::vector<std::string>> removed = store->Prune(all);
  if (!removed.ok()) return Failed(removed.status());
  if (!removed->empty()) printf("Deleted Volumes:\n%s\n", absl::StrJoin(*removed, "\n").c_str());
  return 0;
}

}  // namespace

int VolumeCommand(const std::vector<std::string>& args) {
  if (args.empty()) {
    fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string& command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const std::string& arg : rest) {
    if (arg == "-h" || arg == "--help") {
      fputs(kUsage, stdout);
      return 0;
    }
  }
  if (command == "create") return Create(rest);
  if (command == "ls" || command == "list") return List(rest);
  if (command == "inspect") return Inspect(rest);
  if (command == "rm" || command == "remove") return Remove(rest);
  if (command == "prune") return Prune(rest);
  if (command == "-h" || command == "--help" || command == "help") {
    fputs(kUsage, stdout);
    return 0;
  }
  return Usage(absl::StrCat("unknown command \"", command, "\" (see --help)"));
}

}  // namespace pycontain::cli
