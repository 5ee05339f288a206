#include "lib/ns/netns_pool.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace pycontain::ns {
namespace {

ino_t InodeOf(int fd) {
  struct stat info = {};
  fstat(fd, &info);
  return info.st_ino;
}

ino_t OwnNamespace() {
  struct stat info = {};
  stat("/proc/thread-self/ns/net", &info);
  return info.st_ino;
}

// Takes a namespace, waiting up to 5 s for the filling thread.
UniqueFd TakeWithin5Seconds() {
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    UniqueFd fresh = TakeFreshNetworkNamespace();
    if (fresh.valid()) return fresh;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return UniqueFd();
}

// The flags of "lo" and the number of interfaces, seen from inside `fd`'s
// namespace by a thread that enters it.
struct LoopbackView {
  bool entered = false;
  short flags = 0;
  int interfaces = 0;
};

LoopbackView LookInside(int fd) {
  LoopbackView view;
  std::thread thread([&] {
    if (setns(fd, CLONE_NEWNET) != 0) return;
    view.entered = true;
    int socket_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq request = {};
    memcpy(request.ifr_name, "lo", 3);
    if (ioctl(socket_fd, SIOCGIFFLAGS, &request) == 0) view.flags = request.ifr_flags;
    close(socket_fd);
    struct if_nameindex* names = if_nameindex();
    for (struct if_nameindex* name = names; name != nullptr && name->if_index != 0; ++name) {
      ++view.interfaces;
    }
    if_freenameindex(names);
  });
  thread.join();
  return view;
}

class NetnsPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "making network namespaces needs root";
    SetNetworkNamespacePoolSize(2);
  }
  void TearDown() override { SetNetworkNamespacePoolSize(kDefaultNetworkNamespacePoolSize); }
};

TEST_F(NetnsPoolTest, TakeGivesNewNamespaceWithLoopbackUp) {
  UniqueFd fresh = TakeWithin5Seconds();
  ASSERT_TRUE(fresh.valid());
  EXPECT_NE(InodeOf(fresh.get()), OwnNamespace());

  LoopbackView view = LookInside(fresh.get());
  ASSERT_TRUE(view.entered);
  EXPECT_TRUE(view.flags & IFF_UP);
  EXPECT_EQ(view.interfaces, 1);
}

TEST_F(NetnsPoolTest, NamespacesAreNeverHandedOutTwice) {
  std::set<ino_t> seen;
  for (int i = 0; i < 6; ++i) {
    UniqueFd fresh = TakeWithin5Seconds();
    ASSERT_TRUE(fresh.valid()) << "take " << i;
    // Each stays open until the end, so the kernel cannot reuse an inode.
    EXPECT_TRUE(seen.insert(InodeOf(fresh.get())).second) << "take " << i;
    fresh.release();
  }
  EXPECT_EQ(seen.count(OwnNamespace()), 0u);
}

TEST_F(NetnsPoolTest, RefillStopsAtPoolSize) {
  UniqueFd first = TakeWithin5Seconds();
  ASSERT_TRUE(first.valid());
  RefillNetworkNamespacePool();
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (ReadyNetworkNamespaces() < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(ReadyNetworkNamespaces(), 2);
}

TEST_F(NetnsPoolTest, SizeZeroTurnsPoolOff) {
  ASSERT_TRUE(TakeWithin5Seconds().valid());
  SetNetworkNamespacePoolSize(0);
  EXPECT_EQ(ReadyNetworkNamespaces(), 0);
  EXPECT_FALSE(TakeFreshNetworkNamespace().valid());
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(ReadyNetworkNamespaces(), 0);
}

TEST_F(NetnsPoolTest, ForkedChildStartsWithEmptyPool) {
  ASSERT_TRUE(TakeWithin5Seconds().valid());
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (ReadyNetworkNamespaces() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_GT(ReadyNetworkNamespaces(), 0);

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(ReadyNetworkNamespaces() == 0 ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace pycontain::ns
