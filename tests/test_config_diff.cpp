// What `train --resume` compares: the whole resolved config, where and how it runs aside.
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <string>

#include "experiments/config_diff.h"

using namespace nullmark;

TEST_CASE("resume conflicts: every key but where it runs and a longer schedule", "[config][resume]") {
  const std::string ckpt =
      "seed: 1\nthreads: 0\ndevice: cpu\noutput_dir: runs/a\ndata: {type: mnist, path: data/mnist}\n"
      "watermark: {claim: c.json, null_weight: 1}\ntrain: {epochs: 8, optimizer: {type: adam, lr: 0.001}}\n";
  CHECK(resume_conflicts(ckpt, ckpt).empty());
  // Where and how it runs, and a longer schedule, may change.
  const std::string moved =
      "seed: 1\nthreads: 2\ndevice: cuda\ncuda: {graph: true}\noutput_dir: runs/b\n"
      "data: {type: mnist, path: data/mnist}\nwatermark: {claim: c.json, null_weight: 1}\n"
      "train: {epochs: 12, optimizer: {type: adam, lr: 0.001}}\n";
  CHECK(resume_conflicts(ckpt, moved).empty());
  // A clean config on a watermarked checkpoint, other data, another learning rate, a shorter schedule.
  const std::string clean =
      "seed: 1\nthreads: 0\ndevice: cpu\noutput_dir: runs/a\n"
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

TEST_CASE("resume conflicts: one data set named by two paths is no conflict; two data sets are", "[config][resume]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("nullmark-resume-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir / "cifar");
  fs::create_directories(dir / "other");
  auto config = [](const fs::path& data) { return "seed: 1\ndata: {type: cifar10, path: '" + data.string() + "'}\n"; };
  // Relative (from the working directory) against absolute, and with a detour through "..".
  const fs::path relative = fs::relative(dir / "cifar");
  CHECK(resume_conflicts(config(relative), config(dir / "cifar")).empty());
  CHECK(resume_conflicts(config(dir / "cifar"), config(dir / "other" / ".." / "cifar")).empty());
  // Another directory, or one that does not exist, stays a conflict.
  CHECK(resume_conflicts(config(dir / "cifar"), config(dir / "other")).size() == 1);
  CHECK(resume_conflicts(config(dir / "gone"), config(dir / "cifar")).size() == 1);
  fs::remove_all(dir);
}
