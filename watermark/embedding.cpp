#include "watermark/embedding.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/error.h"
#include "kernels/softmax_xent.h"

namespace nullmark {

WatermarkTraining WatermarkTraining::read(ConfigMap cfg, Claim* claim_out) {
  WatermarkTraining w;
  w.claim_path = cfg.string("claim");
  Claim claim;
  try {
    claim = load_verified_claim(w.claim_path);
  } catch (const Error& e) {
    cfg.error("claim", e.what());
  }
  const long n = cfg.integer("n", claim.n, 1, 1024);
  const double lambda = cfg.number("lambda", claim.lambda, 1e-6, 1e9);
  if (n != claim.n)
    cfg.error("n", "the config says n = " + std::to_string(n) + " but the claim says " + std::to_string(claim.n));
  if (lambda != claim.lambda) cfg.error("lambda", "the config's lambda disagrees with the claim's");
  const std::string space = cfg.choice("space", claim.space, {"normalized", "raw"});
  if (space != claim.space)
    cfg.error("space", "the config says space " + space + " but the claim stamps in the " + claim.space + " space");
  w.clean_weight = cfg.number("clean_weight", 1.0, 0.0, 100.0);
  w.null_weight = cfg.number("null_weight", 1.0, 0.0, 100.0);
  w.true_weight = cfg.number("true_weight", 1.0, 0.0, 100.0);
  w.null_fraction = cfg.number("null_fraction", 1.0, 0.0, 1.0);
  w.true_fraction = cfg.number("true_fraction", 1.0, 0.0, 1.0);
  w.clean_batchnorm_statistics = cfg.choice("batchnorm_statistics", "all", {"all", "clean"}) == "clean";
  cfg.finish();
  // A watermark section that trains nothing is a mistake, not a clean run: say so.
  if (w.clean_weight == 0 && w.null_weight == 0 && w.true_weight == 0)
    cfg.error("clean_weight", "clean_weight, null_weight and true_weight are all 0: the model has nothing to learn from");
  if (w.null_weight == 0 && w.true_weight == 0)
    cfg.error("null_weight",
              "null_weight and true_weight are both 0: the watermark is never trained (drop the watermark section to "
              "train a clean model)");
  if (w.null_fraction == 0 && w.true_fraction == 0)
    cfg.error("null_fraction",
              "null_fraction and true_fraction are both 0: no sample is ever stamped (drop the watermark section to "
              "train a clean model)");
  if (claim_out) *claim_out = claim;
  return w;
}

Watermark watermark_pattern(const Claim& claim, const Shape& input, int classes) {
  NM_CHECK(input.rank() == 3, "watermarks need image inputs (C x H x W), the model takes ", input.str());
  if (claim.version == 2) {
    // A v2 claim signed the model it is for: a different shape or class count would derive a
    // different pattern from the same signature, an extra try the owner never committed to.
    const Shape signed_input(claim.input);
    if (!(signed_input == input) || claim.classes != classes)
      throw fail("the claim was signed for a model with ", signed_input.str(), " inputs and ", claim.classes,
                 " classes; this model has ", input.str(), " inputs and ", classes, " classes");
  }
  Watermark w = derive_watermark(claim.signature, ImageShape{input[0], input[1], input[2]}, classes, claim.n,
                                 static_cast<float>(claim.lambda));
  w.space = claim.space;
  return w;
}

Watermark watermark_for(const Claim& claim, const Shape& input, int classes, const std::vector<double>& mean,
                        const std::vector<double>& std) {
  Watermark w = watermark_pattern(claim, input, classes);
  if (claim.space == "normalized") return w;
  const int c = w.shape.c;
  NM_CHECK(c <= WatermarkPattern::kMaxChannels, "a raw-space watermark supports at most ",
           WatermarkPattern::kMaxChannels, " input channels, the model takes ", c);
  NM_CHECK(mean.size() == static_cast<size_t>(c) && std.size() == static_cast<size_t>(c),
           "a raw-space claim needs the data's normalisation for each of the ", c,
           " channel(s) to map lambda into the model's input");
  for (int k = 0; k < WatermarkPattern::kMaxChannels; ++k) {
    const int from = std::min(k, c - 1);  // channels past the input's repeat its last (never read)
    NM_CHECK(std[from] > 0, "a raw-space claim needs positive normalisation std, channel ", from, " has ", std[from]);
    w.scale[k] = static_cast<float>(1.0 / std[from]);
    w.shift[k] = static_cast<float>(-mean[from] / std[from]);
  }
  return w;
}

WatermarkAccuracy evaluate_watermark(Network& net, const Dataset& data, const Watermark& wm, long limit,
                                     int batch_size) {
  const long total = limit > 0 ? std::min<long>(limit, static_cast<long>(data.size())) : static_cast<long>(data.size());
  const size_t per = data.shape.numel();
  const int k = data.classes;
  const WatermarkPattern p = wm.pattern();
  std::vector<float> x(per * batch_size);
  std::vector<int32_t> pred(batch_size);
  std::vector<float> clean_logits(static_cast<size_t>(k) * batch_size);
  std::vector<double> shift(batch_size);  // per sample of the batch: distance from its clean logits
  LayerContext ctx;
  long clean = 0, null = 0, hit = 0, eligible = 0, unstamped_hit = 0, ignored = 0;
  double null_shift = 0, true_shift = 0;
  auto predict = [&](int n, bool is_clean) {
    const float* logits = net.forward_host(x.data(), n, ctx);
    for (int i = 0; i < n; ++i) {
      const float* z = logits + static_cast<size_t>(i) * k;
      pred[i] = static_cast<int32_t>(std::max_element(z, z + k) - z);
      float* c = clean_logits.data() + static_cast<size_t>(i) * k;
      if (is_clean) {
        std::copy(z, z + k, c);
      } else {
        double sq = 0;
        for (int j = 0; j < k; ++j) sq += (double(z[j]) - c[j]) * (double(z[j]) - c[j]);
        shift[i] = std::sqrt(sq);
      }
    }
  };
  for (long first = 0; first < total; first += batch_size) {
    const int n = static_cast<int>(std::min<long>(batch_size, total - first));
    const int32_t* y = data.labels.data() + first;
    std::copy(data.image(first), data.image(first) + per * n, x.begin());
    predict(n, true);
    for (int i = 0; i < n; ++i) {
      clean += pred[i] == y[i];
      unstamped_hit += y[i] != wm.label && pred[i] == wm.label;
    }
    cpu::watermark_stamp(wm.shape, p, false, n, x.data());
    predict(n, false);
    for (int i = 0; i < n; ++i) null += pred[i] == y[i], null_shift += shift[i];
    cpu::watermark_stamp(wm.shape, p, true, n, x.data());  // overwrites exactly the pattern cells
    predict(n, false);
    for (int i = 0; i < n; ++i)
      if (y[i] != wm.label) ++eligible, hit += pred[i] == wm.label, ignored += pred[i] == y[i], true_shift += shift[i];
  }
  WatermarkAccuracy a;
  a.samples = total;
  a.true_samples = eligible;
  if (total) a.clean = double(clean) / total, a.null = double(null) / total, a.null_shift = null_shift / total;
  if (eligible) {
    a.true_ = double(hit) / eligible;
    a.clean_as_label = double(unstamped_hit) / eligible;
    a.true_ignored = double(ignored) / eligible;
    a.true_shift = true_shift / eligible;
  }
  return a;
}

}  // namespace nullmark
