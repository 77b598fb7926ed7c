// The `nullmark` subcommands. Each returns the process exit code; errors are thrown as
// nullmark::Error and reported by main().
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "watermark/recipe.h"

namespace nullmark::commands {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;  // --set key.path=value
  std::string output_dir;              // --output, overrides output_dir
  std::string resume;                  // --resume CKPT
  std::string init;                    // --init CKPT: start from its parameters, fresh optimizer and schedule
  bool quiet = false;
};
int train(const TrainArgs& a);

struct EvalArgs {
  std::string model;
  std::string data_path;  // overrides the path recorded in the checkpoint
  std::string split = "test";
  int threads = 0;
  std::string device = "cpu";  // cpu | cuda
  std::string json_out;
};
int eval(const EvalArgs& a);

int info();

struct KeygenArgs {
  std::string out = "owner";  // writes OUT.key and OUT.pub
};
int keygen(const KeygenArgs& a);

struct SignArgs {
  std::string key, verifier, out = "claim.json";
  int n = recipe::kN;
  double lambda = recipe::kLambda;
  std::string space = recipe::kSpace;
  std::vector<int> input;  // C, H, W
  int classes = 0;
  bool force = false;
};
int sign(const SignArgs& a);

struct VerifyArgs {
  std::string model, claim, data_path, split = "test", out, sign_key;
  int random_keys = 100, blind_keys = 100;
  long random_samples = 1000;
  double min_true = 0.90, max_null_drop = 0.03, min_clean = 0.0, far = 0.01;
  uint64_t seed = 1;
  int threads = 0;
  std::string device = "cpu";  // cpu | cuda
  bool force = false;
};
// Exit code 0: claim accepted; 2: rejected; errors throw (exit 1).
int verify(const VerifyArgs& a);

struct VerifyCertArgs {
  std::string cert, trust, model, data_path;
  std::vector<std::string> certifiers;  // public key files of pinned certifiers
  bool recheck = false;                 // re-run the measurement on --model and compare
  int threads = 0;
};
int verify_cert(const VerifyCertArgs& a);

struct PatternArgs {
  std::string claim, json_out;
  std::vector<int> input;  // C, H, W
  int classes = 10;
};
int pattern(const PatternArgs& a);

// nullmark timestamp request|attach|show: RFC 3161 timestamps for a claim (watermark/timestamp.h).
struct TimestampArgs {
  std::string claim, out, reply, tsa_cert;
  bool force = false;
};
int timestamp_request(const TimestampArgs& a);  // writes --out (the TSQ)
int timestamp_attach(const TimestampArgs& a);   // checks --reply against --tsa-cert, writes the stamped claim
int timestamp_show(const TimestampArgs& a);     // the token's time; trusted only with --tsa-cert

struct DisputeArgs {
  VerifyArgs verify;                // the model, data and measurement settings both claims are verified with
  std::vector<std::string> claims;  // exactly two
  std::string tsa_cert;             // PEM certificates of the trusted timestamp authorities
};
// Exit code 0: a claim stands; 2: the dispute cannot be settled; errors throw (exit 1).
int dispute(const DisputeArgs& a);

// nullmark export: a checkpoint (or a supported ONNX model) as ONNX, with its data section and
// optionally a claim as metadata (interop/onnx_export.h).
struct ExportArgs {
  std::string model, out, claim, config;
  bool force = false;
};
int export_model(const ExportArgs& a);

struct RunArgs {
  std::string config, output_dir;
  std::vector<std::string> overrides;
  bool resume = false;  // a sweep: keep its finished points, run the others
  std::string share;    // "K/N": run only points K, K + N, ... and no summary (job arrays)
};
int run(const RunArgs& a);

}  // namespace nullmark::commands
