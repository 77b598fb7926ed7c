// Null embedding at initial training: the `watermark:` config section and the watermark-aware
// evaluation (clean, null and true accuracy).
#pragma once
#include <string>

#include "common/strict_yaml.h"
#include "datasets/dataset.h"
#include "nn/network.h"
#include "watermark/claim.h"
#include "watermark/derivation.h"

namespace nullmark {

struct WatermarkTraining {
  std::string claim_path;
  double clean_weight = 1.0;                        // 0: train on stamped samples only (a pirate without data)
  double null_weight = 1.0, true_weight = 1.0;      // loss = w_clean CE(clean) + w_null CE(null) + w_true CE(true)
  double null_fraction = 1.0, true_fraction = 1.0;  // stamped copies per clean sample of a batch
  // `batchnorm_statistics: clean`: batch norm's training statistics come from a batch's clean samples
  // alone, so that the running statistics a model keeps are those an attacker's clean data would
  // give them; `all` (false): from the whole batch, stamped samples included.
  bool clean_batchnorm_statistics = false;
  // Reads the section; n and lambda come from the claim (if the section repeats them they must agree).
  // A `space:` key, if present, must agree with the claim's too.
  static WatermarkTraining read(ConfigMap cfg, Claim* claim_out);
};

struct WatermarkAccuracy {
  double clean = 0.0;  // accuracy on unmodified samples
  double null = 0.0;   // accuracy on null-stamped samples with their true labels
  double true_ = 0.0;  // share of true-stamped samples classified as y_W, over samples not labelled y_W
  // Share of unstamped samples classified as y_W, over the same samples: where the true embedding's
  // label reaches inputs that carry no stamp (a pirate training without clean samples can spread
  // its label over clean images; docs/research-leads.md).
  double clean_as_label = 0.0;
  // Share of true-stamped samples still given their own label, over the same samples: how far the
  // model looks past a true stamp it was never trained on (a pirate's, before its attack).
  double true_ignored = 0.0;
  // Mean Euclidean distance between a stamped sample's logits and its clean logits (null: over all
  // samples; true: over those not labelled y_W): how far a stamp moves the model short of changing
  // its answer, where true_ignored only counts answers.
  double null_shift = 0.0, true_shift = 0.0;
  long samples = 0, true_samples = 0;
};

// `limit` > 0 evaluates on the first `limit` samples only.
WatermarkAccuracy evaluate_watermark(Network& net, const Dataset& data, const Watermark& wm, long limit = 0,
                                     int batch_size = 500);

// The watermark a claim defines for a network's input shape and class count, with its stamp values
// for data normalised by `mean` and `std` (per channel, on the [0, 1] pixel scale): +-lambda as it
// is for a "normalized" claim, (+-lambda - mean_c) / std_c for a "raw" one, which fails without
// statistics for every channel.
Watermark watermark_for(const Claim& claim, const Shape& input, int classes, const std::vector<double>& mean,
                        const std::vector<double>& std);
// The pattern alone (label, position, bits; the identity stamp map): for showing a claim's pattern
// without data (`nullmark pattern`).
Watermark watermark_pattern(const Claim& claim, const Shape& input, int classes);

}  // namespace nullmark
