#include "datasets/dataset.h"

#include <algorithm>
#include <fstream>

#include "common/error.h"
#include "datasets/idx.h"

namespace nullmark {

namespace {
struct Known {
  const char* type;
  int classes;
  double mean, std;  // greyscale statistics of the training set
};
// Fashion-MNIST statistics: mean 0.2860, std 0.3530 over its 60k training images.
const Known kKnown[] = {{"mnist", 10, 0.1307, 0.3081}, {"fashion-mnist", 10, 0.2860, 0.3530}};

const Known& known(const std::string& type) {
  for (const auto& k : kKnown)
    if (type == k.type) return k;
  throw fail("unknown data set type ", type);
}

Dataset load_idx_pair(const DataConfig& cfg, Split split) {
  const Known& k = known(cfg.type);
  const std::string prefix = cfg.path + "/" + (split == Split::Train ? "train" : "t10k");
  auto pick = [](const std::string& base) {
    // Official names are gzip files; an uncompressed copy is accepted too.
    return std::ifstream(base + ".gz").good() ? base + ".gz" : base;
  };
  const std::string img_path = pick(prefix + "-images-idx3-ubyte");
  const std::string lbl_path = pick(prefix + "-labels-idx1-ubyte");
  const IdxArray imgs = read_idx(img_path, 3);
  const IdxArray lbls = read_idx(lbl_path, 1);
  if (imgs.dims[0] != lbls.dims[0])
    throw fail(img_path, " holds ", imgs.dims[0], " images but ", lbl_path, " holds ", lbls.dims[0], " labels");
  long n = imgs.dims[0];
  const long limit = split == Split::Train ? cfg.train_limit : cfg.test_limit;
  if (limit > 0) n = std::min(n, limit);

  Dataset d;
  d.name = cfg.type + ":" + prefix;
  d.shape = Shape{1, imgs.dims[1], imgs.dims[2]};
  d.classes = k.classes;
  d.labels.resize(n);
  for (long i = 0; i < n; ++i) {
    if (lbls.data[i] >= k.classes)
      throw fail(lbl_path, ": label ", int(lbls.data[i]), " of record ", i, " is outside the ", k.classes, " classes");
    d.labels[i] = lbls.data[i];
  }
  const size_t per = d.shape.numel();
  d.images.resize(per * n);
  const float mean = static_cast<float>(cfg.mean[0]), inv_std = static_cast<float>(1.0 / cfg.std[0]);
  for (size_t i = 0; i < per * n; ++i) d.images[i] = (imgs.data[i] / 255.0f - mean) * inv_std;
  return d;
}
}  // namespace

DataConfig DataConfig::read(ConfigMap cfg) {
  DataConfig d;
  d.type = cfg.choice("type", "mnist", {"mnist", "fashion-mnist"});
  d.path = cfg.string("path", d.type == "mnist" ? "data/mnist" : "/usr/share/datasets/fashion-mnist");
  const Known& k = known(d.type);
  d.mean = cfg.numbers("mean", {k.mean}, -10.0, 10.0);
  d.std = cfg.numbers("std", {k.std}, 1e-6, 100.0);
  if (d.mean.size() != 1 || d.std.size() != 1) cfg.error("mean", "greyscale data needs exactly one mean and one std");
  d.train_limit = cfg.integer("train_limit", 0, 0, 1L << 31);
  d.test_limit = cfg.integer("test_limit", 0, 0, 1L << 31);
  cfg.finish();
  return d;
}

Dataset load_dataset(const DataConfig& cfg, Split split) { return load_idx_pair(cfg, split); }

}  // namespace nullmark
