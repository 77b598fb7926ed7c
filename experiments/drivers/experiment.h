// Experiment drivers run by `nullmark run CONFIG.yaml`. A config names its driver with
// `experiment:`; each driver reads its own section strictly, runs, and writes into its run
// directory: the resolved config, results.json, results.csv, report.md and (through
// experiments/plots/plot_results.py) figures. Every number in a report comes from that run.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/strict_yaml.h"
#include "datasets/dataset.h"
#include "experiments/compute_options.h"
#include "experiments/drivers/results.h"
#include "nn/checkpoint.h"
#include "nn/network.h"
#include "watermark/claim.h"
#include "watermark/verification.h"

namespace nullmark {

// What every driver gets: the common top-level keys, the model under attack with its data, and the
// owner's claim and thresholds.
struct ExperimentContext {
  std::string config_path, output_dir, experiment;
  uint64_t seed = 1;
  int threads = 0;
  ComputeOptions compute;  // `device:` and `cuda:`: where the attacks train and the measurements run
  std::shared_ptr<cuda::Context> gpu;  // on CUDA: the run's context, shared by every network it places
  std::string model_path;
  Checkpoint model;
  DataConfig data;
  Dataset train, test;
  Claim owner;
  Watermark owner_wm;
  VerifyThresholds thresholds;
  long eval_limit = 0;  // test samples used for the per-step measurements (0 = all)
  Results results;
};

// The model of a checkpoint, ready to run, in host memory: drivers edit parameters there (pruning,
// quantisation, channel removal, a new head), then move the network with to_run_device.
std::unique_ptr<Network> load_network(const ExperimentContext& ctx);
std::unique_ptr<Network> load_network(const Checkpoint& ckpt, const std::string& path);
// Moves a network to the run's device (`device:`); nothing on the CPU.
void to_run_device(const ExperimentContext& ctx, Network& net);

// Clean / null / true accuracy of a watermark on the test set and the thresholds' decision, made by
// the same VerifyThresholds code as `nullmark verify`.
struct Measurement {
  WatermarkAccuracy acc;
  bool accepted = false;
  unsigned missed = 0;  // VerifyThresholds::kMissed* bits; 0 when accepted
  const char* decision() const { return accepted ? "accepted" : "rejected"; }
  // "accepted", or "rejected (null)" naming each missed threshold (clean, true, null): a report row
  // says why without the reader redoing the arithmetic.
  std::string verdict() const;
  // {"decision": ..., "missed": [...]} for a run's findings.
  nlohmann::json decision_json() const;
};
Measurement measure(Network& net, const ExperimentContext& ctx, const Watermark& wm);
// A measurement as findings: clean, null, true, decision and the missed thresholds' names.
nlohmann::json accuracy_json(const Measurement& m);
// A rate as a findings key in percent ("80" for 0.8), so that flattened finding names stay readable.
std::string percent_key(double rate);

// A driver reads its section (and calls section.finish()) before anything is loaded, so a typo or a
// bad value fails at once; it returns the runner that does the work and fills ctx.results.
using Runner = std::function<void(ExperimentContext& ctx)>;
using Driver = Runner (*)(ConfigMap& section);

// Magnitude pruning: zeroes exactly round(rate * n) of the smallest-magnitude weights (biases are
// kept) in each conv2d/dense layer (per_layer) or among all their weights together (global).
void prune_weights(Network& net, double rate, bool per_layer);
Runner piracy_driver(ConfigMap& section);
Runner finetune_driver(ConfigMap& section);
Runner pruning_driver(ConfigMap& section);
Runner quantize_driver(ConfigMap& section);
Runner neural_cleanse_driver(ConfigMap& section);
Runner transfer_driver(ConfigMap& section);
Runner fine_pruning_driver(ConfigMap& section);
Runner forgery_driver(ConfigMap& section);

// The drivers a config's `experiment:` may name, in alphabetical order.
std::vector<std::string> experiment_names();

// Loads the config, runs its driver, writes the run directory. Returns the run's findings.
nlohmann::json run_experiment(const std::string& config_path, const std::vector<std::string>& overrides);

// A config with a `sweep:` map (key path -> list of values) runs every combination into
// OUTPUT_DIR/<combination>/ and writes a side-by-side summary with mean +- std over the values of
// its seed axes (`seed`, `piracy.key_seed`: is_seed_axis); without one it is a single run_experiment.
// Under mpirun the points are spread over the ranks (docs/clusters.md). With `resume`, points whose
// run directory holds a finished run of this sweep are kept, and the others run again.
// `share` {K, N} with N > 1 runs only the points a rank K of N would, and writes no summary: a job
// array's task; a later `--resume` of the whole sweep gathers every finished point.
struct SweepShare {
  int index = 0, count = 1;
};
void run_sweep(const std::string& config_path, const std::vector<std::string>& overrides, bool resume = false,
               SweepShare share = {});

}  // namespace nullmark
