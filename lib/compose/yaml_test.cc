#include "lib/compose/yaml.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace pycontain::compose::yaml {
namespace {

using ::testing::HasSubstr;

Node ParseOk(absl::string_view text) {
  absl::StatusOr<Node> node = Parse(text, "compose.yaml");
  EXPECT_TRUE(node.ok()) << node.status();
  return node.ok() ? *std::move(node) : Node();
}

std::string ParseError(absl::string_view text) {
  absl::StatusOr<Node> node = Parse(text, "compose.yaml");
  EXPECT_FALSE(node.ok());
  if (node.ok()) return "";
  EXPECT_EQ(node.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(node.status().message());
}

std::vector<std::string> Keys(const Node& mapping) {
  std::vector<std::string> keys;
  for (const Entry& entry : mapping.entries) keys.push_back(entry.key);
  return keys;
}

// Describes kinds and scalar text, the parts of a tree that Emit must keep.
std::string Shape(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kNull:
      return "null";
    case Node::Kind::kScalar:
      return absl::StrCat("'", node.scalar, "'");
    case Node::Kind::kSequence: {
      std::string out = "[";
      for (const Node& item : node.items) absl::StrAppend(&out, Shape(item), ",");
      return out + "]";
    }
    case Node::Kind::kMapping: {
      std::string out = "{";
      for (const Entry& entry : node.entries) {
        absl::StrAppend(&out, "'", entry.key, "':", Shape(entry.value), ",");
      }
      return out + "}";
    }
  }
  return "?";
}

void ExpectRoundTrip(const Node& node) {
  std::string emitted = Emit(node);
  absl::StatusOr<Node> again = Parse(emitted, "emitted.yaml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << emitted;
  EXPECT_EQ(Shape(*again), Shape(node)) << emitted;
}

TEST(Parse, ScalarsKeepTextMarksAndQuoting) {
  Node doc = ParseOk(
      "services:\n"
      "  web:\n"
      "    image: nginx:1.25\n"
      "    ports: [\"8080:80\", 22]\n");
  const Node* image = doc.Find("services")->Find("web")->Find("image");
  ASSERT_NE(image, nullptr);
  EXPECT_TRUE(image->IsScalar());
  EXPECT_EQ(image->scalar, "nginx:1.25");
  EXPECT_FALSE(image->quoted);
  EXPECT_EQ(image->mark.file, "compose.yaml");
  EXPECT_EQ(image->mark.line, 3);
  EXPECT_EQ(image->mark.column, 12);

  const Node* ports = doc.Find("services")->Find("web")->Find("ports");
  ASSERT_NE(ports, nullptr);
  ASSERT_EQ(ports->items.size(), 2u);
  EXPECT_TRUE(ports->items[0].quoted);
  EXPECT_EQ(ports->items[0].scalar, "8080:80");
  EXPECT_FALSE(ports->items[1].quoted);
  EXPECT_EQ(ports->items[1].scalar, "22");

  const Entry* web = doc.Find("services")->FindEntry("web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->key_mark.line, 2);
  EXPECT_EQ(web->key_mark.column, 3);
}

TEST(Parse, QuotedAndBlockScalarsAreQuoted) {
  Node doc = ParseOk(
      "a: 'single'\n"
      "b: \"dou\\tble\"\n"
      "c: |\n"
      "  line one\n"
      "  line two\n"
      "d: >\n"
      "  folded\n"
      "  text\n"
      "e: !!str 0755\n"
      "f: plain\n");
  EXPECT_TRUE(doc.Find("a")->quoted);
  EXPECT_TRUE(doc.Find("b")->quoted);
  EXPECT_EQ(doc.Find("b")->scalar, "dou\tble");
  EXPECT_TRUE(doc.Find("c")->quoted);
  EXPECT_EQ(doc.Find("c")->scalar, "line one\nline two\n");
  EXPECT_TRUE(doc.Find("d")->quoted);
  EXPECT_EQ(doc.Find("d")->scalar, "folded text\n");
  EXPECT_TRUE(doc.Find("e")->quoted);
  EXPECT_EQ(doc.Find("e")->tag, "!!str");
  EXPECT_FALSE(doc.Find("f")->quoted);
}

TEST(Parse, NullsAreNullNodes) {
  Node doc = ParseOk("a:\nb: ~\nc: null\nd: ''\ne: \"null\"\nf: !reset null\n");
  EXPECT_TRUE(doc.Find("a")->IsNull());
  EXPECT_TRUE(doc.Find("b")->IsNull());
  EXPECT_TRUE(doc.Find("c")->IsNull());
  EXPECT_TRUE(doc.Find("d")->IsScalar());
  EXPECT_EQ(doc.Find("d")->scalar, "");
  EXPECT_TRUE(doc.Find("e")->IsScalar());
  EXPECT_EQ(doc.Find("e")->scalar, "null");
  EXPECT_TRUE(doc.Find("f")->IsNull());
  EXPECT_EQ(doc.Find("f")->tag, "!reset");
}

TEST(Parse, EmptyDocumentIsNull) {
  EXPECT_TRUE(ParseOk("").IsNull());
  EXPECT_TRUE(ParseOk("# only a comment\n").IsNull());
  EXPECT_TRUE(ParseOk(absl::string_view()).IsNull());
}

TEST(Parse, KeepsCustomTagsOnCollections) {
  Node doc = ParseOk("ports: !reset []\nenvironment: !override {A: 1}\n");
  EXPECT_EQ(doc.Find("ports")->tag, "!reset");
  EXPECT_TRUE(doc.Find("ports")->IsSequence());
  EXPECT_EQ(doc.Find("environment")->tag, "!override");
}

TEST(Parse, AliasesAreExpandedCopies) {
  Node doc = ParseOk(
      "x-env: &env\n"
      "  A: \"1\"\n"
      "services:\n"
      "  a:\n"
      "    environment: *env\n"
      "  b:\n"
      "    environment: *env\n");
  Node* a = doc.Find("services")->Find("a")->Find("environment");
  Node* b = doc.Find("services")->Find("b")->Find("environment");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->Find("A")->scalar, "1");
  EXPECT_TRUE(a->Find("A")->quoted);

  // Copies: changing one leaves the other and the anchor alone.
  a->Set("A", Node::Scalar("2"));
  EXPECT_EQ(b->Find("A")->scalar, "1");
  EXPECT_EQ(doc.Find("x-env")->Find("A")->scalar, "1");
}

TEST(Parse, AnchorCanBeRedefined) {
  Node doc = ParseOk("a: &x one\nb: *x\nc: &x two\nd: *x\n");
  EXPECT_EQ(doc.Find("b")->scalar, "one");
  EXPECT_EQ(doc.Find("d")->scalar, "two");
}

TEST(Parse, UndefinedAliasIsError) {
  EXPECT_EQ(ParseError("a: 1\nb: *nowhere\n"), "compose.yaml:2:4: undefined alias *nowhere");
}

TEST(Parse, RecursiveAliasIsError) {
  EXPECT_THAT(ParseError("a: &a [1, *a]\n"), HasSubstr("alias *a refers to a node that contains it"));
}

TEST(Parse, BillionLaughsFailsCleanly) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  const char* names = "abcdefghij";
  for (int level = 1; level < 10; ++level) {
    char name = names[level];
    char previous = names[level - 1];
    absl::StrAppend(&text, std::string(1, name), ": &", std::string(1, name), " [");
    for (int i = 0; i < 10; ++i) absl::StrAppend(&text, i ? ", *" : "*", std::string(1, previous));
    absl::StrAppend(&text, "]\n");
  }
  std::string error = ParseError(text);
  EXPECT_THAT(error, HasSubstr("expands to"));
  EXPECT_THAT(error, HasSubstr("more than the limit of 10000"));
}

TEST(Parse, ManySmallAliasesHitTotalBudget) {
  // Each alias stays under the per-alias limit, but together they copy more
  // than a million nodes.
  std::string text = "big: &big [";
  for (int i = 0; i < 9000; ++i) absl::StrAppend(&text, i ? ",1" : "1");
  text += "]\nuses:\n";
  for (int i = 0; i < 200; ++i) text += "  - *big\n";
  EXPECT_THAT(ParseError(text), HasSubstr("anchors and aliases copy more than 1000000 nodes"));
}

TEST(Parse, NestedAnchorsHitTotalBudget) {
  // Each anchor keeps a copy of its node, so anchors nested 200 deep around
  // a list of 10000 items would copy 2 million nodes.
  std::string text;
  for (int i = 0; i < 200; ++i) absl::StrAppend(&text, "- &a", i, "\n", std::string(2 * i + 2, ' '));
  text += "[";
  for (int i = 0; i < 10000; ++i) absl::StrAppend(&text, i ? ",1" : "1");
  text += "]\n";
  EXPECT_THAT(ParseError(text), HasSubstr("anchors and aliases copy more than 1000000 nodes"));
}

TEST(Parse, LongTextAliasedOftenHitsByteBudget) {
  std::string text = absl::StrCat("a: &a \"", std::string(1 << 20, 'x'), "\"\nb: [");
  for (int i = 0; i < 100; ++i) absl::StrAppend(&text, i ? ", *a" : "*a");
  text += "]\n";
  EXPECT_THAT(ParseError(text), HasSubstr("or 64 MiB of text in all"));
}

TEST(Parse, MergeKeySingle) {
  Node doc = ParseOk(
      "x-base: &base\n"
      "  image: busybox\n"
      "  restart: always\n"
      "svc:\n"
      "  <<: *base\n"
      "  restart: \"no\"\n"
      "  user: nobody\n");
  const Node* svc = doc.Find("svc");
  EXPECT_EQ(Keys(*svc), (std::vector<std::string>{"restart", "user", "image"}));
  EXPECT_EQ(svc->Find("restart")->scalar, "no");
  EXPECT_EQ(svc->Find("image")->scalar, "busybox");
  EXPECT_EQ(svc->Find("<<"), nullptr);
}

TEST(Parse, MergeKeyListEarlierWins) {
  Node doc = ParseOk(
      "x-a: &a {image: a, user: ua}\n"
      "x-b: &b {image: b, user: ub, init: true}\n"
      "svc:\n"
      "  <<: [*a, *b]\n"
      "  user: mine\n");
  const Node* svc = doc.Find("svc");
  EXPECT_EQ(Keys(*svc), (std::vector<std::string>{"user", "image", "init"}));
  EXPECT_EQ(svc->Find("user")->scalar, "mine");
  EXPECT_EQ(svc->Find("image")->scalar, "a");
  EXPECT_EQ(svc->Find("init")->scalar, "true");
}

TEST(Parse, MergeIsShallow) {
  Node doc = ParseOk(
      "x-a: &a\n"
      "  environment: {A: '1', B: '2'}\n"
      "svc:\n"
      "  <<: *a\n"
      "  environment: {C: '3'}\n");
  const Node* environment = doc.Find("svc")->Find("environment");
  EXPECT_EQ(Keys(*environment), (std::vector<std::string>{"C"}));
}

TEST(Parse, MergeKeyNested) {
  // A merged mapping may itself use a merge key; its result is merged.
  Node doc = ParseOk(
      "x-a: &a {a: 1}\n"
      "x-b: &b\n"
      "  <<: *a\n"
      "  b: 2\n"
      "svc:\n"
      "  <<: *b\n"
      "  c: 3\n"
      "  deploy:\n"
      "    <<: *a\n"
      "    d: 4\n");
  const Node* svc = doc.Find("svc");
  EXPECT_EQ(Keys(*svc), (std::vector<std::string>{"c", "deploy", "b", "a"}));
  EXPECT_EQ(Keys(*svc->Find("deploy")), (std::vector<std::string>{"d", "a"}));
}

TEST(Parse, MergeKeyInlineMapping) {
  Node doc = ParseOk("svc:\n  <<: {image: x}\n  user: y\n");
  EXPECT_EQ(Keys(*doc.Find("svc")), (std::vector<std::string>{"user", "image"}));
}

TEST(Parse, QuotedMergeKeyIsOrdinaryKey) {
  Node doc = ParseOk("svc:\n  \"<<\": x\n");
  ASSERT_NE(doc.Find("svc")->Find("<<"), nullptr);
  EXPECT_EQ(doc.Find("svc")->Find("<<")->scalar, "x");
}

TEST(Parse, MergeOfScalarIsError) {
  EXPECT_EQ(ParseError("a: &a text\nb:\n  <<: *a\n"),
            "compose.yaml:3:3: merge key \"<<\" needs a mapping or a list of mappings, such as "
            "<<: *base, not the value at 1:4");
  EXPECT_EQ(ParseError("a: &a text\nb:\n  <<: [{x: 1}, *a]\n"),
            "compose.yaml:3:3: merge key \"<<\" lists a value that is not a mapping (at 1:4)");
}

TEST(Parse, DuplicateKeyIsError) {
  EXPECT_EQ(ParseError("services:\n  web:\n    image: a\n    image: b\n"),
            "compose.yaml:4:5: duplicate key \"image\" (first at 3:5)");
}

TEST(Parse, DuplicateKeyInFlowMappingIsError) {
  EXPECT_EQ(ParseError("env: {A: 1, A: 2}\n"),
            "compose.yaml:1:13: duplicate key \"A\" (first at 1:7)");
}

TEST(Parse, DuplicateMergeKeyIsError) {
  EXPECT_THAT(ParseError("a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n"),
              HasSubstr("duplicate key \"<<\""));
}

TEST(Parse, NonScalarKeyIsError) {
  EXPECT_EQ(ParseError("? [a, b]\n: c\n"),
            "compose.yaml:1:3: mapping keys must be scalars, not lists or mappings");
  EXPECT_EQ(ParseError("{a: 1}: c\n"),
            "compose.yaml:1:1: mapping keys must be scalars, not lists or mappings");
}

TEST(Parse, SecondDocumentIsError) {
  EXPECT_EQ(ParseError("a: 1\n---\nb: 2\n"),
            "compose.yaml:2:1: more than one YAML document; a Compose file holds exactly one");
}

TEST(Parse, SyntaxErrorCarriesLibyamlProblemAndPosition) {
  EXPECT_EQ(ParseError("services:\n  web:\n    image: a\n   bad: [\n"),
            "compose.yaml:4:4: did not find expected key (while parsing a block mapping at 2:3)");
  EXPECT_THAT(ParseError("a: b: c\n"),
              "compose.yaml:1:5: mapping values are not allowed in this context");
  EXPECT_THAT(ParseError("a: [1, 2\n"), HasSubstr("did not find expected ',' or ']'"));
  EXPECT_THAT(ParseError("a: \"open\n"), HasSubstr("found unexpected end of stream"));
}

TEST(Parse, TabIndentationIsExplained) {
  EXPECT_EQ(ParseError("services:\n\tweb: {}\n"),
            "compose.yaml:2:1: found character that cannot start any token (while scanning for "
            "the next token at 2:1); indent YAML with spaces, not tabs");
}

TEST(Parse, InvalidUtf8IsError) {
  EXPECT_THAT(ParseError("a: \xff\xfe\xfd\n"), HasSubstr("compose.yaml: invalid"));
}

TEST(Parse, DeepNestingIsError) {
  std::string text(2000, '[');
  text += std::string(2000, ']');
  EXPECT_THAT(ParseError(text), HasSubstr("nesting deeper than 512 levels"));
}

TEST(Node, SetReplacesInPlaceOrAppends) {
  Node node = Node::Mapping();
  node.Set("a", Node::Scalar("1"));
  node.Set("b", Node::Scalar("2"));
  node.Set("a", Node::Scalar("3"));
  EXPECT_EQ(Keys(node), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(node.Find("a")->scalar, "3");
  EXPECT_TRUE(node.Erase("a"));
  EXPECT_FALSE(node.Erase("a"));
  EXPECT_EQ(Keys(node), (std::vector<std::string>{"b"}));
}

TEST(Mark, ToStringWithAndWithoutLine) {
  EXPECT_EQ(ToString(Mark{"compose.yaml", 3, 5}), "compose.yaml:3:5");
  EXPECT_EQ(ToString(Mark{"compose.yaml", 0, 0}), "compose.yaml");
}

TEST(Emit, ComposeConfigLayout) {
  Node doc = ParseOk(
      "services:\n"
      "  web:\n"
      "    image: nginx:latest\n"
      "    ports:\n"
      "      - target: 80\n"
      "        published: \"8080\"\n"
      "    command: [nginx, -g, 'daemon off;']\n"
      "    environment: {}\n"
      "    volumes: []\n"
      "    labels:\n"
      "      empty: ''\n"
      "      nothing:\n");
  EXPECT_EQ(Emit(doc),
            "services:\n"
            "  web:\n"
            "    image: nginx:latest\n"
            "    ports:\n"
            "      - target: 80\n"
            "        published: \"8080\"\n"
            "    command:\n"
            "      - nginx\n"
            "      - -g\n"
            "      - daemon off;\n"
            "    environment: {}\n"
            "    volumes: []\n"
            "    labels:\n"
            "      empty: \"\"\n"
            "      nothing: null\n");
}

TEST(Emit, QuotesWhatPlainWouldChange) {
  Node doc = Node::Mapping();
  struct Case {
    std::string text;
    bool quoted;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"", false, "\"\""},
      {" lead", false, "\" lead\""},
      {"trail ", false, "\"trail \""},
      {"a: b", false, "\"a: b\""},
      {"a #b", false, "\"a #b\""},
      {"end:", false, "\"end:\""},
      {"#x", false, "\"#x\""},
      {"*x", false, "\"*x\""},
      {"&x", false, "\"&x\""},
      {"!x", false, "\"!x\""},
      {"|x", false, "\"|x\""},
      {">x", false, "\">x\""},
      {"'x", false, "\"'x\""},
      {"\"x", false, "\"\\\"x\""},
      {"%x", false, "\"%x\""},
      {"@x", false, "\"@x\""},
      {"`x", false, "\"`x\""},
      {"{x}", false, "\"{x}\""},
      {"[x]", false, "\"[x]\""},
      {",x", false, "\",x\""},
      {"- x", false, "\"- x\""},
      {"-", false, "\"-\""},
      {"~", false, "\"~\""},
      {"null", false, "\"null\""},
      {"yes", true, "\"yes\""},
      {"Off", true, "\"Off\""},
      {"1.0", true, "\"1.0\""},
      {"0755", true, "\"0755\""},
      {"0x1F", true, "\"0x1F\""},
      {"1e3", true, "\"1e3\""},
      {"22:22", true, "\"22:22\""},
      {".inf", true, "\".inf\""},
      {"2001-12-14", true, "\"2001-12-14\""},
      {"2001-12-14", false, "2001-12-14"},
      {"=", false, "\"=\""},
      {"<<", false, "\"<<\""},
      {"yes", false, "yes"},
      {"8080", false, "8080"},
      {"tab\there", false, "\"tab\\there\""},
      {"bell\a", false, "\"bell\\x07\""},
      {"back\\slash", false, "back\\slash"},
      {"nginx:1.25", false, "nginx:1.25"},
      {"-Xmx1g", false, "-Xmx1g"},
      {"a,b[c]{d}", false, "a,b[c]{d}"},
      {"héllo", false, "héllo"},
      {"hello", true, "hello"},
  };
  for (const Case& c : cases) {
    Node node = Node::Scalar(c.text, {}, c.quoted);
    EXPECT_EQ(Emit(node), c.expected + "\n") << c.text;
    ExpectRoundTrip(node);
  }
}

TEST(Emit, MultiLineAsLiteralBlock) {
  Node doc = Node::Mapping();
  doc.Set("script", Node::Scalar("echo one\n  indented\n\necho two\n", {}, true));
  doc.Set("no_newline", Node::Scalar("a\nb", {}, true));
  doc.Set("kept", Node::Scalar("a\n\n", {}, true));
  EXPECT_EQ(Emit(doc),
            "script: |\n"
            "  echo one\n"
            "    indented\n"
            "\n"
            "  echo two\n"
            "no_newline: |-\n"
            "  a\n"
            "  b\n"
            "kept: |+\n"
            "  a\n"
            "\n");
  ExpectRoundTrip(doc);
}

TEST(Emit, MultiLineThatLiteralCannotHoldIsQuoted) {
  EXPECT_EQ(Emit(Node::Scalar(" lead\nx")), "\" lead\\nx\"\n");
  EXPECT_EQ(Emit(Node::Scalar("a\n  \nb")), "\"a\\n  \\nb\"\n");
  EXPECT_EQ(Emit(Node::Scalar("a\r\nb")), "\"a\\r\\nb\"\n");
  ExpectRoundTrip(Node::Scalar("a\n  \nb"));
}

TEST(Emit, KeysAreQuotedWhenNeeded) {
  Node doc = Node::Mapping();
  doc.Set("plain", Node::Scalar("1"));
  doc.Set("a: b", Node::Scalar("2"));
  doc.Set("", Node::Scalar("3"));
  doc.Set("yes", Node::Scalar("4"));
  doc.Set("<<", Node::Scalar("5"));
  doc.Set("com.example.label", Node::Scalar("6"));
  EXPECT_EQ(Emit(doc),
            "plain: 1\n"
            "\"a: b\": 2\n"
            "\"\": 3\n"
            "\"yes\": 4\n"
            "\"<<\": 5\n"
            "com.example.label: 6\n");
  ExpectRoundTrip(doc);
}

TEST(Emit, LongKeyUsesExplicitForm) {
  Node doc = Node::Mapping();
  doc.Set(std::string(1500, 'k'), Node::Scalar("v"));
  ExpectRoundTrip(doc);
}

TEST(Emit, NestedSequences) {
  Node doc = ParseOk("a: [[1, 2], [], {}, [[3]], {b: [4]}]\n");
  EXPECT_EQ(Emit(doc),
            "a:\n"
            "  - - 1\n"
            "    - 2\n"
            "  - []\n"
            "  - {}\n"
            "  - - - 3\n"
            "  - b:\n"
            "      - 4\n");
  ExpectRoundTrip(doc);
}

TEST(Emit, TopLevelValues) {
  EXPECT_EQ(Emit(Node::Null()), "null\n");
  EXPECT_EQ(Emit(Node::Mapping()), "{}\n");
  EXPECT_EQ(Emit(Node::Sequence()), "[]\n");
  ExpectRoundTrip(Node::Scalar("x\ny\n"));
}

TEST(Emit, RoundTripsRealisticComposeFile) {
  const char* text = R"(# The platform layout: database, cache, pooler, app and proxy.
x-logging: &logging
  driver: json-file
  options:
    max-size: "10m"
x-app: &app
  image: ctf/app:1.0
  restart: unless-stopped
  environment: &app-env
    DB_HOST: db
    DEBUG: "false"
    WORKERS: '4'
    EMPTY: ""
    SECRET: ${SECRET:?set SECRET in .env}
services:
  db:
    image: postgres:15
    volumes:
      - db-data:/var/lib/postgresql/data
    environment:
      POSTGRES_PASSWORD: "${DB_PASSWORD}"
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 5s
      retries: 5
    logging: *logging
  cache:
    image: memcached:1.6
    command: memcached -m 64
    mem_limit: 16m
  pooler:
    image: pgbouncer
    depends_on:
      db:
        condition: service_healthy
  app:
    <<: *app
    depends_on: [db, cache]
    ports:
      - "8000:8000"
      - 127.0.0.1:9000:9000/udp
      - "[::1]:80:80"
    command: >
      uwsgi --http :8000
      --module app
    entrypoint: |
      #!/bin/sh
      exec "$$@"
    ulimits:
      nofile: {soft: 1024, hard: 2048}
    sysctls:
      net.core.somaxconn: 1024
  proxy:
    image: nginx
    read_only: yes
    init: true
    ipc: shareable
    extra_hosts: ["host.docker.internal:host-gateway"]
volumes:
  db-data: {}
networks:
  default:
    name: platform
)";
  Node doc = ParseOk(text);
  ExpectRoundTrip(doc);

  // A second round is stable text.
  std::string once = Emit(doc);
  std::string twice = Emit(ParseOk(once));
  EXPECT_EQ(once, twice);
  EXPECT_THAT(once, HasSubstr("      DEBUG: \"false\"\n"));
  EXPECT_THAT(once, HasSubstr("      WORKERS: \"4\"\n"));
  EXPECT_THAT(once, HasSubstr("    read_only: yes\n"));
  EXPECT_THAT(once, HasSubstr("      - \"[::1]:80:80\"\n"));
  EXPECT_THAT(once, HasSubstr("    entrypoint: |\n      #!/bin/sh\n      exec \"$$@\"\n"));
}

}  // namespace
}  // namespace pycontain::compose::yaml
