// Piracy: a pirate with its own key pair embeds its own null + true watermark into the owner's
// watermarked model by incremental training. Measured as curves over the pirate's training: clean
// accuracy, the owner's and the pirate's null/true accuracy and verification decisions. Control:
// the same pirate embedding on a never-watermarked model. Also: a forged claim (a pirate key never
// embedded anywhere) verified on the owner's model.
#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "common/error.h"
#include "common/files.h"
#include "common/format.h"
#include "common/sha256.h"
#include "experiments/drivers/attack_training.h"
#include "experiments/drivers/experiment.h"
#include "watermark/overlap.h"
#include "interop/model_file.h"

namespace nullmark {

namespace {
KeyPair derived_key(const std::string& tag, uint64_t seed) { return derived_keypair(tag + "/" + std::to_string(seed)); }

struct Run {
  std::string name;
  Measurement before_owner, before_pirate, after_owner, after_pirate;
};

// The pirate's training, as the config sets it.
struct PirateTraining {
  AttackTraining a;
  Watermark wm;
  Dataset data;
  bool clean_samples;
  double null_weight, true_weight;
};

// The pirate's embedding on one model (the owner's, or the control), measured before, along and after.
Run embed_pirate(const std::string& name, const Checkpoint& ckpt, const std::string& path, const PirateTraining& p,
                 ExperimentContext& ctx, Table& curve, Table& summary) {
  auto net = load_network(ckpt, path);
  to_run_device(ctx, *net);
  Run r;
  r.name = name;
  AttackTrainer session(*net, p.a, ctx);
  Trainer& trainer = session.trainer;
  WatermarkTraining wt;
  wt.clean_weight = p.clean_samples ? 1.0 : 0.0;
  wt.null_weight = p.null_weight;
  wt.true_weight = p.true_weight;
  trainer.set_watermark(p.wm, wt);
  Measurement owner, pir;
  train_with_measurements(trainer, p.data, p.a, ctx.seed, [&](long step, double epoch) {
    owner = measure(*net, ctx, ctx.owner_wm);
    pir = measure(*net, ctx, p.wm);
    if (step == 0) r.before_owner = owner, r.before_pirate = pir;
    curve.add({name, epoch, owner.acc.clean, owner.acc.null, owner.acc.true_, pir.acc.null, pir.acc.true_});
    std::fprintf(stderr,
                 "  %s epoch %.2f: clean %.2f%%  owner null %.2f%% true %.2f%%  pirate null %.2f%% true %.2f%%\n",
                 name.c_str(), epoch, 100 * owner.acc.clean, 100 * owner.acc.null, 100 * owner.acc.true_,
                 100 * pir.acc.null, 100 * pir.acc.true_);
  });
  r.after_owner = owner, r.after_pirate = pir;
  for (int after = 0; after < 2; ++after) {
    const Measurement& o = after ? r.after_owner : r.before_owner;
    const Measurement& q = after ? r.after_pirate : r.before_pirate;
    summary.add({name, after ? "after" : "before", o.acc.clean, o.acc.null, o.acc.true_, o.verdict(), q.acc.null,
                 q.acc.true_, q.verdict()});
  }
  std::fprintf(stderr, "  %s after the attack: owner's claim %s, pirate's claim %s\n", name.c_str(),
               r.after_owner.verdict().c_str(), r.after_pirate.verdict().c_str());
  return r;
}
}  // namespace

Runner piracy_driver(ConfigMap& cfg) {
  const std::string control_path = cfg.string("control_model", "");
  const bool clean_samples = cfg.boolean("clean_samples", true);
  // Weights of the pirate's null- and true-stamped samples in its loss: setting one to 0 separates
  // what each half of the pirate's embedding does to the model.
  const double null_weight = cfg.number("null_weight", 1.0, 0.0, 100.0);
  const double true_weight = cfg.number("true_weight", 1.0, 0.0, 100.0);
  const long n_cfg = cfg.integer("n", 0, 0, 1024);                // 0: the owner's n
  const double lambda_cfg = cfg.number("lambda", 0.0, 0.0, 1e9);  // 0: the owner's lambda
  // The pirate's key comes from its own seed where one is given, so that a sweep can vary the key
  // with the pirate's data and training order fixed, or the other way round (0: the run's seed).
  const auto key_seed_cfg = static_cast<uint64_t>(cfg.integer("key_seed", 0, 0, 1L << 62));
  const AttackTraining a = AttackTraining::read(cfg, 1e-3);
  cfg.finish();
  if (!clean_samples && null_weight == 0 && true_weight == 0)
    cfg.error("null_weight",
              "without clean samples, null_weight and true_weight 0 leave the pirate nothing to train on");
  if (!control_path.empty() && !file_exists(control_path))
    cfg.error("control_model", "model file " + control_path + " does not exist");
  return [=](ExperimentContext& ctx) {
    const long n = n_cfg ? n_cfg : ctx.owner.n;
    const double lambda = lambda_cfg > 0 ? lambda_cfg : ctx.owner.lambda;
    const uint64_t key_seed = key_seed_cfg ? key_seed_cfg : ctx.seed;

    // The pirate's claim: its own key, signing its own verifier string, the owner's stamping space.
    const Claim pirate =
        make_claim_v1(derived_key("nullmark-pirate", key_seed), "pirate/claims-this-model", n, lambda, ctx.owner.space);
    const Claim forged =
        make_claim_v1(derived_key("nullmark-forger", key_seed), "pirate/claims-this-model", n, lambda, ctx.owner.space);
    const Shape in(ctx.model.input_shape);
    const Watermark pirate_wm = watermark_for(pirate, in, ctx.model.classes, ctx.data.mean, ctx.data.std);
    const Watermark forged_wm = watermark_for(forged, in, ctx.model.classes, ctx.data.mean, ctx.data.std);
    const PatternOverlap overlap = pattern_overlap(pirate_wm, ctx.owner_wm);
    const Dataset data = subset(ctx.train, a.data_fraction, ctx.seed);
    const std::string geometry = format(
        "key seed %llu, y_W = %d, a %dx%d pattern at (%d, %d); the owner's y_W = %d at (%d, %d); the patterns share "
        "%d pixels, %d of them with opposite bits",
        static_cast<unsigned long long>(key_seed), pirate_wm.label, pirate_wm.n, pirate_wm.n, pirate_wm.row,
        pirate_wm.col, ctx.owner_wm.label, ctx.owner_wm.row, ctx.owner_wm.col, overlap.pixels, overlap.conflicting());
    std::fprintf(stderr, "pirate: %zu training samples (%.0f%%), %s clean samples; %s\n", data.size(),
                 100 * a.data_fraction, clean_samples ? "with" : "without", geometry.c_str());

    Table& curve =
        ctx.results.table("piracy_curves", "Pirate embedding: accuracies over the pirate's training",
                          {"model", "epoch", "clean", "owner_null", "owner_true", "pirate_null", "pirate_true"});
    ctx.results.figures.push_back("piracy_curves.png");
    Table& summary = ctx.results.table("piracy_summary",
                                       "Before and after the pirate's training (decisions with the run's thresholds)",
                                       {"model", "when", "clean", "owner_null", "owner_true", "owner_decision",
                                        "pirate_null", "pirate_true", "pirate_decision"});
    auto decision = [](const Measurement& m) { return m.decision(); };

    const PirateTraining pt{a, pirate_wm, data, clean_samples, null_weight, true_weight};
    auto attack = [&](const std::string& name, const Checkpoint& ckpt, const std::string& path) {
      return embed_pirate(name, ckpt, path, pt, ctx, curve, summary);
    };

    // How a model meets the pirate's watermark before any training on it: measures that need no
    // attack, read against which keys ruin the owner's model (docs/research-leads.md: none predicts it for
    // every owner; the balance of the two patterns does better).
    auto add_before = [](nlohmann::json& j, const Run& r) {
      j["pirate_null_before"] = r.before_pirate.acc.null;
      j["pirate_true_before"] = r.before_pirate.acc.true_;
      j["pirate_true_ignored_before"] = r.before_pirate.acc.true_ignored;
      j["pirate_null_shift_before"] = r.before_pirate.acc.null_shift;
      j["pirate_true_shift_before"] = r.before_pirate.acc.true_shift;
      j["pirate_label_on_clean_before"] = r.before_pirate.acc.clean_as_label;
    };
    const Run owner_run = attack("owner-watermarked", ctx.model, ctx.model_path);
    nlohmann::json& f = ctx.results.findings;
    f["pirate_watermark"] = {{"key_seed", key_seed},
                             {"label", pirate_wm.label},
                             {"same_label", pirate_wm.label == ctx.owner_wm.label ? 1 : 0},
                             {"row", pirate_wm.row},
                             {"col", pirate_wm.col},
                             {"overlap_pixels", overlap.pixels},
                             {"conflicting_pixels", overlap.conflicting()},
                             {"ones", pirate_wm.ones()},
                             {"bits", bit_string(pirate_wm)}};
    f["owner_model"] = {{"clean_before", owner_run.before_owner.acc.clean},
                        {"clean_after", owner_run.after_owner.acc.clean},
                        {"owner_decision_after", decision(owner_run.after_owner)},
                        {"pirate_decision_after", decision(owner_run.after_pirate)},
                        {"owner_null_after", owner_run.after_owner.acc.null},
                        {"owner_true_after", owner_run.after_owner.acc.true_},
                        {"pirate_true_after", owner_run.after_pirate.acc.true_},
                        {"pirate_label_on_clean_after", owner_run.after_pirate.acc.clean_as_label}};
    add_before(f["owner_model"], owner_run);
    std::string control_text = "No control model was given (`piracy.control_model`).";
    if (!control_path.empty()) {
      const Run c = attack("control-clean", load_model_file(control_path), control_path);
      f["control_model"] = {{"clean_before", c.before_owner.acc.clean},
                            {"clean_after", c.after_owner.acc.clean},
                            {"pirate_decision_after", decision(c.after_pirate)},
                            {"pirate_label_on_clean_after", c.after_pirate.acc.clean_as_label}};
      add_before(f["control_model"], c);
      control_text = format(
          "Control (the same pirate embedding on a never-watermarked model): clean accuracy %.2f%% before, %.2f%% "
          "after; the pirate's own claim is then %s.",
          100 * c.before_owner.acc.clean, 100 * c.after_owner.acc.clean, decision(c.after_pirate));
    }
    auto net = load_network(ctx);
    to_run_device(ctx, *net);
    const Measurement forged_m = measure(*net, ctx, forged_wm);
    f["forged_claim"] = {{"null", forged_m.acc.null}, {"true", forged_m.acc.true_}, {"decision", decision(forged_m)}};

    ctx.results.report.push_back(format(
        "Pirate embedding on the owner's watermarked model (%zu training samples, %s clean samples, %d epochs): "
        "clean accuracy %.2f%% before, %.2f%% after. The owner's claim is %s afterwards (null %.2f%%, true "
        "%.2f%%); the pirate's claim is %s (null %.2f%%, true %.2f%%). Unstamped test images now classified as "
        "the pirate's label: %.2f%% (of those not of that label).",
        data.size(), clean_samples ? "with" : "without", a.epochs, 100 * owner_run.before_owner.acc.clean,
        100 * owner_run.after_owner.acc.clean, decision(owner_run.after_owner), 100 * owner_run.after_owner.acc.null,
        100 * owner_run.after_owner.acc.true_, decision(owner_run.after_pirate), 100 * owner_run.after_pirate.acc.null,
        100 * owner_run.after_pirate.acc.true_, 100 * owner_run.after_pirate.acc.clean_as_label));
    ctx.results.report.push_back(std::string("The pirate's watermark: ") + geometry + ".");
    ctx.results.report.push_back(control_text);
    ctx.results.report.push_back(format(
        "Forged claim (a pirate key never embedded anywhere) on the owner's model: null %.2f%%, true %.2f%%, %s.",
        100 * forged_m.acc.null, 100 * forged_m.acc.true_, decision(forged_m)));
    ctx.results.report.push_back(
        "Decisions use the thresholds of this run's config (true accuracy and null-accuracy drop); measurements use " +
        std::string(ctx.eval_limit ? std::to_string(ctx.eval_limit) + " test samples." : "the whole test set."));
  };
}

}  // namespace nullmark
