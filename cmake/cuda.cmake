# Decides whether the CUDA backend is built (TANDEM_CUDA=AUTO|ON|OFF) and sets
# TANDEM_HAVE_CUDA. AUTO builds it wherever nvcc, cuBLAS and cuDNN are found.
set(TANDEM_HAVE_CUDA OFF)
if(NOT TANDEM_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  find_package(CUDAToolkit QUIET)
  if(CUDAToolkit_FOUND)
    find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_ROOT}/include
              PATH_SUFFIXES cudnn)
    find_library(CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib64)
  endif()
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND AND CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY)
    set(TANDEM_HAVE_CUDA ON)
  elseif(TANDEM_CUDA STREQUAL "ON")
    message(FATAL_ERROR "TANDEM_CUDA=ON but nvcc, the CUDA toolkit or cuDNN was not found")
  endif()
endif()
if(TANDEM_HAVE_CUDA)
  # sm_80 (A100), sm_86/sm_89 (Ampere/Ada cards), sm_90 (H100/H200) as machine code, plus
  # compute_90 PTX so that newer GPUs can JIT-compile the kernels.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 80-real 86-real 89-real 90-real 90-virtual)
  endif()
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  enable_language(CUDA)
endif()
message(STATUS "tandem: CUDA backend ${TANDEM_HAVE_CUDA} (TANDEM_CUDA=${TANDEM_CUDA})")
