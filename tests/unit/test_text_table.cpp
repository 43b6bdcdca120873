#include <gtest/gtest.h>

#include "sim/text_table.h"

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

}  // namespace
}  // namespace mixpim::sim
