#include "lib/cgroup/validate.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "lib/cgroup/machine.h"

namespace pycontain::cgroup {
namespace {

Machine TwoCpus() {
  Machine machine;
  machine.usable_cpus = 2;
  machine.online_cpus = {0, 1};
  machine.memory_nodes = {0};
  machine.hugepage_sizes = {"2MB"};
  return machine;
}

// Expects InvalidArgument whose message starts with `field`.
void ExpectFieldError(const spec::Resources& resources, const std::string& field) {
  absl::Status status = ValidateResources(resources, TwoCpus());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(absl::StartsWith(status.message(), field + ":")) << status;
}

TEST(ValidateResourcesTest, EmptyIsValid) {
  EXPECT_TRUE(ValidateResources(spec::Resources(), TwoCpus()).ok());
  EXPECT_FALSE(RequestsLimits(spec::Resources()));
}

TEST(ValidateResourcesTest, TinyMemoryLimitIsRejected) {
  spec::Resources r;
  r.set_memory_bytes(64 << 10);
  ExpectFieldError(r, "resources.memory_bytes");
  r.set_memory_bytes(kMinimumMemoryBytes);
  EXPECT_TRUE(ValidateResources(r, TwoCpus()).ok());
}

TEST(ValidateResourcesTest, DockerLikeLimitsAreValid) {
  spec::Resources r;
  r.set_memory_bytes(64 << 20);
  r.set_memory_swap_bytes(64 << 20);
  r.set_memory_reservation_bytes(32 << 20);
  r.set_cpus(0.5);
  r.set_cpu_shares(512);
  r.set_cpuset_cpus("0-1");
  r.set_cpuset_mems("0");
  r.set_pids_limit(16);
  r.set_blkio_weight(500);
  spec::HugepageLimit* huge = r.add_hugepage_limits();
  huge->set_page_size("2MB");
  huge->set_limit_bytes(4 << 20);
  EXPECT_TRUE(ValidateResources(r, TwoCpus()).ok());
  EXPECT_TRUE(RequestsLimits(r));
}

TEST(ValidateResourcesTest, MinusOneMeansUnlimited) {
  spec::Resources r;
  r.set_memory_bytes(-1);
  r.set_pids_limit(-1);
  EXPECT_TRUE(ValidateResources(r, TwoCpus()).ok());
  EXPECT_FALSE(RequestsLimits(r));
  r.set_memory_bytes(16 << 20);
  r.set_memory_swap_bytes(-1);
  EXPECT_TRUE(ValidateResources(r, TwoCpus()).ok());
}

TEST(ValidateResourcesTest, NegativeSizes) {
  spec::Resources r;
  r.set_memory_bytes(-2);
  ExpectFieldError(r, "resources.memory_bytes");
  r = spec::Resources();
  r.set_memory_bytes(16 << 20);
  r.set_memory_swap_bytes(-5);
  ExpectFieldError(r, "resources.memory_swap_bytes");
  r = spec::Resources();
  r.set_pids_limit(-3);
  ExpectFieldError(r, "resources.pids_limit");
}

TEST(ValidateResourcesTest, SwapBelowMemory) {
  spec::Resources r;
  r.set_memory_bytes(16 << 20);
  r.set_memory_swap_bytes(8 << 20);
  ExpectFieldError(r, "resources.memory_swap_bytes");
  absl::Status status = ValidateResources(r, TwoCpus());
  EXPECT_TRUE(absl::StrContains(status.message(), "8m is below memory_bytes 16m")) << status;
}

TEST(ValidateResourcesTest, SwapWithoutMemory) {
  spec::Resources r;
  r.set_memory_swap_bytes(16 << 20);
  ExpectFieldError(r, "resources.memory_swap_bytes");
}

TEST(ValidateResourcesTest, ReservationAboveLimit) {
  spec::Resources r;
  r.set_memory_bytes(16 << 20);
  r.set_memory_reservation_bytes(32 << 20);
  ExpectFieldError(r, "resources.memory_reservation_bytes");
}

TEST(ValidateResourcesTest, CpusOutOfRange) {
  spec::Resources r;
  r.set_cpus(3);
  ExpectFieldError(r, "resources.cpus");
  r.set_cpus(0.001);
  ExpectFieldError(r, "resources.cpus");
  r.set_cpus(-1);
  ExpectFieldError(r, "resources.cpus");
}

// --cpus is checked against the CPUs the caller may run on, which its
// container inherits, as Docker checks it against its own.
TEST(ValidateResourcesTest, CpusBoundByThisThreadsAffinity) {
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof(allowed), &allowed), 0) << strerror(errno);
  if (CPU_COUNT(&allowed) < 2) GTEST_SKIP() << "needs a thread that may run on 2 or more CPUs";
  spec::Resources r;
  r.set_cpus(1.5);
  EXPECT_TRUE(ValidateResourcesOnThisMachine(r).ok());

  cpu_set_t single_cpu;
  CPU_ZERO(&single_cpu);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) {
      CPU_SET(cpu, &single_cpu);
      break;
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof(single_cpu), &single_cpu), 0) << strerror(errno);
  absl::Status status = ValidateResourcesOnThisMachine(r);
  ASSERT_EQ(sched_setaffinity(0, sizeof(allowed), &allowed), 0) << strerror(errno);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "from 0.01 to 1 (the CPUs")) << status;
}

TEST(ValidateResourcesTest, CpusExcludesQuota) {
  spec::Resources r;
  r.set_cpus(0.5);
  r.set_cpu_quota_us(50000);
  ExpectFieldError(r, "resources.cpus");
}

TEST(ValidateResourcesTest, QuotaAndPeriodRanges) {
  spec::Resources r;
  r.set_cpu_period_us(999);
  ExpectFieldError(r, "resources.cpu_period_us");
  r = spec::Resources();
  r.set_cpu_quota_us(500);
  ExpectFieldError(r, "resources.cpu_quota_us");
  r.set_cpu_quota_us(-1);
  EXPECT_TRUE(ValidateResources(r, TwoCpus()).ok());
}

TEST(ValidateResourcesTest, SharesRange) {
  spec::Resources r;
  r.set_cpu_shares(1);
  ExpectFieldError(r, "resources.cpu_shares");
  r.set_cpu_shares(262145);
  ExpectFieldError(r, "resources.cpu_shares");
}

TEST(ValidateResourcesTest, CpusetOutsideMachine) {
  spec::Resources r;
  r.set_cpuset_cpus("0-3");
  ExpectFieldError(r, "resources.cpuset_cpus");
  absl::Status status = ValidateResources(r, TwoCpus());
  EXPECT_TRUE(absl::StrContains(status.message(), "online CPUs: 0-1")) << status;
  r = spec::Resources();
  r.set_cpuset_mems("1");
  ExpectFieldError(r, "resources.cpuset_mems");
  r = spec::Resources();
  r.set_cpuset_cpus("1-0");
  ExpectFieldError(r, "resources.cpuset_cpus");
  r.set_cpuset_cpus("x");
  ExpectFieldError(r, "resources.cpuset_cpus");
}

TEST(ValidateResourcesTest, BlkioWeightRange) {
  spec::Resources r;
  r.set_blkio_weight(5);
  ExpectFieldError(r, "resources.blkio_weight");
  r.set_blkio_weight(1001);
  ExpectFieldError(r, "resources.blkio_weight");
}

TEST(ValidateResourcesTest, ThrottleNeedsPathAndRate) {
  spec::Resources r;
  spec::DeviceThrottle* throttle = r.add_device_read_bps();
  throttle->set_path("sda");
  throttle->set_rate(1);
  ExpectFieldError(r, "resources.device_read_bps[0].path");
  throttle->set_path("/dev/sda");
  throttle->set_rate(0);
  ExpectFieldError(r, "resources.device_read_bps[0].rate");
}

TEST(ValidateResourcesTest, UnknownHugepageSize) {
  spec::Resources r;
  spec::HugepageLimit* huge = r.add_hugepage_limits();
  huge->set_page_size("1GB");
  huge->set_limit_bytes(1 << 30);
  ExpectFieldError(r, "resources.hugepage_limits[0].page_size");
}

TEST(CpuListTest, ParseAndFormat) {
  absl::StatusOr<std::set<int>> cpus = ParseCpuList(" 0-2,4,7-8\n");
  ASSERT_TRUE(cpus.ok()) << cpus.status();
  EXPECT_EQ(*cpus, (std::set<int>{0, 1, 2, 4, 7, 8}));
  EXPECT_EQ(FormatCpuList(*cpus), "0-2,4,7-8");
  EXPECT_EQ(FormatCpuList({}), "");
  EXPECT_TRUE(ParseCpuList("")->empty());
  EXPECT_FALSE(ParseCpuList("0-").ok());
  EXPECT_FALSE(ParseCpuList("-1").ok());
  EXPECT_FALSE(ParseCpuList("0-100000").ok());
}

TEST(HugepageSizeNameTest, KernelNames) {
  EXPECT_EQ(HugepageSizeName(2048), "2MB");
  EXPECT_EQ(HugepageSizeName(1048576), "1GB");
  EXPECT_EQ(HugepageSizeName(64), "64KB");
}

}  // namespace
}  // namespace pycontain::cgroup
