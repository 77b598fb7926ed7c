// The `nullmark` command line. Library code throws nullmark::Error with context; this is the only
// place that catches, prints "error: ..." and exits non-zero.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "common/blas_core.h"
#include "common/error.h"
#include "common/ranks.h"
#include "experiments/commands/commands.h"
#include "experiments/drivers/experiment.h"

namespace {
// --input C,H,W, as sign and pattern take it (three values: the parser checks the count).
void add_input_shape(CLI::App* sub, std::vector<int>& input, const std::string& note) {
  sub->add_option("--input", input, "The model's input shape C,H,W, e.g. 1,28,28" + note)
      ->required()
      ->delimiter(',')
      ->expected(3);
}
// The model, data and measurement settings that verify and dispute share.
void add_measurement_options(CLI::App* sub, nullmark::commands::VerifyArgs& v) {
  sub->add_option("--model", v.model, "Checkpoint or ONNX model")->required()->check(CLI::ExistingFile);
  sub->add_option("--data", v.data_path, "Data directory (default: the one the model was trained on)");
  sub->add_option("--split", v.split, "Held-out split")
      ->check(CLI::IsMember({"train", "test"}))
      ->capture_default_str();
  sub->add_option("--random-keys", v.random_keys, "Uniformly random never-embedded keys to compare with")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sub->add_option("--blind-keys", v.blind_keys,
                  "Blind-forger keys to compare with: the claim's label and position, random bits")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  sub->add_option("--far", v.far,
                  "False-acceptance rate: the claim's p-value against each kind of key must not exceed it "
                  "(needs at least 1/far - 1 keys of each kind)")
      ->capture_default_str()
      ->check(CLI::Range(1e-9, 0.999999));
  sub->add_option("--random-samples", v.random_samples, "Held-out samples per never-embedded key")
      ->capture_default_str()
      ->check(CLI::Range(1L, 1L << 30));
  sub->add_option("--min-true", v.min_true, "Threshold: minimum true accuracy")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--max-null-drop", v.max_null_drop, "Threshold: null accuracy may trail clean by this much")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--min-clean", v.min_clean,
                  "Threshold: minimum clean accuracy of the model (0: the paper's rule, the watermark alone)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--seed", v.seed, "Seed of the never-embedded keys")->capture_default_str();
  sub->add_option("--threads", v.threads, "CPU threads (0 = all cores)");
  sub->add_option("--device", v.device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
}
}  // namespace

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
  auto* resume = t->add_option("--resume", train.resume, "Continue from a checkpoint of the same config")
                    ->check(CLI::ExistingFile);
  t->add_option("--init", train.init,
                "Start from a checkpoint's or ONNX model's parameters (same layers; fresh optimizer and schedule): "
                "further training, as a fine-tuner or a pirate does")
      ->check(CLI::ExistingFile)
      ->excludes(resume);
  t->add_flag("--quiet", train.quiet, "No live progress line");

  commands::EvalArgs eval;
  auto* e = app.add_subcommand("eval", "Accuracy of a checkpoint on a data set");
  e->add_option("model", eval.model, "Checkpoint or ONNX model")->required()->check(CLI::ExistingFile);
  e->add_option("--data", eval.data_path, "Data directory (default: the one the model was trained on)");
  e->add_option("--split", eval.split, "train or test")->check(CLI::IsMember({"train", "test"}));
  e->add_option("--threads", eval.threads, "CPU threads (0 = all cores)");
  e->add_option("--device", eval.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  e->add_option("--json", eval.json_out, "Also write the result as JSON");

  auto* i = app.add_subcommand("info", "Version, threads, CUDA device and layer types");

  commands::VerifyArgs verify;
  auto* vf = app.add_subcommand("verify",
                                "Verify a watermark claim on a model and write a certificate "
                                "(exit 0: accepted, 2: rejected, 1: error)");
  add_measurement_options(vf, verify);
  vf->add_option("--claim", verify.claim, "Claim file (signature checked before the model is loaded)")
      ->required()
      ->check(CLI::ExistingFile);
  vf->add_option("--out", verify.out, "Certificate file (default: certificate.json beside the model)");
  vf->add_flag("--force", verify.force, "Replace an existing --out file (never a key, claim or checkpoint)");
  vf->add_option("--certifier-key,--sign-key", verify.sign_key, "Certifier's secret key: sign the certificate")
      ->check(CLI::ExistingFile);
  commands::VerifyCertArgs vcert;
  auto* vc = app.add_subcommand("verify-cert", "Check a certificate's integrity, signature and consistency");
  vc->add_option("cert", vcert.cert, "Certificate file")->required()->check(CLI::ExistingFile);
  vc->add_option("--certifier", vcert.certifiers, "Public key file of a pinned certifier (repeatable)")
      ->check(CLI::ExistingFile);
  vc->add_option("--trust", vcert.trust, "Trust file listing pinned certifiers")->check(CLI::ExistingFile);
  vc->add_option("--model", vcert.model, "The model file: check that it is the certified one")
      ->check(CLI::ExistingFile);
  vc->add_option("--data", vcert.data_path, "Data directory for --recheck (default: the model's)");
  vc->add_flag("--recheck", vcert.recheck, "Measure the model again with the certificate's settings and compare");
  vc->add_option("--threads", vcert.threads, "CPU threads (0 = all cores)");

  commands::RunArgs run;
  std::string drivers;
  for (const auto& name : experiment_names()) drivers += (drivers.empty() ? "" : ", ") + name;
  auto* rn = app.add_subcommand("run", "Run an experiment config (" + drivers + ") or a sweep of them");
  rn->add_option("config", run.config, "Experiment config (YAML)")->required()->check(CLI::ExistingFile);
  rn->add_option("--set", run.overrides, "Override a config value, e.g. --set piracy.epochs=1");
  rn->add_option("--output", run.output_dir, "Run directory (overrides output_dir)");
  rn->add_flag("--resume", run.resume,
               "A sweep: keep the points whose run directory holds a finished run of this sweep, run the others");
  rn->add_option("--share", run.share,
                 "K/N: run only the sweep points K, K+N, K+2N, ... and no summary (a job array's task; "
                 "--resume afterwards writes the summary)");

  commands::KeygenArgs keygen;
  auto* kg = app.add_subcommand("keygen", "Create an Ed25519 key pair (OUT.key secret, OUT.pub public)");
  kg->add_option("--out", keygen.out, "Base name of the two files")->capture_default_str();

  commands::SignArgs sign;
  auto* sg = app.add_subcommand("sign", "Sign a watermark claim (verifier, n, lambda, space, input shape, classes) a model is trained with");
  sg->add_option("--key", sign.key, "Owner's secret key file")->required()->check(CLI::ExistingFile);
  sg->add_option("--verifier", sign.verifier, "Verifier string, e.g. acme/digit-classifier/2026-11-25")->required();
  sg->add_option("--n", sign.n, "Pattern size (n x n pixels)")->capture_default_str()->check(CLI::Range(1, 1024));
  sg->add_option("--lambda", sign.lambda, "Stamp value (+-lambda, in the --space below)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sg->add_option("--space", sign.space,
                 "Where lambda lives: normalized (the model's input) or raw (pixel units, mapped through the "
                 "data's normalisation)")
      ->capture_default_str()
      ->check(CLI::IsMember({"normalized", "raw"}));
  add_input_shape(sg, sign.input, " (signed into the claim)");
  sg->add_option("--classes", sign.classes, "The model's class count (signed into the claim)")
      ->required()
      ->check(CLI::Range(2, 1 << 20));
  sg->add_option("--out", sign.out, "Claim file to write")->capture_default_str();
  sg->add_flag("--force", sign.force, "Replace an existing --out file (never a key, claim or checkpoint)");

  commands::PatternArgs pattern;
  auto* pt = app.add_subcommand("pattern", "The watermark a claim defines for an input shape: label, position, bits");
  pt->add_option("--claim", pattern.claim, "Claim file (signature checked)")->required()->check(CLI::ExistingFile);
  add_input_shape(pt, pattern.input, "");
  pt->add_option("--classes", pattern.classes, "The model's class count")
      ->capture_default_str()
      ->check(CLI::Range(2, 1 << 20));
  pt->add_option("--json", pattern.json_out, "Also write the pattern as JSON");

  commands::TimestampArgs stamp;
  auto* ts = app.add_subcommand("timestamp", "RFC 3161 trusted timestamps for a claim: request, attach, show");
  ts->require_subcommand(1);
  auto* tq = ts->add_subcommand("request", "Write a timestamp request (TSQ) for a claim's digest");
  auto* ta = ts->add_subcommand("attach", "Check a TSA's reply (TSR) and write a copy of the claim that carries it");
  auto* tw = ts->add_subcommand("show", "The time a claim's timestamp states (trusted only with --tsa-cert)");
  for (CLI::App* sub : {tq, ta, tw})
    sub->add_option("--claim", stamp.claim, "Claim file (signature checked)")->required()->check(CLI::ExistingFile);
  tq->add_option("--out", stamp.out, "Request file to write (DER)")->required();
  ta->add_option("--reply", stamp.reply, "The TSA's reply (DER)")->required()->check(CLI::ExistingFile);
  ta->add_option("--out", stamp.out, "Claim file to write, with the timestamp (never the input claim)")->required();
  for (CLI::App* sub : {tq, ta})
    sub->add_flag("--force", stamp.force, "Replace an existing --out file (never a key, claim or checkpoint)");
  ta->add_option("--tsa-cert", stamp.tsa_cert, "PEM file: the TSA's certificate or its CA (trusted)")
      ->required()
      ->check(CLI::ExistingFile);
  tw->add_option("--tsa-cert", stamp.tsa_cert, "PEM file: the TSA's certificate or its CA (trusted)")
      ->check(CLI::ExistingFile);

  commands::DisputeArgs dispute;
  auto* dp = app.add_subcommand("dispute",
                                "Two claims on one model: verify both, order them by trusted time, say which "
                                "stands (exit 0: one stands, 2: cannot be settled, 1: error)");
  add_measurement_options(dp, dispute.verify);
  dp->add_option("--claim", dispute.claims, "A claim file; give exactly two")
      ->required()
      ->check(CLI::ExistingFile);
  dp->add_option("--tsa-cert", dispute.tsa_cert,
                 "PEM file: the certificates of the timestamp authorities you trust (a TSA's own or its CA)")
      ->check(CLI::ExistingFile);

  commands::ExportArgs exp;
  auto* xp = app.add_subcommand("export", "Write a model as ONNX (its data section and a claim as metadata)");
  xp->add_option("--model", exp.model, "Checkpoint, or an ONNX model of supported operators")
      ->required()
      ->check(CLI::ExistingFile);
  xp->add_option("--out", exp.out, "ONNX file to write")->required();
  xp->add_option("--claim", exp.claim, "Attach this claim (signature and model shape checked)")
      ->check(CLI::ExistingFile);
  xp->add_option("--config", exp.config,
                 "Take the data section (data set, normalisation) from this config: for a model trained elsewhere")
      ->check(CLI::ExistingFile);
  xp->add_flag("--force", exp.force, "Replace an existing --out file (never a key, claim or checkpoint)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& err) {
    // CLI11 prints the message (or the help) and has codes of its own, 100 and up; a bad argument is
    // an error like any other (exit 1), so scripts can tell it from verify's "rejected" (2).
    return app.exit(err) == 0 ? 0 : 1;
  }
  try {
    if (t->parsed()) return commands::train(train);
    if (e->parsed()) return commands::eval(eval);
    if (i->parsed()) return commands::info();
    if (kg->parsed()) return commands::keygen(keygen);
    if (vf->parsed()) return commands::verify(verify);
    if (rn->parsed()) return commands::run(run);
    if (vc->parsed()) return commands::verify_cert(vcert);
    if (sg->parsed()) return commands::sign(sign);
    if (pt->parsed()) return commands::pattern(pattern);
    if (tq->parsed()) return commands::timestamp_request(stamp);
    if (ta->parsed()) return commands::timestamp_attach(stamp);
    if (tw->parsed()) return commands::timestamp_show(stamp);
    if (dp->parsed()) return commands::dispute(dispute);
    if (xp->parsed()) return commands::export_model(exp);
  } catch (const std::exception& ex) {
    std::fflush(stdout);
    if (ranks::size() > 1) {
      // One rank's error ends the job: the other ranks would wait for it forever.
      std::fprintf(stderr, "error (rank %d of %d): %s\n", ranks::rank(), ranks::size(), ex.what());
      std::fflush(stderr);
      ranks::abort_job(1);
    }
    std::fprintf(stderr, "error: %s\n", ex.what());
    return 1;
  }
  return 0;
}
