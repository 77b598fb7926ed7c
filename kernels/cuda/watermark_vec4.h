// The watermark batch kernel's float4 path, index arithmetic and stamping, shared by the CUDA kernel
// (kernels/watermark_batch_cuda.cu) and a CPU test that walks the same vectors against
// cpu::watermark_batch (tests/test_watermark_vec4.cpp).
//
// The kernel is bound by memory bandwidth only if each vector costs a few integer instructions: with
// an image width that is a multiple of four a vector never spans two rows, so one row and column
// locate all four elements, FastDiv splits the index without integer division, and most vectors lie
// outside the pattern's rows or columns and are copied as they are.
#pragma once
#include <cstdint>

#include "kernels/cuda/fast_div.h"
#include "kernels/host_device.h"
#include "kernels/watermark_batch.h"

namespace nullmark::cuda {

// The stamped value of element (row, col) of channel ch, or `v` when it is not a pattern cell.
NM_HOST_DEVICE inline float stamped(const WatermarkPattern& p, int ch, int row, int col, bool invert, float v) {
  const int i = row - p.row, j = col - p.col;
  if (i < 0 || j < 0 || i >= p.n || j >= p.n) return v;
  return p.value((p.bits[i * p.n + j] != 0) != invert, ch);
}

struct Vec4Layout {
  FastDiv per_image, per_plane, per_row;  // vectors per image, per channel plane, per image row

  static bool applies(const ImageShape& s) { return s.w % 4 == 0; }
  explicit Vec4Layout(const ImageShape& s) : per_image(s.size() / 4), per_plane(s.h * s.w / 4), per_row(s.w / 4) {}

  struct Where {
    int img, ch, row, col;  // image, channel, and the row and first column of the vector in its plane
    bool first;             // the image's first vector (it writes the labels)
  };
  NM_HOST_DEVICE Where at(int v) const {
    const int img = per_image.div(v), in_image = v - img * static_cast<int>(per_image.d);
    const int ch = per_plane.div(in_image), in_plane = in_image - ch * static_cast<int>(per_plane.d);
    const int row = per_row.div(in_plane), col = (in_plane - row * static_cast<int>(per_row.d)) * 4;
    return {img, ch, row, col, in_image == 0};
  }
};

// Whether the vector at (row, col .. col + 3) holds a pattern cell.
NM_HOST_DEVICE inline bool touches_pattern(const WatermarkPattern& p, int row, int col) {
  return row >= p.row && row < p.row + p.n && col + 4 > p.col && col < p.col + p.n;
}

// The null (invert = false) or true stamping of four elements of one row of channel ch.
NM_HOST_DEVICE inline void stamp4(const WatermarkPattern& p, int ch, int row, int col, bool invert,
                                  const float (&in)[4], float (&out)[4]) {
  for (int j = 0; j < 4; ++j) out[j] = stamped(p, ch, row, col + j, invert, in[j]);
}

// The null and true copies of the vector at `at`: the input where the vector holds no pattern cell.
NM_HOST_DEVICE inline void stamp_vector(const WatermarkPattern& p, const Vec4Layout::Where& at, const float (&in)[4],
                                        float (&nul)[4], float (&tru)[4]) {
  for (int j = 0; j < 4; ++j) nul[j] = tru[j] = in[j];
  if (!touches_pattern(p, at.row, at.col)) return;
  stamp4(p, at.ch, at.row, at.col, false, in, nul);
  stamp4(p, at.ch, at.row, at.col, true, in, tru);
}

// Labels of image `img`: clean and null copies keep theirs, true copies get y_W.
NM_HOST_DEVICE inline void write_labels(const WatermarkPattern& p, int img, int b, int n_null, int n_true,
                                        const int32_t* labels, int32_t* out_labels) {
  out_labels[img] = labels[img];
  if (img < n_null) out_labels[b + img] = labels[img];
  if (img < n_true) out_labels[b + n_null + img] = p.label;
}

}  // namespace nullmark::cuda
