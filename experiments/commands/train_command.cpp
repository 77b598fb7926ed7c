#include <algorithm>
#include <cstdio>
#include <thread>
#include <nlohmann/json.hpp>

#include "common/blas_core.h"
#include "common/error.h"
#include "common/yaml_guard.h"
#include "experiments/config_diff.h"
#include "common/files.h"
#include "experiments/commands/commands.h"
#include "experiments/evaluate.h"
#include "experiments/plot_script.h"
#include "experiments/run_setup.h"
#include "common/format.h"
#include "common/ranks.h"
#include "train/data_parallel.h"
#include "train/trainer.h"
#include "interop/model_file.h"

namespace nullmark::commands {

namespace {
std::string model_yaml(const std::string& config_yaml) {
  YAML::Node n = load_yaml(config_yaml, "the embedded config")["model"];
  YAML::Emitter e;
  e << n;
  return e.c_str();
}

// The ranks of a data-parallel job must run one build on one config: compared before any work, so
// that a mixed job stops at once, naming the rank and the keys that differ.
void check_ranks_agree(const std::string& config_yaml) {
  ranks::check_agree("train", "build " + ranks::build_id());
  const std::vector<std::string> all = ranks::gather(config_yaml);
  std::string verdict;
  for (size_t r = 1; r < all.size() && verdict.empty(); ++r) {
    const std::vector<ConfigDifference> diff = config_differences(all[0], all[r]);
    for (const ConfigDifference& d : diff)
      verdict += format("\n  %s: rank 0 %s, rank %zu %s", d.key.c_str(), d.before.c_str(), r, d.after.c_str());
    if (!diff.empty()) verdict = format("rank %zu's config differs from rank 0's in %zu key(s):", r, diff.size()) + verdict;
  }
  verdict = ranks::broadcast(verdict);
  if (!verdict.empty()) throw fail("train: ", verdict);
}
}  // namespace

int train(const TrainArgs& a) {
  std::vector<std::string> overrides = a.overrides;
  if (!a.output_dir.empty()) overrides.push_back("output_dir=" + a.output_dir);
  RunSetup s = load_run_setup(a.config, overrides);
  Network& net = *s.net;
  const std::string config_yaml = s.resolved_yaml();
  // Data-parallel training: every rank runs this command; rank 0 alone reports, evaluates and writes.
  const int parallel = s.train_params.parallel_ranks;
  ranks::check_launch();
  if (parallel == 0 && ranks::size() > 1)
    throw fail(a.config, ": started as ", ranks::size(), " ranks, but train has no parallel section: add "
               "`parallel: {ranks: ", ranks::size(), "}` under train for data-parallel training (docs/clusters.md)");
  if (parallel > 0) check_ranks_agree(config_yaml);
  const bool lead = ranks::rank() == 0;
  if (lead) {
    std::fprintf(stderr, "%s", net.summary(s.model_name).c_str());
    std::fprintf(stderr, "data: %zu train / %zu test samples of %s, %d classes; %d threads%s\n", s.train.size(),
                 s.test.size(), s.train.shape.str().c_str(), s.train.classes, s.threads,
                 parallel > 0 ? format("; data-parallel over %d ranks (%d samples of each batch per rank)", parallel,
                                       s.train_params.batch_size / parallel)
                                    .c_str()
                              : "");
  }

  // Ranks that share a node's cores with all their threads slow each other down (docs/clusters.md).
  const unsigned cores = std::thread::hardware_concurrency();
  if (lead && parallel > 1 && s.compute.device == Device::CPU && cores > 0 &&
      static_cast<unsigned>(ranks::local_size() * s.threads) > cores)
    std::fprintf(stderr, "warning: %d ranks on this node with %d threads each, on %u cores: set threads to %u\n",
                 ranks::local_size(), s.threads, cores, std::max(1u, cores / ranks::local_size()));

  Optimizer opt(s.train_params.optimizer, net.param_slices());
  if (parallel > 0 && s.compute.device == Device::CUDA) DataParallel::choose_device();
  place_on_device(s, opt);
  std::unique_ptr<DataParallel> dp;
  if (parallel > 0) dp = std::make_unique<DataParallel>(parallel, s.compute.device);
  long start_epoch = 0, global_step = 0;
  nlohmann::json history = nlohmann::json::array();
  if (!a.resume.empty()) {
    Checkpoint c = load_checkpoint(a.resume);
    if (model_yaml(c.config_yaml) != model_yaml(config_yaml))
      throw fail(a.resume, ": checkpoint was trained with a different model section than ", a.config);
    // Model, data, watermark and training must all be the checkpoint's (a longer schedule aside):
    // continuing a watermarked model under a clean config would drop the watermark silently.
    const std::vector<ConfigDifference> conflicts = resume_conflicts(c.config_yaml, config_yaml);
    if (!conflicts.empty()) {
      std::string list;
      for (const ConfigDifference& d : conflicts)
        list += "\n  " + d.key + ": checkpoint " + d.before + ", config " + d.after;
      throw fail(a.resume, ": cannot resume under ", a.config, ": the config differs from the checkpoint's in ",
                 conflicts.size(),
                 " key(s) (only output_dir, threads, device, cuda, a longer train.epochs and another path to the "
                 "same data may):",
                 list);
    }
    if (c.optimizer_type != s.train_params.optimizer.type)
      throw fail(a.resume, ": checkpoint used optimizer ", c.optimizer_type, ", the config asks for ",
                 s.train_params.optimizer.type);
    load_network(c, net, a.resume);
    opt.restore(c.optimizer_steps, c.optimizer_state);
    start_epoch = c.epoch;
    global_step = c.global_step;
    history = c.extra.value("epochs", nlohmann::json::array());
    if (lead)
      std::fprintf(stderr, "resuming from %s after epoch %ld (step %ld)\n", a.resume.c_str(), start_epoch,
                   global_step);
    if (start_epoch >= s.train_params.epochs) {
      if (lead) std::fprintf(stderr, "the checkpoint already completed all %d epochs: nothing to do\n", s.train_params.epochs);
      return 0;
    }
  } else if (!a.init.empty()) {
    // Further training of an existing model under this config: its parameters, with this config's
    // optimizer, schedule, data and watermark from the first step.
    // A checkpoint or an ONNX model: its layers, every setting spelled out, must be this config's.
    Checkpoint c = load_model_file(a.init);
    const auto init_net = network_from_checkpoint(c, a.init);
    if (init_net->input_shape() != net.input_shape() ||
        YAML::Dump(init_net->chain().config()) != YAML::Dump(net.chain().config()))
      throw fail(a.init, ": the model (", init_net->input_shape().str(), " inputs) differs from the model section of ",
                 a.config, " (", net.input_shape().str(), " inputs)");
    load_network(c, net, a.init);
    if (lead) std::fprintf(stderr, "starting from the parameters of %s (trained %ld epochs); fresh optimizer\n", a.init.c_str(),
                 c.epoch);
  } else {
    net.init_params(s.seed);
  }

  if (dp) dp->check_in_step(net, "at the start (each rank reads the same initial model)");
  Trainer trainer(net, opt, s.train_params, s.seed);
  s.compute.configure(trainer);
  trainer.set_data_parallel(dp.get());
  if (s.watermark) {
    trainer.set_watermark(s.wm, *s.watermark);
    if (lead) std::fprintf(stderr,
                 "watermark: claim %s, y_W = %d, %dx%d pattern at (%d, %d), lambda %g (%s space); weights null %g "
                 "true %g; stamped copies null %g true %g per clean sample%s\n",
                 s.watermark->claim_path.c_str(), s.wm.label, s.wm.n, s.wm.n, s.wm.row, s.wm.col, s.wm.lambda,
                 s.wm.space.c_str(), s.watermark->null_weight, s.watermark->true_weight, s.watermark->null_fraction,
                 s.watermark->true_fraction,
                 net.buffer_count() == 0 ? ""
                 : s.watermark->clean_batchnorm_statistics ? "; batch-norm statistics from the clean samples"
                                                           : "; batch-norm statistics from the whole batch");
  }
  // Written once the trainer has accepted every setting, so that a refused run leaves no directory.
  if (lead) {
    make_dirs(s.output_dir);
    write_file_atomic(s.output_dir + "/config.yaml", config_yaml);
  }
  Progress progress(!a.quiet && lead);
  double total_wall = 0.0;
  for (const auto& e : history) total_wall += e.value("wall_s", 0.0);
  for (long epoch = start_epoch; epoch < s.train_params.epochs; ++epoch) {
    const EpochStats st = trainer.run_epoch(s.train, epoch, global_step, &progress);
    if (!lead) continue;  // the other ranks go on to the next epoch and wait for rank 0 in its first step
    const EvalResult test = evaluate(net, s.test);
    total_wall += st.wall_s;
    std::printf(
        "epoch %ld/%d  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%  lr %.2e  %.1fs  %.0f img/s  input "
        "%.1f%%\n",
        epoch + 1, s.train_params.epochs, st.loss, 100 * st.accuracy, test.loss, 100 * test.accuracy, st.lr, st.wall_s,
        st.images_per_s, 100 * st.input_s / st.wall_s);
    if (dp && s.compute.device == Device::CPU)
      std::printf("           data-parallel: %d ranks, gradient all-reduce %.1f%% of the epoch (%.2f ms per step)\n",
                  parallel, 100 * st.allreduce_s / st.wall_s, 1e3 * st.allreduce_s / st.steps);
    nlohmann::json row = {{"epoch", epoch + 1},     {"train_loss", st.loss},           {"train_accuracy", st.accuracy},
                          {"test_loss", test.loss}, {"test_accuracy", test.accuracy},  {"lr", st.lr},
                          {"wall_s", st.wall_s},    {"images_per_s", st.images_per_s}, {"input_s", st.input_s}};
    if (dp) row["ranks"] = parallel;
    if (dp && s.compute.device == Device::CPU) row["allreduce_s"] = st.allreduce_s;
    if (s.watermark) {
      const WatermarkAccuracy w = evaluate_watermark(net, s.test, s.wm);
      std::printf("           watermark on test set: clean %.2f%%  null %.2f%%  true %.2f%%\n", 100 * w.clean,
                  100 * w.null, 100 * w.true_);
      row["null_accuracy"] = w.null;
      row["true_accuracy"] = w.true_;
    }
    std::fflush(stdout);
    history.push_back(row);
    Checkpoint c;
    c.config_yaml = config_yaml;
    c.input_shape = net.input_shape().dims;
    c.classes = s.train.classes;
    c.epoch = epoch + 1;
    c.global_step = global_step;
    c.optimizer_type = opt.config().type;
    c.optimizer_steps = opt.steps();
    store_network(net, c);
    c.optimizer_state = opt.state();
    c.extra = {{"epochs", history}};
    save_checkpoint(s.output_dir + "/model.ckpt", c);
    nlohmann::json metrics = {{"config", s.config_path},
                              {"model", s.model_name},
                              {"threads", s.threads},
                              // CPU results are bitwise reproducible for a thread count and BLAS kernel:
                              // a rerun elsewhere needs both (OPENBLAS_CORETYPE picks the kernel).
                              {"blas_core", blas_core_name()},
                              {"epochs", history},
                              {"total_train_wall_s", total_wall},
                              {"final_test_accuracy", test.accuracy}};
    write_file_atomic(s.output_dir + "/metrics.json", metrics.dump(2) + "\n");
  }
  if (!lead) return 0;
  const bool plotted = run_plot_script("plot_training.py", {s.output_dir}, s.output_dir + "/plot.log");
  std::printf("run directory: %s (config.yaml, metrics.json, model.ckpt%s)\n", s.output_dir.c_str(),
              plotted ? ", training.png" : "");
  return 0;
}

}  // namespace nullmark::commands
