#pragma once
// A YAML document as a plain tree whose every node and key remembers where it came from
// (file:line:column, or the --set override that made it). yaml-cpp marks carry no file
// name, and presets inherit from other files and take overrides, so loaders work on this
// tree instead: error messages can always name the right file, line and key.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sim/util/diagnostics.h"

namespace mixpim::sim {

struct YamlMapEntry;

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };

  Kind kind = Kind::kNull;
  std::string scalar;                 // text of a scalar, as written
  bool quoted = false;                // scalar was quoted: a string, never a number or boolean
  std::vector<YamlNode> items;        // sequence items
  std::vector<YamlMapEntry> entries;  // map entries in source order, keys unique
  SourceLocation where;

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_map() const { return kind == Kind::kMap; }

  // Map lookup; nullptr when absent or when this node is not a map.
  const YamlNode* find(std::string_view key) const;
  YamlNode* find(std::string_view key);

  // Short human description for "expected X, got Y" messages: `"eight"`, `a list`, ...
  std::string describe() const;
};

struct YamlMapEntry {
  std::string key;
  SourceLocation key_where;
  YamlNode value;
};

// Limits that keep hostile inputs (alias bombs, huge files) from exhausting memory.
inline constexpr std::size_t kMaxYamlFileBytes = 64u << 20;
inline constexpr std::size_t kMaxYamlNodes = 1'000'000;
inline constexpr int kMaxYamlDepth = 256;

// The text of a YAML file, read with the limits above (size, no NUL bytes, not a directory).
// Throws InputError naming the file.
std::string read_yaml_source(const std::string& path);

// Parses a file. Throws InputError naming the file (and line for syntax errors).
YamlNode load_yaml_file(const std::string& path);

// Parses text; `origin` names it in locations. Nodes get line/column only when
// `with_lines` is true (false for command-line snippets, which have no useful lines).
YamlNode load_yaml_text(const std::string& text, const std::string& origin, bool with_lines = true);

// Deep merge for preset inheritance: maps merge key by key (recursively), anything else in
// `overlay` replaces what `base` had.
void merge_yaml(YamlNode& base, const YamlNode& overlay);

// Applies one `--set a.b.c=value` override. The value is parsed as YAML (so `256`, `true`,
// `[1, 2]` and `"text"` all work); missing intermediate maps are created so that the
// schema check reports unknown keys. Problems go to `diagnostics`.
// `option` names the flag in locations ("--set pe.crossbar.rows=0").
void apply_override(YamlNode& root, const std::string& assignment, Diagnostics& diagnostics,
                    const std::string& option = "--set");

}  // namespace mixpim::sim
