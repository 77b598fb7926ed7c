// Compression attacks. Pruning: magnitude pruning of the weights (biases kept), per layer or
// globally, over a sweep of rates; the pruned model is evaluated as is. Quantisation: int8
// per-channel symmetric and fp16 weights; the model runs with exactly the values the compressed
// weights represent (biases and activations stay float32).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>

#include "common/error.h"
#include "common/format.h"
#include "experiments/drivers/attack_training.h"
#include "experiments/drivers/experiment.h"
#include "kernels/quantize.h"

namespace nullmark {

namespace {
std::vector<float> magnitudes(const float* w, size_t n) {
  std::vector<float> m(w, w + n);
  for (float& v : m) v = std::fabs(v);
  return m;
}

// Zeroes the `rate` share of smallest-magnitude entries (ties broken by position order).
void prune_below(float* w, size_t n, float threshold, size_t& budget) {
  for (size_t i = 0; i < n; ++i)
    if (std::fabs(w[i]) < threshold || (std::fabs(w[i]) == threshold && budget > 0)) {
      if (std::fabs(w[i]) == threshold) --budget;
      w[i] = 0.0f;
    }
}

float kth(std::vector<float> v, size_t k) {  // k-th smallest (0-based)
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

void prune_weights(Network& net, double rate, bool per_layer) {
  NM_CHECK(net.device() == Device::CPU, "prune_weights edits weights in host memory: prune before moving the network");
  std::vector<std::pair<float*, size_t>> ws;  // every weight matrix, those inside residual blocks included
  for (const Layer::ParamSlice& s : net.param_slices())
    if (s.group == "weight") ws.emplace_back(net.params() + s.offset, s.count);
  auto apply = [](const std::vector<std::pair<float*, size_t>>& group, double r) {
    std::vector<float> all;
    for (const auto& [p, n] : group) {
      const auto m = magnitudes(p, n);
      all.insert(all.end(), m.begin(), m.end());
    }
    const size_t k = static_cast<size_t>(std::llround(r * all.size()));
    if (k == 0) return;
    if (k >= all.size()) {
      for (const auto& [p, n] : group) std::fill(p, p + n, 0.0f);
      return;
    }
    const float t = kth(all, k - 1);  // the k-th smallest magnitude goes, and all smaller ones
    size_t below = 0;
    for (float v : all) below += v < t;
    size_t budget = k - below;  // how many entries equal to t still go
    for (const auto& [p, n] : group) prune_below(p, n, t, budget);
  };
  if (per_layer)
    for (const auto& w : ws) apply({w}, rate);
  else
    apply(ws, rate);
}

Runner pruning_driver(ConfigMap& cfg) {
  const std::vector<double> rates =
      cfg.numbers("rates", {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95}, 0.0, 1.0);
  const std::string scope = cfg.choice("scope", "both", {"per_layer", "global", "both"});
  cfg.finish();
  return [=](ExperimentContext& ctx) {
    Table& t = ctx.results.table("pruning", "Magnitude pruning: accuracies against the pruning rate",
                                 {"scope", "rate", "clean", "null", "true", "owner_decision"});
    ctx.results.figures.push_back("pruning.png");
    for (const std::string s : {"per_layer", "global"}) {
      if (scope != "both" && scope != s) continue;
      for (double rate : rates) {
        auto net = load_network(ctx);
        prune_weights(*net, rate, s == "per_layer");
        to_run_device(ctx, *net);
        const Measurement m = measure(*net, ctx, ctx.owner_wm);
        t.add({s, rate, m.acc.clean, m.acc.null, m.acc.true_, m.verdict()});
        ctx.results.findings[s][percent_key(rate)] = accuracy_json(m);
        std::fprintf(stderr, "  %s rate %.2f: clean %.2f%%  null %.2f%%  true %.2f%%  owner's claim %s\n", s.c_str(),
                     rate, 100 * m.acc.clean, 100 * m.acc.null, 100 * m.acc.true_, m.verdict().c_str());
      }
    }
    ctx.results.report.push_back(
        "Weights (not biases) of every conv2d and dense layer with the smallest magnitudes are set to zero: "
        "per_layer prunes the rate within each layer, global prunes the rate of all weights with one threshold. "
        "No fine-tuning follows.");
  };
}

// Fine-pruning (Liu et al. 2018): remove the channels of the last conv layer that are least active
// on clean data, then fine-tune with them held at zero.
Runner fine_pruning_driver(ConfigMap& cfg) {
  const std::vector<double> rates = cfg.numbers("rates", {0.0, 0.2, 0.4, 0.6, 0.8, 0.9}, 0.0, 1.0);
  const long samples = cfg.integer("activation_samples", 2000, 1, 1L << 30);
  const AttackTraining a = AttackTraining::read(cfg, 1e-4);
  cfg.finish();
  return [=](ExperimentContext& ctx) {
    Table& t = ctx.results.table("fine_pruning", "Fine-pruning the last conv layer: before and after fine-tuning",
                                 {"stage", "rate", "clean", "null", "true", "owner_decision"});
    ctx.results.figures.push_back("fine_pruning.png");
    const Dataset data = subset(ctx.train, a.data_fraction, ctx.seed);
    for (double rate : rates) {
      auto net = load_network(ctx);
      size_t conv = net->layer_count();
      for (size_t i = 0; i < net->layer_count(); ++i) {
        const std::string type = net->layer(i).type();
        if (type.rfind("conv2d", 0) == 0) conv = i;
        // A residual sum has no single layer whose channels can be switched off by zeroing weights.
        NM_CHECK(type.rfind("residual", 0) != 0,
                 "fine-pruning removes channels of the last conv layer of a plain chain; this model has residual "
                 "blocks (use the pruning experiment instead)");
      }
      NM_CHECK(conv < net->layer_count(), "fine-pruning needs a conv2d layer");
      // Mean activation of each channel of the last conv layer (after its ReLU) on clean data.
      const Shape out = net->layer(conv).output_shape();
      const size_t plane = static_cast<size_t>(out[1]) * out[2];
      std::vector<double> mean(out[0], 0.0);
      const long n = std::min<long>(samples, static_cast<long>(ctx.train.size()));
      LayerContext lc;
      for (long first = 0; first < n; first += 500) {
        const int b = static_cast<int>(std::min<long>(500, n - first));
        net->forward_host(ctx.train.image(first), b, lc);
        const Tensor y = net->output(conv);
        for (int i = 0; i < b; ++i)
          for (int c = 0; c < out[0]; ++c)
            for (size_t k = 0; k < plane; ++k) mean[c] += y.data[(static_cast<size_t>(i) * out[0] + c) * plane + k];
      }
      std::vector<int> order(out[0]);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return mean[x] < mean[y]; });
      const int cut = static_cast<int>(std::llround(rate * out[0]));
      const auto w = net->layer(conv).weights();
      const size_t per_channel = w.count / w.rows, off = net->param_offset(conv);
      std::vector<size_t> zeroed;
      for (int j = 0; j < cut; ++j) {
        const int c = order[j];
        for (size_t k = 0; k < per_channel; ++k) zeroed.push_back(off + c * per_channel + k);
        if (net->layer(conv).param_count() > w.count) zeroed.push_back(off + w.count + c);  // bias
      }
      for (size_t i : zeroed) net->params()[i] = 0.0f;
      to_run_device(ctx, *net);
      const Measurement pruned = measure(*net, ctx, ctx.owner_wm);
      t.add({"pruned", rate, pruned.acc.clean, pruned.acc.null, pruned.acc.true_, pruned.verdict()});
      ctx.results.findings["pruned"][percent_key(rate)] = accuracy_json(pruned);
      AttackTrainer session(*net, a, ctx);
      Trainer& trainer = session.trainer;
      trainer.set_zeroed(zeroed);
      Measurement tuned;
      train_with_measurements(trainer, data, a, ctx.seed,
                              [&](long, double) { tuned = measure(*net, ctx, ctx.owner_wm); });
      t.add({"fine-tuned", rate, tuned.acc.clean, tuned.acc.null, tuned.acc.true_, tuned.verdict()});
      ctx.results.findings["fine-tuned"][percent_key(rate)] = accuracy_json(tuned);
      std::fprintf(stderr,
                   "  fine-pruning %.2f: pruned clean %.2f%% true %.2f%% (%s); fine-tuned clean %.2f%% null %.2f%% "
                   "true %.2f%%  owner's claim %s\n",
                   rate, 100 * pruned.acc.clean, 100 * pruned.acc.true_, pruned.verdict().c_str(),
                   100 * tuned.acc.clean, 100 * tuned.acc.null, 100 * tuned.acc.true_, tuned.verdict().c_str());
    }
    const std::string buf = format(
        "The last conv layer's channels with the lowest mean activation on clean data are removed (weights "
        "and bias held at zero), then the model is fine-tuned on %.0f%% of the training set for %d epoch(s).",
        100 * a.data_fraction, a.epochs);
    ctx.results.report.push_back(buf);
  };
}

Runner quantize_driver(ConfigMap& cfg) {
  cfg.finish();
  return [](ExperimentContext& ctx) {
    Table& t =
        ctx.results.table("quantize", "Weight quantisation", {"weights", "clean", "null", "true", "owner_decision"});
    for (const std::string mode : {"float32", "int8", "fp16"}) {
      auto net = load_network(ctx);
      double max_err = 0;
      for (const Layer::ParamSlice& w : net->param_slices()) {
        if (w.group != "weight") continue;
        float* p = net->params() + w.offset;
        const std::vector<float> orig(p, p + w.count);
        if (mode == "int8") {
          std::vector<int8_t> q(w.count);
          std::vector<float> scales(w.rows);
          cpu::quantize_int8_rows(w.rows, w.count / w.rows, p, q.data(), scales.data());
          cpu::dequantize_int8_rows(w.rows, w.count / w.rows, q.data(), scales.data(), p);
        } else if (mode == "fp16") {
          std::vector<uint16_t> h(w.count);
          cpu::to_fp16(w.count, p, h.data());
          cpu::from_fp16(w.count, h.data(), p);
        }
        for (size_t k = 0; k < w.count; ++k) max_err = std::max(max_err, double(std::fabs(p[k] - orig[k])));
      }
      to_run_device(ctx, *net);
      const Measurement m = measure(*net, ctx, ctx.owner_wm);
      t.add({mode, m.acc.clean, m.acc.null, m.acc.true_, m.verdict()});
      ctx.results.findings[mode] = accuracy_json(m);
      ctx.results.findings[mode]["max_weight_error"] = max_err;
      std::fprintf(stderr, "  %s: clean %.2f%%  null %.2f%%  true %.2f%% (max weight change %.2e)  owner's claim %s\n",
                   mode.c_str(), 100 * m.acc.clean, 100 * m.acc.null, 100 * m.acc.true_, max_err, m.verdict().c_str());
    }
    ctx.results.report.push_back(
        "int8: per-output-channel symmetric quantisation of every conv2d and dense weight matrix (scale = max|w|/127); "
        "fp16: IEEE half precision. The model is then run with exactly the values the compressed weights represent; "
        "biases and activations stay float32.");
  };
}

}  // namespace nullmark
