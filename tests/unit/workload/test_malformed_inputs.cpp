// No input file, however malformed, crashes a loader: each one either loads or throws
// InputError (a located message). Inputs: hand-written nasties plus seeded mutations of the
// shipped files (line deletion/duplication, token replacement, truncation, stray syntax).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "sim/config/arch_config.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::source_path;

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  return text;
}

// One random edit of `text`.
std::string mutate(const std::string& text, std::mt19937& rng) {
  static const std::vector<std::string> kTokens = {"-1",
                                                   "0",
                                                   "99999999999999999999",
                                                   "1e308",
                                                   "x",
                                                   "[]",
                                                   "{}",
                                                   "[1, [2]]",
                                                   "~",
                                                   "\"8\"",
                                                   "&a",
                                                   "*a",
                                                   "!!binary AAA",
                                                   "? a",
                                                   "{a: 1, a: 2}",
                                                   "- ",
                                                   ":",
                                                   "'",
                                                   "|",
                                                   ">",
                                                   "\t",
                                                   "#",
                                                   "0.5",
                                                   "nan",
                                                   "true",
                                                   "[3, 3, 3, 3]",
                                                   "{bits: 8}",
                                                   "{bits: 8, count: -3}"};
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  std::vector<std::string> lines = split_lines(text);
  if (lines.empty()) return kTokens[pick(kTokens.size())];
  switch (pick(6)) {
    case 0:
      lines.erase(lines.begin() + pick(lines.size()));
      break;
    case 1: {
      const size_t i = pick(lines.size());
      lines.insert(lines.begin() + i, lines[i]);
      break;
    }
    case 2: {  // replace a number or word after ':' or inside a list
      std::string& line = lines[pick(lines.size())];
      const size_t at = line.find_first_of("0123456789");
      const std::string token = kTokens[pick(kTokens.size())];
      if (at == std::string::npos) {
        line += " " + token;
      } else {
        size_t end = line.find_first_not_of("0123456789", at);
        line.replace(at, (end == std::string::npos ? line.size() : end) - at, token);
      }
      break;
    }
    case 3:
      return text.substr(0, pick(text.size() + 1));
    case 4: {
      std::string& line = lines[pick(lines.size())];
      line.insert(pick(line.size() + 1), kTokens[pick(kTokens.size())]);
      break;
    }
    default: {  // swap indentation depth
      std::string& line = lines[pick(lines.size())];
      if (!line.empty() && line[0] == ' ')
        line.erase(0, 2);
      else
        line = "  " + line;
      break;
    }
  }
  return join_lines(lines);
}

// Every outcome but "loaded" or "InputError" fails the test (other exceptions included;
// a crash ends the process and fails it too).
void expect_clean(const std::function<void()>& load, const std::string& input) {
  try {
    load();
  } catch (const InputError& e) {
    EXPECT_FALSE(std::string(e.what()).empty());
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected " << typeid(e).name() << ": " << e.what() << "\ninput:\n" << input;
  }
}

const std::vector<std::string> kNasties = {"",
                                           "\n",
                                           "~",
                                           "[]",
                                           "{}",
                                           "42",
                                           "\"text\"",
                                           "- a\n- b\n",
                                           "a: [1, 2\n",
                                           "a: {b: 1\n",
                                           "\t- tab\n",
                                           "a: &x [*x]\n",
                                           "name: \xff\xfe\n",
                                           "%YAML 9.9\n---\na: 1\n",
                                           "--- a\n--- b\n",
                                           std::string(100000, '['),
                                           std::string(5000, '-') + " x",
                                           "layers:\n" + std::string(3000, ' ') + "- x\n",
                                           "? [a, b]\n: c\n",
                                           "a: !!int notanint\n",
                                           "a: 1\nb: 2\n...\nc: 3\n"};

constexpr int kMutationsPerFile = 300;

class MalformedInputs : public ::testing::Test {
 protected:
  // Feeds the nasties and kMutationsPerFile mutations of `seed_file` to `load(path)`.
  void attack(const std::string& seed_file, const std::function<void(const std::string&)>& load,
              uint32_t seed) {
    const std::string path = dir_.file("input.yaml");
    auto check = [&](const std::string& text) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
      expect_clean([&] { load(path); }, text);
    };
    for (const std::string& text : kNasties) check(text);
    const std::string original = read_all(seed_file);
    std::mt19937 rng(seed);
    for (int i = 0; i < kMutationsPerFile; ++i) {
      std::string text = original;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; ++e) text = mutate(text, rng);
      check(text);
    }
  }
  test::TempDir dir_;
};

TEST_F(MalformedInputs, ArchitectureConfigs) {
  attack(
      source_path("configs/arch/isaac.yaml"),
      [](const std::string& path) { load_arch_config(path, {"pe.adc.bits=6"}); }, 1);
}

TEST_F(MalformedInputs, Workloads) {
  attack(
      source_path("workloads/resnet18-cifar10.yaml"),
      [](const std::string& path) { load_network(path); }, 2);
}

TEST_F(MalformedInputs, PrecisionProfiles) {
  const Network vgg = load_network(source_path("workloads/vgg19-cifar10.yaml"));
  attack(
      source_path("workloads/profiles/vgg19/mixed-channel.yaml"),
      [&](const std::string& path) { count_layers(vgg, load_profile(path, vgg)); }, 3);
  const Network resnet = load_network(source_path("workloads/resnet18-cifar10.yaml"));
  attack(
      source_path("workloads/profiles/resnet18/pruned.yaml"),
      [&](const std::string& path) { count_layers(resnet, load_profile(path, resnet)); }, 4);
}

TEST_F(MalformedInputs, OverridesOfEveryShape) {
  const std::string isaac = source_path("configs/arch/isaac.yaml");
  for (const char* set : {"=", "=1", "a", "pe=", "pe=1", "pe.crossbar=[1]",
                          "pe.crossbar.rows={a: 1}", "pe.crossbar.rows=[", "....=1", "name.x=1",
                          "pe.crossbar.rows=1e9", "chip.noc=~", "tile.buffer.capacity_bytes=-5"}) {
    expect_clean([&] { load_arch_config(isaac, {set}); }, set);
  }
}

}  // namespace
}  // namespace mixpim::sim
