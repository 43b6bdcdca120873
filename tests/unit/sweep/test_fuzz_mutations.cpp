// Seeded mutation fuzzing of every input format, in the normal suite: architecture presets,
// technology tables, workloads, precision profiles, sweep specs and .npy files each get at
// least 10 000 mutated inputs (byte flips, insertions, deletions, line duplication and removal,
// numbers swapped for huge, negative or non-numeric values, truncation, YAML-structural edits;
// for .npy header corruptions, wrong dtypes, overflowing shapes, truncated data). Every input
// must load or be refused with an InputError that says something and names the file; any
// other exception fails the test with the input, escaped, so that it can be replayed. The
// libFuzzer targets in tests/fuzz explore further; this keeps the guarantee in every CI run.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "sim/config/arch_config.h"
#include "sim/config/config_echo.h"
#include "sim/engines/digital_baseline.h"
#include "sim/compiler/mapping.h"
#include "sim/util/npy.h"
#include "sim/workload/precision.h"
#include "sim/sweep/sweep.h"
#include "sim/config/tech_table.h"
#include "sim/workload/workload.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::source_path;

// ASan+UBSan builds (MIXPIM_SANITIZE) run about five times slower: fewer inputs there keep
// the file within the suite's time budget; the Release count stays at 10 000 per format.
#ifdef MIXPIM_SANITIZE
constexpr int kMutations = 2000;
constexpr int kShippedMutations = 100;
#else
constexpr int kMutations = 10000;
constexpr int kShippedMutations = 500;
#endif

// ---- Seeds: small but complete inputs, so that each load costs microseconds. ----

const char kArchSeed[] = R"(name: small
description: a small chip
tech: isaac-32nm
clock_mhz: 1000
chip:
  tiles: 4
  noc: {topology: cmesh, tiles_per_router: 2, mesh_columns: 2, mesh_rows: 1, flit_bits: 32,
        link_flits_per_cycle: 1, router_latency_cycles: 1, router_ports: 6}
  global_buffer: {capacity_bytes: 4096, bandwidth_bytes_per_cycle: 16}
  dram: {enabled: true, bandwidth_gb_per_s: 12.5}
tile:
  pes: 2
  buffer: {capacity_bytes: 8192, bandwidth_bytes_per_cycle: 32}
  output_register_bytes: 512
  bus_bits: 128
  activation_units: 1
  pool_units: 1
  shift_add_units: 1
pe:
  crossbars: 2
  crossbar: {rows: 16, columns: 16, bits_per_cell: 2, read_latency_ns: 50,
             signed_weights: differential}
  dac: {bits: 2}
  adc: {count: 2, bits: 6, sample_rate_msps: 500, resolution: per_layer,
        full_scale: clip, rounding: floor}
  shift_add_units: 2
  input_register_bytes: 256
  output_register_bytes: 64
mapping: {mode: layer_by_layer, allow_reprogramming: true, split_channel_slices: false}
)";

// Four layers: conv, relu, flatten, linear (a residual add is in the profile seed's network).
const char kWorkloadSeed[] = R"(name: tiny
network: tiny
dataset: none
input: [3, 4, 4]
layers:
  - {name: conv1, type: conv2d, kernel: 3, padding: 1, input: [3, 4, 4], output: [4, 4, 4]}
  - {name: relu1, type: relu, input: [4, 4, 4], output: [4, 4, 4]}
  - {name: pool, type: maxpool, kernel: 2, input: [4, 4, 4], output: [4, 2, 2]}
  - {name: conv2, type: conv2d, kernel: [1, 1], stride: 1, input: [4, 2, 2], output: [4, 2, 2]}
  - {name: add, type: add, from: [conv2, pool], input: [4, 2, 2], output: [4, 2, 2]}
  - {name: flat, type: flatten, input: [4, 2, 2], output: [16]}
  - {name: fc, type: linear, input: [16], output: [3]}
)";

const char kProfileSeed[] = R"(name: small-mixed
network: tiny
description: every profile feature once
default: {weight_bits: 8, activation_bits: 8}
layers:
  conv1:
    weight_bits: [8, 4, 2, 16]
    kept_channels: [0, 2, 3]
  conv2:
    activation_bits: 4
    weight_bits:
      - {bits: 6, count: 1}
      - {bits: 3, count: 3}
    kept_channels: 3
  fc: {weight_bits: 5}
)";

const char kTechSeed[] = R"(name: small-tech
version: 1
technology_nm: 32
units: {energy: pJ}
components:
  xbar: {reference: {rows: 128, columns: 128}, area_mm2: 2.5e-5, leakage_mw: 0,
         energy_pj: {read_cell: 0.001, write_cell: 10}, write_row_latency_ns: 100}
  dac: {reference: {bits: 1}, area_mm2: 1.7e-7, leakage_mw: 0, energy_pj: {convert: 0.004}}
  sample_hold: {area_mm2: 4e-8, leakage_mw: 0, energy_pj: {sample: 0.0001}}
  adc: {reference: {bits: 8, max_bits: 12}, area_mm2: 0.0012, leakage_mw: 0, energy_pj: {convert: 1.6}}
  shift_add: {area_mm2: 6e-5, leakage_mw: 0.05, energy_pj: {op: 0.05}}
  flip_correct: {area_mm2: 4e-7, leakage_mw: 0, energy_pj: {subtract: 0.05, input_bit: 0.003}}
  input_register: {area_mm2: 1e-6, leakage_mw: 0.001, energy_pj: {access_byte: 0.01}}
  output_register: {area_mm2: 1e-6, leakage_mw: 0.001, energy_pj: {access_byte: 0.01}}
  tile_buffer: {area_mm2: 1e-6, leakage_mw: 0, energy_pj: {read_byte: 0.5, write_byte: 0.6}}
  tile_bus: {area_mm2: 0.09, leakage_mw: 0, energy_pj: {byte: 0.1}}
  tile_output_register: {area_mm2: 1e-6, leakage_mw: 0, energy_pj: {access_byte: 0.01}}
  activation_unit: {area_mm2: 0.0003, leakage_mw: 0, energy_pj: {op: 0.03}}
  pool_unit: {area_mm2: 0.0002, leakage_mw: 0, energy_pj: {op: 0.03}}
  tile_shift_add: {area_mm2: 6e-5, leakage_mw: 0, energy_pj: {op: 0.05}}
  router: {area_mm2: 0.15, leakage_mw: 10, energy_pj: {flit_hop: 1.5}}
  global_buffer: {area_mm2: 1e-6, leakage_mw: 0, energy_pj: {read_byte: 1, write_byte: 1}}
  dram: {area_mm2: 0, leakage_mw: 0, energy_pj: {byte: 20}}
)";

// Paths are relative to the spec, which sits next to the seeds above in the scratch dir.
const char kSweepSeed[] = R"(name: small-sweep
description: zip and cartesian axes over the small seeds
base:
  arch: arch.yaml
  workload: workload.yaml
  engine: analytic
  set: {pe.adc.bits: 6, mapping.allow_reprogramming: true}
axes:
  - key: precision
    values: [profile.yaml]
  - zip:
      - {key: pe.crossbar.rows, values: [16, 32]}
      - {key: pe.crossbar.columns, values: [16, 32]}
)";

// ---- Mutations ----

std::string escaped(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
      // A hex escape swallows following hex digits in C++: split the literal there.
      out += "\" \"";
    }
  }
  return out;
}

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}

  size_t below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

  // Mostly one edit (a single defect gets furthest past validation), sometimes two or three.
  std::string yaml(std::string text) {
    const size_t edits = below(4) == 0 ? 2 + below(2) : 1;
    for (size_t e = 0; e < edits; ++e) text = yaml_edit(std::move(text));
    return text;
  }

  // One to three random edits of an .npy file's bytes.
  std::string npy(std::string bytes) {
    const size_t edits = 1 + below(3);
    for (size_t e = 0; e < edits; ++e) bytes = npy_edit(std::move(bytes));
    return bytes;
  }

 private:
  static const std::vector<std::string>& numbers() {
    static const std::vector<std::string> values = {"-1",
                                                    "0",
                                                    "-0",
                                                    "1",
                                                    "2",
                                                    "65536",
                                                    "2147483647",
                                                    "2147483648",
                                                    "4294967296",
                                                    "9223372036854775807",
                                                    "9223372036854775808",
                                                    "-9223372036854775808",
                                                    "99999999999999999999999",
                                                    "1e308",
                                                    "1e309",
                                                    "-1e308",
                                                    "1e-320",
                                                    "0.5",
                                                    "-0.0",
                                                    ".inf",
                                                    "-.inf",
                                                    ".nan",
                                                    "nan",
                                                    "0x10",
                                                    "0o17",
                                                    "1_000",
                                                    "+5",
                                                    "1e3",
                                                    "08",
                                                    "abc",
                                                    "\"8\"",
                                                    "'8'",
                                                    "~",
                                                    "null",
                                                    "true",
                                                    "",
                                                    "[]",
                                                    "{}",
                                                    "[8, 8]",
                                                    "{bits: 8}",
                                                    "!!int 3",
                                                    "&n 4",
                                                    "*n"};
    return values;
  }
  static const std::vector<std::string>& structures() {
    static const std::vector<std::string> tokens = {"[",
                                                    "]",
                                                    "{",
                                                    "}",
                                                    ",",
                                                    ":",
                                                    ": ",
                                                    "- ",
                                                    "? ",
                                                    "&a ",
                                                    "*a",
                                                    "&a [*a, *a]",
                                                    "<<: *a",
                                                    "!!str ",
                                                    "!!map ",
                                                    "!custom ",
                                                    "'",
                                                    "\"",
                                                    "|",
                                                    ">",
                                                    "#",
                                                    "\t",
                                                    "  ",
                                                    "\n",
                                                    "\r\n",
                                                    "---\n",
                                                    "...\n",
                                                    "%YAML 1.2\n",
                                                    "@",
                                                    "`",
                                                    "%",
                                                    "\xff",
                                                    "\xc3\xa9",
                                                    std::string(1, '\0'),
                                                    "{a: 1, a: 2}",
                                                    "[[[[[[",
                                                    "]]]]",
                                                    "{{{{",
                                                    "a: &x [1]\nb: *x\n",
                                                    "key: value\n"};
    return tokens;
  }

  static std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= text.size()) {
      const size_t end = text.find('\n', start);
      if (end == std::string::npos) {
        if (start < text.size()) lines.push_back(text.substr(start));
        break;
      }
      lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return lines;
  }
  static std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines) text += line + "\n";
    return text;
  }

  std::string yaml_edit(std::string text) {
    std::vector<std::string> lines = lines_of(text);
    switch (below(13)) {
      case 0:  // flip one bit of one byte
        if (!text.empty()) text[below(text.size())] ^= static_cast<char>(1u << below(8));
        return text;
      case 1:  // insert a random byte
        text.insert(below(text.size() + 1), 1, static_cast<char>(below(256)));
        return text;
      case 2: {  // delete a run of bytes
        const size_t at = below(text.size() + 1);
        return text.erase(at, 1 + below(8));
      }
      case 3:  // truncate
        return text.substr(0, below(text.size() + 1));
      case 4:  // duplicate a line (duplicate keys, repeated list items)
        if (!lines.empty()) {
          const size_t i = below(lines.size());
          lines.insert(lines.begin() + static_cast<long>(i), lines[i]);
        }
        return joined(lines);
      case 5:  // remove a line (missing keys)
        if (!lines.empty()) lines.erase(lines.begin() + static_cast<long>(below(lines.size())));
        return joined(lines);
      case 6:  // swap two lines
        if (lines.size() > 1) std::swap(lines[below(lines.size())], lines[below(lines.size())]);
        return joined(lines);
      case 7:
      case 8: {  // replace a number with a huge, negative, fractional or non-numeric value
        std::vector<std::pair<size_t, size_t>> spans;
        for (size_t i = 0; i < text.size();) {
          if (text[i] >= '0' && text[i] <= '9') {
            size_t j = i;
            while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.' ||
                                       text[j] == 'e' || text[j] == '-')) {
              ++j;
            }
            spans.emplace_back(i, j - i);
            i = j;
          } else {
            ++i;
          }
        }
        if (spans.empty()) return text + pick(numbers());
        const auto [at, length] = spans[below(spans.size())];
        return text.replace(at, length, pick(numbers()));
      }
      case 9:  // structural token anywhere
        text.insert(below(text.size() + 1), pick(structures()));
        return text;
      case 10: {  // replace a whole value after "key: " with a structure or a number
        if (lines.empty()) return pick(structures());
        std::string& line = lines[below(lines.size())];
        const size_t colon = line.find(": ");
        const std::string value = below(2) ? pick(numbers()) : pick(structures());
        if (colon == std::string::npos) {
          line += ": " + value;
        } else {
          line = line.substr(0, colon + 2) + value;
        }
        return joined(lines);
      }
      case 11: {  // indentation: deeper, shallower or a tab
        if (lines.empty()) return text;
        std::string& line = lines[below(lines.size())];
        switch (below(3)) {
          case 0:
            line = "  " + line;
            break;
          case 1:
            if (line.rfind("  ", 0) == 0) line.erase(0, 2);
            break;
          default:
            line = "\t" + line;
            break;
        }
        return joined(lines);
      }
      default: {  // copy a chunk of the text elsewhere (splice)
        if (text.empty()) return text;
        const size_t from = below(text.size());
        const std::string chunk = text.substr(from, 1 + below(40));
        text.insert(below(text.size() + 1), chunk);
        return text;
      }
    }
  }

  // Offsets of the header dict: after magic (6), version (2) and the length field (2 or 4).
  static size_t npy_preamble(const std::string& bytes) {
    return bytes.size() > 6 && static_cast<unsigned char>(bytes[6]) >= 2 ? 12 : 10;
  }

  std::string npy_edit(std::string bytes) {
    static const std::vector<std::string> descrs = {
        "<i4", ">i4", "|i4", "=i4",  "<u2",  "<u4", "<u8",    "<f2", "<c8", "|b1",
        "<U3", "|S4", "|O",  "<i16", "<f16", "i4",  "<",      "",    "<i",  "<<i4",
        "|u1", ">u1", ">i1", "<f4",  "<f8",  ">f8", "<M8[s]", "<V8"};
    static const std::vector<std::string> shapes = {
        "()",
        "(0,)",
        "(1,)",
        "(3)",
        "(2, 3)",
        "(3, 2)",
        "(6,)",
        "(1, 1, 1, 6)",
        "(-1,)",
        "(9223372036854775807,)",
        "(9223372036854775808,)",
        "(99999999999999999999,)",
        "(4294967296, 4294967296)",
        "(4294967296, 4294967296, 0)",
        "(0, 9223372036854775807)",
        "(3037000500, 3037000500)",
        "(2, 3L)",
        "(2,, 3)",
        "(2 3)",
        "(,)",
        "(",
        "[2, 3]",
        "(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
        "1, 1, 1, 1)"};
    const size_t pre = npy_preamble(bytes);
    switch (below(10)) {
      case 0:  // flip a bit anywhere
        if (!bytes.empty()) bytes[below(bytes.size())] ^= static_cast<char>(1u << below(8));
        return bytes;
      case 1: {  // corrupt the header dict text
        if (bytes.size() <= pre) return bytes;
        const size_t at = pre + below(bytes.size() - pre);
        if (below(2)) {
          bytes.insert(
              at, pick(std::vector<std::string>{"'", "\"", "{", "}", "(", ")", ",", ":", "\\", "\n",
                                                "True", "False", "'descr': '<i4', ", "L", " "}));
        } else {
          bytes.erase(at, 1 + below(6));
        }
        return bytes;
      }
      case 2: {  // wrong dtype
        const size_t at = bytes.find("'descr': '");
        if (at == std::string::npos) return bytes;
        const size_t start = at + 10, end = bytes.find('\'', start);
        if (end == std::string::npos) return bytes;
        return bytes.replace(start, end - start, pick(descrs));
      }
      case 3: {  // shapes that overflow, are negative or are malformed
        const size_t at = bytes.find("'shape': ");
        if (at == std::string::npos) return bytes;
        const size_t start = at + 9, end = bytes.find(')', start);
        if (end == std::string::npos) return bytes;
        return bytes.replace(start, end + 1 - start, pick(shapes));
      }
      case 4:  // truncated data (or header)
        return bytes.substr(0, below(bytes.size() + 1));
      case 5:  // trailing bytes
        return bytes + std::string(1 + below(16), static_cast<char>(below(256)));
      case 6: {  // header length field: zero, off by one, huge
        if (bytes.size() < pre) return bytes;
        const size_t field = 8;  // after the magic and the version bytes
        const size_t width = pre - field;
        const uint32_t value =
            pick(std::vector<uint32_t>{0, 1, 63, 65, 118, 0xffff, 0x10000, 0x7fffffff, 0xffffffff});
        for (size_t i = 0; i < width; ++i) bytes[field + i] = static_cast<char>(value >> (8 * i));
        return bytes;
      }
      case 7:  // version bytes
        if (bytes.size() >= 8) {
          bytes[6] = static_cast<char>(pick(std::vector<int>{0, 1, 2, 3, 255}));
          bytes[7] = static_cast<char>(pick(std::vector<int>{0, 1}));
        }
        return bytes;
      case 8: {  // fortran order and key games
        const std::vector<std::pair<std::string, std::string>> swaps = {
            {"False", "True"},
            {"False", "0"},
            {"'fortran_order'", "'fortran'"},
            {"'shape'", "'descr'"},
            {"'descr'", "'shape'"},
            {"{", "{'extra': 1, "},
            {"}", ""},
            {", }", ", 'shape': (1,), }"}};
        const auto& [from, to] = pick(swaps);
        const size_t at = bytes.find(from);
        if (at != std::string::npos) bytes.replace(at, from.size(), to);
        return bytes;
      }
      default: {  // random bytes in the data, or data of another size
        if (below(2) && bytes.size() > pre) {
          bytes[pre + below(bytes.size() - pre)] = static_cast<char>(below(256));
        } else {
          bytes.append(below(2) ? 8 : 3, '\x7f');
        }
        return bytes;
      }
    }
  }

  std::mt19937 rng_;
};

// ---- The harness ----

struct Stats {
  int inputs = 0;
  int loaded = 0;
  int refused = 0;
  double seconds = 0;
  double slowest = 0;
};

// Outcome of one input: "" when it loaded or was cleanly refused, else what went wrong.
std::string outcome(const std::function<void()>& load, const std::vector<std::string>& names,
                    bool& loaded) {
  loaded = false;
  try {
    load();
    loaded = true;
    return "";
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.empty()) return "InputError with an empty message";
    for (const std::string& name : names) {
      if (what.find(name) != std::string::npos) return "";
    }
    return "InputError that does not name the file: " + what;
  } catch (const std::exception& e) {
    return std::string("unexpected ") + typeid(e).name() + ": " + e.what();
  } catch (...) {
    return "unexpected non-standard exception";
  }
}

// Feeds `count` mutations of `seed` (seeded with `rng_seed`) to `load`; the first failure
// fails the test with the escaped input. The seed itself must load.
Stats attack(const std::string& what, const std::string& seed, int count, uint32_t rng_seed,
             const std::function<std::string(Mutator&, const std::string&)>& mutate,
             const std::function<void(const std::string&)>& load,
             const std::vector<std::string>& names) {
  Stats stats;
  bool loaded = false;
  const std::string seed_problem = outcome([&] { load(seed); }, names, loaded);
  EXPECT_TRUE(loaded) << what << ": the seed does not load: " << seed_problem;
  Mutator mutator(rng_seed);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    const std::string input = mutate(mutator, seed);
    const auto before = std::chrono::steady_clock::now();
    const std::string problem = outcome([&] { load(input); }, names, loaded);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
    stats.slowest = std::max(stats.slowest, took);
    ++stats.inputs;
    ++(loaded ? stats.loaded : stats.refused);
    // A hang shows up as one input that takes seconds (the seeds load in microseconds).
    const std::string failure = !problem.empty() ? problem
                                : took > 5.0     ? "took " + std::to_string(took) + " s"
                                                 : "";
    if (!failure.empty()) {
      ADD_FAILURE() << what << ": mutation " << i << " (seed " << rng_seed << "): " << failure
                    << "\ninput (C++ literal): \"" << escaped(input) << "\"";
      break;
    }
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[  fuzz    ] %-26s %6d inputs in %5.2f s (%d loaded, %d refused; slowest %.1f ms)\n",
              what.c_str(), stats.inputs, stats.seconds, stats.loaded, stats.refused,
              stats.slowest * 1e3);
  return stats;
}

std::string mutate_yaml(Mutator& m, const std::string& seed) { return m.yaml(seed); }
std::string mutate_npy(Mutator& m, const std::string& seed) { return m.npy(seed); }

std::string read_source(const std::string& relative) {
  std::ifstream in(source_path(relative), std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class FuzzMutations : public ::testing::Test {
 protected:
  // Writes `text` to `name` in the scratch dir and returns the path. The old file is removed
  // first: truncating and rewriting a file makes ext4 flush it on close (auto_da_alloc),
  // which made each input cost milliseconds instead of microseconds.
  std::string put(const std::string& name, const std::string& text) {
    std::remove(dir_.file(name).c_str());
    return dir_.write(name, text);
  }
  test::TempDir dir_;
};

TEST_F(FuzzMutations, ArchitecturePresets) {
  const Network network = load_network(put("net.yaml", kWorkloadSeed));
  const PrecisionProfile uniform = uniform_profile(network, 8);
  const PrecisionProfile mixed = load_profile(put("prof.yaml", kProfileSeed), network);
  const std::string path = dir_.file("arch.yaml");
  auto load = [&](const std::string& text) {
    put("arch.yaml", text);
    const ArchConfig arch = load_arch_config(path);
    (void)arch_config_json(arch).dump();
    // A network that does not fit is a clean refusal too (naming the layer, not the file).
    try {
      map_network(network, uniform, arch);
      map_network(network, mixed, arch);
    } catch (const InputError& e) {
      if (std::string(e.what()).empty()) throw std::logic_error("empty mapping error");
    }
  };
  attack("arch (small seed)", kArchSeed, kMutations, 11, mutate_yaml, load, {path});
  attack("arch (configs/arch/isaac)", read_source("configs/arch/isaac.yaml"), kShippedMutations, 12,
         mutate_yaml, load, {path});
}

TEST_F(FuzzMutations, TechnologyTables) {
  const std::string path = dir_.file("tech.yaml");
  auto load = [&](const std::string& text) {
    put("tech.yaml", text);
    const TechTable table = load_tech_table(path);
    double sum = 0;
    for (const auto& [component, action] : required_actions())
      sum += table.energy_pj(component, action);
    for (int bits = 1; bits <= 16; ++bits)
      sum += table.adc_energy_pj(bits) + table.dac_area_mm2(bits);
    sum += table.xbar_area_mm2(8192, 8192);
    (void)sum;
  };
  attack("tech (small seed)", kTechSeed, kMutations, 21, mutate_yaml, load, {path});
  attack("tech (configs/tech/45nm)", read_source("configs/tech/generic-45nm.yaml"),
         kShippedMutations, 22, mutate_yaml, load, {path});
}

TEST_F(FuzzMutations, DigitalBaselinePresetsAndTables) {
  const Network network = load_network(put("net.yaml", kWorkloadSeed));
  put("digital-45nm.yaml", read_source("configs/tech/digital-45nm.yaml"));
  const std::string path = dir_.file("digital.yaml");
  auto load_preset = [&](const std::string& text) {
    put("digital.yaml", text);
    const DigitalConfig config = load_digital_config(path);
    const TechTable table = load_digital_table(resolve_digital_tech_path(config));
    const DigitalResult result = analyze_digital(network, config, table);
    (void)digital_baseline_json(result, config, table, 1.0, 1.0, 1.0, 32).dump();
  };
  std::string seed = read_source("configs/digital/systolic-16bit.yaml");
  seed.replace(seed.find("tech: digital-45nm"), 18, "tech: digital-45nm.yaml");
  attack("digital (configs/digital)", seed, kShippedMutations * 4, 71, mutate_yaml, load_preset,
         {path});
  const std::string table_path = dir_.file("table.yaml");
  auto load_table = [&](const std::string& text) {
    put("table.yaml", text);
    const TechTable table = load_digital_table(table_path);
    for (const auto& [component, action] : digital_required_actions()) {
      (void)table.energy_pj(component, action);
    }
  };
  attack("digital table (45nm)", read_source("configs/tech/digital-45nm.yaml"),
         kShippedMutations * 4, 72, mutate_yaml, load_table, {table_path});
}

TEST_F(FuzzMutations, Workloads) {
  const std::string path = dir_.file("workload.yaml");
  auto load = [&](const std::string& text) {
    put("workload.yaml", text);
    const Network network = load_network(path);
    for (const Layer& layer : network.layers) {
      if (layer.has_weights() && layer.out_channels() > (1 << 16)) return;  // profile too big
    }
    (void)count_layers(network, uniform_profile(network, kBaselineBits));
  };
  attack("workload (small seed)", kWorkloadSeed, kMutations, 31, mutate_yaml, load, {path});
  attack("workload (resnet18-cifar10)", read_source("workloads/resnet18-cifar10.yaml"),
         kShippedMutations, 32, mutate_yaml, load, {path});
}

TEST_F(FuzzMutations, PrecisionProfiles) {
  const Network tiny = load_network(put("net.yaml", kWorkloadSeed));
  const std::string path = dir_.file("profile.yaml");
  auto load_for = [&](const Network& network) {
    return [&, network_ptr = &network](const std::string& text) {
      put("profile.yaml", text);
      (void)count_layers(*network_ptr, load_profile(path, *network_ptr));
    };
  };
  attack("profile (small seed)", kProfileSeed, kMutations, 41, mutate_yaml, load_for(tiny), {path});
  const Network resnet = load_network(source_path("workloads/resnet18-cifar10.yaml"));
  attack("profile (resnet18 pruned)", read_source("workloads/profiles/resnet18/pruned.yaml"),
         kShippedMutations, 42, mutate_yaml, load_for(resnet), {path});
}

TEST_F(FuzzMutations, SweepSpecs) {
  put("arch.yaml", kArchSeed);
  put("workload.yaml", kWorkloadSeed);
  put("profile.yaml", kProfileSeed);
  const std::string path = dir_.file("spec.yaml");
  // Parsing names the spec; checking the inputs may name one of the seed files instead
  // (a spec that calls the profile a workload gets the profile's own errors).
  auto load = [&](const std::string& text) {
    const SweepSpec spec = parse_sweep_spec_text(text, path);
    if (count_sweep_points(spec) > 64) return;
    const Sweep sweep = expand_sweep(spec);
    (void)sweep_to_json(sweep).dump();
    (void)slurm_points_list(sweep);
    check_sweep_inputs(spec);
  };
  attack("sweep (small seed)", kSweepSeed, kMutations, 51, mutate_yaml, load, {dir_.path()});
  // The shipped spec's relative paths resolve from configs/sweeps: parse and expand only.
  const std::string shipped = source_path("configs/sweeps/array-size.yaml");
  attack("sweep (array-size)", read_source("configs/sweeps/array-size.yaml"), kShippedMutations, 52,
         mutate_yaml,
         [&](const std::string& text) {
           const SweepSpec spec = parse_sweep_spec_text(text, shipped);
           if (count_sweep_points(spec) <= 64) (void)expand_sweep(spec);
         },
         {shipped});
}

// An .npy file: magic, version, little-endian header length, padded dict, raw data.
std::string npy_file(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const size_t preamble = major == 1 ? 10 : 12;
  while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < preamble - 8; ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

TEST_F(FuzzMutations, NpyFiles) {
  const std::string path = dir_.file("array.npy");
  // Mostly in memory (parse_npy is the whole reader); every 16th input goes through the file.
  int n = 0;
  auto load = [&](const std::string& bytes) {
    const NpyArray array =
        ++n % 16 == 0 ? read_npy(put("array.npy", bytes)) : parse_npy(bytes, path);
    (void)npy_shape_string(array.shape);
    try {
      (void)npy_integer_values(array);
    } catch (const InputError& e) {
      if (std::string(e.what()).find(path) == std::string::npos) throw std::logic_error(e.what());
    }
    try {
      expect_npy_shape(array, {2, 3}, "test input");
    } catch (const InputError& e) {
      if (std::string(e.what()).find(path) == std::string::npos) throw std::logic_error(e.what());
    }
  };
  const std::string ints = npy_file("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }",
                                    std::string("\x01\0\0\0\x02\0\0\0\x03\0\0\0\xfc\xff\xff\xff"
                                                "\x05\0\0\0\x06\0\0\0",
                                                24));
  const std::string floats = npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                                      std::string("\0\0\0\0\0\0\xf0\x3f\0\0\0\0\0\0\0\x40"
                                                  "\0\0\0\0\0\0\xf8\xbf",
                                                  24),
                                      2);
  const std::string bytes =
      npy_file("{'descr': '|u1', 'shape': (2, 3), 'fortran_order': False}", "abcdef");
  attack("npy (int32, v1.0)", ints, kMutations, 61, mutate_npy, load, {path});
  attack("npy (float64, v2.0)", floats, kMutations / 2, 62, mutate_npy, load, {path});
  attack("npy (uint8, v1.0)", bytes, kMutations / 2, 63, mutate_npy, load, {path});
}

// ---- Defects the fuzzers found, each with its minimized input ----

// fuzz_workload: a list item that is not a map was skipped without a Layer, so network.layers
// fell behind the item indices that names and `from` use; `from: [a]` then read past the end
// of network.layers (heap-buffer-overflow under ASan, garbage shapes without it).
TEST_F(FuzzMutations, FindingNonMapLayerItemKeepsIndices) {
  const std::string path = put("w.yaml",
                               "input: [3, 4, 4]\n"
                               "layers:\n"
                               "  - 7\n"
                               "  - {name: a, type: relu, input: [3, 4, 4], output: [3, 4, 4]}\n"
                               "  - {name: b, type: relu, from: [a], input: [3, 4, 4], "
                               "output: [3, 4, 4]}\n");
  const std::string error = test::input_error_of([&] { load_network(path); });
  EXPECT_NE(error.find(path + ":3:5: layers[0]: expected a map"), std::string::npos) << error;
  EXPECT_EQ(error.find("layers[2]"), std::string::npos) << error;  // b's input is consistent
}

// fuzz_arch, fuzz_sweep: text that is not UTF-8 (stray bytes, overlong forms) loaded, and the JSON
// echo of the config or of the sweep spec then threw nlohmann::json::type_error (exit code 1
// "internal error" from the CLI instead of a located input error). Now every scalar and key must be
// UTF-8.
TEST_F(FuzzMutations, FindingTextMustBeUtf8) {
  std::string arch = kArchSeed;
  arch.replace(arch.find("a small chip"), 12, "a \xa0small chip");
  const std::string arch_path = put("arch.yaml", arch);
  std::string error = test::input_error_of([&] { load_arch_config(arch_path); });
  EXPECT_NE(error.find(arch_path + ":2:14: text is not valid UTF-8"), std::string::npos) << error;

  for (const char* spec :
       {"name: \"\xe0\x80\xaf\"\nbase: {arch: a.yaml, workload: w.yaml}\n",
        "name: s\nbase: {arch: a.yaml, workload: w.yaml}\n\xc0\xaf: 1\n",
        "name: s\nbase: {arch: a.yaml, workload: w.yaml, set: {name: \xf5}}\n"}) {
    error = test::input_error_of([&] { parse_sweep_spec_text(spec, "spec.yaml"); });
    EXPECT_NE(error.find("spec.yaml:"), std::string::npos) << spec;
    EXPECT_NE(error.find("not valid UTF-8"), std::string::npos) << error;
  }
  // Valid multi-byte text still loads and echoes.
  arch = kArchSeed;
  arch.replace(arch.find("a small chip"), 12, "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  const ArchConfig config = load_arch_config(put("arch.yaml", arch));
  EXPECT_NE(arch_config_json(config).dump().find("\xe2\x82\xac"), std::string::npos);
}

// Found while writing fuzz_sweep's path guard (a spec or preset may name any path):
// load_yaml_file read the whole file before checking its size, so `base: /dev/zero` (or
// `--arch /dev/zero`) read until memory ran out. It now stops just past the 64 MiB limit.
TEST_F(FuzzMutations, FindingEndlessFileIsRefused) {
  if (!std::filesystem::exists("/dev/zero")) GTEST_SKIP() << "no /dev/zero";
  const std::string path = put("arch.yaml", "base: /dev/zero\n");
  const std::string error = test::input_error_of([&] { load_arch_config(path); });
  EXPECT_NE(error.find("/dev/zero: file larger than 64 MiB (base of " + path + ":1:7)"),
            std::string::npos)
      << error;
  EXPECT_NE(test::input_error_of([] { load_network("/dev/zero"); }).find("larger than"),
            std::string::npos);
}

}  // namespace
}  // namespace mixpim::sim
