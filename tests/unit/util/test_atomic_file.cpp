#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/util/atomic_file.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AtomicFile, ReplacesContentAndLeavesNoTemporaryFiles) {
  test::TempDir dir;
  const std::string path = dir.file("out.json");
  write_file_atomically(path, "first");
  write_file_atomically(path, "second");
  EXPECT_EQ(read_all(path), "second");
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
    ++files;
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, FailureNamesThePathAndKeepsTheOldFile) {
  test::TempDir dir;
  const std::string path = dir.write("keep.txt", "precious");
  // A directory in the way of the rename: writing must fail and keep nothing half-done.
  std::filesystem::create_directory(dir.file("sub"));
  EXPECT_THROW(write_file_atomically(dir.file("sub"), "x"), std::runtime_error);
  try {
    write_file_atomically(dir.file("missing-dir/out.txt"), "x");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing-dir/out.txt"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_all(path), "precious");
}

}  // namespace
}  // namespace mixpim::sim
