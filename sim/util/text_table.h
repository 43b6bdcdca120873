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

// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. A
// NUL byte, which CSV readers refuse, is written as the two characters \0.
std::string csv_cell(const std::string& text);

// "\xNN" for a byte (lower-case hex): how control characters are shown in Markdown and
// written in bash $'...' words.
std::string hex_escape(unsigned char byte);

// Text safe inside a Markdown table cell or heading: `|` escaped, CR, LF and other control
// characters shown as \r, \n, \xNN (a raw line break would end the row), and `\` escaped.
std::string markdown_cell(const std::string& text);

// 1234567 -> "1,234,567"
std::string with_thousands(int64_t value);

}  // namespace mixpim::sim
