// TANDEM_HD marks small inline functions that run both on the GPU (inside the cuda
// backend's kernels) and on the host (where unit tests check them). Headers using it
// stay free of CUDA includes so that the host compiler can build those tests.
#pragma once

#ifndef TANDEM_HD
#ifdef __CUDACC__
#define TANDEM_HD __host__ __device__
#else
#define TANDEM_HD
#endif
#endif
