// Descriptor passing over a unix socket (SCM_RIGHTS), in system calls only.
//
//   int fds[] = {tasks_memory, tasks_pids};
//   if (SendDescriptors(socket, &ok, sizeof(ok), fds, 2) != 0) ...
//
//   int received[kMaxPassedDescriptors];
//   size_t count = 0;
//   ssize_t n = ReceiveDescriptors(socket, &ok, sizeof(ok), received,
//                                  kMaxPassedDescriptors, &count);
//
// Neither function allocates, so both may run in a child forked from a
// process with threads, or in one that shares the caller's memory.
//
// Thread safety: thread-safe; each call is one sendmsg or recvmsg.
#ifndef PYCONTAIN_LIB_BASE_FD_PASSING_H_
#define PYCONTAIN_LIB_BASE_FD_PASSING_H_

#include <stddef.h>
#include <sys/types.h>

namespace pycontain {

// The largest number of descriptors one message carries.
inline constexpr size_t kMaxPassedDescriptors = 16;

// Sends `size` bytes of `data` with `count` descriptors (none when `count`
// is 0, at most kMaxPassedDescriptors). Returns 0, or -1 with errno set.
int SendDescriptors(int socket, const void* data, size_t size, const int* fds, size_t count);

// Receives one message of at most `size` bytes into `data`, and its
// descriptors, close-on-exec, into `fds` (room for `max`), setting `count`.
// Descriptors beyond `max` are closed. Retries on EINTR. Returns the number
// of bytes received (0 when the peer has closed), or -1 with errno set.
ssize_t ReceiveDescriptors(int socket, void* data, size_t size, int* fds, size_t max,
                           size_t* count);

}  // namespace pycontain

#endif  // PYCONTAIN_LIB_BASE_FD_PASSING_H_
