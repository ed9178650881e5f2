// Host tensors: a dtype, a shape and a shared, 64-byte aligned buffer in dense
// row-major (C) order. Activations are float32 NCHW; int64 appears in shape arithmetic.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tandem {

enum class DType : uint8_t { f32, f64, f16, i64, i32, i8, u8, boolean };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int8_t>() { return DType::i8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::u8; }
template <> constexpr DType dtype_of<bool>() { return DType::boolean; }

using Shape = std::vector<int64_t>;

int64_t num_elements(const Shape& shape);
std::string shape_str(const Shape& shape);  // "(1, 3, 224, 224)"
// Row-major strides in elements: strides(shape)[i] = product of shape[i+1:].
std::vector<int64_t> dense_strides(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // zero-filled
  // A view of memory owned elsewhere (which must outlive the view and its copies).
  static Tensor view(DType dtype, Shape shape, void* data);
  template <class T>
  static Tensor from(Shape shape, const std::vector<T>& values) {
    Tensor t(dtype_of<T>(), std::move(shape));
    t.check_count(values.size());
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }

  bool empty() const { return !storage_; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_.at(i); }
  size_t rank() const { return shape_.size(); }
  int64_t numel() const { return num_elements(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  void* raw() { return storage_.get(); }
  const void* raw() const { return storage_.get(); }
  template <class T> T* data() { check_dtype(dtype_of<T>()); return static_cast<T*>(raw()); }
  template <class T> const T* data() const {
    check_dtype(dtype_of<T>());
    return static_cast<const T*>(raw());
  }

  // Same buffer, new shape with the same element count.
  Tensor reshaped(Shape shape) const;
  // Deep copy.
  Tensor clone() const;
  // Integer contents widened to int64 (for shape-like inputs: Reshape, Slice, Pad...).
  std::vector<int64_t> to_int64s() const;
  std::vector<float> to_floats() const;

 private:
  void check_dtype(DType want) const;
  void check_count(size_t count) const;

  DType dtype_ = DType::f32;
  Shape shape_;
  std::shared_ptr<std::byte> storage_;
};

}  // namespace tandem
