// pycontain._pycontain: the Python extension over the C API (pycontain.h).
//
// This module is deliberately thin: each class wraps one C handle, each
// method one C call, and the GIL is released around every call that can
// block or take a lock. The pure-Python package (pycontain/) builds specs,
// stdio and the exception hierarchy on top of it.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "capi/pycontain.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/container/container.h"
#include "lib/spec/load.h"
#include "google/protobuf/util/json_util.h"

namespace py = pybind11;

namespace {

// Called with (code, code_name, message, errno, step, field) to build the
// exception for a failed call; installed by pycontain/_errors.py.
py::object& ErrorFactory() {
  static py::object* factory = new py::object();
  return *factory;
}

// Raises the Python exception for a failed C call, then frees `error`.
[[noreturn]] void Raise(int code, pycontain_error* error) {
  std::string message = error ? pycontain_error_message(error) : pycontain_code_name(code);
  int err = error ? pycontain_error_errno(error) : 0;
  std::string step = error ? pycontain_error_step(error) : "";
  std::string field = error ? pycontain_error_field(error) : "";
  pycontain_error_destroy(error);

  if (!ErrorFactory()) throw std::runtime_error(message);
  py::object exception =
      ErrorFactory()(code, pycontain_code_name(code), message, err, step, field);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
  throw py::error_already_set();
}

void Check(int code, pycontain_error* error) {
  if (code != PYCONTAIN_OK) Raise(code, error);
}

pycontain_wait_options WaitOptions(std::optional<double> timeout, bool kill_on_timeout) {
  pycontain_wait_options options = {sizeof(options), 0, 0};
  if (timeout.has_value()) {
    if (!(*timeout >= 0)) throw py::value_error("timeout: must be at least 0 seconds");
    options.flags = PYCONTAIN_WAIT_TIMEOUT;
    if (kill_on_timeout) options.flags |= PYCONTAIN_WAIT_KILL_ON_TIMEOUT;
    options.timeout_ns = static_cast<int64_t>(*timeout * 1e9);
  }
  return options;
}

class RunResult {
 public:
  explicit RunResult(pycontain_run_result* result) : result_(result) {}
  RunResult(RunResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  ~RunResult() { pycontain_run_result_destroy(result_); }

  py::object exit_code() const {
    if (pycontain_run_result_signal(result_) != 0) return py::none();
    return py::int_(pycontain_run_result_exit_code(result_));
  }
  int signal() const { return pycontain_run_result_signal(result_); }
  bool timed_out() const { return pycontain_run_result_timed_out(result_) != 0; }
  bool oom_killed() const { return pycontain_run_result_oom_killed(result_) != 0; }
  int64_t wall_time_ns() const { return pycontain_run_result_wall_time_ns(result_); }
  int64_t cpu_time_ns() const { return pycontain_run_result_cpu_time_ns(result_); }
  py::object memory_peak_bytes() const {
    int64_t peak = pycontain_run_result_memory_peak_bytes(result_);
    if (peak < 0) return py::none();
    return py::int_(peak);
  }
  std::string json() const { return pycontain_run_result_json(result_); }

 private:
  pycontain_run_result* result_;
};

RunResult Run(const std::string& spec_json) {
  pycontain_run_result* result = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_run(spec_json.c_str(), nullptr, &result, &error);
  }
  Check(code, error);
  return RunResult(result);
}

class Process {
 public:
  explicit Process(pycontain_process* process) : process_(process) {}
  Process(Process&& other) noexcept : process_(std::exchange(other.process_, nullptr)) {}
  ~Process() { Close(); }

  int pid() const { return pycontain_process_pid(Get()); }

  RunResult Wait(std::optional<double> timeout, bool kill_on_timeout) {
    pycontain_wait_options options = WaitOptions(timeout, kill_on_timeout);
    pycontain_run_result* result = nullptr;
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_process_wait(Get(), &options, &result, &error);
    }
    Check(code, error);
    return RunResult(result);
  }

  void Kill(int signal) {
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_process_kill(Get(), signal, &error);
    }
    Check(code, error);
  }

  void Close() {
    py::gil_scoped_release release;
    pycontain_process_destroy(std::exchange(process_, nullptr));
  }

 private:
  pycontain_process* Get() const {
    if (process_ == nullptr) throw py::value_error("the process was closed");
    return process_;
  }

  pycontain_process* process_;
};

class Container {
 public:
  explicit Container(const std::string& spec_json) {
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_container_create(spec_json.c_str(), nullptr, &container_, &error);
    }
    Check(code, error);
  }
  ~Container() { Close(); }

  std::string id() const { return pycontain_container_id(Get()); }
  int state() const { return pycontain_container_state(Get()); }
  int pid() const { return pycontain_container_pid(Get()); }

  void Start() {
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_container_start(Get(), &error);
    }
    Check(code, error);
  }

  RunResult Wait(std::optional<double> timeout, bool kill_on_timeout) {
    pycontain_wait_options options = WaitOptions(timeout, kill_on_timeout);
    pycontain_run_result* result = nullptr;
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_container_wait(Get(), &options, &result, &error);
    }
    Check(code, error);
    return RunResult(result);
  }

  void Kill(int signal) {
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_container_kill(Get(), signal, &error);
    }
    Check(code, error);
  }

  void SetPaused(bool pause) {
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pause ? pycontain_container_pause(Get(), &error)
                   : pycontain_container_resume(Get(), &error);
    }
    Check(code, error);
  }

  Process Exec(const std::string& process_json) {
    pycontain_process* process = nullptr;
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_container_exec(Get(), process_json.c_str(), nullptr, &process, &error);
    }
    Check(code, error);
    return Process(process);
  }

  void Close() {
    py::gil_scoped_release release;
    pycontain_container_destroy(std::exchange(container_, nullptr));
  }

 private:
  pycontain_container* Get() const {
    if (container_ == nullptr) throw py::value_error("the container was removed");
    return container_;
  }

  pycontain_container* container_ = nullptr;
};

// ---- Images, volumes, networks and gc: records come back as the C calls' JSON. ----

// Returns the C string of an optional argument, or NULL for None.
const char* OrNull(const std::optional<std::string>& text) {
  return text.has_value() ? text->c_str() : nullptr;
}

// Takes a TRANSFERRED string from the C API.
std::string TakeString(char* text) {
  std::string copy = text == nullptr ? "" : text;
  pycontain_string_free(text);
  return copy;
}

std::string TakeRecords(pycontain_image_records* records) {
  std::string json = pycontain_image_records_json(records);
  pycontain_image_records_destroy(records);
  return json;
}

// Loads from `path`, or from `fd` when path is None.
std::string ImageLoad(std::optional<std::string> path, int fd,
                      std::optional<std::string> store_root, std::optional<std::string> platform,
                      std::optional<std::string> repository) {
  pycontain_image_load_options options = {sizeof(options), 0, OrNull(store_root),
                                          OrNull(platform), OrNull(repository)};
  pycontain_image_records* records = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = path.has_value() ? pycontain_image_load(path->c_str(), &options, &records, &error)
                            : pycontain_image_load_fd(fd, &options, &records, &error);
  }
  Check(code, error);
  return TakeRecords(records);
}

// Saves to `path`, or to `fd` when path is None.
void ImageSave(const std::vector<std::string>& references, std::optional<std::string> path,
               int fd, std::optional<std::string> store_root, int format) {
  std::vector<const char*> pointers;
  for (const std::string& reference : references) pointers.push_back(reference.c_str());
  pycontain_image_save_options options = {sizeof(options), 0, OrNull(store_root), format};
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = path.has_value()
               ? pycontain_image_save(pointers.data(), pointers.size(), path->c_str(), &options,
                                      &error)
               : pycontain_image_save_fd(pointers.data(), pointers.size(), fd, &options, &error);
  }
  Check(code, error);
}

std::vector<const char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<const char*> pointers;
  for (const std::string& text : strings) pointers.push_back(text.c_str());
  return pointers;
}

std::string ImageImport(const std::string& path, std::optional<std::string> store_root,
                        const std::vector<std::string>& names,
                        std::optional<std::string> comment,
                        const std::vector<std::string>& cmd,
                        const std::vector<std::string>& env) {
  std::vector<const char*> name_pointers = Pointers(names);
  std::vector<const char*> cmd_pointers = Pointers(cmd);
  std::vector<const char*> env_pointers = Pointers(env);
  pycontain_image_import_options options = {};
  options.size = sizeof(options);
  options.store_root = OrNull(store_root);
  options.names = name_pointers.data();
  options.name_count = name_pointers.size();
  options.comment = OrNull(comment);
  options.cmd = cmd_pointers.data();
  options.cmd_count = cmd_pointers.size();
  options.env = env_pointers.data();
  options.env_count = env_pointers.size();
  pycontain_image_records* records = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_image_import(path.c_str(), &options, &records, &error);
  }
  Check(code, error);
  return TakeRecords(records);
}

std::string ImageList(std::optional<std::string> store_root) {
  pycontain_image_options options = {sizeof(options), 0, OrNull(store_root)};
  pycontain_image_records* records = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_image_list(&options, &records, &error);
  }
  Check(code, error);
  return TakeRecords(records);
}

void ImageRemove(const std::string& reference, std::optional<std::string> store_root) {
  pycontain_image_options options = {sizeof(options), 0, OrNull(store_root)};
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_image_remove(reference.c_str(), &options, &error);
  }
  Check(code, error);
}

// The options every network call shares.
pycontain_network_options NetworkOptions(const std::optional<std::string>& host_netns,
                                         const std::optional<std::string>& state_root) {
  pycontain_network_options options = {};
  options.size = sizeof(options);
  options.host_netns_path = OrNull(host_netns);
  options.state_root = OrNull(state_root);
  return options;
}

std::string NetworkCreate(const std::string& name, int driver, std::optional<std::string> subnet,
                          std::optional<std::string> gateway, bool ipv6,
                          std::optional<std::string> subnet6,
                          std::optional<std::string> gateway6, uint32_t mtu,
                          std::optional<std::string> parent, bool internal,
                          std::optional<std::string> pool, std::optional<std::string> host_netns,
                          std::optional<std::string> state_root) {
  pycontain_network_options options = NetworkOptions(host_netns, state_root);
  if (ipv6) options.flags |= PYCONTAIN_NETWORK_IPV6;
  if (internal) options.flags |= PYCONTAIN_NETWORK_INTERNAL;
  options.driver = driver;
  options.mtu = mtu;
  options.subnet = OrNull(subnet);
  options.gateway = OrNull(gateway);
  options.subnet6 = OrNull(subnet6);
  options.gateway6 = OrNull(gateway6);
  options.parent = OrNull(parent);
  options.pool = OrNull(pool);
  char* json = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_network_create(name.c_str(), &options, &json, &error);
  }
  Check(code, error);
  return TakeString(json);
}

std::string NetworkInspect(const std::string& name, std::optional<std::string> host_netns,
                           std::optional<std::string> state_root) {
  pycontain_network_options options = NetworkOptions(host_netns, state_root);
  char* json = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_network_inspect(name.c_str(), &options, &json, &error);
  }
  Check(code, error);
  return TakeString(json);
}

std::string NetworkList(std::optional<std::string> host_netns,
                        std::optional<std::string> state_root) {
  pycontain_network_options options = NetworkOptions(host_netns, state_root);
  char* json = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_network_list(&options, &json, &error);
  }
  Check(code, error);
  return TakeString(json);
}

void NetworkRemove(const std::string& name, std::optional<std::string> host_netns,
                   std::optional<std::string> state_root) {
  pycontain_network_options options = NetworkOptions(host_netns, state_root);
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_network_remove(name.c_str(), &options, &error);
  }
  Check(code, error);
}

pycontain_volume_options VolumeOptions(const std::optional<std::string>& store_root,
                                       uint64_t flags) {
  pycontain_volume_options options = {};
  options.size = sizeof(options);
  options.flags = flags;
  options.store_root = OrNull(store_root);
  return options;
}

std::string VolumeCreate(std::optional<std::string> name, const std::vector<std::string>& labels,
                         std::optional<std::string> store_root) {
  std::vector<const char*> label_pointers = Pointers(labels);
  pycontain_volume_options options = VolumeOptions(store_root, 0);
  options.labels = label_pointers.data();
  options.label_count = label_pointers.size();
  char* json = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_volume_create(OrNull(name), &options, &json, &error);
  }
  Check(code, error);
  return TakeString(json);
}

std::string VolumeInspect(const std::string& name, std::optional<std::string> store_root) {
  pycontain_volume_options options = VolumeOptions(store_root, 0);
  char* json = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_volume_inspect(name.c_str(), &options, &json, &error);
  }
  Check(code, error);
  return TakeString(json);
}

std::string VolumeList(std::optional<std::string> store_root) {
  pycontain_volume_options options = VolumeOptions(store_root, 0);
  char* json = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_volume_list(&options, &json, &error);
  }
  Check(code, error);
  return TakeString(json);
}

void VolumeRemove(const std::string& name, bool force, std::optional<std::string> store_root) {
  pycontain_volume_options options =
      VolumeOptions(store_root, force ? PYCONTAIN_VOLUME_FORCE : 0);
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_volume_remove(name.c_str(), &options, &error);
  }
  Check(code, error);
}

std::string VolumePrune(bool all, std::optional<std::string> store_root) {
  pycontain_volume_options options =
      VolumeOptions(store_root, all ? PYCONTAIN_VOLUME_PRUNE_ALL : 0);
  char* json = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_volume_prune(&options, &json, &error);
  }
  Check(code, error);
  return TakeString(json);
}

std::string CollectGarbage(std::optional<std::string> state_root,
                           std::optional<double> orphan_min_age) {
  pycontain_gc_options options = {sizeof(options), 0, OrNull(state_root), 0};
  if (orphan_min_age.has_value()) {
    options.flags |= PYCONTAIN_GC_ORPHAN_MIN_AGE;
    options.orphan_min_age_ns = static_cast<int64_t>(*orphan_min_age * 1e9);
  }
  char* json = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_gc(&options, &json, &error);
  }
  Check(code, error);
  return TakeString(json);
}

// ---- Managed containers: each call names the container by name or id. ----

pycontain_managed_options ManagedOptions(uint64_t flags) {
  pycontain_managed_options options = {};
  options.size = sizeof(options);
  options.flags = flags;
  return options;
}

std::string ManagedCreate(const std::string& spec_json, std::optional<std::string> name,
                          const std::vector<std::string>& labels, bool auto_remove) {
  std::vector<const char*> label_pointers = Pointers(labels);
  pycontain_managed_options options =
      ManagedOptions(auto_remove ? PYCONTAIN_MANAGED_AUTO_REMOVE : 0);
  options.name = OrNull(name);
  options.labels = label_pointers.data();
  options.label_count = label_pointers.size();
  char* json = nullptr;
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_managed_create(spec_json.c_str(), &options, &json, &error);
  }
  Check(code, error);
  return TakeString(json);
}

// Runs `call` on `name_or_id` without the GIL and raises its error.
template <typename Call>
void CallManaged(Call call) {
  pycontain_error* error = nullptr;
  int code;
  {
    py::gil_scoped_release release;
    code = call(&error);
  }
  Check(code, error);
}

void ManagedStart(const std::string& name_or_id) {
  CallManaged([&](pycontain_error** error) {
    return pycontain_managed_start(name_or_id.c_str(), nullptr, error);
  });
}

void ManagedStop(const std::string& name_or_id, double grace) {
  if (!(grace >= 0)) throw py::value_error("timeout: must be at least 0 seconds");
  pycontain_managed_options options = ManagedOptions(PYCONTAIN_MANAGED_GRACE);
  options.grace_ns = static_cast<int64_t>(grace * 1e9);
  CallManaged([&](pycontain_error** error) {
    return pycontain_managed_stop(name_or_id.c_str(), &options, error);
  });
}

void ManagedKill(const std::string& name_or_id, int signal) {
  CallManaged([&](pycontain_error** error) {
    return pycontain_managed_kill(name_or_id.c_str(), signal, nullptr, error);
  });
}

int ManagedWait(const std::string& name_or_id) {
  int exit_code = -1;
  CallManaged([&](pycontain_error** error) {
    return pycontain_managed_wait(name_or_id.c_str(), nullptr, &exit_code, error);
  });
  return exit_code;
}

std::string ManagedList(bool all, const std::vector<std::string>& labels) {
  std::vector<const char*> label_pointers = Pointers(labels);
  pycontain_managed_options options = ManagedOptions(all ? PYCONTAIN_MANAGED_ALL : 0);
  options.labels = label_pointers.data();
  options.label_count = label_pointers.size();
  char* json = nullptr;
  CallManaged([&](pycontain_error** error) {
    return pycontain_managed_list(&options, &json, error);
  });
  return TakeString(json);
}

std::string ManagedInspect(const std::string& name_or_id) {
  char* json = nullptr;
  CallManaged([&](pycontain_error** error) {
    return pycontain_managed_inspect(name_or_id.c_str(), nullptr, &json, error);
  });
  return TakeString(json);
}

void ManagedRemove(const std::string& name_or_id, bool force, bool volumes) {
  pycontain_managed_options options = ManagedOptions(
      (force ? PYCONTAIN_MANAGED_FORCE : 0) | (volumes ? PYCONTAIN_MANAGED_VOLUMES : 0));
  CallManaged([&](pycontain_error** error) {
    return pycontain_managed_remove(name_or_id.c_str(), &options, error);
  });
}

std::string ManagedLogs(const std::string& name_or_id, std::optional<int64_t> tail) {
  pycontain_managed_options options = ManagedOptions(tail ? PYCONTAIN_MANAGED_TAIL : 0);
  options.tail = tail.value_or(0);
  char* json = nullptr;
  CallManaged([&](pycontain_error** error) {
    return pycontain_managed_logs(name_or_id.c_str(), &options, &json, error);
  });
  return TakeString(json);
}

// A loaded Compose project.
class ComposeProject {
 public:
  ComposeProject(const std::vector<std::string>& files,
                 std::optional<std::string> project_directory,
                 std::optional<std::string> project_name,
                 const std::vector<std::string>& env_files,
                 const std::vector<std::string>& profiles,
                 const std::vector<std::string>& environment, bool only_given_environment,
                 std::optional<std::string> working_directory) {
    std::vector<const char*> file_pointers = Pointers(files);
    std::vector<const char*> env_file_pointers = Pointers(env_files);
    std::vector<const char*> profile_pointers = Pointers(profiles);
    std::vector<const char*> environment_pointers = Pointers(environment);
    pycontain_compose_options options = {};
    options.size = sizeof(options);
    if (only_given_environment) options.flags = PYCONTAIN_COMPOSE_ONLY_GIVEN_ENVIRONMENT;
    options.files = file_pointers.data();
    options.file_count = file_pointers.size();
    options.project_directory = OrNull(project_directory);
    options.project_name = OrNull(project_name);
    options.env_files = env_file_pointers.data();
    options.env_file_count = env_file_pointers.size();
    options.profiles = profile_pointers.data();
    options.profile_count = profile_pointers.size();
    options.environment = environment_pointers.data();
    options.environment_count = environment_pointers.size();
    options.working_directory = OrNull(working_directory);
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_compose_load(&options, &project_, &error);
    }
    Check(code, error);
  }
  ~ComposeProject() { pycontain_compose_project_destroy(project_); }

  std::string name() const { return pycontain_compose_project_name(project_); }
  std::string config() const { return pycontain_compose_project_config(project_); }
  std::string json() const { return pycontain_compose_project_json(project_); }

  void Up(const std::vector<std::string>& services) {
    std::vector<const char*> pointers = Pointers(services);
    pycontain_compose_run_options options = {sizeof(options), 0, pointers.data(),
                                             pointers.size()};
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_compose_up(project_, &options, &error);
    }
    Check(code, error);
  }

  void Down(bool volumes, bool remove_orphans) {
    pycontain_compose_run_options options = {sizeof(options), 0, nullptr, 0};
    if (volumes) options.flags |= PYCONTAIN_COMPOSE_VOLUMES;
    if (remove_orphans) options.flags |= PYCONTAIN_COMPOSE_REMOVE_ORPHANS;
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_compose_down(project_, &options, &error);
    }
    Check(code, error);
  }

  std::string Ps(const std::vector<std::string>& services, bool all) {
    std::vector<const char*> pointers = Pointers(services);
    pycontain_compose_run_options options = {sizeof(options), all ? PYCONTAIN_COMPOSE_ALL : 0,
                                             pointers.data(), pointers.size()};
    char* json = nullptr;
    pycontain_error* error = nullptr;
    int code;
    {
      py::gil_scoped_release release;
      code = pycontain_compose_ps(project_, &options, &json, &error);
    }
    Check(code, error);
    return TakeString(json);
  }

 private:
  pycontain_compose_project* project_ = nullptr;
};

// The Python log handler; called with (level, container_id, message).
py::object& LogHandler() {
  static py::object* handler = new py::object();
  return *handler;
}

void ForwardLogLine(void* /*user_data*/, int level, const char* container_id,
                    const char* message) {
  if (!Py_IsInitialized()) return;
  py::gil_scoped_acquire acquire;
  if (!LogHandler()) return;
  try {
    LogHandler()(level, container_id, message);
  } catch (py::error_already_set& error) {
    // A logging failure must not fail the container operation that logged.
    error.discard_as_unraisable("pycontain log handler");
  }
}

void SetLogHandler(py::object handler, int min_level) {
  pycontain_error* error = nullptr;
  bool enable = !handler.is_none();
  LogHandler() = std::move(handler);
  int code;
  {
    py::gil_scoped_release release;
    code = pycontain_set_log_callback(enable ? ForwardLogLine : nullptr, nullptr,
                                      min_level, &error);
  }
  Check(code, error);
}

// Runs `spec_json` `iterations` times through the C++ API
// (container::Run on an already parsed spec) and returns each run's
// duration in nanoseconds: the baseline of benchmarks/python_overhead.py.
std::vector<int64_t> BenchmarkCppRuns(const std::string& spec_json, int iterations) {
  absl::StatusOr<pycontain::spec::ContainerSpec> spec = pycontain::spec::SpecFromJson(spec_json);
  if (!spec.ok()) throw py::value_error(std::string(spec.status().message()));
  std::vector<int64_t> durations;
  py::gil_scoped_release release;
  for (int i = 0; i < iterations; ++i) {
    absl::Time start = absl::Now();
    absl::StatusOr<pycontain::spec::RunResult> result = pycontain::container::Run(*spec);
    durations.push_back(absl::ToInt64Nanoseconds(absl::Now() - start));
    if (!result.ok()) {
      py::gil_scoped_acquire acquire;
      throw std::runtime_error(std::string(result.status().message()));
    }
  }
  return durations;
}

// Returns the mean time in nanoseconds of the work that the C API adds to
// container::Run per pycontain_run call: parsing the spec JSON, and turning
// `result_json` (a RunResult) back into a result object with its JSON.
double BenchmarkCapiWork(const std::string& spec_json, const std::string& result_json,
                         int iterations) {
  pycontain::spec::RunResult result;
  if (!google::protobuf::util::JsonStringToMessage(result_json, &result).ok()) {
    throw py::value_error("result_json: not a RunResult");
  }
  absl::Time start = absl::Now();
  for (int i = 0; i < iterations; ++i) {
    absl::StatusOr<pycontain::spec::ContainerSpec> spec =
        pycontain::spec::SpecFromJson(spec_json);
    if (!spec.ok()) throw py::value_error(std::string(spec.status().message()));
    std::string json = pycontain::spec::ToJson(result);
    if (json.empty()) throw std::runtime_error("empty result JSON");
  }
  return absl::ToDoubleNanoseconds(absl::Now() - start) / iterations;
}

}  // namespace

PYBIND11_MODULE(_pycontain, m) {
  m.doc() = "Low-level bindings of libpycontain's C API; use the pycontain package.";
  m.attr("VERSION") = pycontain_version_string();
  m.attr("HEADER_VERSION") = PYCONTAIN_VERSION;
  m.attr("STATE_CREATED") = static_cast<int>(PYCONTAIN_STATE_CREATED);
  m.attr("STATE_RUNNING") = static_cast<int>(PYCONTAIN_STATE_RUNNING);
  m.attr("STATE_STOPPED") = static_cast<int>(PYCONTAIN_STATE_STOPPED);
  m.attr("STATE_PAUSED") = static_cast<int>(PYCONTAIN_STATE_PAUSED);
  m.attr("IMAGE_FORMAT_DOCKER_ARCHIVE") = static_cast<int>(PYCONTAIN_IMAGE_FORMAT_DOCKER_ARCHIVE);
  m.attr("IMAGE_FORMAT_OCI_LAYOUT") = static_cast<int>(PYCONTAIN_IMAGE_FORMAT_OCI_LAYOUT);
  m.attr("NETWORK_BRIDGE") = static_cast<int>(PYCONTAIN_NETWORK_BRIDGE);
  m.attr("NETWORK_MACVLAN") = static_cast<int>(PYCONTAIN_NETWORK_MACVLAN);
  m.attr("NETWORK_IPVLAN") = static_cast<int>(PYCONTAIN_NETWORK_IPVLAN);

  m.def("version", &pycontain_version);
  m.def("set_error_factory", [](py::object factory) { ErrorFactory() = std::move(factory); });
  m.def("set_log_handler", &SetLogHandler, py::arg("handler"), py::arg("min_level"));
  m.def("run", &Run, py::arg("spec_json"));
  m.def("image_load", &ImageLoad, py::arg("path"), py::arg("fd"), py::arg("store_root"),
        py::arg("platform"), py::arg("repository"));
  m.def("image_save", &ImageSave, py::arg("references"), py::arg("path"), py::arg("fd"),
        py::arg("store_root"), py::arg("format"));
  m.def("image_import", &ImageImport, py::arg("path"), py::arg("store_root"),
        py::arg("names"), py::arg("comment"), py::arg("cmd"), py::arg("env"));
  m.def("image_list", &ImageList, py::arg("store_root"));
  m.def("image_remove", &ImageRemove, py::arg("reference"), py::arg("store_root"));
  m.def("network_create", &NetworkCreate, py::arg("name"), py::arg("driver"),
        py::arg("subnet"), py::arg("gateway"), py::arg("ipv6"), py::arg("subnet6"),
        py::arg("gateway6"), py::arg("mtu"), py::arg("parent"), py::arg("internal"),
        py::arg("pool"), py::arg("host_netns"), py::arg("state_root"));
  m.def("network_inspect", &NetworkInspect, py::arg("name"), py::arg("host_netns"),
        py::arg("state_root"));
  m.def("network_list", &NetworkList, py::arg("host_netns"), py::arg("state_root"));
  m.def("network_remove", &NetworkRemove, py::arg("name"), py::arg("host_netns"),
        py::arg("state_root"));
  m.def("volume_create", &VolumeCreate, py::arg("name"), py::arg("labels"),
        py::arg("store_root"));
  m.def("volume_inspect", &VolumeInspect, py::arg("name"), py::arg("store_root"));
  m.def("volume_list", &VolumeList, py::arg("store_root"));
  m.def("volume_remove", &VolumeRemove, py::arg("name"), py::arg("force"),
        py::arg("store_root"));
  m.def("volume_prune", &VolumePrune, py::arg("all"), py::arg("store_root"));
  m.def("managed_create", &ManagedCreate, py::arg("spec_json"), py::arg("name"),
        py::arg("labels"), py::arg("auto_remove"));
  m.def("managed_start", &ManagedStart, py::arg("name_or_id"));
  m.def("managed_stop", &ManagedStop, py::arg("name_or_id"), py::arg("grace"));
  m.def("managed_kill", &ManagedKill, py::arg("name_or_id"), py::arg("signal"));
  m.def("managed_wait", &ManagedWait, py::arg("name_or_id"));
  m.def("managed_list", &ManagedList, py::arg("all"), py::arg("labels"));
  m.def("managed_inspect", &ManagedInspect, py::arg("name_or_id"));
  m.def("managed_remove", &ManagedRemove, py::arg("name_or_id"), py::arg("force"),
        py::arg("volumes"));
  m.def("managed_logs", &ManagedLogs, py::arg("name_or_id"), py::arg("tail"));
  m.def("gc", &CollectGarbage, py::arg("state_root"), py::arg("orphan_min_age"));
  m.def("_benchmark_cpp_runs", &BenchmarkCppRuns, py::arg("spec_json"),
        py::arg("iterations"));
  m.def("_benchmark_capi_work", &BenchmarkCapiWork, py::arg("spec_json"),
        py::arg("result_json"), py::arg("iterations"));

  py::class_<RunResult>(m, "RunResult")
      .def_property_readonly("exit_code", &RunResult::exit_code)
      .def_property_readonly("signal", &RunResult::signal)
      .def_property_readonly("timed_out", &RunResult::timed_out)
      .def_property_readonly("oom_killed", &RunResult::oom_killed)
      .def_property_readonly("wall_time_ns", &RunResult::wall_time_ns)
      .def_property_readonly("cpu_time_ns", &RunResult::cpu_time_ns)
      .def_property_readonly("memory_peak_bytes", &RunResult::memory_peak_bytes)
      .def_property_readonly("json", &RunResult::json);

  py::class_<Process>(m, "Process")
      .def_property_readonly("pid", &Process::pid)
      .def("wait", &Process::Wait, py::arg("timeout"), py::arg("kill_on_timeout"))
      .def("kill", &Process::Kill, py::arg("signal"))
      .def("close", &Process::Close);

  py::class_<ComposeProject>(m, "ComposeProject")
      .def(py::init<const std::vector<std::string>&, std::optional<std::string>,
                    std::optional<std::string>, const std::vector<std::string>&,
                    const std::vector<std::string>&, const std::vector<std::string>&, bool,
                    std::optional<std::string>>(),
           py::arg("files"), py::arg("project_directory"), py::arg("project_name"),
           py::arg("env_files"), py::arg("profiles"), py::arg("environment"),
           py::arg("only_given_environment"), py::arg("working_directory"))
      .def_property_readonly("name", &ComposeProject::name)
      .def_property_readonly("config", &ComposeProject::config)
      .def_property_readonly("json", &ComposeProject::json)
      .def("up", &ComposeProject::Up, py::arg("services"))
      .def("down", &ComposeProject::Down, py::arg("volumes"), py::arg("remove_orphans"))
      .def("ps", &ComposeProject::Ps, py::arg("services"), py::arg("all"));

  py::class_<Container>(m, "Container")
      .def(py::init<const std::string&>(), py::arg("spec_json"))
      .def_property_readonly("id", &Container::id)
      .def_property_readonly("state", &Container::state)
      .def_property_readonly("pid", &Container::pid)
      .def("start", &Container::Start)
      .def("wait", &Container::Wait, py::arg("timeout"), py::arg("kill_on_timeout"))
      .def("kill", &Container::Kill, py::arg("signal"))
      .def("pause", [](Container& container) { container.SetPaused(true); })
      .def("resume", [](Container& container) { container.SetPaused(false); })
      .def("exec", &Container::Exec, py::arg("process_json"))
      .def("close", &Container::Close);
}
