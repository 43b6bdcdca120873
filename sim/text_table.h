#pragma once
// Plain-text tables for terminal summaries: columns sized to their widest cell, numbers
// right-aligned.

#include <cstdint>
#include <string>
#include <vector>

namespace mixpim::sim {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void add_rule() { rows_.emplace_back(); }  // an empty row prints as a rule
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// 1234567 -> "1,234,567"
std::string with_thousands(int64_t value);

}  // namespace mixpim::sim
