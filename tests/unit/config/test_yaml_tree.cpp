#include <gtest/gtest.h>

#include "sim/config/yaml_reader.h"
#include "sim/config/yaml_tree.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::input_error_of;
using test::source_path;

TEST(YamlTree, NodesRememberFileLineAndColumn) {
  YamlNode root = load_yaml_text("a:\n  b: 3\n  c: [1, \"2\"]\n", "f.yaml");
  ASSERT_TRUE(root.is_map());
  const YamlNode* b = root.find("a")->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->where.to_string(), "f.yaml:2:6");
  EXPECT_EQ(b->scalar, "3");
  EXPECT_FALSE(b->quoted);
  const YamlNode* c = root.find("a")->find("c");
  ASSERT_TRUE(c->is_sequence());
  EXPECT_TRUE(c->items[1].quoted);
  EXPECT_EQ(c->items[1].where.to_string(), "f.yaml:3:10");
}

TEST(YamlTree, SyntaxErrorNamesFileAndLine) {
  std::string error = input_error_of([] { load_yaml_text("a: 1\nb: [1, 2\n", "bad.yaml"); });
  EXPECT_NE(error.find("bad.yaml:"), std::string::npos) << error;
  EXPECT_NE(error.find("YAML syntax error"), std::string::npos) << error;
}

TEST(YamlTree, DuplicateKeysAreErrors) {
  std::string error = input_error_of([] { load_yaml_text("a: 1\nb: 2\na: 3\n", "dup.yaml"); });
  EXPECT_NE(error.find("dup.yaml:3:1: a: duplicate key"), std::string::npos) << error;
}

TEST(YamlTree, AliasBombIsRefusedNotExpanded) {
  // Each level doubles the node count: 2^30 nodes once expanded.
  std::string text = "l0: &l0 [x, x]\n";
  for (int i = 1; i <= 30; ++i) {
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" + std::to_string(i - 1) +
            ", *l" + std::to_string(i - 1) + "]\n";
  }
  std::string error = input_error_of([&] { load_yaml_text(text, "bomb.yaml"); });
  EXPECT_NE(error.find("too large"), std::string::npos) << error;
}

TEST(YamlTree, MissingFileIsAnInputError) {
  const std::string directory_error =
      input_error_of([] { load_yaml_file(source_path("configs")); });
  EXPECT_NE(directory_error.find("configs: is a directory, not a YAML file"), std::string::npos)
      << directory_error;
  std::string error = input_error_of([] { load_yaml_file("/nonexistent/x.yaml"); });
  EXPECT_EQ(error, "/nonexistent/x.yaml: cannot open file");
}

TEST(YamlTree, MergeReplacesScalarsAndListsAndMergesMaps) {
  YamlNode base = load_yaml_text("a: {b: 1, c: 2}\nl: [1, 2]\n", "base.yaml");
  YamlNode over = load_yaml_text("a: {c: 5, d: 6}\nl: [9]\n", "over.yaml");
  merge_yaml(base, over);
  EXPECT_EQ(base.find("a")->find("b")->scalar, "1");
  EXPECT_EQ(base.find("a")->find("c")->scalar, "5");
  EXPECT_EQ(base.find("a")->find("c")->where.origin, "over.yaml");
  EXPECT_EQ(base.find("a")->find("d")->scalar, "6");
  ASSERT_EQ(base.find("l")->items.size(), 1u);
}

TEST(YamlTree, OverrideSetsNestedValueWithCommandLineOrigin) {
  YamlNode root = load_yaml_text("pe: {crossbar: {rows: 128}}\n", "f.yaml");
  Diagnostics diagnostics;
  apply_override(root, "pe.crossbar.rows=256", diagnostics);
  apply_override(root, "pe.adc.bits=6", diagnostics);
  EXPECT_TRUE(diagnostics.empty());
  const YamlNode* rows = root.find("pe")->find("crossbar")->find("rows");
  EXPECT_EQ(rows->scalar, "256");
  EXPECT_EQ(rows->where.to_string(), "--set pe.crossbar.rows=256");
  EXPECT_EQ(root.find("pe")->find("adc")->find("bits")->scalar, "6");
}

TEST(YamlTree, MalformedOverridesAreDiagnosed) {
  YamlNode root = load_yaml_text("pe: 3\n", "f.yaml");
  Diagnostics diagnostics;
  apply_override(root, "novalue", diagnostics);
  apply_override(root, "a=", diagnostics);
  apply_override(root, "a..b=1", diagnostics);
  apply_override(root, "pe.rows=1", diagnostics);  // pe is a scalar
  apply_override(root, "x=[1, 2", diagnostics);    // YAML syntax error in the value
  ASSERT_EQ(diagnostics.size(), 5u);
  EXPECT_EQ(diagnostics.list()[0].to_string(), "--set novalue: expected key.path=value");
  EXPECT_EQ(diagnostics.list()[1].to_string(), "--set a=: a: missing value after '='");
  EXPECT_NE(diagnostics.list()[3].to_string().find("not a map"), std::string::npos);
  EXPECT_NE(diagnostics.list()[4].to_string().find("YAML syntax error"), std::string::npos);
}

TEST(YamlReader, ReadsTypedValuesAndReportsEveryProblemWithPath) {
  YamlNode root = load_yaml_text(
      "n: 5\nq: \"5\"\nf: 2.5\nb: true\nc: mesh\nbig: 99999999999999999999\nx: 1\n", "r.yaml");
  Diagnostics d;
  {
    MapReader top(&root, "", d, root.where);
    EXPECT_EQ(top.integer("n", 1, 10), 5);
    EXPECT_EQ(top.integer("q", 1, 10), std::nullopt);  // quoted: a string
    EXPECT_DOUBLE_EQ(top.number("f", 0, 10).value(), 2.5);
    EXPECT_TRUE(top.boolean_or("b", false));
    EXPECT_EQ(top.choice("c", {"mesh", "cmesh"}), 0u);
    EXPECT_EQ(top.integer("big", 0, 100), std::nullopt);  // overflows int64
    EXPECT_EQ(top.integer("missing", 0, 1), std::nullopt);
  }
  ASSERT_EQ(d.size(), 4u);  // q, big, missing, and unknown key x
  EXPECT_EQ(d.list()[0].to_string(), "r.yaml:2:4: q: expected integer in [1, 10], got \"5\"");
  EXPECT_EQ(d.list()[2].to_string(), "r.yaml:1:1: missing: missing required key");
  EXPECT_NE(d.list()[3].to_string().find("r.yaml:7:1: x: unknown key"), std::string::npos);
}

TEST(YamlReader, NumbersRejectNanInfinityAndHex) {
  for (const char* text : {"v: .nan", "v: .inf", "v: 0x10", "v: nan", "v: 1e999", "v: 3abc"}) {
    YamlNode root = load_yaml_text(text, "n.yaml");
    Diagnostics d;
    {
      MapReader top(&root, "", d, root.where);
      EXPECT_EQ(top.number("v", -1e300, 1e300), std::nullopt) << text;
    }
    EXPECT_EQ(d.size(), 1u) << text;
  }
}

}  // namespace
}  // namespace mixpim::sim
