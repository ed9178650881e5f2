// .npy reading and writing: a magic string, a version, a Python-dict header with
// descr / fortran_order / shape, then the raw little-endian data.
#include "core/npy.h"

#include <cstring>
#include <fstream>
#include <regex>

#include "tandem/error.h"

namespace tandem {

static const char kMagic[] = "\x93NUMPY";

static DType dtype_from_descr(const std::string& descr, const std::string& path) {
  if (descr == "<f4") return DType::f32;
  if (descr == "<f8") return DType::f64;
  if (descr == "<i8") return DType::i64;
  if (descr == "<i4") return DType::i32;
  if (descr == "|u1") return DType::u8;
  if (descr == "|b1") return DType::boolean;
  fail(ErrorKind::InvalidInput, path + ": unsupported .npy dtype '" + descr + "'");
}

static std::string descr_of(DType dtype) {
  switch (dtype) {
    case DType::f32: return "<f4";
    case DType::f64: return "<f8";
    case DType::i64: return "<i8";
    case DType::i32: return "<i4";
    case DType::u8: return "|u1";
    case DType::boolean: return "|b1";
    default: fail(ErrorKind::InvalidInput, std::string("cannot write ") + dtype_name(dtype) + " as .npy");
  }
}

// The dims of a shape tuple's inside, e.g. "1, 3, 224, 224" or "3," or "" (a scalar):
// non-negative integers separated by commas, a trailing comma allowed.
static Shape parse_shape(const std::string& text, const std::string& path) {
  static const std::regex tuple(R"(\s*(\d+\s*(,\s*\d+\s*)*,?\s*)?)");
  if (!std::regex_match(text, tuple)) fail(ErrorKind::InvalidInput, path + ": malformed .npy shape (" + text + ")");
  Shape shape;
  std::regex number("[0-9]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it) {
    if (it->str().size() > 12) fail(ErrorKind::InvalidInput, path + ": .npy dimension too large");
    shape.push_back(std::stoll(it->str()));
  }
  return shape;
}

// Bytes the data of `shape` in `dtype` takes; fails when that does not fit in 63 bits.
static uint64_t data_bytes(const Shape& shape, DType dtype, const std::string& path) {
  constexpr uint64_t kLimit = uint64_t{1} << 62;
  uint64_t bytes = dtype_size(dtype);
  for (int64_t d : shape) {
    if (d != 0 && bytes > kLimit / static_cast<uint64_t>(d))
      fail(ErrorKind::InvalidInput, path + ": .npy shape " + shape_str(shape) + " is too large");
    bytes *= static_cast<uint64_t>(d);
  }
  return bytes;
}

static std::string header_field(const std::string& header, const std::string& pattern, const std::string& path) {
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(pattern)))
    fail(ErrorKind::InvalidInput, path + ": malformed .npy header");
  return m[1].str();
}

Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Io, "cannot open '" + path + "'");
  char magic[8] = {};
  in.read(magic, 8);
  if (!in || std::memcmp(magic, kMagic, 6) != 0) fail(ErrorKind::InvalidInput, path + ": not a .npy file");
  size_t header_len = 0;
  unsigned char len_bytes[4] = {};
  int len_size = magic[6] == 1 ? 2 : 4;
  in.read(reinterpret_cast<char*>(len_bytes), len_size);
  for (int i = len_size; i-- > 0;) header_len = header_len * 256 + len_bytes[i];
  if (!in || header_len > (1 << 20)) fail(ErrorKind::InvalidInput, path + ": bad .npy header length");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in) fail(ErrorKind::InvalidInput, path + ": truncated .npy header");
  if (header_field(header, "'fortran_order':\\s*(True|False)", path) == "True")
    fail(ErrorKind::InvalidInput, path + ": Fortran-order arrays are not supported; save with C order");
  DType stored = dtype_from_descr(header_field(header, "'descr':\\s*'([^']*)'", path), path);
  Shape shape = parse_shape(header_field(header, "'shape':\\s*\\(([^)]*)\\)", path), path);
  // Checked against the file before allocating: a corrupt shape must not ask for
  // exabytes.
  std::streampos data_start = in.tellg();
  in.seekg(0, std::ios::end);
  uint64_t available = static_cast<uint64_t>(in.tellg() - data_start);
  in.seekg(data_start);
  uint64_t needed = data_bytes(shape, stored, path);
  if (needed > available)
    fail(ErrorKind::InvalidInput, path + ": truncated .npy data (shape " + shape_str(shape) + " needs " +
                                      std::to_string(needed) + " bytes, the file holds " + std::to_string(available) + ")");
  Tensor raw(stored, shape);
  in.read(static_cast<char*>(raw.raw()), static_cast<std::streamsize>(raw.nbytes()));
  if (!in) fail(ErrorKind::InvalidInput, path + ": truncated .npy data (expected " + std::to_string(raw.nbytes()) + " bytes)");
  if (stored != DType::f64) return raw;
  return Tensor::from<float>(shape, raw.to_floats());
}

void write_npy(const std::string& path, const Tensor& tensor) {
  std::string shape = "(";
  for (size_t i = 0; i < tensor.rank(); ++i) shape += (i ? ", " : "") + std::to_string(tensor.dim(i));
  shape += tensor.rank() == 1 ? ",)" : ")";
  std::string header = "{'descr': '" + descr_of(tensor.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) fail(ErrorKind::Io, "cannot write '" + path + "'");
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xff), static_cast<unsigned char>(header.size() >> 8)};
  out.write(reinterpret_cast<const char*>(len), 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(tensor.raw()), static_cast<std::streamsize>(tensor.nbytes()));
  if (!out) fail(ErrorKind::Io, "failed writing '" + path + "'");
}

}  // namespace tandem
