#include "lib/base/fd_passing.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "lib/base/unique_fd.h"

namespace pycontain {
namespace {

struct SocketPair {
  UniqueFd left;
  UniqueFd right;
};

SocketPair MakeSocketPair() {
  int sockets[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets), 0);
  return {UniqueFd(sockets[0]), UniqueFd(sockets[1])};
}

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Pipe MakePipe() {
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

TEST(FdPassingTest, DescriptorsArriveWithData) {
  SocketPair pair = MakeSocketPair();
  Pipe ends = MakePipe();
  char ok = 1;
  int sent[] = {ends.write_end.get(), ends.read_end.get()};
  ASSERT_EQ(SendDescriptors(pair.left.get(), &ok, 1, sent, 2), 0);

  char byte = 0;
  int received[kMaxPassedDescriptors];
  size_t count = 0;
  ASSERT_EQ(ReceiveDescriptors(pair.right.get(), &byte, 1, received, kMaxPassedDescriptors,
                               &count),
            1);
  EXPECT_EQ(byte, 1);
  ASSERT_EQ(count, 2u);
  UniqueFd passed_write(received[0]);
  UniqueFd passed_read(received[1]);
  EXPECT_EQ(fcntl(passed_write.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  // The passed write end reaches the original pipe.
  ASSERT_EQ(write(passed_write.get(), "x", 1), 1);
  char got = 0;
  ASSERT_EQ(read(ends.read_end.get(), &got, 1), 1);
  EXPECT_EQ(got, 'x');
}

TEST(FdPassingTest, MessageWithoutDescriptors) {
  SocketPair pair = MakeSocketPair();
  int code = 17;
  ASSERT_EQ(SendDescriptors(pair.left.get(), &code, sizeof(code), nullptr, 0), 0);
  int got = 0;
  int received[1];
  size_t count = 5;
  ASSERT_EQ(ReceiveDescriptors(pair.right.get(), &got, sizeof(got), received, 1, &count),
            static_cast<ssize_t>(sizeof(got)));
  EXPECT_EQ(got, 17);
  EXPECT_EQ(count, 0u);
}

TEST(FdPassingTest, ClosedPeerReadsZeroBytes) {
  SocketPair pair = MakeSocketPair();
  pair.left.reset();
  char byte = 0;
  int received[1];
  size_t count = 0;
  EXPECT_EQ(ReceiveDescriptors(pair.right.get(), &byte, 1, received, 1, &count), 0);
  EXPECT_EQ(count, 0u);
}

TEST(FdPassingTest, TooManyDescriptorsRejected) {
  SocketPair pair = MakeSocketPair();
  int fds[kMaxPassedDescriptors + 1] = {};
  char ok = 1;
  errno = 0;
  EXPECT_EQ(SendDescriptors(pair.left.get(), &ok, 1, fds, kMaxPassedDescriptors + 1), -1);
  EXPECT_EQ(errno, EINVAL);
}

TEST(FdPassingTest, ExtraDescriptorsAreClosed) {
  SocketPair pair = MakeSocketPair();
  Pipe ends = MakePipe();
  char ok = 1;
  int sent[] = {ends.read_end.get(), ends.write_end.get()};
  ASSERT_EQ(SendDescriptors(pair.left.get(), &ok, 1, sent, 2), 0);
  ends.write_end.reset();
  char byte = 0;
  int received[1];
  size_t count = 0;
  ASSERT_EQ(ReceiveDescriptors(pair.right.get(), &byte, 1, received, 1, &count), 1);
  ASSERT_EQ(count, 1u);
  UniqueFd kept(received[0]);
  // The passed copy of the write end was closed, so the pipe reads end of file.
  char got = 0;
  EXPECT_EQ(read(kept.get(), &got, 1), 0);
}

}  // namespace
}  // namespace pycontain
