#include "sim/util/text_table.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace mixpim::sim {

namespace {
bool looks_numeric(const std::string& cell) {
  return !cell.empty() && (std::isdigit(static_cast<unsigned char>(cell[0])) || cell[0] == '-') &&
         cell.find_first_of("[(x") == std::string::npos;
}
}  // namespace

std::string csv_cell(const std::string& text) {
  std::string cell;
  for (char c : text) {
    if (c == '\0') {
      cell += "\\0";
    } else {
      cell += c;
    }
  }
  if (cell.find_first_of(",\"\n\r") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string hex_escape(unsigned char byte) {
  std::array<char, 8> hex{};
  std::snprintf(hex.data(), hex.size(), "\\x%02x", byte);
  return hex.data();
}

std::string markdown_cell(const std::string& text) {
  std::string cell;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '|' || c == '\\') {
      cell += '\\';
      cell += c;
    } else if (c == '\n') {
      cell += "\\n";
    } else if (c == '\r') {
      cell += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      cell += hex_escape(u);
    } else {
      cell += c;
    }
  }
  return cell;
}

std::string TextTable::render() const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& row, bool header) {
    std::string text;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      const std::string pad(width[c] - cell.size(), ' ');
      const bool right = !header && c > 0 && looks_numeric(cell);
      text += (c ? "  " : "") + (right ? pad + cell : cell + (c + 1 < width.size() ? pad : ""));
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text + "\n";
  };
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  const std::string rule = std::string(total > 2 ? total - 2 : 0, '-') + "\n";
  std::string out = line(header_, true) + rule;
  for (const auto& row : rows_) out += row.empty() ? rule : line(row, false);
  return out;
}

std::string with_thousands(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

}  // namespace mixpim::sim
