// Cost of attaching a container to a bridge network, and 200 containers
// on one network reaching the gateway. Everything runs inside a network
// namespace that the benchmark creates to play the host; "containers" are
// forked processes alone in new network namespaces. Needs root.
//
//   bazel run -c opt //benchmarks:net_benchmark
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/net/link.h"
#include "lib/net/network.h"

namespace pycontain::net {
namespace {

pid_t StartSandbox() {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    char byte = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
    (void)!write(ready[1], &byte, 1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char byte = 0;
  if (read(ready[0], &byte, 1) != 1 || byte != 1) pid = -1;
  close(ready[0]);
  return pid;
}

void StopSandbox(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

struct Topology {
  NetNamespace host_ns;
  std::shared_ptr<NetworkHost> host;
};

// A test host namespace with one bridge network on a /24.
std::unique_ptr<Topology> MakeTopology(benchmark::State& state) {
  auto topology = std::make_unique<Topology>();
  topology->host_ns = *NetNamespace::CreateNew();
  HostOptions options;
  options.netns_path = absl::StrCat("/proc/", getpid(), "/fd/", topology->host_ns.fd());
  char directory[] = "/tmp/pycontain-net-benchmark-XXXXXX";
  options.state_dir = mkdtemp(directory);
  topology->host = *NetworkHost::Open(options);
  absl::StatusOr<NetworkRecord> network =
      topology->host->CreateNetwork({.name = "bench", .subnet = "10.214.0.0/24"});
  if (!network.ok()) state.SkipWithError(std::string(network.status().message()).c_str());
  return topology;
}

void RemoveTopology(Topology& topology) {
  (void)topology.host->RemoveNetwork("bench");
  std::string dir = topology.host->options().state_dir;
  unlink((dir + "/lock").c_str());
  rmdir(dir.c_str());
}

void BM_AttachToBridge(benchmark::State& state) {
  std::unique_ptr<Topology> topology = MakeTopology(state);
  for (auto _ : state) {
    state.PauseTiming();
    pid_t pid = StartSandbox();
    ConnectOptions options;
    options.network = "bench";
    options.container_id = "c";
    options.container_pid = pid;
    state.ResumeTiming();

    absl::StatusOr<Attachment> attachment = topology->host->Connect(options);

    state.PauseTiming();
    if (!attachment.ok()) state.SkipWithError(std::string(attachment.status().message()).c_str());
    if (attachment.ok()) (void)attachment->Release();
    StopSandbox(pid);
    state.ResumeTiming();
  }
  RemoveTopology(*topology);
}
BENCHMARK(BM_AttachToBridge)->Unit(benchmark::kMillisecond)->UseRealTime();

// Attaches 200 containers, then each opens a TCP connection to a
// listener on the gateway's address in the host namespace.
void BM_TwoHundredReachGateway(benchmark::State& state) {
  constexpr int kContainers = 200;
  std::unique_ptr<Topology> topology = MakeTopology(state);
  for (auto _ : state) {
    std::vector<pid_t> pids;
    std::vector<Attachment> attachments;
    for (int i = 0; i < kContainers; ++i) {
      pids.push_back(StartSandbox());
      ConnectOptions options;
      options.network = "bench";
      options.container_id = absl::StrCat("c", i);
      options.container_pid = pids.back();
      absl::StatusOr<Attachment> attachment = topology->host->Connect(options);
      if (!attachment.ok()) {
        state.SkipWithError(std::string(attachment.status().message()).c_str());
        break;
      }
      attachments.push_back(std::move(*attachment));
    }
    UniqueFd listener;
    (void)topology->host_ns.Run([&]() -> absl::Status {
      listener.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in address = {};
      address.sin_family = AF_INET;
      address.sin_port = htons(7000);
      inet_pton(AF_INET, "10.214.0.1", &address.sin_addr);
      bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address));
      listen(listener.get(), kContainers);
      return absl::OkStatus();
    });
    int reached = 0;
    for (pid_t pid : pids) {
      (void)NetNamespace::OfProcess(pid)->Run([&]() -> absl::Status {
        UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address = {};
        address.sin_family = AF_INET;
        address.sin_port = htons(7000);
        inet_pton(AF_INET, "10.214.0.1", &address.sin_addr);
        if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
          ++reached;
        }
        return absl::OkStatus();
      });
    }
    state.counters["reached"] = reached;
    attachments.clear();
    for (pid_t pid : pids) StopSandbox(pid);
  }
  RemoveTopology(*topology);
}
BENCHMARK(BM_TwoHundredReachGateway)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace pycontain::net

BENCHMARK_MAIN();
