// Spec v1 derivation: signature -> (y_W, row, col, bits) for a model's input shape and class count.
//   D(tag, j) = SHA-256("nullmark-v1/" || tag || BE32(j) || sig),  U(tag) = BE64(D(tag, 0)[0..8])
//   y_W = U("label") mod K,  row = U("row") mod (H-n+1),  col = U("col") mod (W-n+1)
//   bits = D("bits", 0) || D("bits", 1) || ..., most significant bit first, row-major in the square.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/watermark_batch.h"
#include "watermark/keys.h"

namespace nullmark {

struct Watermark {
  int label = 0, row = 0, col = 0, n = 1;
  float lambda = 0.0f;  // always a claim's (derive_watermark)
  std::vector<uint8_t> bits;  // n*n values 0/1
  ImageShape shape;
  // Where +-lambda lives: "normalized" (on the model's input, the identity map) or "raw" (in raw
  // pixel units, mapped per channel through the data's normalisation; watermark_for sets it).
  std::string space = "normalized";
  float scale[WatermarkPattern::kMaxChannels] = {1.0f, 1.0f, 1.0f, 1.0f};
  float shift[WatermarkPattern::kMaxChannels] = {0.0f, 0.0f, 0.0f, 0.0f};
  // How many bits are 1: +lambda pixels of the null stamp, -lambda of the true one.
  int ones() const { return static_cast<int>(std::count(bits.begin(), bits.end(), 1)); }
  // A view for the kernels (valid while this object lives).
  WatermarkPattern pattern() const {
    WatermarkPattern p{row, col, n, bits.data(), lambda, label};
    std::copy(scale, scale + WatermarkPattern::kMaxChannels, p.scale);
    std::copy(shift, shift + WatermarkPattern::kMaxChannels, p.shift);
    return p;
  }
  // The stamp map of another watermark (its space, scale and shift): random and pirate keys are
  // measured in the space of the claim they are compared with.
  void copy_space(const Watermark& o) {
    space = o.space;
    std::copy(o.scale, o.scale + WatermarkPattern::kMaxChannels, scale);
    std::copy(o.shift, o.shift + WatermarkPattern::kMaxChannels, shift);
  }
};

Watermark derive_watermark(const uint8_t* sig, size_t sig_len, const ImageShape& shape, int classes, int n,
                           float lambda);
inline Watermark derive_watermark(const Signature& sig, const ImageShape& shape, int classes, int n, float lambda) {
  return derive_watermark(sig.data(), sig.size(), shape, classes, n, lambda);
}

// The pattern's n*n bits as '0'/'1' characters, k = 0 first, as the spec's golden vectors and the
// certificates write them.
std::string bit_string(const Watermark& w);

}  // namespace nullmark
