#pragma once
// A small, strict reader of NumPy .npy files (format versions 1.0 and 2.0).
//
// Accepted: little-endian (or byte-order-free) int8, int16, int32, int64, uint8, float32 and
// float64 arrays in C order. Everything else is refused with an InputError naming the file:
// other versions, fortran_order True, big-endian or other dtypes, malformed or oversized
// headers, truncated data or trailing bytes, negative or absurd shapes. Bytes are decoded by
// hand, so the result does not depend on the host's byte order, and no input can crash it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mixpim::sim {

enum class NpyType { kInt8, kInt16, kInt32, kInt64, kUint8, kFloat32, kFloat64 };

std::string_view to_string(NpyType type);  // NumPy names: "int8", ..., "float64"

inline constexpr int kMaxNpyDims = 32;
inline constexpr std::size_t kMaxNpyHeaderBytes = 64u << 10;

struct NpyArray {
  std::string path;            // where it came from (names it in errors)
  std::vector<int64_t> shape;  // () for a scalar
  NpyType type = NpyType::kInt64;
  std::vector<int64_t> integers;  // the values of integer arrays, C order
  std::vector<double> reals;      // the values of float arrays, C order

  bool is_float() const { return type == NpyType::kFloat32 || type == NpyType::kFloat64; }
  int64_t size() const;  // element count
};

// Reads and parses a file. Throws InputError naming the file.
NpyArray read_npy(const std::string& path);

// Parses the bytes of an .npy file; `path` only names it in errors.
NpyArray parse_npy(std::string_view bytes, const std::string& path);

// Throws InputError unless the array has exactly `expected` shape; the message names the
// file, `what` the array is for, and both shapes.
void expect_npy_shape(const NpyArray& array, const std::vector<int64_t>& expected,
                      const std::string& what);

// The values as integers; float arrays must hold finite, integral values within int64.
// Throws InputError naming the file and the first offending element otherwise.
std::vector<int64_t> npy_integer_values(const NpyArray& array);

// The bytes of a version 1.0 .npy file holding `values` (C order, `shape`) as little-endian
// float64 ('<f8'): what mixpim writes (imported weights, network outputs), read back exactly.
std::string npy_float64_bytes(const std::vector<int64_t>& shape, const std::vector<double>& values);
// The same for 64-bit integers ('<i8').
std::string npy_int64_bytes(const std::vector<int64_t>& shape, const std::vector<int64_t>& values);

// "(2, 3)" / "(3,)" / "()", NumPy's own spelling of a shape.
std::string npy_shape_string(const std::vector<int64_t>& shape);

}  // namespace mixpim::sim
