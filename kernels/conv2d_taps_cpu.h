// The register-blocked loops shared by the CPU's direct 3x3 convolutions: conv2d_grid_cpu.cpp
// (stride 1) and conv2d_phase_cpu.cpp (stride 2). Both lay each input channel out as zero-padded
// planes on a grid of pitch P, so that every kernel tap of every output grid position p reads position
// p + offset(tap) of its channel: a contiguous shift, which vector loads take 16 positions at a time.
// A tap list names each tap's offset and which of the nine weights (i * 3 + j) it multiplies.
// Internal to the kernels.
#pragma once
#include <cstddef>
#include <cstring>

namespace nullmark::cpu::conv_taps {

constexpr int kLanes = 32;  // grid positions per block: two 512-bit vectors of float

// Vectors of 64 bytes (16 floats, 8 doubles) through GCC's vector extension: written with plain
// arrays, the compiler kept the accumulators in memory (loop interchange), 2.5x slower measured.
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(64)));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(64)));
};
template <class T>
using Vec = typename VecOf<T>::type;
template <class T>
constexpr int kPerVec = 64 / sizeof(T);
template <class T>
inline Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// v, made to live in a register: left to itself, GCC folds a load used by two multiply-adds into
// both, loading twice (and in the weight gradient mostly across cache lines); the duplicated loads
// halved that pass's speed, measured.
template <class T>
inline Vec<T> in_register(Vec<T> v) {
#if defined(__x86_64__)
  asm("" : "+v"(v));
#endif
  return v;
}

template <int NT>
struct Taps {
  int offset[NT];  // grid positions from an output position to the value the tap reads
  int weight[NT];  // the tap's weight among a filter's nine, i * 3 + j
};

// tile[fb][l] = sum over ci < cin, then over the taps t in order, of
// w[(co0 + fb) * w_out + ci * 9 + weight[t]] * in[ci * in_channel + p0 + l + offset[t]]
// for FB output channels from co0 and the kLanes grid positions from p0.
template <int FB, int NT, class T>
inline void tap_block(const T* in, size_t in_channel, int cin, const Taps<NT>& taps, const T* w, size_t w_out,
                      int co0, size_t p0, T (&tile)[FB][kLanes]) {
  constexpr int NV = kLanes / kPerVec<T>;
  Vec<T> acc[FB][NV];
  for (int fb = 0; fb < FB; ++fb)
    for (int v = 0; v < NV; ++v) acc[fb][v] = Vec<T>{};
  for (int ci = 0; ci < cin; ++ci) {
    const T* xc = in + ci * in_channel + p0;
    const T* wc = w + static_cast<size_t>(co0) * w_out + static_cast<size_t>(ci) * 9;
#pragma GCC unroll 9
    for (int t = 0; t < NT; ++t) {
      Vec<T> xv[NV];
      for (int v = 0; v < NV; ++v) xv[v] = load(xc + taps.offset[t] + v * kPerVec<T>);
#pragma GCC unroll 8
      for (int fb = 0; fb < FB; ++fb) {
        const T wv = wc[static_cast<size_t>(fb) * w_out + taps.weight[t]];
        for (int v = 0; v < NV; ++v) acc[fb][v] += wv * xv[v];
      }
    }
  }
  std::memcpy(tile, acc, sizeof acc);
}

// dw[((f0 + k) * c_count + c) * 9 + weight[t]] += sum over the images of a block and their grid
// positions p < grid_len of dyg[img * dy_image + (f0 + k) * grid_len + p] *
// in[img * in_image + c * in_channel + p + offset[t]], for filters f0 and f0 + 1 (k = 0, 1) and every
// input channel c: two filters by nine taps, 18 vector partial sums, reduced once per block.
template <class T>
void weight_grad_pair(const T* in, size_t in_image, size_t in_channel, const T* dyg, size_t dy_image,
                      size_t grid_len, const Taps<9>& taps, int c_count, int f0, int images, T* dw) {
  constexpr int V = kPerVec<T>;
  for (int c = 0; c < c_count; ++c) {
    Vec<T> acc[2][9];
    for (int f = 0; f < 2; ++f)
      for (int t = 0; t < 9; ++t) acc[f][t] = Vec<T>{};
    for (int img = 0; img < images; ++img) {
      const T* xc = in + img * in_image + c * in_channel;
      const T* d0 = dyg + img * dy_image + static_cast<size_t>(f0) * grid_len;
      const T* d1 = d0 + grid_len;
      for (size_t p = 0; p < grid_len; p += V) {
        const Vec<T> g0 = load(d0 + p), g1 = load(d1 + p);
#pragma GCC unroll 9
        for (int t = 0; t < 9; ++t) {
          const Vec<T> xv = in_register<T>(load(xc + p + taps.offset[t]));
          acc[0][t] += g0 * xv;
          acc[1][t] += g1 * xv;
        }
      }
    }
    T lanes[2][9][V];
    std::memcpy(lanes, acc, sizeof acc);
    for (int f = 0; f < 2; ++f)
      for (int t = 0; t < 9; ++t) {
        T sum = 0;
        for (int l = 0; l < V; ++l) sum += lanes[f][t][l];
        dw[(static_cast<size_t>(f0 + f) * c_count + c) * 9 + taps.weight[t]] += sum;
      }
  }
}

}  // namespace nullmark::cpu::conv_taps
