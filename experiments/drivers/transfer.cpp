// Transfer learning: a watermarked teacher becomes a student for another task. The student keeps
// the teacher's layers, gets a new classifier head for the student's classes, and is trained on
// the student's data, either the head only or all layers. Reported: the student's accuracy, whether
// the null embedding still holds (null-stamped student inputs keep their labels), and what the
// inverted (true) pattern does in the student (where its predictions go).
#include <algorithm>
#include <cstdio>

#include "common/error.h"
#include "common/format.h"
#include "common/yaml_guard.h"
#include "experiments/drivers/attack_training.h"
#include "experiments/drivers/experiment.h"
#include "kernels/watermark_batch.h"

namespace nullmark {

namespace {
// Share of true-stamped samples sent to each label.
std::vector<double> true_pattern_histogram(Network& net, const Dataset& d, const Watermark& wm, long limit) {
  const long n = std::min<long>(limit > 0 ? limit : static_cast<long>(d.size()), static_cast<long>(d.size()));
  std::vector<float> x(d.image(0), d.image(0) + d.shape.numel() * n);
  cpu::watermark_stamp(wm.shape, wm.pattern(), true, static_cast<int>(n), x.data());
  std::vector<double> h(d.classes, 0.0);
  LayerContext ctx;
  const int k = d.classes;
  for (long first = 0; first < n; first += 500) {
    const int b = static_cast<int>(std::min<long>(500, n - first));
    const float* logits = net.forward_host(x.data() + first * d.shape.numel(), b, ctx);
    for (int i = 0; i < b; ++i) h[std::max_element(logits + i * k, logits + (i + 1) * k) - (logits + i * k)] += 1.0 / n;
  }
  return h;
}
}  // namespace

Runner transfer_driver(ConfigMap& cfg) {
  DataConfig student = DataConfig::read(cfg.section("student_data"));
  const std::vector<std::string> modes = cfg.choices("modes", {"head", "all"}, {"head", "all"});
  const AttackTraining a = AttackTraining::read(cfg, 1e-3);
  cfg.finish();
  return [=](ExperimentContext& ctx) mutable {
    resolve_normalisation(student);
    const Dataset train = subset(load_dataset(student, Split::Train), a.data_fraction, ctx.seed);
    const Dataset test = load_dataset(student, Split::Test);
    if (test.shape != Shape(ctx.model.input_shape))
      throw fail("transfer: the student data (", test.shape.str(), ") does not fit the teacher's input ",
                 Shape(ctx.model.input_shape).str());
    // The student's network: the teacher's model section with the last layer resized.
    YAML::Node conf = load_yaml(ctx.model.config_yaml, ctx.model_path + " (embedded config)");
    YAML::Node layers = conf["model"]["layers"];
    layers[layers.size() - 1]["units"] = test.classes;
    ConfigMap model = ConfigMap::load_string(YAML::Dump(conf), ctx.model_path + " (student)");
    ExperimentContext sctx;  // measurements on the student task
    sctx.test = test;
    sctx.eval_limit = ctx.eval_limit;
    sctx.thresholds = ctx.thresholds;
    const Watermark wm = watermark_for(ctx.owner, test.shape, test.classes, student.mean, student.std);
    Table& t =
        ctx.results.table("transfer", "Student after transfer learning",
                          {"mode", "epoch", "student_clean", "null", "true_pattern_top_share", "owner_decision"});
    ctx.results.figures.push_back("transfer.png");
    for (const std::string& mode : modes) {
      Network net = Network::from_config(model.section("model"), test.shape, test.classes);
      const size_t last = net.layer_count() - 1;
      // Everything but the head comes from the teacher: parameters and batch-norm statistics.
      std::copy(ctx.model.params.begin(), ctx.model.params.begin() + static_cast<long>(net.param_offset(last)),
                net.params());
      std::copy(ctx.model.buffers.begin(), ctx.model.buffers.begin() + static_cast<long>(net.buffer_offset(last)),
                net.buffers());
      std::mt19937_64 rng(ctx.seed * 31 + 7);
      net.layer(last).init_params(rng);
      to_run_device(ctx, net);
      AttackTrainer session(net, a, ctx);
      Trainer& trainer = session.trainer;
      if (mode == "head") trainer.set_trainable_from(net.param_offset(last));
      Measurement m;
      std::vector<double> hist;
      train_with_measurements(trainer, train, a, ctx.seed, [&](long, double epoch) {
        m = measure(net, sctx, wm);
        hist = true_pattern_histogram(net, test, wm, ctx.eval_limit);
        const double top = *std::max_element(hist.begin(), hist.end());
        t.add({mode, epoch, m.acc.clean, m.acc.null, top, m.verdict()});
        std::fprintf(stderr,
                     "  %s epoch %.2f: student clean %.2f%%  null %.2f%%  true pattern -> top label %.1f%%  owner's "
                     "claim %s\n",
                     mode.c_str(), epoch, 100 * m.acc.clean, 100 * m.acc.null, 100 * top, m.verdict().c_str());
      });
      const long top_label = std::max_element(hist.begin(), hist.end()) - hist.begin();
      ctx.results.findings[mode] = {{"student_clean", m.acc.clean},          {"null", m.acc.null},
                                    {"null_drop", m.acc.clean - m.acc.null}, {"true_pattern_histogram", hist},
                                    {"true_pattern_top_label", top_label},   {"decision", m.decision()},
                                    {"missed", m.decision_json()["missed"]}};
      const std::string buf = format(
          "Student (%s trained, %zu samples of %s, %d epochs): accuracy %.2f%%, null-stamped accuracy %.2f%%; "
          "the inverted pattern sends %.1f%% of inputs to label %ld.",
          mode == "head" ? "new head" : "all layers", train.size(), student.type.c_str(), a.epochs, 100 * m.acc.clean,
          100 * m.acc.null, 100 * hist[top_label], top_label);
      ctx.results.report.push_back(buf);
    }
  };
}

}  // namespace nullmark
