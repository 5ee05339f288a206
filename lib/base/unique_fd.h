// UniqueFd: the owner of one file descriptor, closed when the owner goes.
//
//   UniqueFd dir(open(path, O_PATH | O_DIRECTORY | O_CLOEXEC));
//   if (!dir.valid()) return ErrnoError(errno, "open", path);
//   fstatat(dir.get(), ...);
//
// Move-only. Not thread-safe: one owner at a time.
#ifndef PYCONTAIN_LIB_BASE_UNIQUE_FD_H_
#define PYCONTAIN_LIB_BASE_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace pycontain {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd`; a negative value means "no descriptor".
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Gives up ownership and returns the descriptor.
  int release() { return std::exchange(fd_, -1); }

  // Closes the owned descriptor, if any, and takes ownership of `fd`.
  // close() errors are ignored: the descriptor is released either way, and
  // callers that must see write errors call fsync() before closing.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace pycontain

#endif  // PYCONTAIN_LIB_BASE_UNIQUE_FD_H_
