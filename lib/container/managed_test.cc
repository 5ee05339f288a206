// Managed containers without starting any: creation, names, lookup,
// listing, inspect, removal, and how a dead monitor is reported and
// collected. Runs as any user. tests/lifecycle_test.cc starts real ones.
#include "lib/container/managed.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lib/container/managed_internal.h"
#include "lib/container/record.h"
#include "lib/overlay/overlay.h"

namespace pycontain::container {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

bool Exists(const std::string& path) {
  struct stat info;
  return lstat(path.c_str(), &info) == 0;
}

class ManagedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = absl::StrCat(getenv("TEST_TMPDIR"), "/managed-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    setenv("PYCONTAIN_ROOT", (dir_ + "/store").c_str(), 1);
    setenv("PYCONTAIN_STATE_DIR", (dir_ + "/state").c_str(), 1);
  }

  void TearDown() override {
    EXPECT_TRUE(overlay::RemoveTree(dir_).ok());
    unsetenv("PYCONTAIN_ROOT");
    unsetenv("PYCONTAIN_STATE_DIR");
  }

  // A container on the host's root, which needs no image and no root.
  absl::StatusOr<ManagedContainer> Create(const std::string& name,
                                          std::map<std::string, std::string> labels = {},
                                          bool auto_remove = false) {
    CreateOptions options;
    options.name = name;
    options.spec.mutable_process()->add_args("/bin/true");
    options.labels = std::move(labels);
    options.auto_remove = auto_remove;
    return CreateContainer(options);
  }

  // Rewrites the container's state as running under `monitor`.
  void MarkRunning(const ManagedContainer& container, pid_t monitor, uint64_t start_time) {
    ManagedState state = container.state;
    state.set_status("running");
    state.set_monitor_pid(monitor);
    state.set_monitor_start_time(start_time);
    state.set_boot_id(BootId());
    state.set_state_root(dir_ + "/state");
    ASSERT_TRUE(managed_internal::WriteState(container.directory, state).ok());
  }

  // The pid of a child that has exited and been reaped.
  pid_t DeadPid() {
    pid_t child = fork();
    if (child == 0) _exit(0);
    int status = 0;
    waitpid(child, &status, 0);
    return child;
  }

  std::string dir_;
};

TEST_F(ManagedTest, CreateSavesConfigAndName) {
  absl::StatusOr<ManagedContainer> web = Create("web", {{"tier", "front"}});
  ASSERT_TRUE(web.ok()) << web.status();
  EXPECT_EQ(web->id().size(), 64u);
  EXPECT_EQ(web->short_id(), web->id().substr(0, 12));
  EXPECT_EQ(web->name(), "web");
  EXPECT_EQ(web->state.status(), "created");
  EXPECT_EQ(web->config.spec().id(), web->id());
  EXPECT_EQ(web->config.spec().hostname(), web->short_id());
  EXPECT_EQ(web->config.labels().at("tier"), "front");
  EXPECT_EQ(web->upper_directory, "") << "no image, no writable layer";
  EXPECT_TRUE(Exists(web->directory + "/config.json"));
  EXPECT_TRUE(Exists(ManagedContainersRoot() + "/.names/web"));
}

TEST_F(ManagedTest, NameAndShortIdAreNetworkAliases) {
  CreateOptions options;
  options.name = "web";
  options.spec.mutable_process()->add_args("/bin/true");
  options.spec.mutable_network()->set_mode(spec::Network::BRIDGE);
  options.spec.mutable_network()->set_name("front");
  options.spec.mutable_network()->add_aliases("www");
  absl::StatusOr<ManagedContainer> web = CreateContainer(options);
  ASSERT_TRUE(web.ok()) << web.status();
  const auto& aliases = web->config.spec().network().aliases();
  EXPECT_THAT(std::vector<std::string>(aliases.begin(), aliases.end()),
              ::testing::ElementsAre("www", "web", web->short_id()));

  // Without a named network there is nothing to resolve names on.
  absl::StatusOr<ManagedContainer> plain = Create("plain");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->config.spec().network().aliases_size(), 0);
}

TEST_F(ManagedTest, CreateRejectsBadInput) {
  absl::StatusOr<ManagedContainer> first = Create("dup");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<ManagedContainer> second = Create("dup");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(second.status().message(), HasSubstr(first->short_id()));

  EXPECT_EQ(Create("no/slash").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Create("-dash").status().code(), absl::StatusCode::kInvalidArgument);

  CreateOptions with_id;
  with_id.spec.set_id("chosen");
  with_id.spec.mutable_process()->add_args("/bin/true");
  EXPECT_EQ(CreateContainer(with_id).status().code(), absl::StatusCode::kInvalidArgument);

  CreateOptions with_stdio;
  with_stdio.spec.mutable_process()->add_args("/bin/true");
  with_stdio.spec.mutable_process()->mutable_stdio()->set_stdout_fd(1);
  EXPECT_EQ(CreateContainer(with_stdio).status().code(), absl::StatusCode::kInvalidArgument);

  CreateOptions no_command;
  EXPECT_EQ(CreateContainer(no_command).status().code(), absl::StatusCode::kInvalidArgument);
  // Only the first container was made.
  absl::StatusOr<std::vector<ManagedContainer>> all = ListContainers({.all = true, .labels = {}});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_F(ManagedTest, ConcurrentCreatesOfOneName) {
  constexpr int kProcesses = 8;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) _exit(Create("race").ok() ? 0 : 1);
    children.push_back(child);
  }
  int created = 0;
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0) ++created;
  }
  EXPECT_EQ(created, 1);
  absl::StatusOr<std::vector<ManagedContainer>> all = ListContainers({.all = true, .labels = {}});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u) << "the losers removed their directories";
}

TEST_F(ManagedTest, ResolveByNameIdAndPrefix) {
  // 17 containers: two of them share a first hex digit.
  std::map<char, int> first_digits;
  std::vector<ManagedContainer> made;
  for (int i = 0; i < 17; ++i) {
    absl::StatusOr<ManagedContainer> c = Create(absl::StrCat("c", i));
    ASSERT_TRUE(c.ok()) << c.status();
    ++first_digits[c->id()[0]];
    made.push_back(*c);
  }
  const ManagedContainer& c0 = made[0];
  for (const std::string& key : {c0.id(), c0.short_id(), std::string("c0")}) {
    absl::StatusOr<ManagedContainer> found = ResolveContainer(key);
    ASSERT_TRUE(found.ok()) << key << ": " << found.status();
    EXPECT_EQ(found->id(), c0.id());
  }
  for (const auto& [digit, count] : first_digits) {
    if (count < 2) continue;
    absl::StatusOr<ManagedContainer> ambiguous = ResolveContainer(std::string(1, digit));
    EXPECT_EQ(ambiguous.status().code(), absl::StatusCode::kFailedPrecondition);
    break;
  }
  EXPECT_EQ(ResolveContainer("nothing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ResolveContainer("../etc").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ResolveContainer("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ManagedTest, ListFiltersByLabelsAndStatus) {
  ASSERT_TRUE(Create("a", {{"com.docker.compose.project", "shop"}}).ok());
  ASSERT_TRUE(Create("b", {{"com.docker.compose.project", "blog"}}).ok());
  ASSERT_TRUE(Create("c").ok());

  absl::StatusOr<std::vector<ManagedContainer>> running = ListContainers({});
  ASSERT_TRUE(running.ok());
  EXPECT_THAT(*running, IsEmpty()) << "created containers are not running";

  absl::StatusOr<std::vector<ManagedContainer>> shop =
      ListContainers({.all = true, .labels = {{kComposeProjectLabel, "shop"}}});
  ASSERT_TRUE(shop.ok());
  ASSERT_EQ(shop->size(), 1u);
  EXPECT_EQ((*shop)[0].name(), "a");

  absl::StatusOr<std::vector<ManagedContainer>> projects =
      ListContainers({.all = true, .labels = {{kComposeProjectLabel, ""}}});
  ASSERT_TRUE(projects.ok());
  EXPECT_EQ(projects->size(), 2u);

  absl::StatusOr<std::vector<ManagedContainer>> all = ListContainers({.all = true, .labels = {}});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].name(), "c") << "newest first";
}

TEST_F(ManagedTest, InspectIsValidJson) {
  absl::StatusOr<ManagedContainer> web = Create("web", {{"quote\"key", "line\nbreak"}});
  ASSERT_TRUE(web.ok()) << web.status();
  absl::StatusOr<std::string> json = InspectContainer("web");
  ASSERT_TRUE(json.ok()) << json.status();
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &parsed).ok()) << *json;
  const auto& fields = parsed.fields();
  EXPECT_EQ(fields.at("Id").string_value(), web->id());
  EXPECT_EQ(fields.at("Name").string_value(), "/web");
  EXPECT_EQ(fields.at("State").struct_value().fields().at("Status").string_value(), "created");
  const auto& labels =
      fields.at("Config").struct_value().fields().at("Labels").struct_value().fields();
  EXPECT_EQ(labels.at("quote\"key").string_value(), "line\nbreak");
}

TEST_F(ManagedTest, RemoveFreesTheName) {
  absl::StatusOr<ManagedContainer> first = Create("web");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(RemoveContainer("web", {}).ok());
  EXPECT_FALSE(Exists(first->directory));
  EXPECT_FALSE(Exists(ManagedContainersRoot() + "/.names/web"));
  EXPECT_EQ(ResolveContainer("web").status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<ManagedContainer> again = Create("web");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->id(), first->id());
}

TEST_F(ManagedTest, RunningContainerNeedsForce) {
  absl::StatusOr<ManagedContainer> web = Create("web");
  ASSERT_TRUE(web.ok());
  // This test process plays the live monitor.
  MarkRunning(*web, getpid(), ProcessStartTime(getpid()));
  absl::StatusOr<ManagedContainer> running = ResolveContainer("web");
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(running->running());
  absl::Status refused = RemoveContainer("web", {});
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("rm -f"));
  EXPECT_TRUE(Exists(web->directory));
  // Reset, so that nothing signals this process.
  MarkRunning(*web, 0, 0);
}

TEST_F(ManagedTest, DeadMonitorShowsExitedAndGcRecordsIt) {
  absl::StatusOr<ManagedContainer> web = Create("web");
  ASSERT_TRUE(web.ok());
  MarkRunning(*web, DeadPid(), 1);

  absl::StatusOr<ManagedContainer> seen = ResolveContainer("web");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->state.status(), "exited");
  EXPECT_EQ(seen->state.exit_code(), 137);
  EXPECT_THAT(seen->state.error(), HasSubstr("has exited"));
  EXPECT_EQ(KillContainer("web", 15).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StopContainer("web", absl::Seconds(1)).ok()) << "a stopped container is no error";

  GcReport report;
  CollectManagedContainers(report);
  EXPECT_THAT(report.errors, IsEmpty());
  ASSERT_EQ(report.exited.size(), 1u);
  EXPECT_THAT(report.exited[0], HasSubstr("web"));
  absl::StatusOr<ManagedState> saved = managed_internal::ReadState(web->directory);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->status(), "exited");
  EXPECT_FALSE(saved->finished_at().empty());

  GcReport again;
  CollectManagedContainers(again);
  EXPECT_THAT(again.exited, IsEmpty()) << "collected once";
}

TEST_F(ManagedTest, DeadMonitorOfAutoRemoveIsRemoved) {
  absl::StatusOr<ManagedContainer> once = Create("once", {}, /*auto_remove=*/true);
  ASSERT_TRUE(once.ok());
  MarkRunning(*once, DeadPid(), 1);
  GcReport report;
  CollectManagedContainers(report);
  EXPECT_THAT(report.errors, IsEmpty());
  EXPECT_FALSE(Exists(once->directory));
  EXPECT_EQ(ResolveContainer("once").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace pycontain::container
