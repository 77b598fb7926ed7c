// The precision of a run's matrix products on the GPU (`cuda.precision`). Every product accumulates
// in float32 and every tensor is stored in float32 (the optimizer updates float32 master weights);
// what changes is how the two operands of each multiplication are rounded first:
//   fp32  not at all (CUDA cores);
//   tf32  to TF32, 10 stored mantissa bits (tensor cores);
//   bf16  to bfloat16, 7 stored mantissa bits (tensor cores; bfloat16 keeps float32's exponent range,
//         so no loss scaling is needed).
// The product of two rounded operands is exact in float32 (at most 22 significant bits), so a result
// differs from the float64 sum of the rounded products only by float32 accumulation. The rounding
// functions below are the one definition that both the CUDA kernels and the CPU oracle of the tests
// apply (kernels/host_device.h), so small products stay exactly testable on machines without a GPU.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "kernels/host_device.h"

namespace nullmark {

enum class Precision { Fp32, Tf32, Bf16 };

inline const char* precision_name(Precision p) {
  switch (p) {
    case Precision::Fp32: return "fp32";
    case Precision::Tf32: return "tf32";
    case Precision::Bf16: return "bf16";
  }
  return "?";
}

// The compute capability whose tensor cores take the precision's operands (TF32 and bfloat16: 8.0,
// Ampere); fp32 runs anywhere.
inline int precision_min_major(Precision p) { return p == Precision::Fp32 ? 0 : 8; }

// Why `card` (of compute capability major.minor) cannot run precision p, or "" where it can.
inline std::string precision_refusal(Precision p, const std::string& card, int major, int minor) {
  if (major >= precision_min_major(p)) return "";
  return std::string("cuda.precision ") + precision_name(p) + " needs tensor cores of compute capability " +
         std::to_string(precision_min_major(p)) + ".0 or newer, and " + card + " is " + std::to_string(major) + "." +
         std::to_string(minor) + " (use cuda.precision fp32 on this card)";
}

namespace precision_detail {
// The float's bits and back (memcpy is the portable way on both devices; compilers make it a move).
template <class To, class From>
NM_HOST_DEVICE inline To bit_copy(From v) {
  static_assert(sizeof(To) == sizeof(From), "bit_copy between types of one size");
  To out;
  memcpy(&out, &v, sizeof out);
  return out;
}
// Rounds to nearest, ties to even, keeping the top 32 - dropped bits; NaN stays NaN (quieted) and
// infinities stay; a finite value that rounds past the largest one becomes an infinity, as in IEEE.
NM_HOST_DEVICE inline float round_dropping(float v, int dropped) {
  const uint32_t u = bit_copy<uint32_t>(v);
  if ((u & 0x7f800000u) == 0x7f800000u) return (u & 0x007fffffu) ? bit_copy<float>(u | 0x00400000u) : v;
  const uint32_t half = (1u << (dropped - 1)) - 1u, odd = (u >> dropped) & 1u;
  return bit_copy<float>((u + half + odd) & ~((1u << dropped) - 1u));
}
}  // namespace precision_detail

// bfloat16: float32 with the low 16 bits rounded off.
NM_HOST_DEVICE inline float round_to_bf16(float v) { return precision_detail::round_dropping(v, 16); }
// TF32: float32 with the low 13 bits rounded off (the tensor cores read the top 19 bits).
NM_HOST_DEVICE inline float round_to_tf32(float v) { return precision_detail::round_dropping(v, 13); }
NM_HOST_DEVICE inline float round_operand(Precision p, float v) {
  return p == Precision::Bf16 ? round_to_bf16(v) : p == Precision::Tf32 ? round_to_tf32(v) : v;
}

}  // namespace nullmark
