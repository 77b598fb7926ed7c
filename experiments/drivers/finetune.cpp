// Fine-tuning attacks (the paper's four): FTLL and FTAL fine-tune the last layer or all layers;
// RTLL and RTAL first re-initialise the last layer, then train it alone or with all layers. Curves
// of clean / null / true accuracy over the attacker's training, one series per mode. A fifth mode,
// BNRE, changes no weight: the attacker's data only passes through the model in train mode, so batch
// norm re-estimates its running statistics on it (the part of FTLL in train mode that is not the head).
#include <algorithm>
#include <cstdio>

#include "common/format.h"
#include "experiments/drivers/attack_training.h"
#include "experiments/drivers/experiment.h"

namespace nullmark {

Runner finetune_driver(ConfigMap& cfg) {
  const std::vector<std::string> modes =
      cfg.choices("modes", {"FTLL", "FTAL", "RTLL", "RTAL"}, {"FTLL", "FTAL", "RTLL", "RTAL", "BNRE"});
  // Batch norm in the layers an LL mode freezes: "train" normalises with each batch and re-estimates
  // the running statistics on the attacker's data (PyTorch's train mode); "eval" keeps the model's
  // running statistics (Keras' non-trainable layers), so only the head changes.
  const std::string frozen_batchnorm = cfg.choice("frozen_batchnorm", "train", {"train", "eval"});
  const AttackTraining a = AttackTraining::read(cfg, 1e-4);
  cfg.finish();
  return [=](ExperimentContext& ctx) {
    const Dataset data = subset(ctx.train, a.data_fraction, ctx.seed);
    Table& curve = ctx.results.table("finetune_curves", "Fine-tuning: accuracies over the attacker's training",
                                     {"mode", "epoch", "clean", "null", "true"});
    ctx.results.figures.push_back("finetune_curves.png");
    Table& summary =
        ctx.results.table("finetune_summary", "After fine-tuning", {"mode", "clean", "null", "true", "owner_decision"});
    // Refused before any mode trains, so a BNRE late in the list does not waste the modes before it.
    if (std::find(modes.begin(), modes.end(), "BNRE") != modes.end())
      NM_CHECK(!ctx.model.buffers.empty(), "finetune: mode BNRE re-estimates batch-norm statistics, "
               "and the model ", ctx.model_path, " has no batchnorm layer");
    long steps = 0;  // the attacker's optimizer steps per mode (batch norm's re-estimation steps in BNRE)
    for (const std::string& mode : modes) {
      auto net = load_network(ctx);
      // The last layer that has parameters is the classifier head.
      size_t last = net->layer_count();
      while (last-- > 0 && net->layer(last).param_count() == 0) {
      }
      if (mode[0] == 'R') {
        std::mt19937_64 rng(ctx.seed * 7919 + 17);
        net->layer(last).init_params(rng);
      }
      to_run_device(ctx, *net);
      AttackTrainer session(*net, a, ctx);
      Trainer& trainer = session.trainer;
      if (mode == "BNRE") trainer.set_trainable_from(net->param_count());  // the optimizer updates nothing
      if (mode.substr(2) == "LL") {
        trainer.set_trainable_from(net->param_offset(last));
        if (frozen_batchnorm == "eval")
          for (size_t i = 0; i < last; ++i) net->layer(i).hold_statistics(true);
      }
      Measurement m;
      train_with_measurements(trainer, data, a, ctx.seed, [&](long step, double epoch) {
        steps = step;
        m = measure(*net, ctx, ctx.owner_wm);
        curve.add({mode, epoch, m.acc.clean, m.acc.null, m.acc.true_});
        std::fprintf(stderr, "  %s epoch %.2f: clean %.2f%%  null %.2f%%  true %.2f%%\n", mode.c_str(), epoch,
                     100 * m.acc.clean, 100 * m.acc.null, 100 * m.acc.true_);
      });
      summary.add({mode, m.acc.clean, m.acc.null, m.acc.true_, m.verdict()});
      ctx.results.findings[mode] = accuracy_json(m);
      std::fprintf(stderr, "  %s: owner's claim %s\n", mode.c_str(), m.verdict().c_str());
    }
    // What the attacker had and did, for tables that compare attacks by data and by steps.
    ctx.results.findings["attacker_samples"] = data.size();
    ctx.results.findings["attacker_steps"] = steps;
    const std::string buf = format(
        "Each mode starts from the owner's watermarked model and trains on %zu samples (%.1f%% of the training "
        "set) for %d epochs (%ld steps of batch %d) with %s, learning rate %g; in FTLL/RTLL the frozen layers' "
        "batch norm runs in %s mode (BNRE trains nothing: batch norm re-estimates its statistics on those samples). "
        "The owner's claim is verified after each mode.",
        data.size(), 100 * a.data_fraction, a.epochs, steps, a.batch_size, a.optimizer.type.c_str(),
        a.optimizer.lr(), frozen_batchnorm.c_str());
    ctx.results.report.push_back(buf);
  };
}

}  // namespace nullmark
