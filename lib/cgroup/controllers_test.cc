// The controllers against fixture trees: a temporary directory with the
// interface files a kernel would show, for cgroup v2 and v1.
#include "lib/cgroup/controllers.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <limits>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "lib/cgroup/receipt.h"

namespace pycontain::cgroup {
namespace {

class FixtureTree {
 public:
  FixtureTree() {
    std::string pattern =
        std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/cgXXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~FixtureTree() { std::filesystem::remove_all(path_); }

  // Creates `name` with `contents`; an empty file is a write target.
  void Add(const std::string& name, const std::string& contents = "") {
    std::ofstream(path_ + "/" + name) << contents;
  }
  std::string Contents(const std::string& name) const {
    std::ifstream file(path_ + "/" + name);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }
  CgroupDir Open() const { return *CgroupDir::Open(path_, "test"); }

 private:
  std::string path_;
};

ControllerDirs AllIn(const CgroupDir& dir, Version version) {
  ControllerDirs dirs;
  dirs.version = version;
  dirs.memory = dirs.cpu = dirs.cpuset = dirs.pids = dirs.io = dirs.hugetlb = &dir;
  if (version == Version::kV1) dirs.cpuacct = &dir;
  return dirs;
}

TEST(V2ControllersTest, MemoryWithSwapEqualToMemory) {
  FixtureTree tree;
  tree.Add("memory.max");
  tree.Add("memory.swap.max");
  tree.Add("memory.low");
  CgroupDir dir = tree.Open();
  spec::Resources r;
  r.set_memory_bytes(16 << 20);
  r.set_memory_swap_bytes(16 << 20);
  r.set_memory_reservation_bytes(8 << 20);
  ASSERT_TRUE(ApplyMemory(AllIn(dir, Version::kV2), r).ok());
  EXPECT_EQ(tree.Contents("memory.max"), "16777216");
  // v2 limits swap alone: memory+swap equal to memory is no swap.
  EXPECT_EQ(tree.Contents("memory.swap.max"), "0");
  EXPECT_EQ(tree.Contents("memory.low"), "8388608");
}

TEST(V2ControllersTest, SwapDefaultsAndUnlimited) {
  FixtureTree tree;
  tree.Add("memory.max");
  tree.Add("memory.swap.max");
  CgroupDir dir = tree.Open();
  spec::Resources r;
  r.set_memory_bytes(16 << 20);
  ASSERT_TRUE(ApplyMemory(AllIn(dir, Version::kV2), r).ok());
  // Docker's default: as much swap as memory.
  EXPECT_EQ(tree.Contents("memory.swap.max"), "16777216");
  tree.Add("memory.swap.max");
  r.set_memory_swap_bytes(-1);
  ASSERT_TRUE(ApplyMemory(AllIn(dir, Version::kV2), r).ok());
  EXPECT_EQ(tree.Contents("memory.swap.max"), "max");
}

TEST(V2ControllersTest, MissingFileNamesField) {
  FixtureTree tree;  // no memory.max: the kernel would say ENOENT
  CgroupDir dir = tree.Open();
  spec::Resources r;
  r.set_memory_bytes(16 << 20);
  absl::Status status = ApplyMemory(AllIn(dir, Version::kV2), r);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message().substr(0, 23), "resources.memory_bytes:") << status;
}

TEST(V2ControllersTest, CpusBecomeQuotaPerPeriod) {
  FixtureTree tree;
  tree.Add("cpu.max");
  tree.Add("cpu.weight");
  CgroupDir dir = tree.Open();
  spec::Resources r;
  r.set_cpus(0.5);
  r.set_cpu_shares(1024);
  ASSERT_TRUE(ApplyCpu(AllIn(dir, Version::kV2), r).ok());
  EXPECT_EQ(tree.Contents("cpu.max"), "50000 100000");
  EXPECT_EQ(tree.Contents("cpu.weight"), "39");
  EXPECT_EQ(CpuSharesToWeight(2), 1u);
  EXPECT_EQ(CpuSharesToWeight(262144), 10000u);
}

TEST(V2ControllersTest, PidsCpusetIoHugetlb) {
  FixtureTree tree;
  for (const char* name : {"pids.max", "cpuset.cpus", "cpuset.mems", "io.weight", "io.max",
                           "hugetlb.2MB.max"}) {
    tree.Add(name);
  }
  CgroupDir dir = tree.Open();
  spec::Resources r;
  r.set_pids_limit(16);
  r.set_cpuset_cpus("1");
  r.set_cpuset_mems("0");
  r.set_blkio_weight(500);
  spec::HugepageLimit* huge = r.add_hugepage_limits();
  huge->set_page_size("2MB");
  huge->set_limit_bytes(4 << 20);
  IoThrottles throttles;
  throttles.read_bps.push_back({"8:0", 1048576});
  ControllerDirs dirs = AllIn(dir, Version::kV2);
  ASSERT_TRUE(ApplyPids(dirs, r).ok());
  ASSERT_TRUE(ApplyCpuset(dirs, r).ok());
  ASSERT_TRUE(ApplyIo(dirs, r, throttles).ok());
  ASSERT_TRUE(ApplyHugetlb(dirs, r).ok());
  EXPECT_EQ(tree.Contents("pids.max"), "16");
  EXPECT_EQ(tree.Contents("cpuset.cpus"), "1");
  EXPECT_EQ(tree.Contents("cpuset.mems"), "0");
  EXPECT_EQ(tree.Contents("io.weight"), "default 4950");
  EXPECT_EQ(tree.Contents("io.max"), "8:0 rbps=1048576");
  EXPECT_EQ(tree.Contents("hugetlb.2MB.max"), "4194304");
}

TEST(V2ControllersTest, ReceiptFromKernelFiles) {
  FixtureTree tree;
  tree.Add("memory.max", "16777216\n");
  tree.Add("memory.swap.max", "0\n");
  tree.Add("memory.low", "0\n");
  tree.Add("cpu.max", "50000 100000\n");
  tree.Add("cpu.weight", "100\n");
  tree.Add("pids.max", "max\n");
  tree.Add("cpuset.cpus.effective", "");
  tree.Add("cpuset.effective_cpus", "0-1\n");
  tree.Add("cpuset.effective_mems", "0\n");
  tree.Add("io.weight", "default 100\n");
  tree.Add("io.max", "8:0 rbps=1048576 wbps=max riops=max wiops=max\n");
  tree.Add("hugetlb.2MB.max", "max\n");
  tree.Add("hugetlb.2MB.rsvd.max", "max\n");
  CgroupDir dir = tree.Open();
  ControllerDirs dirs = AllIn(dir, Version::kV2);
  spec::EnforcementReceipt receipt;
  ReadMemoryReceipt(dirs, &receipt);
  ReadCpuReceipt(dirs, &receipt);
  ReadCpusetReceipt(dirs, &receipt);
  ReadPidsReceipt(dirs, &receipt);
  ReadIoReceipt(dirs, &receipt);
  ReadHugetlbReceipt(dirs, &receipt);
  EXPECT_EQ(receipt.memory_limit_bytes(), 16777216);
  EXPECT_EQ(receipt.memory_swap_limit_bytes(), 16777216);
  EXPECT_EQ(receipt.cpu_quota_us(), 50000);
  EXPECT_EQ(receipt.cpu_period_us(), 100000);
  EXPECT_EQ(receipt.cpu_weight(), 100u);
  EXPECT_EQ(receipt.pids_limit(), -1);
  EXPECT_EQ(receipt.cpuset_cpus(), "0-1");
  EXPECT_EQ(receipt.io_weight(), 100u);
  ASSERT_EQ(receipt.io_throttles_size(), 1);
  EXPECT_EQ(receipt.io_throttles(0), "8:0 rbps=1048576");
  ASSERT_EQ(receipt.hugetlb_limits_size(), 1);
  EXPECT_EQ(receipt.hugetlb_limits(0), "2MB=-1");
}

TEST(V2ControllersTest, Accounting) {
  FixtureTree tree;
  tree.Add("memory.peak", "41000000\n");
  tree.Add("memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n");
  tree.Add("cpu.stat",
           "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\n"
           "nr_throttled 4\nthrottled_usec 2500\n");
  tree.Add("pids.peak", "16\n");
  CgroupDir dir = tree.Open();
  ControllerDirs dirs = AllIn(dir, Version::kV2);
  spec::Accounting accounting;
  ReadMemoryAccounting(dirs, &accounting);
  ReadCpuAccounting(dirs, &accounting);
  ReadPidsAccounting(dirs, &accounting);
  EXPECT_EQ(accounting.memory_peak_bytes(), 41000000);
  EXPECT_EQ(accounting.oom_kill_count(), 1);
  EXPECT_EQ(accounting.memory_limit_hits(), 7);
  EXPECT_EQ(accounting.cpu_user_time().nanos(), 1000000);
  EXPECT_EQ(accounting.cpu_system_time().nanos(), 500000);
  EXPECT_EQ(accounting.cpu_periods(), 10);
  EXPECT_EQ(accounting.cpu_throttled_periods(), 4);
  EXPECT_EQ(accounting.cpu_throttled_time().nanos(), 2500000);
  EXPECT_EQ(accounting.pids_peak(), 16);
}

TEST(V1ControllersTest, MemoryAndCpuFiles) {
  FixtureTree tree;
  for (const char* name : {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                           "memory.soft_limit_in_bytes", "cpu.cfs_period_us",
                           "cpu.cfs_quota_us", "cpu.shares"}) {
    tree.Add(name);
  }
  CgroupDir dir = tree.Open();
  spec::Resources r;
  r.set_memory_bytes(16 << 20);
  r.set_memory_swap_bytes(32 << 20);
  r.set_memory_reservation_bytes(4 << 20);
  r.set_cpus(1.5);
  r.set_cpu_shares(512);
  ControllerDirs dirs = AllIn(dir, Version::kV1);
  ASSERT_TRUE(ApplyMemory(dirs, r).ok());
  ASSERT_TRUE(ApplyCpu(dirs, r).ok());
  EXPECT_EQ(tree.Contents("memory.limit_in_bytes"), "16777216");
  // v1 limits memory+swap together.
  EXPECT_EQ(tree.Contents("memory.memsw.limit_in_bytes"), "33554432");
  EXPECT_EQ(tree.Contents("memory.soft_limit_in_bytes"), "4194304");
  EXPECT_EQ(tree.Contents("cpu.cfs_period_us"), "100000");
  EXPECT_EQ(tree.Contents("cpu.cfs_quota_us"), "150000");
  EXPECT_EQ(tree.Contents("cpu.shares"), "512");
}

// Docker's default memory+swap is twice the memory limit. Twice a limit
// over half of INT64_MAX would wrap to a negative number, so such a
// limit gets unlimited swap instead.
TEST(V1ControllersTest, DefaultSwapOfHugeLimitIsUnlimited) {
  FixtureTree tree;
  tree.Add("memory.limit_in_bytes");
  tree.Add("memory.memsw.limit_in_bytes");
  CgroupDir dir = tree.Open();
  ControllerDirs dirs = AllIn(dir, Version::kV1);
  spec::Resources r;
  r.set_memory_bytes(16 << 20);
  ASSERT_TRUE(ApplyMemory(dirs, r).ok());
  EXPECT_EQ(tree.Contents("memory.memsw.limit_in_bytes"), "33554432");

  // Writes do not truncate (cgroup files need not), so the fixture files
  // start empty again.
  tree.Add("memory.limit_in_bytes");
  tree.Add("memory.memsw.limit_in_bytes");
  r.set_memory_bytes(std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(ApplyMemory(dirs, r).ok());
  EXPECT_EQ(tree.Contents("memory.limit_in_bytes"), "9223372036854775807");
  EXPECT_EQ(tree.Contents("memory.memsw.limit_in_bytes"), "-1");
}

TEST(V1ControllersTest, WithoutSwapAccountingTheDefaultIsSkipped) {
  FixtureTree tree;
  tree.Add("memory.limit_in_bytes");
  CgroupDir dir = tree.Open();
  spec::Resources r;
  r.set_memory_bytes(16 << 20);
  EXPECT_TRUE(ApplyMemory(AllIn(dir, Version::kV1), r).ok());
  EXPECT_FALSE(dir.Has("memory.memsw.limit_in_bytes"));
}

TEST(V1ControllersTest, UnlimitedReadsAsMinusOne) {
  FixtureTree tree;
  tree.Add("memory.limit_in_bytes", "9223372036854771712\n");
  tree.Add("memory.soft_limit_in_bytes", "9223372036854771712\n");
  tree.Add("cpu.cfs_quota_us", "-1\n");
  tree.Add("cpu.cfs_period_us", "100000\n");
  tree.Add("cpu.shares", "1024\n");
  tree.Add("blkio.throttle.read_bps_device", "8:0 1048576\n");
  CgroupDir dir = tree.Open();
  ControllerDirs dirs = AllIn(dir, Version::kV1);
  spec::EnforcementReceipt receipt;
  ReadMemoryReceipt(dirs, &receipt);
  ReadCpuReceipt(dirs, &receipt);
  ReadIoReceipt(dirs, &receipt);
  EXPECT_EQ(receipt.memory_limit_bytes(), -1);
  EXPECT_FALSE(receipt.has_memory_swap_limit_bytes());
  EXPECT_EQ(receipt.cpu_quota_us(), -1);
  EXPECT_EQ(receipt.cpu_shares(), 1024u);
  ASSERT_EQ(receipt.io_throttles_size(), 1);
  EXPECT_EQ(receipt.io_throttles(0), "8:0 rbps=1048576");
}

TEST(V1ControllersTest, Accounting) {
  FixtureTree tree;
  tree.Add("memory.max_usage_in_bytes", "16777216\n");
  tree.Add("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  tree.Add("memory.failcnt", "30\n");
  tree.Add("cpuacct.usage_user", "2000000\n");
  tree.Add("cpuacct.usage_sys", "1000000\n");
  tree.Add("cpu.stat", "nr_periods 20\nnr_throttled 9\nthrottled_time 123456\n");
  CgroupDir dir = tree.Open();
  ControllerDirs dirs = AllIn(dir, Version::kV1);
  spec::Accounting accounting;
  ReadMemoryAccounting(dirs, &accounting);
  ReadCpuAccounting(dirs, &accounting);
  ReadPidsAccounting(dirs, &accounting);
  EXPECT_EQ(accounting.memory_peak_bytes(), 16777216);
  EXPECT_EQ(accounting.oom_kill_count(), 2);
  EXPECT_EQ(accounting.memory_limit_hits(), 30);
  EXPECT_EQ(accounting.cpu_user_time().nanos(), 2000000);
  EXPECT_EQ(accounting.cpu_system_time().nanos(), 1000000);
  EXPECT_EQ(accounting.cpu_throttled_periods(), 9);
  EXPECT_EQ(accounting.cpu_throttled_time().nanos(), 123456);
  EXPECT_FALSE(accounting.has_pids_peak());
}

TEST(CheckReceiptTest, RoundedMemoryIsAnAdjustment) {
  spec::Resources r;
  r.set_memory_bytes(1000000);
  spec::EnforcementReceipt receipt;
  receipt.set_memory_limit_bytes(1000000 / 4096 * 4096);
  EXPECT_TRUE(CheckReceipt(r, {}, &receipt).empty());
  ASSERT_EQ(receipt.adjustments_size(), 1);
  EXPECT_EQ(receipt.adjustments(0).substr(0, 23), "resources.memory_bytes:");
}

TEST(CheckReceiptTest, MissingLimitsAreNamed) {
  spec::Resources r;
  r.set_memory_bytes(16 << 20);
  r.set_pids_limit(16);
  r.set_blkio_weight(500);
  spec::EnforcementReceipt receipt;
  receipt.set_memory_limit_bytes(-1);
  receipt.set_pids_limit(16);
  std::vector<std::string> problems = CheckReceipt(r, {}, &receipt);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0],
            "resources.memory_bytes: requested 16777216, but the kernel reports no limit");
  EXPECT_EQ(problems[1].substr(0, 23), "resources.blkio_weight:");
}

TEST(CheckReceiptTest, CpusAndThrottles) {
  spec::Resources r;
  r.set_cpus(0.5);
  r.set_cpu_shares(1024);
  spec::EnforcementReceipt receipt;
  receipt.set_cgroup_layout(spec::EnforcementReceipt::UNIFIED);
  receipt.set_cpu_quota_us(50000);
  receipt.set_cpu_period_us(100000);
  receipt.set_cpu_weight(39);
  IoThrottles throttles;
  throttles.write_iops.push_back({"8:0", 100});
  std::vector<std::string> problems = CheckReceipt(r, throttles, &receipt);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].substr(0, 28), "resources.device_write_iops:");
  receipt.add_io_throttles("8:0 wiops=100");
  EXPECT_TRUE(CheckReceipt(r, throttles, &receipt).empty());
}

}  // namespace
}  // namespace pycontain::cgroup
