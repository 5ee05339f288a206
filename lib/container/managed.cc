// Creating, finding, listing, inspecting and removing managed containers.
// Starting, stopping and the monitor are in managed_monitor.cc; logs,
// exec, diff, commit and export in managed_io.cc.
#include "lib/container/managed.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "lib/base/log.h"
#include "lib/base/status.h"
#include "lib/container/gc.h"
#include "lib/container/image_root.h"
#include "lib/container/managed_internal.h"
#include "lib/image/store.h"
#include "lib/spec/validate.h"

namespace pycontain::container {
namespace {

using namespace managed_internal;

constexpr size_t kIdLength = 64;

std::string RandomHex(size_t bytes) {
  std::string random(bytes, '\0');
  size_t filled = 0;
  while (filled < bytes) {
    ssize_t n = getrandom(random.data() + filled, bytes - filled, 0);
    // Without flags, getrandom(2) fails only when a signal interrupts it.
    if (n < 0) continue;
    filled += n;
  }
  std::string hex;
  for (unsigned char byte : random) absl::StrAppendFormat(&hex, "%02x", byte);
  return hex;
}

std::string RandomName() {
  static constexpr const char* kAdjectives[] = {
      "amber", "brave", "calm",  "eager", "fond",  "gentle", "happy", "keen",
      "lucid", "merry", "noble", "quiet", "rapid", "sharp",  "tidy",  "vivid"};
  static constexpr const char* kNouns[] = {
      "badger", "crane", "dingo", "egret",  "ferret", "gecko", "heron", "ibis",
      "jackal", "koala", "lynx",  "marten", "newt",   "otter", "puffin", "wren"};
  std::string random = RandomHex(2);
  unsigned value = std::stoul(random, nullptr, 16);
  return absl::StrCat(kAdjectives[value & 15], "_", kNouns[(value >> 4) & 15], "_",
                      RandomHex(2));
}

bool IsHex(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); });
}

absl::Status MakeDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return absl::OkStatus();
  return ErrnoError(errno, "create directory", path);
}

// Makes `path` and its missing parents, as `mkdir -p` does: a rootless
// user's store root (~/.local/share/pycontain) may lack its parents.
absl::Status MakeDirectories(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "create directory", parent);
    }
  }
  return MakeDirectory(path);
}

std::string NameLink(absl::string_view name) {
  return absl::StrCat(ManagedContainersRoot(), "/", kNamesDirectory, "/", name);
}

// Ids of every container directory (64 hex digits with a config.json).
std::vector<std::string> ListIds() {
  std::vector<std::string> ids;
  std::string root = ManagedContainersRoot();
  DIR* dir = opendir(root.c_str());
  if (dir == nullptr) return ids;
  while (struct dirent* entry = readdir(dir)) {
    absl::string_view name = entry->d_name;
    // Ephemeral containers keep their writable layers here too, under
    // shorter names.
    if (name.size() != kIdLength || !IsHex(name)) continue;
    ids.emplace_back(name);
  }
  closedir(dir);
  return ids;
}

// Claims `name` for `id`. A link to a directory without a config is what
// a creation or removal that died midway left, and is taken over.
absl::Status ClaimName(const std::string& name, const std::string& id) {
  std::string link = NameLink(name);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (symlink(id.c_str(), link.c_str()) == 0) return absl::OkStatus();
    if (errno != EEXIST) return ErrnoError(errno, "create name link", link);
    char target[128];
    ssize_t length = readlink(link.c_str(), target, sizeof(target) - 1);
    if (length <= 0) continue;
    std::string owner(target, length);
    struct stat info;
    std::string config = absl::StrCat(ContainerDirectory(owner), "/", kConfigFile);
    if (stat(config.c_str(), &info) == 0) {
      return absl::AlreadyExistsError(absl::StrCat(
          "the container name \"", name, "\" is already in use by container ",
          owner.substr(0, 12), ": remove that container or choose another name"));
    }
    Logf(LogLevel::kDebug, id, "taking over the stale name link %s -> %s", link, owner);
    unlink(link.c_str());
  }
  return absl::AlreadyExistsError(
      absl::StrCat("the container name \"", name, "\" is in use"));
}

absl::StatusOr<image::Image> FindImage(const std::string& reference) {
  absl::StatusOr<image::Store> store = image::Store::Open({});
  if (!store.ok()) return store.status();
  return store->GetImage(reference);
}

// Checks the spec as a start would, with the image applied, and returns
// the mounts a start would make, the image's VOLUME paths included.
absl::StatusOr<google::protobuf::RepeatedPtrField<spec::Mount>> ValidateForCreate(
    const spec::ContainerSpec& spec) {
  if (spec.image().empty()) {
    absl::Status valid = spec::ValidateSpec(spec);
    if (!valid.ok()) return valid;
    return spec.mounts();
  }
  absl::StatusOr<ImageSpec> image = ResolveImage(spec);
  if (!image.ok()) return image.status();
  absl::Status valid = spec::ValidateSpec(image->spec);
  if (!valid.ok()) return valid;
  return image->spec.mounts();
}

bool HasAnonymousVolume(const google::protobuf::RepeatedPtrField<spec::Mount>& mounts) {
  for (const spec::Mount& mount : mounts) {
    if (mount.type() == "volume" && mount.source().empty()) return true;
  }
  return false;
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string JsonStrings(const google::protobuf::RepeatedPtrField<std::string>& values) {
  std::vector<std::string> quoted;
  for (const std::string& value : values) quoted.push_back(JsonString(value));
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

std::string MessageJson(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  auto printed = google::protobuf::util::MessageToJsonString(message, &text, options);
  return printed.ok() ? text : "null";
}

// Reformats valid JSON with one member or element per line, indented by
// two spaces per level, keeping the order of the keys.
std::string Indent(absl::string_view json) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  auto newline = [&](int level) {
    out += '\n';
    out.append(2 * level, ' ');
  };
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < json.size()) {
        out += json[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        // An empty object or array stays on one line.
        if (i + 1 < json.size() && (json[i + 1] == '}' || json[i + 1] == ']')) {
          out += json[++i];
        } else {
          newline(++depth);
        }
        break;
      case '}':
      case ']':
        newline(--depth);
        out += c;
        break;
      case ',':
        out += c;
        newline(depth);
        break;
      case ':':
        out += ": ";
        break;
      case ' ':
      case '\n':
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Removes the directory of a creation that failed.
void RemoveOrLog(const std::string& directory, const std::string& id) {
  absl::Status removed = overlay::RemoveTree(directory);
  if (!removed.ok()) {
    Logf(LogLevel::kWarning, id, "cannot remove %s after a failed create: %s", directory,
         removed.message());
  }
}

}  // namespace

// As on Docker's user-defined networks, other containers on the
// container's network resolve it by its name and short id too.
void AddNetworkNames(ManagedConfig& config) {
  spec::Network* network = config.mutable_spec()->mutable_network();
  if (network->mode() != spec::Network::BRIDGE && network->mode() != spec::Network::MACVLAN &&
      network->mode() != spec::Network::IPVLAN) {
    return;
  }
  for (const std::string& name : {config.name(), config.id().substr(0, 12)}) {
    if (std::find(network->aliases().begin(), network->aliases().end(), name) ==
        network->aliases().end()) {
      network->add_aliases(name);
    }
  }
}

absl::StatusOr<ManagedContainer> CreateContainer(const CreateOptions& options) {
  if (!options.spec.id().empty()) {
    return absl::InvalidArgumentError(
        "spec.id must be empty for a managed container: give a name instead");
  }
  if (options.spec.process().has_stdio()) {
    return absl::InvalidArgumentError(
        "process.stdio must be unset for a managed container: its output goes to its log");
  }
  std::string name = options.name.empty() ? RandomName() : options.name;
  absl::Status valid = spec::ValidateId(name);
  if (!valid.ok()) return Annotate(valid, "container name");

  ManagedConfig config;
  config.set_id(RandomHex(kIdLength / 2));
  config.set_name(name);
  config.set_created(FormatTimestamp(absl::Now()));
  config.set_auto_remove(options.auto_remove);
  *config.mutable_healthcheck() = options.healthcheck;
  *config.mutable_restart_policy() = options.restart_policy;
  for (const NetworkConnection& network : options.extra_networks) {
    *config.add_extra_networks() = network;
  }
  for (const auto& [key, value] : options.labels) (*config.mutable_labels())[key] = value;
  *config.mutable_spec() = options.spec;
  config.mutable_spec()->set_id(config.id());
  if (config.spec().hostname().empty()) {
    config.mutable_spec()->set_hostname(config.id().substr(0, 12));
  }
  AddNetworkNames(config);
  absl::StatusOr<google::protobuf::RepeatedPtrField<spec::Mount>> mounts =
      ValidateForCreate(config.spec());
  if (!mounts.ok()) return mounts.status();
  config.set_stop_signal(options.stop_signal);
  if (!options.spec.image().empty()) {
    absl::StatusOr<image::Image> image = FindImage(options.spec.image());
    if (!image.ok()) return image.status();
    config.set_image_id(image->record.id());
    if (config.stop_signal().empty()) {
      config.set_stop_signal(image->config.config().stop_signal());
    }
  }
  if (!config.stop_signal().empty()) {
    absl::StatusOr<int> signal = ParseSignal(config.stop_signal());
    if (!signal.ok()) return Annotate(signal.status(), "stop signal");
  }
  absl::StatusOr<LogRotation> rotation = ParseLogOptions(options.log_options);
  if (!rotation.ok()) return rotation.status();
  for (const auto& [key, value] : options.log_options) {
    (*config.mutable_log_options())[key] = value;
  }

  std::string root = ManagedContainersRoot();
  absl::Status status = MakeDirectories(image::DefaultStoreRoot());
  if (status.ok()) status = MakeDirectory(root);
  if (status.ok()) status = MakeDirectory(absl::StrCat(root, "/", kNamesDirectory));
  if (!status.ok()) return status;
  std::string directory = ContainerDirectory(config.id());
  if (mkdir(directory.c_str(), 0700) != 0) return ErrnoError(errno, "create directory", directory);

  // Anonymous volumes get their names now, so that every start mounts the
  // same ones, as in Docker.
  if (HasAnonymousVolume(*mounts)) {
    status = PinAnonymousVolumes(*mounts, config);
    if (!status.ok()) {
      RemoveOrLog(directory, config.id());
      return status;
    }
    *config.mutable_spec()->mutable_mounts() = std::move(*mounts);
  }

  ManagedState state;
  state.set_status(kStatusCreated);
  status = WriteConfig(directory, config);
  if (status.ok()) status = WriteState(directory, state);
  // The name is claimed last, so that a name link always leads to a
  // complete container.
  if (status.ok()) status = ClaimName(name, config.id());
  if (!status.ok()) {
    ReleaseVolumes(config, /*remove_anonymous=*/true);
    RemoveOrLog(directory, config.id());
    return status;
  }
  RegisterVolumeUsers(config);
  Logf(LogLevel::kDebug, config.id(), "created container %s in %s", name, directory);
  return LoadContainer(directory);
}

absl::StatusOr<ManagedContainer> ResolveContainer(absl::string_view name_or_id) {
  if (name_or_id.empty()) return absl::InvalidArgumentError("empty container name or id");
  if (name_or_id.size() == kIdLength && IsHex(name_or_id)) {
    absl::StatusOr<ManagedContainer> found = LoadContainer(ContainerDirectory(name_or_id));
    if (found.ok() || found.status().code() != absl::StatusCode::kNotFound) return found;
  }
  if (spec::ValidateId(name_or_id).ok()) {
    char target[128];
    std::string link = NameLink(name_or_id);
    ssize_t length = readlink(link.c_str(), target, sizeof(target) - 1);
    if (length > 0) {
      absl::StatusOr<ManagedContainer> found =
          LoadContainer(ContainerDirectory(absl::string_view(target, length)));
      if (found.ok() || found.status().code() != absl::StatusCode::kNotFound) return found;
    }
  }
  if (IsHex(name_or_id)) {
    std::vector<std::string> matches;
    for (const std::string& id : ListIds()) {
      if (absl::StartsWith(id, name_or_id)) matches.push_back(id);
    }
    if (matches.size() > 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the id prefix ", name_or_id, " matches ", matches.size(),
          " containers: give more digits"));
    }
    if (matches.size() == 1) return LoadContainer(ContainerDirectory(matches[0]));
  }
  return absl::NotFoundError(absl::StrCat("no such container: ", name_or_id));
}

absl::StatusOr<std::vector<ManagedContainer>> ListContainers(const ListOptions& options) {
  std::vector<ManagedContainer> containers;
  for (const std::string& id : ListIds()) {
    absl::StatusOr<ManagedContainer> container = LoadContainer(ContainerDirectory(id));
    if (!container.ok()) {
      // Removed meanwhile, or a creation still writing its files.
      if (container.status().code() != absl::StatusCode::kNotFound) {
        Logf(LogLevel::kWarning, id, "skipping a damaged container: %s",
             container.status().message());
      }
      continue;
    }
    if (!options.all && !container->running()) continue;
    bool matches = true;
    for (const auto& [key, value] : options.labels) {
      auto found = container->config.labels().find(key);
      if (found == container->config.labels().end() ||
          (!value.empty() && found->second != value)) {
        matches = false;
        break;
      }
    }
    if (matches) containers.push_back(std::move(*container));
  }
  // RFC 3339 times in UTC with fixed width sort as text.
  std::sort(containers.begin(), containers.end(),
            [](const ManagedContainer& a, const ManagedContainer& b) {
              return a.config.created() > b.config.created();
            });
  return containers;
}

absl::StatusOr<std::string> InspectContainer(absl::string_view name_or_id) {
  absl::StatusOr<ManagedContainer> found = ResolveContainer(name_or_id);
  if (!found.ok()) return found.status();
  const ManagedConfig& config = found->config;
  const spec::ContainerSpec& spec = config.spec();

  std::vector<std::string> labels;
  for (const auto& [key, value] : config.labels()) {
    labels.push_back(absl::StrCat(JsonString(key), ": ", JsonString(value)));
  }
  std::string state = MessageJson(found->state);
  std::string text = absl::StrCat(
      "{\"Id\": ", JsonString(config.id()), ", \"Created\": ", JsonString(config.created()),
      ", \"Name\": ", JsonString(absl::StrCat("/", config.name())),
      ", \"Image\": ", JsonString(config.image_id()), ", \"State\": ", state,
      ", \"LogPath\": ", JsonString(found->log_path));
  absl::StrAppend(&text, ", \"Config\": {\"Hostname\": ", JsonString(spec.hostname()),
                  ", \"Image\": ", JsonString(spec.image()),
                  ", \"Cmd\": ", JsonStrings(spec.process().args()),
                  ", \"Env\": ", JsonStrings(spec.process().env()),
                  ", \"WorkingDir\": ", JsonString(spec.process().cwd()),
                  ", \"Labels\": {", absl::StrJoin(labels, ", "), "}}");
  absl::StrAppend(&text, ", \"HostConfig\": {\"AutoRemove\": ",
                  config.auto_remove() ? "true" : "false", "}");
  absl::StrAppend(&text, ", \"GraphDriver\": {\"Name\": \"overlay\", \"Data\": {\"UpperDir\": ",
                  JsonString(found->upper_directory), "}}");
  absl::StrAppend(&text, ", \"Spec\": ", MessageJson(spec), "}");
  return Indent(text);
}

absl::Status RemoveContainer(absl::string_view name_or_id, const RemoveOptions& options) {
  absl::StatusOr<ManagedContainer> found = ResolveContainer(name_or_id);
  if (!found.ok()) return found.status();
  std::string directory = found->directory;
  absl::StatusOr<UniqueFd> lock = LockContainer(directory);
  if (!lock.ok()) return lock.status();
  absl::StatusOr<ManagedContainer> container = LoadContainer(directory);
  if (!container.ok()) return container.status();

  if (container->running()) {
    if (!options.force) {
      return absl::FailedPreconditionError(absl::StrCat(
          "container ", container->name(),
          " is running: stop it first, or remove it with force (rm -f)"));
    }
    // The monitor takes the lock to record the exit, so it is released
    // while the monitor ends.
    lock->reset();
    absl::Status stopped = StopContainer(container->id(), absl::ZeroDuration());
    if (!stopped.ok()) return Annotate(stopped, "remove");
    lock = LockContainer(directory);
    if (!lock.ok()) {
      // An auto_remove container removed itself meanwhile.
      if (lock.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
      return lock.status();
    }
    container = LoadContainer(directory);
    if (!container.ok()) return container.status();
  }

  // A monitor that died left runtime state behind.
  absl::StatusOr<ManagedState> saved = ReadState(directory);
  if (saved.ok() && saved->status() == kStatusRunning) {
    GcReport report;
    absl::Status collected = CollectDeadContainer(saved->state_root(), container->id(), report);
    if (!collected.ok()) return Annotate(collected, "remove");
  }
  ReleaseVolumes(container->config, options.volumes);
  absl::Status removed = RemoveContainerFiles(container->config, directory);
  if (!removed.ok()) return removed;
  Logf(LogLevel::kDebug, container->id(), "removed container %s", container->name());
  return absl::OkStatus();
}

void CollectManagedContainers(GcReport& report) {
  for (const std::string& id : ListIds()) {
    std::string directory = ContainerDirectory(id);
    absl::StatusOr<ManagedState> state = ReadState(directory);
    if (!state.ok() || state->status() != kStatusRunning) continue;
    if (DeadMonitorReason(*state).empty()) continue;

    absl::StatusOr<UniqueFd> lock = LockContainer(directory);
    if (!lock.ok()) continue;
    // Read again under the lock: a start may have won the race.
    state = ReadState(directory);
    if (!state.ok() || state->status() != kStatusRunning) continue;
    std::string reason = DeadMonitorReason(*state);
    if (reason.empty()) continue;
    absl::StatusOr<ManagedContainer> container = LoadContainer(directory);
    if (!container.ok()) continue;
    container->state = *state;
    Logf(LogLevel::kInfo, id, "gc: container %s: %s", container->name(), reason);
    absl::Status settled = SettleDeadMonitor(*container, reason, report);
    if (!settled.ok()) {
      report.errors.push_back(absl::StrCat("container ", container->name(), ": ",
                                           settled.message()));
    } else if (container->config.auto_remove()) {
      report.containers.push_back(absl::StrCat(container->name(), " (removed: ", reason, ")"));
    } else {
      report.exited.push_back(absl::StrCat(container->name(), " (", reason, ")"));
    }
  }
}

}  // namespace pycontain::container
