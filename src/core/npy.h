// NumPy .npy files (format 1.0/2.0, little-endian, C order) for tensors in and out.
#pragma once
#include <string>

#include "tandem/tensor.h"

namespace tandem {

// Reads float32, float64 (converted to float32), int64 or int32 arrays. Errors name
// the file and the problem (not .npy, Fortran order, unsupported dtype, truncated).
Tensor read_npy(const std::string& path);
void write_npy(const std::string& path, const Tensor& tensor);

}  // namespace tandem
