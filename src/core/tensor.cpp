// Host tensor storage, shape helpers and dtype conversions.
#include "tandem/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/host_memory.h"
#include "tandem/error.h"

namespace tandem {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: case DType::i32: return 4;
    case DType::f64: case DType::i64: return 8;
    case DType::f16: return 2;
    case DType::i8: case DType::u8: case DType::boolean: return 1;
  }
  return 1;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::f16: return "float16";
    case DType::i64: return "int64";
    case DType::i32: return "int32";
    case DType::i8: return "int8";
    case DType::u8: return "uint8";
    case DType::boolean: return "bool";
  }
  return "?";
}

int64_t num_elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + ")";
}

std::vector<int64_t> dense_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (int64_t d : shape_)
    if (d < 0) fail(ErrorKind::InvalidInput, "tensor shape " + shape_str(shape_) + " has a negative dimension");
  void* p = allocate_host_memory(nbytes());
  if (!p) fail(ErrorKind::Device, "host allocation of " + std::to_string(nbytes()) + " bytes failed");
  std::memset(p, 0, nbytes());
  storage_ = std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
}

Tensor Tensor::view(DType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.storage_ = std::shared_ptr<std::byte>(static_cast<std::byte*>(data), [](std::byte*) {});
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (num_elements(shape) != numel())
    fail(ErrorKind::InvalidInput, "cannot reshape " + shape_str(shape_) + " to " + shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  if (empty()) return {};
  Tensor t(dtype_, shape_);
  std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

template <class To, class From>
static void widen(const void* src, int64_t n, std::vector<To>& out) {
  const From* p = static_cast<const From*>(src);
  for (int64_t i = 0; i < n; ++i) out.push_back(static_cast<To>(p[i]));
}

template <class To>
static std::vector<To> convert_all(const Tensor& t) {
  std::vector<To> out;
  out.reserve(static_cast<size_t>(t.numel()));
  switch (t.dtype()) {
    case DType::f32: widen<To, float>(t.raw(), t.numel(), out); break;
    case DType::f64: widen<To, double>(t.raw(), t.numel(), out); break;
    case DType::i64: widen<To, int64_t>(t.raw(), t.numel(), out); break;
    case DType::i32: widen<To, int32_t>(t.raw(), t.numel(), out); break;
    case DType::i8: widen<To, int8_t>(t.raw(), t.numel(), out); break;
    case DType::u8: widen<To, uint8_t>(t.raw(), t.numel(), out); break;
    case DType::boolean: widen<To, bool>(t.raw(), t.numel(), out); break;
    case DType::f16: fail(ErrorKind::Unsupported, "float16 tensors are not supported");
  }
  return out;
}

std::vector<int64_t> Tensor::to_int64s() const { return convert_all<int64_t>(*this); }
std::vector<float> Tensor::to_floats() const { return convert_all<float>(*this); }

void Tensor::check_dtype(DType want) const {
  if (want != dtype_)
    fail(ErrorKind::Internal, std::string("tensor holds ") + dtype_name(dtype_) + ", accessed as " + dtype_name(want));
}

void Tensor::check_count(size_t count) const {
  if (static_cast<int64_t>(count) != numel())
    fail(ErrorKind::InvalidInput, std::to_string(count) + " values given for shape " + shape_str(shape_));
}

}  // namespace tandem
