// NM_HOST_DEVICE marks small inline functions that the CPU kernels and their CUDA twins share, so
// both devices compute the same arithmetic from one definition.
#pragma once

#if defined(__CUDACC__)
#define NM_HOST_DEVICE __host__ __device__
#else
#define NM_HOST_DEVICE
#endif
