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

  commands::KeygenArgs keygen;
  auto* kg = app.add_subcommand("keygen", "Create an Ed25519 key pair (OUT.key secret, OUT.pub public)");
  kg->add_option("--out", keygen.out, "Base name of the two files")->capture_default_str();

  commands::SignArgs sign;
  auto* sg = app.add_subcommand("sign", "Sign a verifier string: the watermark claim a model is trained with");
  sg->add_option("--key", sign.key, "Owner's secret key file")->required()->check(CLI::ExistingFile);
  sg->add_option("--verifier", sign.verifier, "Verifier string, e.g. acme/digit-classifier/2026-11-25")->required();
  sg->add_option("--n", sign.n, "Pattern size (n x n pixels)")->capture_default_str()->check(CLI::Range(1, 1024));
  sg->add_option("--lambda", sign.lambda, "Stamp value (+-lambda, on normalised inputs)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  sg->add_option("--out", sign.out, "Claim file to write")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    return app.exit(err);
  }
  try {
    if (t->parsed()) return commands::train(train);
    if (e->parsed()) return commands::eval(eval);
    if (i->parsed()) return commands::info();
    if (kg->parsed()) return commands::keygen(keygen);
    if (sg->parsed()) return commands::sign(sign);
  } catch (const std::exception& ex) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", ex.what());
    return 1;
  }
  return 0;
}
