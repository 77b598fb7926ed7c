// The `nullmark` command line. Library code throws nullmark::Error with context; this is the only
// place that catches, prints "error: ..." and exits non-zero.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "common/blas_core.h"
#include "common/error.h"
#include "experiments/commands/commands.h"

int main(int argc, char** argv) {
  using namespace nullmark;
  ensure_blas_core(argv);
  CLI::App app{"nullmark: piracy-resistant DNN watermarks (null embedding), training and measurement"};
  app.require_subcommand(1);

  commands::TrainArgs train;
  auto* t = app.add_subcommand("train", "Train a model from a YAML config");
  t->add_option("config", train.config, "Training config (YAML)")->required()->check(CLI::ExistingFile);
  t->add_option("--set", train.overrides, "Override a config value, e.g. --set train.epochs=2");
  t->add_option("--output", train.output_dir, "Run directory (overrides output_dir)");
  t->add_option("--resume", train.resume, "Continue from a checkpoint of the same config")->check(CLI::ExistingFile);
  t->add_flag("--quiet", train.quiet, "No live progress line");

  commands::EvalArgs eval;
  auto* e = app.add_subcommand("eval", "Accuracy of a checkpoint on a data set");
  e->add_option("model", eval.model, "Checkpoint file")->required()->check(CLI::ExistingFile);
  e->add_option("--data", eval.data_path, "Data directory (default: the one the model was trained on)");
  e->add_option("--split", eval.split, "train or test")->check(CLI::IsMember({"train", "test"}));
  e->add_option("--threads", eval.threads, "CPU threads (0 = all cores)");
  e->add_option("--json", eval.json_out, "Also write the result as JSON");

  auto* i = app.add_subcommand("info", "Version, threads, CUDA device and layer types");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    return app.exit(err);
  }
  try {
    if (t->parsed()) return commands::train(train);
    if (e->parsed()) return commands::eval(eval);
    if (i->parsed()) return commands::info();
  } catch (const std::exception& ex) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", ex.what());
    return 1;
  }
  return 0;
}
