// Measured choice of cuDNN convolution algorithms, once per shape signature: the
// search runs every forward algorithm on zeroed buffers of the problem's sizes with a
// workspace no larger than the device's limit, and keeps the fastest one that
// succeeded within that workspace in the math the context allows.
#include "backends/cuda/conv_search.h"

#include <algorithm>

namespace tandem::cuda {

namespace {

std::string int_list(const std::vector<int>& values) {
  std::string text = "(";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + std::to_string(values[i]);
  return text + ")";
}

size_t float_bytes(const Shape& shape) { return static_cast<size_t>(num_elements(shape)) * sizeof(float); }

// The largest workspace any algorithm needs for `problem`, up to `limit` (algorithms
// needing more are left out of the search anyway).
size_t search_workspace_bytes(const CudaContext& context, const ConvProblem& p, size_t limit) {
  size_t largest = 0;
  for (int algo = 0; algo < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; ++algo) {
    size_t bytes = 0;
    cudnnStatus_t status =
        cudnnGetConvolutionForwardWorkspaceSize(context.cudnn(), p.x->get(), p.w->get(), p.conv->get(), p.y->get(),
                                                static_cast<cudnnConvolutionFwdAlgo_t>(algo), &bytes);
    if (status == CUDNN_STATUS_SUCCESS && bytes <= limit) largest = std::max(largest, bytes);
  }
  return largest;
}

// Whether a result measured in math type `math` may run: strict float32 takes only
// FMA kernels (the descriptor asked for FMA, which cuDNN may report as the default
// math of non-tensor-op kernels); TF32 mode takes anything but down-conversion to half.
bool math_allowed(cudnnMathType_t math, bool tf32) {
  if (math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return false;
  return tf32 || math == CUDNN_FMA_MATH || math == CUDNN_DEFAULT_MATH;
}

// The fastest usable result (cuDNN returns them sorted by time).
std::optional<ConvChoice> best_result(const std::vector<cudnnConvolutionFwdAlgoPerf_t>& results, size_t limit,
                                      bool tf32) {
  for (const cudnnConvolutionFwdAlgoPerf_t& r : results) {
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > limit || !math_allowed(r.mathType, tf32)) continue;
    return ConvChoice{r.algo, tf32 ? r.mathType : CUDNN_FMA_MATH, r.memory, r.time};
  }
  return std::nullopt;
}

// Runs cuDNN's measured search on buffers allocated here; no results when cuDNN
// refuses the problem.
std::vector<cudnnConvolutionFwdAlgoPerf_t> measure_algorithms(const CudaContext& context, const ConvProblem& p,
                                                              size_t workspace_bytes, const std::string& where) {
  const std::string what = "convolution algorithm search";
  DeviceMemory x(context, float_bytes(p.x_shape), what), w(context, float_bytes(p.w_shape), what);
  DeviceMemory y(context, float_bytes(p.y_shape), what), workspace(context, workspace_bytes, what);
  cudaStream_t stream = context.compute();
  TANDEM_CUDA_CHECK(where, cudaMemsetAsync(x.get(), 0, x.bytes(), stream));
  TANDEM_CUDA_CHECK(where, cudaMemsetAsync(w.get(), 0, w.bytes(), stream));
  int requested = 0, returned = 0;
  TANDEM_CUDA_CHECK(where, cudnnGetConvolutionForwardAlgorithmMaxCount(context.cudnn(), &requested));
  std::vector<cudnnConvolutionFwdAlgoPerf_t> results(static_cast<size_t>(std::max(requested, 1)));
  cudnnStatus_t status = cudnnFindConvolutionForwardAlgorithmEx(
      context.cudnn(), p.x->get(), x.get(), p.w->get(), w.get(), p.conv->get(), p.y->get(), y.get(),
      static_cast<int>(results.size()), &returned, results.data(), workspace.get(), workspace.bytes());
  TANDEM_CUDA_CHECK(where, cudaStreamSynchronize(stream));
  if (cudnn_refused(status)) return {};
  check(status, "cudnnFindConvolutionForwardAlgorithmEx", where);
  results.resize(static_cast<size_t>(std::max(returned, 0)));
  return results;
}

}  // namespace

std::string conv_signature(const ConvProblem& problem, const std::vector<int>& pads, const std::vector<int>& strides,
                           const std::vector<int>& dilations, int group, cudnnMathType_t math) {
  std::string signature = "x";
  signature += shape_str(problem.x_shape);
  signature += " w" + shape_str(problem.w_shape);
  signature += " pad" + int_list(pads);
  signature += " stride" + int_list(strides);
  signature += " dilation" + int_list(dilations);
  signature += " group " + std::to_string(group);
  signature += " math " + std::to_string(static_cast<int>(math));
  return signature;
}

std::optional<ConvChoice> choose_conv_algorithm(CudaContext& context, const ConvProblem& problem,
                                                const std::string& signature, const std::string& where) {
  if (const ConvChoice* known = context.find_conv_choice(signature)) return *known;
  context.activate();
  bool tf32 = context.tf32();
  TANDEM_CUDA_CHECK(where, cudnnSetConvolutionMathType(problem.conv->get(), conv_math_type(context)));
  size_t limit = context.options().workspace_limit;
  std::vector<cudnnConvolutionFwdAlgoPerf_t> results =
      measure_algorithms(context, problem, search_workspace_bytes(context, problem, limit), where);
  std::optional<ConvChoice> choice = best_result(results, limit, tf32);
  if (choice) context.remember_conv_choice(signature, *choice);
  return choice;
}

}  // namespace tandem::cuda
