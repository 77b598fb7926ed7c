// Post-training weight compression. int8: per-output-channel symmetric quantisation,
// scale = max|w| / 127, q = round(w / scale) in [-127, 127]. fp16: IEEE half precision, round to
// nearest even. Both come with the inverse, so a model can run with exactly the values the
// compressed weights represent.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nullmark::cpu {

// w is [rows, cols] row-major; writes q (rows*cols) and scales (rows). A row of zeros gets scale 0.
void quantize_int8_rows(int rows, size_t cols, const float* w, int8_t* q, float* scales);
void dequantize_int8_rows(int rows, size_t cols, const int8_t* q, const float* scales, float* w);
void to_fp16(size_t count, const float* w, uint16_t* h);
void from_fp16(size_t count, const uint16_t* h, float* w);

}  // namespace nullmark::cpu
