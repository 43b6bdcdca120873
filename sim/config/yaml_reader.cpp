#include "sim/config/yaml_reader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace mixpim::sim {

namespace {

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string range_text(int64_t min, int64_t max) {
  return "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

}  // namespace

std::string join_path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string index_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::optional<int64_t> read_integer(const YamlNode& node, const std::string& path, int64_t min,
                                    int64_t max, Diagnostics& diagnostics) {
  auto fail = [&] {
    diagnostics.add(node.where, path,
                    "expected integer in " + range_text(min, max) + ", got " + node.describe());
    return std::nullopt;
  };
  if (!node.is_scalar() || node.quoted) return fail();
  const std::string& text = node.scalar;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return fail();
  if (value < min || value > max) return fail();
  return value;
}

std::optional<double> read_number(const YamlNode& node, const std::string& path, double min,
                                  double max, Diagnostics& diagnostics) {
  auto fail = [&] {
    diagnostics.add(node.where, path,
                    "expected number in [" + format_number(min) + ", " + format_number(max) +
                        "], got " + node.describe());
    return std::nullopt;
  };
  if (!node.is_scalar() || node.quoted || node.scalar.empty()) return fail();
  const std::string& text = node.scalar;
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value)) return fail();
  // strtod accepts hex floats and "infinity"; a config value is plain decimal.
  if (text.find_first_of("xXnN") != std::string::npos) return fail();
  if (value < min || value > max) return fail();
  return value;
}

std::optional<bool> read_boolean(const YamlNode& node, const std::string& path,
                                 Diagnostics& diagnostics) {
  if (node.is_scalar() && !node.quoted) {
    if (node.scalar == "true") return true;
    if (node.scalar == "false") return false;
  }
  diagnostics.add(node.where, path, "expected true or false, got " + node.describe());
  return std::nullopt;
}

std::optional<std::string> read_string(const YamlNode& node, const std::string& path,
                                       Diagnostics& diagnostics) {
  if (node.is_scalar()) return node.scalar;
  diagnostics.add(node.where, path, "expected text, got " + node.describe());
  return std::nullopt;
}

std::optional<size_t> read_choice(const YamlNode& node, const std::string& path,
                                  const std::vector<std::string_view>& choices,
                                  Diagnostics& diagnostics) {
  if (node.is_scalar()) {
    for (size_t i = 0; i < choices.size(); ++i) {
      if (node.scalar == choices[i]) return i;
    }
  }
  std::string list;
  for (std::string_view choice : choices) {
    list += (list.empty() ? "" : ", ") + std::string(choice);
  }
  diagnostics.add(node.where, path, "expected one of {" + list + "}, got " + node.describe());
  return std::nullopt;
}

MapReader::MapReader(const YamlNode* node, std::string path, Diagnostics& diagnostics,
                     SourceLocation where_if_absent)
    : node_(node),
      path_(std::move(path)),
      diagnostics_(&diagnostics),
      where_if_absent_(std::move(where_if_absent)) {
  if (node_ != nullptr && !node_->is_map()) {
    diagnostics_->add(node_->where, path_, "expected a map of keys, got " + node_->describe());
    node_ = nullptr;
  }
}

MapReader::MapReader(MapReader&& other) noexcept
    : node_(other.node_),
      path_(std::move(other.path_)),
      diagnostics_(other.diagnostics_),
      where_if_absent_(std::move(other.where_if_absent_)),
      known_(std::move(other.known_)),
      finished_(other.finished_) {
  other.finished_ = true;
}

SourceLocation MapReader::where() const {
  return node_ != nullptr ? node_->where : where_if_absent_;
}

const YamlNode* MapReader::get(std::string_view key, bool required) {
  known_.emplace_back(key);
  const YamlNode* value = node_ != nullptr ? node_->find(key) : nullptr;
  if (value == nullptr && required) {
    // An absent parent map was already reported (if it was required itself).
    if (node_ != nullptr) diagnostics_->add(where(), join_path(path_, key), "missing required key");
  }
  return value;
}

std::optional<int64_t> MapReader::integer(std::string_view key, int64_t min, int64_t max) {
  const YamlNode* value = get(key, true);
  if (value == nullptr) return std::nullopt;
  return read_integer(*value, join_path(path_, key), min, max, *diagnostics_);
}

int64_t MapReader::integer_or(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  const YamlNode* value = get(key, false);
  if (value == nullptr) return fallback;
  return read_integer(*value, join_path(path_, key), min, max, *diagnostics_).value_or(fallback);
}

std::optional<double> MapReader::number(std::string_view key, double min, double max) {
  const YamlNode* value = get(key, true);
  if (value == nullptr) return std::nullopt;
  return read_number(*value, join_path(path_, key), min, max, *diagnostics_);
}

double MapReader::number_or(std::string_view key, double fallback, double min, double max) {
  const YamlNode* value = get(key, false);
  if (value == nullptr) return fallback;
  return read_number(*value, join_path(path_, key), min, max, *diagnostics_).value_or(fallback);
}

bool MapReader::boolean_or(std::string_view key, bool fallback) {
  const YamlNode* value = get(key, false);
  if (value == nullptr) return fallback;
  return read_boolean(*value, join_path(path_, key), *diagnostics_).value_or(fallback);
}

std::optional<std::string> MapReader::string(std::string_view key) {
  const YamlNode* value = get(key, true);
  if (value == nullptr) return std::nullopt;
  return read_string(*value, join_path(path_, key), *diagnostics_);
}

std::string MapReader::string_or(std::string_view key, std::string fallback) {
  const YamlNode* value = get(key, false);
  if (value == nullptr) return fallback;
  return read_string(*value, join_path(path_, key), *diagnostics_).value_or(std::move(fallback));
}

std::optional<size_t> MapReader::choice(std::string_view key,
                                        const std::vector<std::string_view>& choices) {
  const YamlNode* value = get(key, true);
  if (value == nullptr) return std::nullopt;
  return read_choice(*value, join_path(path_, key), choices, *diagnostics_);
}

size_t MapReader::choice_or(std::string_view key, size_t fallback,
                            const std::vector<std::string_view>& choices) {
  const YamlNode* value = get(key, false);
  if (value == nullptr) return fallback;
  return read_choice(*value, join_path(path_, key), choices, *diagnostics_).value_or(fallback);
}

MapReader MapReader::map(std::string_view key, bool required) {
  const YamlNode* value = get(key, required);
  SourceLocation where_if_absent = where();
  return MapReader(value, join_path(path_, key), *diagnostics_, where_if_absent);
}

void MapReader::allow(std::string_view key) { known_.emplace_back(key); }

void MapReader::finish() {
  if (finished_) return;
  finished_ = true;
  if (node_ == nullptr) return;
  for (const YamlMapEntry& entry : node_->entries) {
    if (std::find(known_.begin(), known_.end(), entry.key) != known_.end()) continue;
    std::vector<std::string> names = known_;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::string expected;
    for (const std::string& key : names) expected += (expected.empty() ? "" : ", ") + key;
    diagnostics_->add(entry.key_where, join_path(path_, entry.key),
                      "unknown key (expected one of: " + expected + ")");
  }
}

}  // namespace mixpim::sim
