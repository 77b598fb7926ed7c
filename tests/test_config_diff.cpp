// What `train --resume` compares: the whole resolved config, where and how it runs aside.
#include <catch2/catch.hpp>

#include "experiments/config_diff.h"

using namespace nullmark;

TEST_CASE("resume conflicts: every key but where it runs and a longer schedule", "[config][resume]") {
  const std::string ckpt =
      "seed: 1\nthreads: 0\ndevice: cpu\noutput_dir: runs/a\ndata: {type: mnist, path: data/mnist}\n"
      "watermark: {claim: c.json, null_weight: 1}\ntrain: {epochs: 8, optimizer: {type: adam, lr: 0.001}}\n";
  CHECK(resume_conflicts(ckpt, ckpt).empty());
  // Where and how it runs, and a longer schedule, may change.
  const std::string moved = "seed: 1\nthreads: 2\ndevice: cuda\ncuda: {graph: true}\noutput_dir: runs/b\n"
                            "data: {type: mnist, path: data/mnist}\nwatermark: {claim: c.json, null_weight: 1}\n"
                            "train: {epochs: 12, optimizer: {type: adam, lr: 0.001}}\n";
  CHECK(resume_conflicts(ckpt, moved).empty());
  // A clean config on a watermarked checkpoint, other data, another learning rate, a shorter schedule.
  const std::string clean = "seed: 1\nthreads: 0\ndevice: cpu\noutput_dir: runs/a\n"
                            "data: {type: fashion, path: data/fashion}\n"
                            "train: {epochs: 4, optimizer: {type: adam, lr: 0.01}}\n";
  const auto c = resume_conflicts(ckpt, clean);
  std::vector<std::string> keys;
  for (const auto& d : c) keys.push_back(d.key);
  CHECK(keys == std::vector<std::string>{"data.path", "data.type", "train.epochs", "train.optimizer.lr",
                                          "watermark.claim", "watermark.null_weight"});
  CHECK((c[0].before == "data/mnist" && c[0].after == "data/fashion"));
  CHECK(c[4].after == "(absent)");
}
