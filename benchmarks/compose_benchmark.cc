// Cost of the lower layers of the Compose loader on generated projects:
// parsing YAML (with anchors and merge keys), interpolating the tree,
// emitting it again, and parsing a `.env` file. The argument is the number
// of services (or env file lines).
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "lib/compose/env_file.h"
#include "lib/compose/interpolate.h"
#include "lib/compose/yaml.h"

namespace {

namespace compose = pycontain::compose;
namespace yaml = pycontain::compose::yaml;

// A project like the course's platform layout, repeated: every service
// merges a shared anchor and interpolates a few variables.
std::string ComposeFile(int services) {
  std::string text =
      "x-app: &app\n"
      "  restart: unless-stopped\n"
      "  environment: &env\n"
      "    DB_HOST: db\n"
      "    DEBUG: \"false\"\n"
      "  logging:\n"
      "    driver: json-file\n"
      "    options: {max-size: 10m}\n"
      "services:\n";
  for (int i = 0; i < services; ++i) {
    absl::StrAppend(&text, "  app", i, ":\n",
                    "    <<: *app\n"
                    "    image: ctf/app:${TAG:-latest}\n"
                    "    command: [\"uwsgi\", \"--http\", \":8000\"]\n"
                    "    ports:\n"
                    "      - \"${BIND:-127.0.0.1}:",
                    8000 + i,
                    ":8000\"\n"
                    "    environment:\n"
                    "      SECRET: ${SECRET:?set SECRET}\n"
                    "      WORKER: \"",
                    i,
                    "\"\n"
                    "    mem_limit: 64m\n"
                    "    healthcheck:\n"
                    "      test: [\"CMD-SHELL\", \"curl -f http://localhost:8000/ || exit 1\"]\n"
                    "      interval: 5s\n");
  }
  return text;
}

std::optional<std::string> Lookup(absl::string_view name) {
  if (name == "TAG") return std::string("1.25");
  if (name == "SECRET") return std::string("s3cret");
  return std::nullopt;
}

void BM_Parse(benchmark::State& state) {
  std::string text = ComposeFile(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    absl::StatusOr<yaml::Node> tree = yaml::Parse(text, "compose.yaml");
    if (!tree.ok()) state.SkipWithError(std::string(tree.status().message()).c_str());
    benchmark::DoNotOptimize(tree);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Parse)->Arg(10)->Arg(100);

void BM_InterpolateTree(benchmark::State& state) {
  absl::StatusOr<yaml::Node> parsed =
      yaml::Parse(ComposeFile(static_cast<int>(state.range(0))), "compose.yaml");
  if (!parsed.ok()) {
    state.SkipWithError(std::string(parsed.status().message()).c_str());
    return;
  }
  const compose::Lookup lookup = Lookup;
  for (auto _ : state) {
    state.PauseTiming();
    yaml::Node tree = *parsed;
    state.ResumeTiming();
    absl::Status status = compose::InterpolateTree(tree, lookup);
    if (!status.ok()) state.SkipWithError(std::string(status.message()).c_str());
    benchmark::DoNotOptimize(tree);
  }
}
BENCHMARK(BM_InterpolateTree)->Arg(10)->Arg(100);

void BM_Emit(benchmark::State& state) {
  absl::StatusOr<yaml::Node> tree =
      yaml::Parse(ComposeFile(static_cast<int>(state.range(0))), "compose.yaml");
  if (!tree.ok()) {
    state.SkipWithError(std::string(tree.status().message()).c_str());
    return;
  }
  for (auto _ : state) {
    std::string text = yaml::Emit(*tree);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_Emit)->Arg(10)->Arg(100);

void BM_ParseEnvFile(benchmark::State& state) {
  std::string text = "# project settings\n";
  for (int i = 0; i < state.range(0); ++i) {
    absl::StrAppend(&text, "VAR_", i, "=\"value ${TAG:-x} ", i, "\" # comment\n");
  }
  const compose::Lookup lookup = Lookup;
  for (auto _ : state) {
    auto vars = compose::ParseEnvFile(text, ".env", lookup);
    if (!vars.ok()) state.SkipWithError(std::string(vars.status().message()).c_str());
    benchmark::DoNotOptimize(vars);
  }
}
BENCHMARK(BM_ParseEnvFile)->Arg(100);

}  // namespace

BENCHMARK_MAIN();
