#pragma once
// Typed, validated reads from a YamlNode map. Every read records its key as known; finish()
// (or the destructor) reports the keys nobody read as unknown. Problems are collected into
// a Diagnostics list with the value's location and full key path; reads that fail return
// the default so that checking can go on and report everything in one pass.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/util/diagnostics.h"
#include "sim/config/yaml_tree.h"

namespace mixpim::sim {

// Scalar parsers shared by MapReader and list readers. They add a diagnostic and return
// nullopt on failure. Integers must be plain (unquoted) decimal literals.
std::optional<int64_t> read_integer(const YamlNode& node, const std::string& path, int64_t min,
                                    int64_t max, Diagnostics& diagnostics);
std::optional<double> read_number(const YamlNode& node, const std::string& path, double min,
                                  double max, Diagnostics& diagnostics);
std::optional<bool> read_boolean(const YamlNode& node, const std::string& path,
                                 Diagnostics& diagnostics);
std::optional<std::string> read_string(const YamlNode& node, const std::string& path,
                                       Diagnostics& diagnostics);
// One of `choices`; returns its index.
std::optional<size_t> read_choice(const YamlNode& node, const std::string& path,
                                  const std::vector<std::string_view>& choices,
                                  Diagnostics& diagnostics);

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_path(const std::string& parent, std::string_view key);
// "layers" + 3 -> "layers[3]".
std::string index_path(const std::string& parent, size_t index);

class MapReader {
 public:
  // `node` may be null (the map is absent) or not a map (reported once here).
  MapReader(const YamlNode* node, std::string path, Diagnostics& diagnostics,
            SourceLocation where_if_absent);
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;
  MapReader(MapReader&& other) noexcept;  // the moved-from reader reports nothing
  ~MapReader() { finish(); }

  bool present() const { return node_ != nullptr && node_->is_map(); }
  const std::string& path() const { return path_; }
  SourceLocation where() const;

  // The node under `key` (marked known), or nullptr; reports absence when `required`.
  const YamlNode* get(std::string_view key, bool required);

  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  int64_t integer_or(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  std::optional<double> number(std::string_view key, double min, double max);
  double number_or(std::string_view key, double fallback, double min, double max);
  bool boolean_or(std::string_view key, bool fallback);
  std::optional<std::string> string(std::string_view key);
  std::string string_or(std::string_view key, std::string fallback);
  std::optional<size_t> choice(std::string_view key, const std::vector<std::string_view>& choices);
  size_t choice_or(std::string_view key, size_t fallback,
                   const std::vector<std::string_view>& choices);

  // Nested map under `key`.
  MapReader map(std::string_view key, bool required);

  // Marks a key as known without reading it (handled elsewhere).
  void allow(std::string_view key);

  // Reports every key that no read asked for. Idempotent.
  void finish();

 private:
  const YamlNode* node_;
  std::string path_;
  Diagnostics* diagnostics_;
  SourceLocation where_if_absent_;
  std::vector<std::string> known_;
  bool finished_ = false;
};

}  // namespace mixpim::sim
