// Neural Cleanse as an attack on the watermark: does backdoor detection flag y_W, does the recovered
// mask find the real pattern (Jaccard overlap of the mask > 0.5 with the n x n square), and does
// unlearning with the recovered trigger (stamped samples keep their true labels) remove the watermark?
#include <cstdio>

#include "common/files.h"
#include "common/format.h"
#include "experiments/drivers/attack_training.h"
#include "experiments/drivers/experiment.h"
#include "experiments/drivers/neural_cleanse.h"

namespace nullmark {

Runner neural_cleanse_driver(ConfigMap& cfg) {
  NcOptions o;
  o.steps = static_cast<int>(cfg.integer("steps", o.steps, 1, 100000));
  o.batch = static_cast<int>(cfg.integer("batch", o.batch, 1, 4096));
  o.lr = cfg.number("lr", o.lr, 1e-6, 10.0);
  o.beta = cfg.number("beta", o.beta, 0.0, 10.0);
  o.samples = cfg.integer("samples", o.samples, 1, 1L << 30);
  ConfigMap u = cfg.section("unlearning");
  const bool unlearn = u.boolean("enabled", true);
  const double trigger_fraction = u.number("trigger_fraction", 0.2, 0.0, 1.0);
  const AttackTraining a = AttackTraining::read(u, 1e-4);
  u.finish();
  cfg.finish();
  return [=](ExperimentContext& ctx) {
    NcOptions opt = o;
    opt.seed = ctx.seed;
    auto net = load_network(ctx);
    to_run_device(ctx, *net);
    std::vector<float> lo, hi;
    for (size_t c = 0; c < ctx.data.mean.size(); ++c) {
      lo.push_back(static_cast<float>((0.0 - ctx.data.mean[c]) / ctx.data.std[c]));
      hi.push_back(static_cast<float>((1.0 - ctx.data.mean[c]) / ctx.data.std[c]));
    }
    const std::vector<NcTrigger> triggers = neural_cleanse(*net, ctx.train, lo, hi, opt);
    Table& t = ctx.results.table("neural_cleanse", "Reverse-engineered triggers per label",
                                 {"label", "mask_l1", "anomaly_index", "attack_success", "flagged"});
    const Watermark& wm = ctx.owner_wm;
    const int H = wm.shape.h, W = wm.shape.w;
    nlohmann::json masks = {{"shape", {H, W}},
                            {"watermark", {{"label", wm.label}, {"row", wm.row}, {"col", wm.col}, {"n", wm.n}}}};
    std::vector<int> flagged;
    const NcTrigger* most = &triggers.front();
    for (const auto& tr : triggers) {
      t.add({std::to_string(tr.label), tr.l1, tr.anomaly, tr.success, tr.flagged ? "yes" : "no"});
      masks["masks"][std::to_string(tr.label)] = tr.mask;
      if (tr.flagged) flagged.push_back(tr.label);
      if (tr.l1 < most->l1) most = &tr;
    }
    // Overlap of the y_W mask with the real pattern square.
    const NcTrigger& tw = triggers[wm.label];
    long inter = 0, uni = 0;
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const bool in_mask = tw.mask[y * W + x] > 0.5f;
        const bool in_pattern = y >= wm.row && y < wm.row + wm.n && x >= wm.col && x < wm.col + wm.n;
        inter += in_mask && in_pattern;
        uni += in_mask || in_pattern;
      }
    const double jaccard = uni ? static_cast<double>(inter) / uni : 0.0;
    write_file_atomic(ctx.output_dir + "/masks.json", masks.dump() + "\n");
    ctx.results.figures.push_back("masks.png");
    nlohmann::json& f = ctx.results.findings;
    f["flagged_labels"] = flagged;
    f["watermark_label"] = wm.label;
    f["watermark_label_flagged"] = triggers[wm.label].flagged;
    f["watermark_label_anomaly"] = triggers[wm.label].anomaly;
    f["watermark_mask_jaccard"] = jaccard;
    ctx.results.report.push_back(format(
        "Neural Cleanse (%d steps per label, beta %g) flags %zu label(s)%s. The watermark label y_W = %d has mask L1 "
        "%.1f and anomaly index %.2f (%s). Its recovered mask (> 0.5) overlaps the real %dx%d pattern with Jaccard "
        "index %.3f.",
        opt.steps, opt.beta, flagged.size(), flagged.empty() ? "" : " (see the table)", wm.label, triggers[wm.label].l1,
        triggers[wm.label].anomaly, triggers[wm.label].flagged ? "flagged" : "not flagged", wm.n, wm.n, jaccard));
    if (!unlearn) return;

    // Unlearning: the attacker fine-tunes with the smallest recovered trigger stamped on a share of
    // its samples, each keeping its true label.
    Dataset d = subset(ctx.train, a.data_fraction, ctx.seed);
    const size_t stamped = static_cast<size_t>(trigger_fraction * d.size());
    apply_trigger(*most, d.shape, stamped, d.images.data());
    AttackTrainer session(*net, a, ctx);
    Trainer& trainer = session.trainer;
    Table& ut = ctx.results.table("unlearning", "Unlearning with the recovered trigger",
                                  {"stage", "epoch", "clean", "null", "true"});
    ctx.results.figures.push_back("unlearning.png");
    Measurement before, after;
    train_with_measurements(trainer, d, a, ctx.seed, [&](long step, double epoch) {
      after = measure(*net, ctx, wm);
      if (step == 0) before = after;
      ut.add({"unlearning", epoch, after.acc.clean, after.acc.null, after.acc.true_});
    });
    f["unlearning"] = {{"trigger_label", most->label},   {"clean_before", before.acc.clean},
                       {"clean_after", after.acc.clean}, {"null_after", after.acc.null},
                       {"true_after", after.acc.true_},  {"decision_after", after.decision()}};
    f["unlearning"]["missed_after"] = after.decision_json()["missed"];
    std::fprintf(stderr, "  unlearning: owner's claim %s\n", after.verdict().c_str());
    ctx.results.report.push_back(format(
        "Unlearning with the smallest trigger (label %d) stamped on %zu of %zu samples, %d epoch(s): clean "
        "accuracy %.2f%% -> %.2f%%, null %.2f%% -> %.2f%%, true %.2f%% -> %.2f%%; the owner's claim is then %s.",
        most->label, stamped, d.size(), a.epochs, 100 * before.acc.clean, 100 * after.acc.clean, 100 * before.acc.null,
        100 * after.acc.null, 100 * before.acc.true_, 100 * after.acc.true_, after.verdict().c_str()));
  };
}

}  // namespace nullmark
