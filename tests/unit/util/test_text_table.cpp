#include <gtest/gtest.h>

#include "sim/util/text_table.h"

namespace mixpim::sim {
namespace {

TEST(TextTable, AlignsColumnsAndRightAlignsNumbers) {
  TextTable table({"name", "count"});
  table.add_row({"a", "5"});
  table.add_row({"longer", "1,234"});
  table.add_rule();
  table.add_row({"total", "1,239"});
  EXPECT_EQ(table.render(),
            "name    count\n"
            "-------------\n"
            "a           5\n"
            "longer  1,234\n"
            "-------------\n"
            "total   1,239\n");
}

TEST(TextTable, ThousandsSeparators) {
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(1000), "1,000");
  EXPECT_EQ(with_thousands(-1234567), "-1,234,567");
}

// Layer names are user text: a comma, quote, newline or NUL must not break a CSV row or a
// Markdown table (issue: names broke layers.csv and report.md).
TEST(TextTable, CsvAndMarkdownCellsKeepUserTextInItsCell) {
  EXPECT_EQ(csv_cell("conv1"), "conv1");
  EXPECT_EQ(csv_cell("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_cell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_cell(std::string("nul\0byte", 8)), "nul\\0byte");
  EXPECT_EQ(markdown_cell("a|b"), "a\\|b");
  EXPECT_EQ(markdown_cell("two\nlines\r"), "two\\nlines\\r");
  EXPECT_EQ(markdown_cell(std::string("x\0\x1f\\", 4)), "x\\x00\\x1f\\\\");
  EXPECT_EQ(markdown_cell("plain name_1.0"), "plain name_1.0");
}

}  // namespace
}  // namespace mixpim::sim
