#include "experiments/drivers/neural_cleanse.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>

#include "kernels/optimizers.h"
#include "kernels/softmax_xent.h"

namespace nullmark {

namespace {
inline float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
}  // namespace

void apply_trigger(const NcTrigger& t, const Shape& shape, size_t count, float* images) {
  const size_t hw = static_cast<size_t>(shape[1]) * shape[2], per = shape.numel();
  for (size_t i = 0; i < count; ++i)
    for (int c = 0; c < shape[0]; ++c)
      for (size_t k = 0; k < hw; ++k) {
        float& x = images[i * per + c * hw + k];
        x = (1.0f - t.mask[k]) * x + t.mask[k] * t.pattern[c * hw + k];
      }
}

std::vector<NcTrigger> neural_cleanse(Network& net, const Dataset& data, const std::vector<float>& lo,
                                      const std::vector<float>& hi, const NcOptions& o) {
  const Shape& s = data.shape;
  const int C = s[0];
  const size_t hw = static_cast<size_t>(s[1]) * s[2], per = s.numel();
  const int k = data.classes, B = o.batch;
  const long pool = std::min<long>(o.samples, static_cast<long>(data.size()));
  std::vector<NcTrigger> out;
  std::vector<float> x(per * B), xt(per * B), dx(per * B), dlogits(static_cast<size_t>(B) * k);
  std::vector<int32_t> y(B), pred(B);
  LayerContext ctx;
  ctx.param_grads = false;  // the trigger's gradient needs dx only: no weight gradients
  for (int t = 0; t < k; ++t) {
    // Parameters: raw mask (hw) then raw pattern (C*hw), optimised with Adam in one flat buffer.
    std::vector<float> raw(hw + per, 0.0f), grad(hw + per), m1(hw + per, 0.0f), m2(hw + per, 0.0f);
    std::fill(raw.begin(), raw.begin() + static_cast<long>(hw), -2.0f);  // start from a small mask
    AdamParams adam;
    adam.lr = static_cast<float>(o.lr);
    std::mt19937_64 rng(o.seed * 1315423911ULL + t);
    NcTrigger tr;
    tr.label = t;
    tr.mask.resize(hw);
    tr.pattern.resize(per);
    long hits = 0, seen = 0;
    for (int step = 0; step < o.steps; ++step) {
      for (size_t i = 0; i < hw; ++i) tr.mask[i] = sigmoid(raw[i]);
      for (int c = 0; c < C; ++c)
        for (size_t i = 0; i < hw; ++i)
          tr.pattern[c * hw + i] = lo[c] + (hi[c] - lo[c]) * sigmoid(raw[hw + c * hw + i]);
      for (int b = 0; b < B; ++b) {
        const long idx = static_cast<long>(rng() % static_cast<uint64_t>(pool));
        std::copy(data.image(idx), data.image(idx) + per, x.begin() + static_cast<long>(b * per));
        y[b] = t;
      }
      xt = x;
      apply_trigger(tr, s, B, xt.data());
      const float* logits = net.forward_host(xt.data(), B, ctx);
      const XentResult r = cpu::softmax_xent(B, k, logits, y.data(), nullptr, 1.0f / B, dlogits.data(), pred.data());
      if (step >= o.steps - 20) hits += r.correct, seen += B;  // success over the last steps
      net.backward_to_input_host(dlogits.data(), ctx, dx.data());
      // Chain rule through x' = (1 - m) x + m p and the sigmoid parametrisations.
      std::fill(grad.begin(), grad.end(), 0.0f);
      for (int b = 0; b < B; ++b)
        for (int c = 0; c < C; ++c)
          for (size_t i = 0; i < hw; ++i) {
            const size_t e = b * per + c * hw + i;
            grad[i] += dx[e] * (tr.pattern[c * hw + i] - x[e]);
            grad[hw + c * hw + i] += dx[e] * tr.mask[i];
          }
      for (size_t i = 0; i < hw; ++i) {
        const float m = tr.mask[i];
        grad[i] = (grad[i] + static_cast<float>(o.beta)) * m * (1.0f - m);
      }
      for (int c = 0; c < C; ++c)
        for (size_t i = 0; i < hw; ++i) {
          const float sp = (tr.pattern[c * hw + i] - lo[c]) / (hi[c] - lo[c]);
          grad[hw + c * hw + i] *= (hi[c] - lo[c]) * sp * (1.0f - sp);
        }
      cpu::adam_step(raw.size(), adam, step + 1, raw.data(), grad.data(), m1.data(), m2.data());
    }
    for (size_t i = 0; i < hw; ++i) tr.mask[i] = sigmoid(raw[i]);
    for (int c = 0; c < C; ++c)
      for (size_t i = 0; i < hw; ++i) tr.pattern[c * hw + i] = lo[c] + (hi[c] - lo[c]) * sigmoid(raw[hw + c * hw + i]);
    for (float m : tr.mask) tr.l1 += m;
    tr.success = seen ? static_cast<double>(hits) / seen : 0.0;
    std::fprintf(stderr, "  neural cleanse label %d: mask L1 %.1f, attack success %.1f%%\n", t, tr.l1,
                 100 * tr.success);
    out.push_back(std::move(tr));
  }
  std::vector<double> norms;
  for (const auto& tr : out) norms.push_back(tr.l1);
  const double med = median(norms);
  std::vector<double> dev;
  for (double v : norms) dev.push_back(std::fabs(v - med));
  const double mad = 1.4826 * median(dev);
  for (auto& tr : out) {
    tr.anomaly = mad > 0 ? std::fabs(tr.l1 - med) / mad : 0.0;
    tr.flagged = tr.anomaly > 2.0 && tr.l1 < med;
  }
  return out;
}

}  // namespace nullmark
