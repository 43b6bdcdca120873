#include "sim/config/yaml_tree.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace mixpim::sim {

const YamlNode* YamlNode::find(std::string_view key) const {
  for (const YamlMapEntry& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

YamlNode* YamlNode::find(std::string_view key) {
  return const_cast<YamlNode*>(static_cast<const YamlNode&>(*this).find(key));
}

std::string YamlNode::describe() const {
  switch (kind) {
    case Kind::kNull:
      return "nothing (null)";
    case Kind::kScalar: {
      std::string shown = scalar.size() > 40 ? scalar.substr(0, 37) + "..." : scalar;
      return "\"" + shown + "\"";
    }
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a map";
  }
  return "?";
}

namespace {

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF). yaml-cpp passes
// raw bytes through unchecked, and strings end up in JSON reports, whose writer throws on
// invalid UTF-8: so bad text is an input error here, at its location.
bool valid_utf8(const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    int extra = 0;
    unsigned char low = 0x80, high = 0xbf;  // allowed range of the second byte
    if (c < 0x80) {
      ++p;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      if (c == 0xe0) low = 0xa0;
      if (c == 0xed) high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      if (c == 0xf0) low = 0x90;
      if (c == 0xf4) high = 0x8f;
    } else {
      return false;
    }
    if (end - p <= extra || p[1] < low || p[1] > high) return false;
    for (int i = 2; i <= extra; ++i) {
      if (p[i] < 0x80 || p[i] > 0xbf) return false;
    }
    p += extra + 1;
  }
  return true;
}

// Converts yaml-cpp's tree, counting nodes so that aliases cannot blow the tree up.
class Converter {
 public:
  Converter(std::string origin, bool with_lines, Diagnostics& diagnostics)
      : origin_(std::move(origin)), with_lines_(with_lines), diagnostics_(diagnostics) {}

  YamlNode convert(const YAML::Node& node, const SourceLocation& fallback, int depth) {
    YamlNode out;
    out.where = locate(node.Mark(), fallback);
    if (++count_ > kMaxYamlNodes || depth > kMaxYamlDepth) {
      if (!too_big_) {
        diagnostics_.add(out.where, "",
                         "document too large or too deeply nested (more than " +
                             std::to_string(kMaxYamlNodes) + " nodes or " +
                             std::to_string(kMaxYamlDepth) + " levels, aliases expanded)");
        too_big_ = true;
      }
      return out;
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.kind = YamlNode::Kind::kNull;
        break;
      case YAML::NodeType::Scalar:
        out.kind = YamlNode::Kind::kScalar;
        out.scalar = node.Scalar();
        if (!valid_utf8(out.scalar)) {
          diagnostics_.add(out.where, "", "text is not valid UTF-8");
          out.scalar.clear();
        }
        out.quoted = node.Tag() != "?";  // "?" = plain scalar; quoted/tagged ones are strings
        break;
      case YAML::NodeType::Sequence:
        out.kind = YamlNode::Kind::kSequence;
        for (const YAML::Node& item : node) {
          if (too_big_) break;
          out.items.push_back(convert(item, out.where, depth + 1));
        }
        break;
      case YAML::NodeType::Map:
        out.kind = YamlNode::Kind::kMap;
        for (const auto& pair : node) {
          if (too_big_) break;
          SourceLocation key_where = locate(pair.first.Mark(), out.where);
          if (!pair.first.IsScalar()) {
            diagnostics_.add(key_where, "",
                             "map keys must be plain names, got a " +
                                 std::string(pair.first.IsMap() ? "map" : "list"));
            continue;
          }
          const std::string& key = pair.first.Scalar();
          if (!valid_utf8(key)) {
            diagnostics_.add(key_where, "", "key is not valid UTF-8");
            continue;
          }
          if (out.find(key) != nullptr) {
            diagnostics_.add(key_where, key, "duplicate key");
            continue;
          }
          YamlMapEntry entry{key, key_where, convert(pair.second, key_where, depth + 1)};
          out.entries.push_back(std::move(entry));
        }
        break;
    }
    return out;
  }

  SourceLocation locate(const YAML::Mark& mark, const SourceLocation& fallback) const {
    if (!with_lines_ || mark.is_null() || mark.line < 0) {
      return with_lines_ ? fallback : SourceLocation{origin_, 0, 0};
    }
    return SourceLocation{origin_, mark.line + 1, mark.column + 1};
  }

 private:
  std::string origin_;
  bool with_lines_;
  Diagnostics& diagnostics_;
  std::size_t count_ = 0;
  bool too_big_ = false;
};

}  // namespace

YamlNode load_yaml_text(const std::string& text, const std::string& origin, bool with_lines) {
  Diagnostics diagnostics;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SourceLocation where{origin, 0, 0};
    if (with_lines && !e.mark.is_null()) where = {origin, e.mark.line + 1, e.mark.column + 1};
    diagnostics.add(where, "", "YAML syntax error: " + e.msg);
    diagnostics.throw_if_any();
  }
  Converter converter(origin, with_lines, diagnostics);
  YamlNode tree =
      converter.convert(root, SourceLocation{origin, with_lines ? 1 : 0, with_lines ? 1 : 0}, 0);
  diagnostics.throw_if_any();
  return tree;
}

std::string read_yaml_source(const std::string& path) {
  // An ifstream opens a directory and reads it as empty, which would surface as a list of
  // "missing required key" errors instead of the real mistake.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw InputError({{SourceLocation{path, 0, 0}, "", "is a directory, not a YAML file"}});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw InputError({{SourceLocation{path, 0, 0}, "", "cannot open file"}});
  }
  // Chunks, stopping past the limit: a path may name a device that never ends (`base:
  // /dev/zero` read until memory ran out).
  std::string text;
  std::vector<char> chunk(1 << 16);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxYamlFileBytes) {
      throw InputError({{SourceLocation{path, 0, 0}, "",
                         "file larger than " + std::to_string(kMaxYamlFileBytes >> 20) + " MiB"}});
    }
  }
  if (in.bad()) throw InputError({{SourceLocation{path, 0, 0}, "", "cannot read file"}});
  if (text.find('\0') != std::string::npos) {
    throw InputError({{SourceLocation{path, 0, 0}, "", "not a text file (contains NUL bytes)"}});
  }
  return text;
}

YamlNode load_yaml_file(const std::string& path) {
  return load_yaml_text(read_yaml_source(path), path);
}

void merge_yaml(YamlNode& base, const YamlNode& overlay) {
  if (!base.is_map() || !overlay.is_map()) {
    base = overlay;
    return;
  }
  for (const YamlMapEntry& entry : overlay.entries) {
    YamlNode* existing = base.find(entry.key);
    if (existing == nullptr) {
      base.entries.push_back(entry);
    } else {
      merge_yaml(*existing, entry.value);
    }
  }
}

void apply_override(YamlNode& root, const std::string& assignment, Diagnostics& diagnostics,
                    const std::string& option) {
  const std::string origin = option + " " + assignment;
  const SourceLocation where{origin, 0, 0};
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    diagnostics.add(where, "", "expected key.path=value");
    return;
  }
  const std::string path = assignment.substr(0, eq);
  const std::string value_text = assignment.substr(eq + 1);
  if (value_text.empty()) {
    diagnostics.add(where, path, "missing value after '='");
    return;
  }

  std::vector<std::string> keys;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    keys.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const std::string& key : keys) {
    if (key.empty()) {
      diagnostics.add(where, path, "empty component in key path");
      return;
    }
  }

  YamlNode value;
  try {
    value = load_yaml_text(value_text, origin, /*with_lines=*/false);
  } catch (const InputError& e) {
    for (const Diagnostic& d : e.diagnostics()) diagnostics.add(where, path, d.message);
    return;
  }

  if (root.is_null()) {
    root.kind = YamlNode::Kind::kMap;
  }
  YamlNode* node = &root;
  std::string walked;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!node->is_map()) {
      diagnostics.add(where, walked, "is " + node->describe() + ", not a map: cannot set " + path);
      return;
    }
    walked += (walked.empty() ? "" : ".") + keys[i];
    YamlNode* child = node->find(keys[i]);
    if (child == nullptr) {
      YamlNode fresh;
      fresh.kind = i + 1 < keys.size() ? YamlNode::Kind::kMap : YamlNode::Kind::kNull;
      fresh.where = where;
      node->entries.push_back(YamlMapEntry{keys[i], where, std::move(fresh)});
      child = &node->entries.back().value;
    }
    node = child;
  }
  *node = std::move(value);
}

}  // namespace mixpim::sim
