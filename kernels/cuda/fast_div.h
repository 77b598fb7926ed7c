// Division by a divisor fixed at launch, as a multiply-high and a shift (Granlund and Montgomery,
// "Division by invariant integers using multiplication", 1994). The implicit-GEMM convolution
// splits every operand index into image, channel, row and column; integer division costs tens of
// instructions on the GPU and these splits ran more often than the multiply-adds they feed.
// Valid for 0 <= n < 2^31 and divisors from 1 to 2^31 - 1; host and device give the same answer,
// which tests/test_fast_div.cpp checks against the / operator on the host.
#pragma once
#include <cstdint>

#ifdef __CUDACC__
#define NM_HOST_DEVICE __host__ __device__
#else
#define NM_HOST_DEVICE
#endif

namespace nullmark::cuda {

struct FastDiv {
  uint32_t d = 1, mul = 1, shift = 0;  // the defaults divide by one

  FastDiv() = default;
  explicit FastDiv(int divisor) : d(static_cast<uint32_t>(divisor)) {
    shift = 0;
    while ((uint64_t{1} << shift) < d) ++shift;  // ceil(log2 d)
    // m' = floor(2^32 (2^shift - d) / d) + 1 fits in 32 bits because 2^shift < 2d.
    mul = static_cast<uint32_t>(((uint64_t{1} << 32) * ((uint64_t{1} << shift) - d)) / d + 1);
  }
  NM_HOST_DEVICE int div(int n) const {
    const uint32_t u = static_cast<uint32_t>(n);
#ifdef __CUDA_ARCH__
    const uint32_t hi = __umulhi(u, mul);
#else
    const uint32_t hi = static_cast<uint32_t>((static_cast<uint64_t>(u) * mul) >> 32);
#endif
    return static_cast<int>((hi + u) >> shift);  // hi <= u < 2^31: the sum does not overflow
  }
  NM_HOST_DEVICE int mod(int n) const { return n - div(n) * static_cast<int>(d); }
};

}  // namespace nullmark::cuda
