// NumPy .npy reader: every supported dtype in versions 1.0 and 2.0, and strict refusal
// (clear InputError naming the file, never a crash) of malformed, truncated, big-endian,
// Fortran-ordered and absurd files, including random corruptions of valid files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sim/util/diagnostics.h"
#include "sim/util/npy.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::input_error_of;

// The bytes of an .npy file with `header` (the dict text) and raw little-endian `data`.
std::string npy_bytes(const std::string& header, const std::string& data, int major = 1) {
  std::string dict = header;
  const size_t preamble = major == 1 ? 10 : 12;
  while ((preamble + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const uint32_t len = static_cast<uint32_t>(dict.size());
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + dict + data;
}

std::string header(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

template <typename T>
std::string raw(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());  // the test host is little-endian
  return out;
}

TEST(Npy, ReadsEveryIntegerDtype) {
  const std::vector<int64_t> want = {-3, 0, 7, -128, 127, 5};
  auto check = [&](const std::string& descr, const std::string& data, NpyType type) {
    for (int major : {1, 2}) {
      const NpyArray a = parse_npy(npy_bytes(header(descr, "(2, 3)"), data, major), "a.npy");
      EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3})) << descr;
      EXPECT_EQ(a.type, type);
      EXPECT_FALSE(a.is_float());
      EXPECT_EQ(a.integers, want) << descr;
      EXPECT_EQ(npy_integer_values(a), want);
    }
  };
  check("|i1", raw(std::vector<int8_t>{-3, 0, 7, -128, 127, 5}), NpyType::kInt8);
  check("<i1", raw(std::vector<int8_t>{-3, 0, 7, -128, 127, 5}), NpyType::kInt8);
  check("<i2", raw(std::vector<int16_t>{-3, 0, 7, -128, 127, 5}), NpyType::kInt16);
  check("<i4", raw(std::vector<int32_t>{-3, 0, 7, -128, 127, 5}), NpyType::kInt32);
  check("<i8", raw(std::vector<int64_t>{-3, 0, 7, -128, 127, 5}), NpyType::kInt64);
  const NpyArray u =
      parse_npy(npy_bytes(header("|u1", "(3,)"), std::string("\x00\x80\xff", 3)), "u.npy");
  EXPECT_EQ(u.integers, (std::vector<int64_t>{0, 128, 255}));
  EXPECT_EQ(u.type, NpyType::kUint8);
}

TEST(Npy, ReadsFloatsAndChecksIntegrality) {
  const NpyArray f =
      parse_npy(npy_bytes(header("<f4", "(2,)"), raw(std::vector<float>{1.0f, -2.0f})), "f.npy");
  EXPECT_TRUE(f.is_float());
  EXPECT_EQ(f.reals, (std::vector<double>{1.0, -2.0}));
  EXPECT_EQ(npy_integer_values(f), (std::vector<int64_t>{1, -2}));
  const NpyArray d =
      parse_npy(npy_bytes(header("<f8", "(1, 2)"), raw(std::vector<double>{3.0, 0.5})), "d.npy");
  EXPECT_EQ(d.type, NpyType::kFloat64);
  const std::string error = input_error_of([&] { npy_integer_values(d); });
  EXPECT_NE(error.find("d.npy"), std::string::npos) << error;
  EXPECT_NE(error.find("element 1 is 0.5"), std::string::npos) << error;
  const NpyArray nan = parse_npy(
      npy_bytes(header("<f8", "(1,)"), raw(std::vector<double>{std::nan("")})), "nan.npy");
  EXPECT_NE(input_error_of([&] { npy_integer_values(nan); }).find("nan.npy"), std::string::npos);
}

TEST(Npy, ScalarsEmptyArraysAndHeaderSpellings) {
  const NpyArray scalar =
      parse_npy(npy_bytes(header("<i4", "()"), raw(std::vector<int32_t>{42})), "s.npy");
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.integers, (std::vector<int64_t>{42}));
  const NpyArray empty = parse_npy(npy_bytes(header("<i4", "(0, 5)"), ""), "e.npy");
  EXPECT_EQ(empty.size(), 0);
  // Key order, double quotes, no trailing comma, Python 2 long literals.
  const NpyArray odd =
      parse_npy(npy_bytes("{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<i2\"}",
                          raw(std::vector<int16_t>{1, 2})),
                "o.npy");
  EXPECT_EQ(odd.integers, (std::vector<int64_t>{1, 2}));
}

TEST(Npy, ReadsFilesAndChecksShapes) {
  test::TempDir dir;
  const std::string path = dir.write(
      "w.npy", npy_bytes(header("<i4", "(2, 3)"), raw(std::vector<int32_t>{1, 2, 3, 4, 5, 6})));
  const NpyArray a = read_npy(path);
  EXPECT_EQ(a.path, path);
  EXPECT_NO_THROW(expect_npy_shape(a, {2, 3}, "weights of conv1"));
  const std::string error = input_error_of([&] {
    expect_npy_shape(a, {64, 3, 3, 3}, "weights of conv1");
  });
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("expected shape (64, 3, 3, 3), got (2, 3)"), std::string::npos) << error;
  EXPECT_NE(error.find("weights of conv1"), std::string::npos) << error;
  const std::string missing = input_error_of([&] { read_npy(dir.file("missing.npy")); });
  EXPECT_NE(missing.find("missing.npy: cannot open file"), std::string::npos) << missing;
  EXPECT_EQ(npy_shape_string({3}), "(3,)");
  EXPECT_EQ(npy_shape_string({}), "()");
}

// Each malformed file gives an InputError naming the file and containing `what`.
TEST(Npy, RefusesMalformedFiles) {
  const std::string six = raw(std::vector<int32_t>{1, 2, 3, 4, 5, 6});
  const std::string good = npy_bytes(header("<i4", "(2, 3)"), six);
  struct Case {
    std::string bytes;
    std::string what;
  };
  std::string bad_version = good;
  bad_version[6] = 3;
  std::string huge_header = good;
  huge_header[8] = '\xff';
  huge_header[9] = '\xff';
  const std::vector<Case> cases = {
      {"", "magic"},
      {"hello world, not numpy", "magic"},
      {good.substr(0, 9), "truncated .npy header"},
      {good.substr(0, 40), "truncated .npy header"},
      {bad_version, "version 3.0"},
      {huge_header, "truncated .npy header"},
      {npy_bytes(header(">i4", "(2, 3)"), six), "big-endian"},
      {npy_bytes(header("<i4", "(2, 3)", true), six), "fortran_order True"},
      {npy_bytes(header("<c8", "(3,)"), six), "unsupported dtype '<c8'"},
      {npy_bytes(header("|O", "(3,)"), six), "unsupported dtype"},
      {npy_bytes(header("<u2", "(3,)"), six), "unsupported dtype"},
      {npy_bytes(header("|i4", "(2, 3)"), six), "no byte order"},
      {npy_bytes(header("<i4", "(2, 3)"), six.substr(0, 20)), "data truncated"},
      {npy_bytes(header("<i4", "(2, 3)"), six + "xx"), "unexpected bytes"},
      {npy_bytes(header("<i4", "(3)"), six), "tuple"},
      {npy_bytes(header("<i4", "(-2, 3)"), six), "non-negative integer"},
      {npy_bytes(header("<i4", "(99999999999999999999,)"), six), "too large"},
      {npy_bytes(header("<i4", "(4294967296, 4294967296, 4294967296)"), six), "data truncated"},
      {npy_bytes(
           header("<i4", "(1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)"),
           six),
       "more than 32 dimensions"},
      {npy_bytes("{'descr': '<i4', 'shape': (6,)}", six), "must have the keys"},
      {npy_bytes("{'descr': '<i4', 'descr': '<i4', 'fortran_order': False, 'shape': (6,)}", six),
       "duplicate key"},
      {npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (6,), 'x': 1}", six),
       "unexpected key 'x'"},
      {npy_bytes("{'descr': '<i4', 'fortran_order': maybe, 'shape': (6,)}", six), "True or False"},
      {npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (6,)} junk", six),
       "after the header"},
      {npy_bytes("{'descr': '<i4", six), "in string"},
      {npy_bytes("[1, 2]", six), "expected '{'"},
  };
  for (const Case& c : cases) {
    const std::string error = input_error_of([&] { parse_npy(c.bytes, "bad.npy"); });
    EXPECT_EQ(error.rfind("bad.npy: ", 0), 0u) << "case " << c.what << ": " << error;
    EXPECT_NE(error.find(c.what), std::string::npos) << "case " << c.what << ": " << error;
  }
}

// Random corruptions of valid files either parse or throw InputError: never crash, hang or
// allocate absurdly.
TEST(Npy, RandomCorruptionsNeverCrash) {
  const std::string good = npy_bytes(header("<i2", "(3, 4)"), raw(std::vector<int16_t>(12, 7)), 1);
  const std::string good2 = npy_bytes(header("<f8", "(2, 2)"), raw(std::vector<double>(4, 1.5)), 2);
  std::mt19937 rng(7);
  int parsed = 0, refused = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string bytes = (i % 2 == 0) ? good : good2;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0:
          bytes[at] = static_cast<char>(rng());
          break;
        case 1:
          bytes.erase(at, 1 + rng() % 8);
          break;
        default:
          bytes.insert(at, 1, static_cast<char>(rng()));
          break;
      }
      if (bytes.empty()) break;
    }
    try {
      const NpyArray a = parse_npy(bytes, "fuzz.npy");
      EXPECT_LE(a.size() * 1, static_cast<int64_t>(bytes.size()));
      ++parsed;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.npy: ", 0), 0u) << e.what();
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace mixpim::sim
