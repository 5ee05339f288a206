// libFuzzer target for the lower layers of the Compose loader. The same
// bytes go through the YAML parser (and Emit, which must read back to the
// same tree), interpolation of the whole tree and of the raw text, and the
// env file parser. Built and run by scripts/fuzz-compose, outside Bazel.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/compose/env_file.h"
#include "lib/compose/interpolate.h"
#include "lib/compose/yaml.h"

namespace {

using pycontain::compose::Lookup;
namespace yaml = pycontain::compose::yaml;

// Kinds and text of a tree: what Parse(Emit(tree)) has to keep.
std::string Shape(const yaml::Node& node) {
  switch (node.kind) {
    case yaml::Node::Kind::kNull:
      return "~";
    case yaml::Node::Kind::kScalar:
      return absl::StrCat("s", node.scalar.size(), ":", node.scalar);
    case yaml::Node::Kind::kSequence: {
      std::string out = absl::StrCat("[", node.items.size(), ":");
      for (const yaml::Node& item : node.items) out += Shape(item);
      return out + "]";
    }
    case yaml::Node::Kind::kMapping: {
      std::string out = absl::StrCat("{", node.entries.size(), ":");
      for (const yaml::Entry& entry : node.entries) {
        absl::StrAppend(&out, "k", entry.key.size(), ":", entry.key, Shape(entry.value));
      }
      return out + "}";
    }
  }
  return "?";
}

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  fprintf(stderr, "compose_fuzzer: %s\n%s\n", what, detail.c_str());
  abort();
}

// Emit must write YAML that Parse reads back to the same kinds and text,
// and writing that again must give the same text.
void CheckRoundTrip(const yaml::Node& tree) {
  std::string emitted = yaml::Emit(tree);
  absl::StatusOr<yaml::Node> again = yaml::Parse(emitted, "emitted.yaml");
  if (!again.ok()) {
    Fail("Parse rejected Emit's output", absl::StrCat(again.status().message(), "\n", emitted));
  }
  if (Shape(*again) != Shape(tree)) {
    Fail("Parse(Emit(tree)) differs from tree",
         absl::StrCat(emitted, "\n--- expected\n", Shape(tree), "\n--- got\n", Shape(*again)));
  }
  std::string emitted_again = yaml::Emit(*again);
  if (emitted_again != emitted) {
    Fail("Emit is not stable", absl::StrCat(emitted, "\n--- then\n", emitted_again));
  }
}

std::optional<std::string> FixedLookup(absl::string_view name) {
  if (name == "A") return std::string("1");
  if (name == "EMPTY") return std::string();
  if (name == "TAG") return std::string("1.25");
  if (name == "DOLLARS") return std::string("$$ ${A} \n: #");
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  const Lookup lookup = FixedLookup;

  absl::StatusOr<yaml::Node> tree = yaml::Parse(text, "fuzz.yaml");
  if (tree.ok()) {
    CheckRoundTrip(*tree);
    // Interpolated values contain any text, including what needs quoting.
    if (pycontain::compose::InterpolateTree(*tree, lookup).ok()) CheckRoundTrip(*tree);
  }

  (void)pycontain::compose::Interpolate(text, lookup, yaml::Mark{"fuzz.txt", 1, 1});
  (void)pycontain::compose::ParseEnvFile(text, "fuzz.env", lookup);
  (void)pycontain::compose::ParseEnvFile(text, "fuzz.env", lookup,
                                         pycontain::compose::EnvFileFormat::kRaw);
  return 0;
}
