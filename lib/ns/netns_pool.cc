#include "lib/ns/netns_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "lib/base/log.h"
#include "lib/base/status.h"

namespace pycontain::ns {
namespace {

struct Pool {
  std::mutex mutex;
  std::deque<UniqueFd> ready;
  // -1 until the first use reads PYCONTAIN_NETNS_POOL.
  int size = -1;
  bool filling = false;
  // Set when the kernel rejected a new namespace. The pool then stays off.
  bool failed = false;
};

// A forked child replaces the pool (see ForgetPoolAfterFork), so the
// current one is reached through an atomic pointer. Pools are never freed:
// the filling thread may still run while the process exits.
std::atomic<Pool*> current_pool{new Pool()};

Pool& CurrentPool() { return *current_pool.load(); }

int SizeFromEnvironment() {
  const char* value = getenv("PYCONTAIN_NETNS_POOL");
  if (value == nullptr || *value == '\0') return kDefaultNetworkNamespacePoolSize;
  int size = 0;
  if (!absl::SimpleAtoi(value, &size) || size < 0) {
    Logf(LogLevel::kWarning, "",
         "invalid PYCONTAIN_NETNS_POOL \"%s\": expected a number from 0 to %d; using %d",
         value, kMaxNetworkNamespacePoolSize, kDefaultNetworkNamespacePoolSize);
    return kDefaultNetworkNamespacePoolSize;
  }
  return std::min(size, kMaxNetworkNamespacePoolSize);
}

// Sets IFF_UP on "lo" in the calling thread's network namespace. Returns 0,
// or -1 with errno set.
int BringUpLoopback() {
  UniqueFd socket_fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket_fd.valid()) return -1;
  struct ifreq request = {};
  memcpy(request.ifr_name, "lo", 3);
  if (ioctl(socket_fd.get(), SIOCGIFFLAGS, &request) != 0) return -1;
  request.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl(socket_fd.get(), SIOCSIFFLAGS, &request);
}

// Makes a network namespace with loopback up and returns it. The calling
// thread enters the new namespace to set it up and then goes back to
// `home`. When it cannot go back, it returns that error, and the thread
// must end so that no container gets the namespace it is still in.
absl::StatusOr<UniqueFd> MakeNamespace(int home) {
  if (unshare(CLONE_NEWNET) != 0) {
    return ErrnoError(errno, "unshare a network namespace for the pool");
  }
  UniqueFd fresh(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  absl::Status status;
  if (!fresh.valid()) {
    status = ErrnoError(errno, "open", "/proc/thread-self/ns/net");
  } else if (BringUpLoopback() != 0) {
    status = ErrnoError(errno, "bring up loopback in a pooled network namespace");
  }
  if (setns(home, CLONE_NEWNET) != 0) {
    return ErrnoError(errno, "return to the process's network namespace");
  }
  if (!status.ok()) return status;
  return fresh;
}

// The filling thread: makes namespaces until the pool is full, then ends,
// so that an idle process has no extra thread.
void Fill(Pool* pool) {
  UniqueFd home(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  absl::Status error;
  if (!home.valid()) error = ErrnoError(errno, "open", "/proc/thread-self/ns/net");
  while (error.ok()) {
    {
      std::lock_guard<std::mutex> lock(pool->mutex);
      if (static_cast<int>(pool->ready.size()) >= pool->size) {
        pool->filling = false;
        return;
      }
    }
    absl::StatusOr<UniqueFd> fresh = MakeNamespace(home.get());
    if (!fresh.ok()) {
      error = fresh.status();
      break;
    }
    std::lock_guard<std::mutex> lock(pool->mutex);
    // The size may have shrunk while the namespace was made.
    if (static_cast<int>(pool->ready.size()) < pool->size) {
      pool->ready.push_back(std::move(*fresh));
    }
  }
  Logf(LogLevel::kDebug, "", "network namespace pool off, containers use CLONE_NEWNET: %s",
       error.message());
  std::lock_guard<std::mutex> lock(pool->mutex);
  pool->failed = true;
  pool->filling = false;
  pool->ready.clear();
}

void LockPoolBeforeFork() { CurrentPool().mutex.lock(); }
void UnlockPoolAfterFork() { CurrentPool().mutex.unlock(); }

// The child of fork() has no filling thread, and its copies of the pooled
// descriptors name the parent's namespaces, which only the parent may hand
// out. It closes them and starts over with a new pool. The old pool's
// mutex, locked across the fork, is left as it is.
void ForgetPoolAfterFork() {
  Pool* old = current_pool.load();
  auto* pool = new Pool();
  pool->size = old->size;
  pool->failed = old->failed;
  old->ready.clear();
  current_pool.store(pool);
}

// Starts the filling thread with every signal blocked, so that none of the
// embedder's signals is delivered to it. The caller holds pool.mutex.
void StartFilling(Pool& pool) {
  static std::once_flag fork_handlers;
  std::call_once(fork_handlers, [] {
    pthread_atfork(&LockPoolBeforeFork, &UnlockPoolAfterFork, &ForgetPoolAfterFork);
  });
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::thread(&Fill, &pool).detach();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  pool.filling = true;
}

}  // namespace

UniqueFd TakeFreshNetworkNamespace() {
  Pool& pool = CurrentPool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  if (pool.size < 0) pool.size = SizeFromEnvironment();
  if (pool.failed || pool.size == 0) return UniqueFd();
  if (pool.ready.empty()) {
    if (!pool.filling) StartFilling(pool);
    return UniqueFd();
  }
  UniqueFd fresh = std::move(pool.ready.front());
  pool.ready.pop_front();
  return fresh;
}

void RefillNetworkNamespacePool() {
  Pool& pool = CurrentPool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  if (pool.size < 0) pool.size = SizeFromEnvironment();
  if (pool.failed || pool.filling || static_cast<int>(pool.ready.size()) >= pool.size) return;
  StartFilling(pool);
}

void SetNetworkNamespacePoolSize(int size) {
  Pool& pool = CurrentPool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  pool.size = std::clamp(size, 0, kMaxNetworkNamespacePoolSize);
  while (static_cast<int>(pool.ready.size()) > pool.size) pool.ready.pop_back();
}

int ReadyNetworkNamespaces() {
  Pool& pool = CurrentPool();
  std::lock_guard<std::mutex> lock(pool.mutex);
  return static_cast<int>(pool.ready.size());
}

}  // namespace pycontain::ns
