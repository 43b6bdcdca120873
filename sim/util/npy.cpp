#include "sim/util/npy.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "sim/util/diagnostics.h"

namespace mixpim::sim {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicBytes = 6;
// A file larger than this is not a weight or input tensor of the networks we simulate.
constexpr std::size_t kMaxNpyFileBytes = std::size_t{1} << 32;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw InputError({{SourceLocation{path, 0, 0}, "", message}});
}

struct TypeInfo {
  NpyType type;
  int bytes;
};

// The header's `descr`: byte order + kind + size. Byte order matters only above one byte.
TypeInfo parse_descr(const std::string& descr, const std::string& path) {
  const std::string supported = "supported: int8, int16, int32, int64, uint8, float32, float64";
  if (descr.size() < 3) fail(path, "unsupported dtype '" + descr + "' (" + supported + ")");
  const char order = descr[0];
  const std::string kind_size = descr.substr(1);
  struct Known {
    const char* code;
    NpyType type;
    int bytes;
  };
  static const Known known[] = {{"i1", NpyType::kInt8, 1},   {"i2", NpyType::kInt16, 2},
                                {"i4", NpyType::kInt32, 4},  {"i8", NpyType::kInt64, 8},
                                {"u1", NpyType::kUint8, 1},  {"f4", NpyType::kFloat32, 4},
                                {"f8", NpyType::kFloat64, 8}};
  for (const Known& k : known) {
    if (kind_size != k.code) continue;
    if (order == '>' && k.bytes > 1) {
      fail(path, "big-endian dtype '" + descr + "' is not supported (save it as little-endian)");
    }
    if (order != '<' && order != '|' && !(order == '>' && k.bytes == 1)) {
      fail(path, "unsupported byte order in dtype '" + descr + "'");
    }
    if (order == '|' && k.bytes > 1) fail(path, "dtype '" + descr + "' has no byte order");
    return {k.type, k.bytes};
  }
  fail(path, "unsupported dtype '" + descr + "' (" + supported + ")");
}

// Parser for the Python dict literal of the header, e.g.
//   {'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  void parse(std::string& descr, bool& fortran_order, std::vector<int64_t>& shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    skip_space();
    expect('{');
    skip_space();
    while (!at('}')) {
      const std::string key = quoted_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (have_descr) error("duplicate key 'descr'");
        descr = quoted_string();
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_order) error("duplicate key 'fortran_order'");
        fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        if (have_shape) error("duplicate key 'shape'");
        shape = tuple();
        have_shape = true;
      } else {
        error("unexpected key '" + key + "'");
      }
      skip_space();
      if (at(',')) {
        ++pos_;
        skip_space();
      } else if (!at('}')) {
        error("expected ',' or '}'");
      }
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) error("unexpected text after the header dictionary");
    if (!have_descr || !have_order || !have_shape) {
      error("header must have the keys 'descr', 'fortran_order' and 'shape'");
    }
  }

 private:
  [[noreturn]] void error(const std::string& message) const {
    fail(path_, "malformed .npy header: " + message + " at header offset " + std::to_string(pos_));
  }
  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void expect(char c) {
    if (!at(c)) error(std::string("expected '") + c + "'");
    ++pos_;
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  std::string quoted_string() {
    if (!at('\'') && !at('"')) error("expected a quoted string");
    const char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' || text_[pos_] == '\n') error("unsupported character in string");
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) error("unterminated string");
    ++pos_;
    return out;
  }
  bool boolean() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    error("expected True or False");
  }
  int64_t dimension() {
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') {
      error("expected a non-negative integer dimension");
    }
    int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const int digit = text_[pos_++] - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) error("dimension too large");
      value = value * 10 + digit;
    }
    if (at('L')) ++pos_;  // Python 2 long literal in old files
    return value;
  }
  // "()", "(3,)", "(2, 3)", "(2, 3,)"; "(3)" is an int in Python, not a tuple.
  std::vector<int64_t> tuple() {
    expect('(');
    skip_space();
    std::vector<int64_t> dims;
    bool comma_after_last = false;
    while (!at(')')) {
      dims.push_back(dimension());
      if (dims.size() > static_cast<std::size_t>(kMaxNpyDims)) {
        error("more than " + std::to_string(kMaxNpyDims) + " dimensions");
      }
      skip_space();
      comma_after_last = false;
      if (at(',')) {
        ++pos_;
        comma_after_last = true;
        skip_space();
      } else if (!at(')')) {
        error("expected ',' or ')' in shape");
      }
    }
    ++pos_;
    if (dims.size() == 1 && !comma_after_last) error("shape (n) must be written as a tuple (n,)");
    return dims;
  }

  std::string_view text_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

uint64_t little_endian(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::string_view to_string(NpyType type) {
  switch (type) {
    case NpyType::kInt8:
      return "int8";
    case NpyType::kInt16:
      return "int16";
    case NpyType::kInt32:
      return "int32";
    case NpyType::kInt64:
      return "int64";
    case NpyType::kUint8:
      return "uint8";
    case NpyType::kFloat32:
      return "float32";
    case NpyType::kFloat64:
      return "float64";
  }
  return "?";
}

int64_t NpyArray::size() const {
  return is_float() ? static_cast<int64_t>(reals.size()) : static_cast<int64_t>(integers.size());
}

std::string npy_shape_string(const std::vector<int64_t>& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ",";
  return out + ")";
}

NpyArray parse_npy(std::string_view bytes, const std::string& path) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kMagicBytes + 2 || std::memcmp(bytes.data(), kMagic, kMagicBytes) != 0) {
    fail(path, "not a NumPy .npy file (missing the \\x93NUMPY magic string)");
  }
  const int major = data[6], minor = data[7];
  if ((major != 1 && major != 2) || minor != 0) {
    fail(path, "unsupported .npy format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (supported: 1.0, 2.0)");
  }
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t preamble = kMagicBytes + 2 + length_bytes;
  if (bytes.size() < preamble) fail(path, "truncated .npy header");
  const uint64_t header_len = little_endian(data + 8, static_cast<int>(length_bytes));
  if (header_len > kMaxNpyHeaderBytes) {
    fail(path, "header length " + std::to_string(header_len) + " is larger than " +
                   std::to_string(kMaxNpyHeaderBytes) + " bytes");
  }
  if (bytes.size() - preamble < header_len) fail(path, "truncated .npy header");

  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  HeaderParser(bytes.substr(preamble, header_len), path).parse(descr, fortran_order, shape);
  const TypeInfo info = parse_descr(descr, path);
  if (fortran_order) {
    fail(path,
         "fortran_order True is not supported (save a C-ordered array: np.ascontiguousarray)");
  }

  // Element count, refusing shapes whose data could not be in the file before multiplying out.
  const uint64_t available = bytes.size() - preamble - header_len;
  const uint64_t max_elements = available / static_cast<uint64_t>(info.bytes);
  uint64_t count = 1;
  bool too_big = false;
  for (int64_t d : shape) {
    if (d == 0) {
      count = 0;
      too_big = false;
      break;
    }
    if (too_big) continue;  // a later zero dimension still makes the array empty
    if (count > max_elements / static_cast<uint64_t>(d))
      too_big = true;
    else
      count *= static_cast<uint64_t>(d);
  }
  if (too_big || count > max_elements) {
    fail(path, "data truncated: shape " + npy_shape_string(shape) + " of " +
                   std::string(to_string(info.type)) + " needs more than the " +
                   std::to_string(available) + " data bytes in the file");
  }
  const uint64_t needed = count * static_cast<uint64_t>(info.bytes);
  if (needed != available) {
    fail(path, std::to_string(available - needed) + " unexpected bytes after the data of shape " +
                   npy_shape_string(shape));
  }

  NpyArray array;
  array.path = path;
  array.shape = std::move(shape);
  array.type = info.type;
  const unsigned char* p = data + preamble + header_len;
  if (array.is_float()) {
    array.reals.resize(count);
    for (uint64_t i = 0; i < count; ++i, p += info.bytes) {
      const uint64_t raw = little_endian(p, info.bytes);
      if (info.type == NpyType::kFloat32) {
        const auto bits = static_cast<uint32_t>(raw);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        array.reals[i] = f;
      } else {
        double f;
        std::memcpy(&f, &raw, sizeof f);
        array.reals[i] = f;
      }
    }
  } else {
    array.integers.resize(count);
    for (uint64_t i = 0; i < count; ++i, p += info.bytes) {
      const uint64_t raw = little_endian(p, info.bytes);
      switch (info.type) {
        case NpyType::kInt8:
          array.integers[i] = static_cast<int8_t>(raw);
          break;
        case NpyType::kInt16:
          array.integers[i] = static_cast<int16_t>(raw);
          break;
        case NpyType::kInt32:
          array.integers[i] = static_cast<int32_t>(raw);
          break;
        case NpyType::kInt64:
          array.integers[i] = static_cast<int64_t>(raw);
          break;
        default:
          array.integers[i] = static_cast<int64_t>(raw);
          break;  // uint8
      }
    }
  }
  return array;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) fail(path, "cannot read file");
  if (static_cast<uint64_t>(size) > kMaxNpyFileBytes) fail(path, "file is larger than 4 GiB");
  in.seekg(0, std::ios::beg);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (!in.read(bytes.data(), size)) fail(path, "cannot read file");
  return parse_npy(bytes, path);
}

void expect_npy_shape(const NpyArray& array, const std::vector<int64_t>& expected,
                      const std::string& what) {
  if (array.shape == expected) return;
  fail(array.path, what + ": expected shape " + npy_shape_string(expected) + ", got " +
                       npy_shape_string(array.shape));
}

std::vector<int64_t> npy_integer_values(const NpyArray& array) {
  if (!array.is_float()) return array.integers;
  std::vector<int64_t> out(array.reals.size());
  // 2^63 is exactly representable; every double below it converts without overflow.
  constexpr double kLimit = 9223372036854775808.0;
  for (std::size_t i = 0; i < array.reals.size(); ++i) {
    const double v = array.reals[i];
    if (!std::isfinite(v) || v != std::floor(v) || v >= kLimit || v < -kLimit) {
      std::ostringstream text;
      text << "element " << i << " is " << v << ": expected integer values";
      fail(array.path, text.str());
    }
    out[i] = static_cast<int64_t>(v);
  }
  return out;
}

namespace {
// A version-1.0 .npy of `descr` little-endian values of `width` bytes each.
template <typename T>
std::string npy_bytes(const char* descr, const std::vector<int64_t>& shape,
                      const std::vector<T>& values) {
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + npy_shape_string(shape) + ", }";
  // Magic (6) + version (2) + header length (2) + header + newline: a multiple of 64 bytes.
  const std::size_t unpadded = kMagicBytes + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, kMagicBytes);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  for (T v : values) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof v);
    for (size_t b = 0; b < sizeof v; ++b) out += static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  return out;
}
}  // namespace

std::string npy_float64_bytes(const std::vector<int64_t>& shape,
                              const std::vector<double>& values) {
  return npy_bytes("<f8", shape, values);
}

std::string npy_int64_bytes(const std::vector<int64_t>& shape,
                            const std::vector<int64_t>& values) {
  return npy_bytes("<i8", shape, values);
}

}  // namespace mixpim::sim
