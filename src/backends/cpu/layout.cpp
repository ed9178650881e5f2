// Plain descriptors and layout tests for oneDNN memory.
#include "backends/cpu/layout.h"

#include <algorithm>

namespace tandem::cpu {

std::optional<memory::data_type> dnnl_type(DType dtype) {
  switch (dtype) {
    case DType::f32: return memory::data_type::f32;
    case DType::i32: return memory::data_type::s32;
    case DType::i8: return memory::data_type::s8;
    case DType::u8: return memory::data_type::u8;
    default: return std::nullopt;
  }
}

memory::dims dnnl_dims(const Shape& shape) {
  if (shape.empty()) return {1};
  return memory::dims(shape.begin(), shape.end());
}

Shape dims_of(const memory::desc& md) {
  memory::dims dims = md.dims();
  return Shape(dims.begin(), dims.end());
}

memory::desc plain_md(const Shape& shape, DType dtype) {
  memory::dims dims = dnnl_dims(shape);
  memory::dims strides(dims.size(), 1);
  for (size_t i = dims.size() - 1; i > 0; --i) strides[i - 1] = strides[i] * std::max<memory::dim>(dims[i], 1);
  return memory::desc(dims, dnnl_type(dtype).value(), strides);
}

memory::desc blocked8_md(const Shape& shape) {
  using tag = memory::format_tag;
  tag t = shape.size() == 3 ? tag::aBc8b : shape.size() == 4 ? tag::aBcd8b : tag::aBcde8b;
  return memory::desc(dnnl_dims(shape), memory::data_type::f32, t);
}

memory::desc channels_last_md(const Shape& shape) {
  using tag = memory::format_tag;
  tag t = shape.size() == 3 ? tag::acb : shape.size() == 4 ? tag::acdb : tag::acdeb;
  return memory::desc(dnnl_dims(shape), memory::data_type::f32, t);
}

bool is_channels_last(const memory::desc& md) {
  Shape dims = dims_of(md);
  return dims.size() >= 3 && dims.size() <= 5 && md.data_type() == memory::data_type::f32 && md == channels_last_md(dims);
}

std::optional<DenseLayout> dense_layout(const memory::desc& md) {
  if (is_plain(md)) return DenseLayout::Plain;
  Shape dims = dims_of(md);
  if (dims.size() >= 3 && dims.size() <= 5 && md == blocked8_md(dims)) return DenseLayout::Blocked8;
  if (is_channels_last(md)) return DenseLayout::ChannelsLast;
  return std::nullopt;
}

std::optional<memory::desc> same_layout(const memory::desc& md, const Shape& shape) {
  std::optional<DenseLayout> layout = dense_layout(md);
  if (!layout) return std::nullopt;
  switch (*layout) {
    case DenseLayout::Plain: return plain_md(shape);
    case DenseLayout::Blocked8: return blocked8_md(shape);
    case DenseLayout::ChannelsLast: return channels_last_md(shape);
  }
  return std::nullopt;
}

memory::desc strided_md(const memory::dims& dims, const memory::dims& strides) {
  return memory::desc(dims, memory::data_type::f32, strides);
}

bool is_plain(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked || d.format_desc.blocking.inner_nblks != 0 || d.offset0 != 0) return false;
  memory::dim expected = 1;
  for (int i = d.ndims - 1; i >= 0; --i) {
    if (d.padded_dims[i] != d.dims[i]) return false;
    if (d.dims[i] > 1 && d.format_desc.blocking.strides[i] != expected) return false;
    expected *= std::max<memory::dim>(d.dims[i], 1);  // as plain_md strides empty tensors
  }
  return true;
}

Shape pad_rank(const Shape& shape, size_t rank) {
  Shape padded(rank > shape.size() ? rank - shape.size() : 0, 1);
  padded.insert(padded.end(), shape.begin(), shape.end());
  return padded;
}

}  // namespace tandem::cpu
