// The `nullmark` subcommands. Each returns the process exit code; errors are thrown as
// nullmark::Error and reported by main().
#pragma once
#include <string>
#include <vector>

namespace nullmark::commands {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;  // --set key.path=value
  std::string output_dir;              // --output, overrides output_dir
  std::string resume;                  // --resume CKPT
  bool quiet = false;
};
int train(const TrainArgs& a);

struct EvalArgs {
  std::string model;
  std::string data_path;  // overrides the path recorded in the checkpoint
  std::string split = "test";
  int threads = 0;
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
  int n = 6;
  double lambda = 2000.0;
};
int sign(const SignArgs& a);

}  // namespace nullmark::commands
