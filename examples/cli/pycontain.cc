// pycontain: a docker-like command line built only on the public C++ API.
//
//   pycontain run [OPTIONS] [--] COMMAND [ARG...]
//   pycontain run [OPTIONS] IMAGE [COMMAND [ARG...]]
//   pycontain gc
//   pycontain ps|start|stop|kill|rm|exec|logs|wait|diff|commit|export|inspect
//   pycontain compose [OPTIONS] config [SERVICE...]
//   pycontain volume create|ls|inspect|rm|prune
//
// The exit status mirrors the command's: its exit code, or 128 + the signal
// that killed it. Like `docker run`, 125 means pycontain itself failed, 126
// that the command could not be run, 127 that it was not found.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "examples/cli/cli_text.h"
#include "examples/cli/compose_command.h"
#include "examples/cli/container_command.h"
#include "examples/cli/gc_command.h"
#include "examples/cli/image_command.h"
#include "examples/cli/mount_flags.h"
#include "examples/cli/network_command.h"
#include "examples/cli/resource_flags.h"
#include "examples/cli/security_flags.h"
#include "examples/cli/volume_command.h"
#include "lib/base/status.h"
#include "lib/base/units.h"
#include "lib/container/container.h"
#include "lib/container/managed.h"
#include "lib/image/store.h"
#include "lib/spec/container.pb.h"

namespace {

constexpr int kExitPycontainFailed = 125;
constexpr int kExitCannotRun = 126;
constexpr int kExitNotFound = 127;

constexpr char kUsage[] = R"(Usage: pycontain run [OPTIONS] [--] COMMAND [ARG...]
       pycontain run [OPTIONS] IMAGE [COMMAND [ARG...]]
       pycontain run [OPTIONS] --image IMAGE [--] [COMMAND [ARG...]]

Run COMMAND in a new container and exit with its status.

IMAGE is an image in the store (`pycontain image ls`): NAME[:TAG] or an id.
The container's root is then an overlay of the image's layers with a
writable layer of its own, removed with the container, and the image's
Entrypoint, Cmd, Env, WorkingDir and User apply as in `docker run`. Unlike
`docker run`, the first word after the options is taken as IMAGE only when
no --rootfs or --image is given, no `--` comes before it, and the store has
an image of that name; otherwise it is COMMAND. A first word with a tag or
digest (NAME:TAG, NAME@DIGEST) that the store lacks is an error, not a
command. `--image` always names an image.

With no --rootfs, the container runs on the host's root filesystem, read-only,
with a fresh /proc, a minimal /dev and an empty tmpfs at /tmp, in new PID,
mount, UTS, IPC, network and cgroup namespaces (and a user namespace when not
run as root). No image is needed.

Options:
  --rootfs DIR          root filesystem directory (default: the host's, read-only);
                        the container writes into DIR itself unless
                        --read-only is given
  --read-only           mount the root filesystem read-only; with an image,
                        /tmp and /run get a writable tmpfs
  --image IMAGE         run IMAGE from the store (see above)
  --tmpfs DIR[:OPTIONS] mount a tmpfs at DIR, nosuid and nodev, with
                        comma-separated tmpfs options such as size=16m or
                        mode=1777 (repeatable)
  -v, --volume SOURCE:DEST[:OPTIONS]
                        bind host path SOURCE (absolute, must exist) or
                        mount volume SOURCE (created on first use) at DEST;
                        -v DEST alone mounts a new anonymous volume.
                        OPTIONS: ro, rw, nocopy (volumes: do not copy the
                        image's DEST into a new volume), private, rprivate,
                        slave, rslave, shared, rshared (binds) (repeatable)
  --mount type=bind|volume|tmpfs,source=S,target=DEST[,KEY=VALUE...]
                        the long form, as CSV: quote a field holding commas
                        or colons ("source=/a,b"). Keys: readonly,
                        bind-propagation, volume-nocopy, tmpfs-size (bytes,
                        such as 16m), tmpfs-mode (octal) (repeatable)
  --rm                  remove the container's anonymous volumes when it
                        exits (without it they stay: pycontain volume ls)
  --name ID             container id (default: 12 random hex digits)
  --hostname NAME       hostname inside the container (default: the id)
  -e, --env NAME[=VALUE]
                        set an environment variable; NAME alone passes
                        this process's value, or nothing when it is unset
                        (repeatable)
  -w, --workdir DIR     working directory inside the container (default: /);
                        in an image's root a missing one is created with
                        its parents and given to the user, while with
                        --rootfs it must exist
  -u, --user USER[:GROUP]
                        user and group, as names from the root's /etc/passwd
                        and /etc/group or as numeric ids (default: 0:0)
  --timeout DURATION    kill the container after DURATION, such as 30s or 1m30s;
                        the exit status is then 128+9 (default: no limit)
  --network MODE        none: loopback only, in a new network namespace
                        (default); host: the host's network, not isolated;
                        NAME: a network from `pycontain network create`;
                        container:ID: join the network namespace of running
                        container ID; container:PATH: join the network
                        namespace at PATH, such as /proc/PID/ns/net
  --ipc MODE            private (default) or shareable: a new IPC
                        namespace; host: the host's; container:NAME: join
                        the IPC namespace and /dev/shm of running container
                        NAME (or ID); container:PATH: join the namespace at
                        PATH, such as /proc/PID/ns/ipc
  --pid MODE            private (default): a new PID namespace; host: the
                        host's; container:NAME (or ID, or PATH): join a
                        running container's
  -p, --publish [IP:]HOST[-END]:CTR[-END][/tcp|/udp]
                        publish container ports on the host (repeatable).
                        Without IP the port binds 127.0.0.1 ONLY; give
                        0.0.0.0 or [::] to publish on every address
  --ip IP, --ip6 IP     the container's address on the network
  --network-alias NAME  another name the network's containers resolve
  --host-netns PATH     the network namespace that plays the host
                        (default: the caller's)
  --add-host HOST:IP    an extra line in the container's /etc/hosts
                        (repeatable; with --network NAME only)
  --dns IP              a nameserver for the container's /etc/resolv.conf
                        (repeatable; with --network NAME only). With any
                        of --dns, --dns-search or --dns-option the file
                        has only these lines, not the host's
  --dns-search DOMAIN   a search domain for /etc/resolv.conf (repeatable)
  --dns-option OPTION   a resolver option such as ndots:2 (repeatable)
  --sysctl NAME=VALUE   set a namespaced kernel parameter inside the
                        container (repeatable): net.* (not with --network
                        host or container:), fs.mqueue.*, kernel.msgmax,
                        kernel.msgmnb, kernel.msgmni, kernel.sem,
                        kernel.shmall, kernel.shmmax, kernel.shmmni,
                        kernel.shm_rmid_forced; the host's values stay
  -h, --help            print this help

%s
%s
Exit status: the command's, or 128+N when signal N ended it; 125 when
pycontain failed, 126 when the command could not be run, 127 when it was
not found.

`pycontain volume` manages volumes (see pycontain volume --help).
`pycontain compose` loads Compose projects (see pycontain compose --help).
`pycontain gc` removes the cgroups, mounts and state directories of
containers whose owning process died (see pycontain gc --help).
)";

constexpr char kCommandsHelp[] = R"(Usage: pycontain COMMAND [OPTIONS] [ARG...]

Run commands in Linux containers: on a root filesystem directory, on the
host's root (read-only), or from an image in the local store.

Commands:
  run       Run a command in a new container (-d: in the background)
  ps        List containers (-a: also stopped ones)
  start     Start stopped containers
  stop      Stop running containers: the stop signal, then SIGKILL
  restart   Stop running containers and start them again
  pause     Freeze every process of running containers
  unpause   Thaw paused containers
  kill      Send a signal to containers' first processes
  rm        Remove containers
  exec      Run a command in a running container
  logs      Print a container's output
  wait      Wait until containers stop, then print their exit codes
  diff      List the files a container added, changed or deleted
  commit    Save a container's changes as a new image
  export    Write a container's root filesystem as a tar archive
  inspect   Print containers' details as JSON
  image     Manage images: load, save, import, ls, inspect, history, rm, prune
  volume    Manage volumes: create, ls, inspect, rm, prune
  network   Manage networks: create, ls, inspect, rm, connect, disconnect
  compose   Run Compose projects
  gc        Remove what containers of dead processes left behind

Run 'pycontain COMMAND --help' for the options of a command.
)";

void PrintUsage(FILE* out) {
  fprintf(out, kUsage, pycontain::cli::kResourceFlagsHelp, pycontain::cli::kSecurityFlagsHelp);
  fprintf(out, "\n%s", pycontain::cli::kDetachFlagsHelp);
}

int Fail(const std::string& message, int status = kExitPycontainFailed) {
  fprintf(stderr, "pycontain: %s\n", message.c_str());
  return status;
}

int ExitStatusFor(const absl::Status& status) {
  std::optional<int> err = pycontain::ErrnoOf(status);
  if (status.code() == absl::StatusCode::kNotFound &&
      absl::StrContains(status.message(), "executable")) {
    return kExitNotFound;
  }
  if (err.has_value() && absl::StrContains(status.message(), "exec ")) {
    return *err == ENOENT ? kExitNotFound : kExitCannotRun;
  }
  return kExitPycontainFailed;
}

// Reads an option's value from "--name=value" or the next argument.
class Arguments {
 public:
  Arguments(int argc, char** argv) : args_(argv + 1, argv + argc) {}

  bool done() const { return next_ >= args_.size(); }
  const std::string& peek() const { return args_[next_]; }
  std::string take() { return args_[next_++]; }
  std::vector<std::string> rest() const {
    return {args_.begin() + next_, args_.end()};
  }

  // When the next argument is option `long_name` (or `short_name`), stores
  // its value and returns true. Sets `error` when the value is missing.
  bool Match(absl::string_view long_name, absl::string_view short_name,
             std::string* value, std::string* error) {
    const std::string& arg = peek();
    if (absl::StartsWith(arg, absl::StrCat(long_name, "="))) {
      *value = arg.substr(long_name.size() + 1);
      ++next_;
      return true;
    }
    if (arg != long_name && (short_name.empty() || arg != short_name)) return false;
    ++next_;
    if (done()) {
      *error = absl::StrCat("option ", arg, " needs a value (see --help)");
      return true;
    }
    *value = take();
    return true;
  }

 private:
  std::vector<std::string> args_;
  size_t next_ = 0;
};

// Returns "--tmpfs DIR[:OPTIONS]" as a mount.
pycontain::spec::Mount TmpfsMount(const std::string& value) {
  pycontain::spec::Mount mount;
  size_t colon = value.find(':');
  mount.set_destination(value.substr(0, colon));
  mount.set_type("tmpfs");
  mount.set_source("tmpfs");
  mount.add_options("nosuid");
  mount.add_options("nodev");
  if (colon != std::string::npos) {
    for (absl::string_view option :
         absl::StrSplit(value.substr(colon + 1), ',', absl::SkipEmpty())) {
      mount.add_options(std::string(option));
    }
  }
  return mount;
}

// Whether the store has an image named `word`. A missing store is not
// created here: a plain `run` must not make one.
bool StoreHasImage(const std::string& word) {
  struct stat info;
  std::string images = pycontain::image::DefaultStoreRoot() + "/images";
  if (stat(images.c_str(), &info) != 0) return false;
  absl::StatusOr<pycontain::image::Store> store = pycontain::image::Store::Open({});
  return store.ok() && store->GetImage(word).ok();
}

// Whether `word` reads as an image reference with a tag or digest
// ("busybox:1.36", "name@sha256:..."), which no command name on a host
// usually has.
bool LooksLikeTaggedImage(const std::string& word) {
  if (absl::StartsWith(word, "/") || absl::StartsWith(word, ".")) return false;
  return word.find(':') != std::string::npos || word.find('@') != std::string::npos;
}

// Returns the first of `network_flags` (flags that only a container on a
// named network may use) unless the spec's network is a named one, or "".
std::string NamedNetworkFlag(const pycontain::spec::ContainerSpec& spec,
                             const std::vector<std::string>& network_flags) {
  pycontain::spec::Network::Mode mode = spec.network().mode();
  if (mode == pycontain::spec::Network::BRIDGE || mode == pycontain::spec::Network::MACVLAN ||
      mode == pycontain::spec::Network::IPVLAN || network_flags.empty()) {
    return "";
  }
  return network_flags.front();
}

// Applies --ipc or --pid (`flag`) with `value` to the spec: private (and
// for IPC shareable), host, or container:TARGET, where TARGET is a running
// container's name or id, or a namespace file. Returns an error message
// naming the flag, or "".
std::string ApplyNamespaceFlag(const std::string& flag, const std::string& value,
                               pycontain::spec::ContainerSpec& spec) {
  bool ipc = flag == "--ipc";
  pycontain::spec::Namespaces* namespaces = spec.mutable_namespaces();
  if (value == "private" || (ipc && value == "shareable")) return "";
  if (value == "host") {
    if (ipc) {
      namespaces->set_ipc(false);
    } else {
      namespaces->set_pid(false);
    }
    return "";
  }
  constexpr absl::string_view kPrefix = "container:";
  if (absl::StartsWith(value, kPrefix) && value.size() > kPrefix.size()) {
    std::string target = value.substr(kPrefix.size());
    pycontain::spec::NamespaceJoin* join =
        ipc ? namespaces->mutable_join_ipc() : namespaces->mutable_join_pid();
    if (absl::StartsWith(target, "/")) {
      join->set_path(target);
      return "";
    }
    // The library finds the container by id, so a managed container's
    // name is replaced by its id.
    absl::StatusOr<pycontain::container::ManagedContainer> managed =
        pycontain::container::ResolveContainer(target);
    join->set_container(managed.ok() ? managed->id() : target);
    return "";
  }
  return absl::StrCat(flag, ": unknown mode \"", value, "\" (use private",
                      ipc ? ", shareable" : "", ", host or container:NAME)");
}

// Parses `run`'s options into `spec`, and records in detach->flag_origins
// which flag set which spec field, for error messages. Returns an error
// message, or "".
std::string ParseRunOptions(Arguments& args, pycontain::spec::ContainerSpec& spec,
                            bool* help, bool* stats, pycontain::cli::DetachFlags* detach) {
  pycontain::spec::Process* process = spec.mutable_process();
  pycontain::cli::FlagOrigins& origins = detach->flag_origins;
  // The flags that need --network NAME, as typed.
  std::vector<std::string> network_flags;
  std::string network_value;
  bool after_double_dash = false;
  while (!args.done()) {
    const std::string arg = args.peek();
    if (arg == "--") {
      args.take();
      after_double_dash = true;
      break;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") break;
    if (arg == "-h" || arg == "--help") {
      *help = true;
      return "";
    }
    if (arg == "--read-only") {
      args.take();
      spec.mutable_root()->set_readonly(true);
      continue;
    }
    if (arg == "-d" || arg == "--detach") {
      args.take();
      detach->detach = true;
      continue;
    }
    if (arg == "--stats") {
      args.take();
      *stats = true;
      continue;
    }
    if (arg == "--rm") {
      args.take();
      spec.set_remove_anonymous_volumes(true);
      continue;
    }
    std::string value, error;
    std::string flag = arg.substr(0, arg.find('='));
    // The flag as typed, for messages: "-e FOO".
    auto typed = [&arg, &flag, &value] {
      return absl::StrCat(arg == flag ? arg : flag, " ", value);
    };
    if (args.Match("--rootfs", "", &value, &error)) {
      spec.mutable_root()->set_path(value);
    } else if (args.Match("--image", "", &value, &error)) {
      spec.set_image(value);
    } else if (args.Match("--tmpfs", "", &value, &error)) {
      origins.emplace_back(absl::StrCat("mounts[", spec.mounts_size(), "]"), typed());
      *spec.add_mounts() = TmpfsMount(value);
    } else if (args.Match("--volume", "-v", &value, &error) ||
               args.Match("--mount", "", &value, &error)) {
      if (!error.empty()) return error;
      bool long_form = flag == "--mount";
      absl::StatusOr<pycontain::spec::Mount> mount =
          long_form ? pycontain::cli::ParseMountFlag(value) : pycontain::cli::ParseVolumeFlag(value);
      if (!mount.ok()) return std::string(mount.status().message());
      absl::Status source = pycontain::cli::CheckBindSource(
          absl::StrCat(long_form ? "--mount " : "-v ", value), *mount);
      if (!source.ok()) return std::string(source.message());
      origins.emplace_back(absl::StrCat("mounts[", spec.mounts_size(), "]"), typed());
      *spec.add_mounts() = std::move(*mount);
    } else if (args.Match("--label", "-l", &value, &error)) {
      if (error.empty()) error = pycontain::cli::ApplyLabelFlag(value, *detach);
    } else if (args.Match("--name", "", &value, &error)) {
      origins.emplace_back("id", typed());
      spec.set_id(value);
    } else if (args.Match("--hostname", "", &value, &error)) {
      origins.emplace_back("hostname", typed());
      spec.set_hostname(value);
    } else if (args.Match("--env", "-e", &value, &error)) {
      // As in Docker, "-e NAME" passes the caller's NAME, or nothing when
      // it is unset.
      if (value.empty() || value[0] == '=') {
        return absl::StrCat(typed(), ": expected NAME=VALUE, or NAME to pass the caller's value");
      }
      const char* inherited = nullptr;
      if (value.find('=') == std::string::npos) {
        inherited = getenv(value.c_str());
        if (inherited == nullptr) continue;
      }
      origins.emplace_back(absl::StrCat("process.env[", process->env_size(), "]"), typed());
      process->add_env(inherited == nullptr ? value : absl::StrCat(value, "=", inherited));
    } else if (args.Match("--workdir", "-w", &value, &error)) {
      // Checked here, because an image's WorkingDirectory check would
      // name the image instead of the flag.
      if (!absl::StartsWith(value, "/")) {
        return absl::StrCat(typed(), ": the working directory must be an absolute path");
      }
      origins.emplace_back("process.cwd", typed());
      process->set_cwd(value);
    } else if (args.Match("--user", "-u", &value, &error)) {
      std::vector<std::string> parts = absl::StrSplit(value, absl::MaxSplits(':', 1));
      process->mutable_user()->set_user(parts[0]);
      if (parts.size() > 1) process->mutable_user()->set_group(parts[1]);
    } else if (args.Match("--timeout", "", &value, &error)) {
      absl::StatusOr<absl::Duration> timeout = pycontain::ParseDuration(value);
      if (!timeout.ok()) return absl::StrCat("--timeout: ", timeout.status().message());
      int64_t nanos = absl::ToInt64Nanoseconds(*timeout);
      spec.mutable_timeout()->set_seconds(nanos / 1000000000);
      spec.mutable_timeout()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
    } else if (args.Match("--network", "", &value, &error)) {
      network_value = value;
    } else if (args.Match("--ipc", "", &value, &error) ||
               args.Match("--pid", "", &value, &error)) {
      if (error.empty()) error = ApplyNamespaceFlag(flag, value, spec);
      bool join = absl::StartsWith(value, "container:");
      std::string field = flag == "--ipc" ? (join ? "namespaces.join_ipc" : "namespaces.ipc")
                                          : (join ? "namespaces.join_pid" : "namespaces.pid");
      origins.emplace_back(field, typed());
    } else if (args.Match("--publish", "-p", &value, &error)) {
      network_flags.push_back(typed());
      spec.mutable_network()->add_ports(value);
    } else if (args.Match("--ip", "", &value, &error)) {
      network_flags.push_back(typed());
      spec.mutable_network()->set_ip(value);
    } else if (args.Match("--ip6", "", &value, &error)) {
      network_flags.push_back(typed());
      spec.mutable_network()->set_ip6(value);
    } else if (args.Match("--network-alias", "", &value, &error)) {
      network_flags.push_back(typed());
      spec.mutable_network()->add_aliases(value);
    } else if (args.Match("--host-netns", "", &value, &error)) {
      spec.mutable_network()->set_host_namespace_path(value);
    } else if (args.Match("--add-host", "", &value, &error)) {
      network_flags.push_back(typed());
      spec.mutable_network()->add_extra_hosts(value);
    } else if (args.Match("--dns", "", &value, &error)) {
      network_flags.push_back(typed());
      spec.mutable_network()->add_dns(value);
    } else if (args.Match("--dns-search", "", &value, &error)) {
      network_flags.push_back(typed());
      spec.mutable_network()->add_dns_search(value);
    } else if (args.Match("--dns-option", "", &value, &error)) {
      network_flags.push_back(typed());
      spec.mutable_network()->add_dns_options(value);
    } else if (args.Match("--sysctl", "", &value, &error)) {
      size_t equals = value.find('=');
      if (equals == std::string::npos || equals == 0) {
        return absl::StrCat("--sysctl: expected NAME=VALUE, got \"", value, "\"");
      }
      origins.emplace_back(absl::StrCat("sysctls[", value.substr(0, equals), "]"), typed());
      (*spec.mutable_sysctls())[value.substr(0, equals)] = value.substr(equals + 1);
    } else if (pycontain::cli::IsDetachFlag(flag) && args.Match(flag, "", &value, &error)) {
      if (error.empty()) error = pycontain::cli::ApplyDetachFlag(flag, value, *detach);
    } else if (pycontain::cli::IsSecurityFlag(flag) && args.Match(flag, "", &value, &error)) {
      const pycontain::spec::Capabilities& capabilities = spec.security().capabilities();
      if (flag == "--cap-add") {
        origins.emplace_back(absl::StrCat("security.capabilities.add[", capabilities.add_size(), "]"),
                             typed());
      } else if (flag == "--cap-drop") {
        origins.emplace_back(
            absl::StrCat("security.capabilities.drop[", capabilities.drop_size(), "]"), typed());
      }
      if (error.empty()) {
        error = pycontain::cli::ApplySecurityFlag(flag, value, spec.mutable_security());
      }
    } else if (pycontain::cli::IsResourceFlag(flag) && args.Match(flag, "", &value, &error)) {
      if (error.empty()) {
        error = pycontain::cli::ApplyResourceFlag(flag, value, spec.mutable_resources());
      }
      std::string field = pycontain::cli::ResourceFieldOf(flag, spec.resources());
      if (!field.empty()) origins.emplace_back(field, typed());
    } else {
      return absl::StrCat("unknown option ", arg, " (see --help)");
    }
    if (!error.empty()) return error;
  }
  // After the loop, so that --host-netns may come after --network.
  if (!network_value.empty()) {
    std::string network_error = pycontain::cli::ApplyNetworkOption(network_value, spec);
    if (!network_error.empty()) return network_error;
  }
  std::string needs_network = NamedNetworkFlag(spec, network_flags);
  if (!needs_network.empty()) {
    return absl::StrCat(needs_network,
                        ": needs --network NAME, a network from `pycontain network create` "
                        "(the default network, none, has only loopback)");
  }
  if (!after_double_dash && !args.done() && spec.root().path().empty() &&
      spec.image().empty()) {
    const std::string& word = args.peek();
    if (StoreHasImage(word)) {
      spec.set_image(args.take());
    } else if (LooksLikeTaggedImage(word)) {
      // Running a command "name:tag" from the host's root instead would
      // only confuse; a mistyped or missing image gets a clear error.
      return absl::StrCat("run: image \"", word, "\" not found in the store at ",
                          pycontain::image::DefaultStoreRoot(),
                          " (load or import it first; put -- before a command of that name)");
    }
  }
  for (const std::string& word : args.rest()) process->add_args(word);
  // An image may give the command.
  if (process->args().empty() && spec.image().empty()) {
    return "run: a command is required (see --help)";
  }
  return "";
}

int RunCommand(Arguments& args) {
  pycontain::spec::ContainerSpec spec;
  bool help = false;
  bool stats = false;
  pycontain::cli::DetachFlags detach;
  std::string error = ParseRunOptions(args, spec, &help, &stats, &detach);
  if (help) {
    PrintUsage(stdout);
    return 0;
  }
  if (!error.empty()) return Fail(error);
  if (detach.detach) return pycontain::cli::RunDetached(spec, detach);
  if (detach.HasManagedOnlyFlags()) {
    return Fail("--stop-signal and --log-opt apply to managed containers only: add -d");
  }

  absl::StatusOr<pycontain::spec::RunResult> result = pycontain::container::Run(spec);
  if (!result.ok()) {
    return Fail(pycontain::cli::ResourceFieldsAsFlags(pycontain::cli::NameFlagInError(
                    result.status().message(), detach.flag_origins)),
                ExitStatusFor(result.status()));
  }
  if (stats) fputs(pycontain::cli::FormatStats(*result).c_str(), stderr);
  if (result->accounting().oom_killed()) {
    fprintf(stderr, "pycontain: container %s was killed by the OOM killer\n",
            result->id().c_str());
  }
  if (result->timed_out()) {
    fprintf(stderr, "pycontain: container %s killed after the timeout\n",
            result->id().c_str());
  }
  if (result->has_signal()) return 128 + result->signal();
  return result->exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  Arguments args(argc, argv);
  if (args.done()) {
    fputs(kCommandsHelp, stderr);
    return kExitPycontainFailed;
  }
  std::string command = args.take();
  if (command == "run") return RunCommand(args);
  if (command == "network") return pycontain::cli::NetworkCommand(args.rest());
  if (command == "image") return pycontain::cli::ImageCommand(args.rest());
  if (command == "gc") return pycontain::cli::GcCommand(args.rest());
  if (pycontain::cli::IsContainerCommand(command)) {
    return pycontain::cli::ContainerCommand(command, args.rest());
  }
  if (command == "compose") return pycontain::cli::ComposeCommand(args.rest());
  if (command == "volume") return pycontain::cli::VolumeCommand(args.rest());
  if (command == "-h" || command == "--help" || command == "help") {
    fputs(kCommandsHelp, stdout);
    return 0;
  }
  return Fail(absl::StrCat("unknown command \"", command, "\" (see --help)"));
}
