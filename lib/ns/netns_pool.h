// A small pool of fresh network namespaces, made ahead of time so that
// creating one (about 0.5 ms of kernel work on a 2-core VM: the sysctl
// tables and the loopback device) is not on a container's start path.
//
//   UniqueFd fresh = TakeFreshNetworkNamespace();
//   if (fresh.valid()) {
//     plan.namespace_flags &= ~CLONE_NEWNET;
//     plan.join_network_namespace_fd = fresh.get();  // setns in the child
//     plan.loopback_up = false;                       // already up
//   }
//
// A background thread, started by the first Take and by
// RefillNetworkNamespacePool, makes namespaces until the pool's size of them
// are ready, then ends. Each is a new namespace that no process has
// entered, with only loopback, brought up. A namespace is handed out once
// and never returns to the pool; the caller's descriptor is its only
// reference until a process joins it. The namespaces exist only as open
// descriptors of this process, so nothing of the pool outlives the process.
// A child made by fork() starts with an empty pool and no thread.
//
// The pool's size comes from PYCONTAIN_NETNS_POOL (0 turns the pool off;
// the default is kDefaultNetworkNamespacePoolSize, the maximum
// kMaxNetworkNamespacePoolSize), read at the first Take, or from
// SetNetworkNamespacePoolSize.
//
// The namespaces belong to the caller's user namespace, so they serve only
// containers without a new user namespace, and making them needs
// CAP_SYS_ADMIN. When the thread cannot make one, the pool turns itself off
// and callers fall back to CLONE_NEWNET.
//
// NOTE: while the thread runs (about 0.5 ms per namespace it makes), the
// process has one more thread, so unshare(CLONE_NEWNS) or
// unshare(CLONE_NEWUSER) in the embedder's own threads fails with EINVAL
// during that time. An embedder that needs those sets the size to 0.
//
// Thread safety: thread-safe.
#ifndef PYCONTAIN_LIB_NS_NETNS_POOL_H_
#define PYCONTAIN_LIB_NS_NETNS_POOL_H_

#include "lib/base/unique_fd.h"

namespace pycontain::ns {

inline constexpr int kDefaultNetworkNamespacePoolSize = 2;
inline constexpr int kMaxNetworkNamespacePoolSize = 16;

// Removes a ready namespace from the pool and returns it as an open nsfs
// descriptor (O_CLOEXEC), or an invalid descriptor when none is ready or
// the pool is off. Does not wait for the kernel: an empty pool returns at
// once and starts the thread that fills it. Otherwise the thread starts
// only at RefillNetworkNamespacePool, so that it does not compete with the
// container being started.
UniqueFd TakeFreshNetworkNamespace();

// Starts the thread that fills the pool up to its size, unless the pool is
// full, off or already filling. Returns at once. Call it once a container
// has started and, ideally, after its start-up work is done.
void RefillNetworkNamespacePool();

// Sets the number of namespaces kept ready, clamped to 0 ..
// kMaxNetworkNamespacePoolSize. 0 turns the pool off and closes the
// namespaces it holds; a later non-zero size turns it on again, unless the
// kernel refused to make one.
void SetNetworkNamespacePoolSize(int size);

// The number of namespaces ready now, for tests.
int ReadyNetworkNamespaces();

}  // namespace pycontain::ns

#endif  // PYCONTAIN_LIB_NS_NETNS_POOL_H_
