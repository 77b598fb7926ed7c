#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/quantize.h"

namespace nullmark::cpu {

void quantize_int8_rows(int rows, size_t cols, const float* w, int8_t* q, float* scales) {
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* row = w + static_cast<size_t>(r) * cols;
    float amax = 0.0f;
    for (size_t i = 0; i < cols; ++i) amax = std::max(amax, std::fabs(row[i]));
    const float scale = amax / 127.0f;
    scales[r] = scale;
    int8_t* out = q + static_cast<size_t>(r) * cols;
    for (size_t i = 0; i < cols; ++i)
      out[i] = scale > 0 ? static_cast<int8_t>(std::clamp(std::nearbyint(row[i] / scale), -127.0f, 127.0f)) : 0;
  }
}

void dequantize_int8_rows(int rows, size_t cols, const int8_t* q, const float* scales, float* w) {
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; ++r)
    for (size_t i = 0; i < cols; ++i)
      w[static_cast<size_t>(r) * cols + i] = q[static_cast<size_t>(r) * cols + i] * scales[r];
}

// The compiler's _Float16 does the IEEE conversion (F16C instructions where available). Clang
// before 15 has no _Float16 on x86-64; its storage-only __fp16 converts the same way (round to
// nearest even), and the fuzzing build (scripts/fuzz.sh) compiles with it.
#if defined(__clang__) && !defined(__FLT16_MAX__)
using Half = __fp16;
#else
using Half = _Float16;
#endif

void to_fp16(size_t count, const float* w, uint16_t* h) {
  for (size_t i = 0; i < count; ++i) {
    const Half v = static_cast<Half>(w[i]);
    std::memcpy(&h[i], &v, sizeof v);
  }
}

void from_fp16(size_t count, const uint16_t* h, float* w) {
  for (size_t i = 0; i < count; ++i) {
    Half v;
    std::memcpy(&v, &h[i], sizeof v);
    w[i] = static_cast<float>(v);
  }
}

}  // namespace nullmark::cpu
