#include "datasets/dataset.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "common/error.h"
#include "datasets/formats.h"
#include "datasets/idx.h"
#include "datasets/records.h"

namespace nullmark {

namespace {
RawImages load_idx_pair(const DataConfig& cfg, const DataFormat& f, Split split) {
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
  if (imgs.dims[1] != f.h || imgs.dims[2] != f.w)
    throw fail(img_path, ": images are ", imgs.dims[1], "x", imgs.dims[2], ", ", f.type, " has ", f.h, "x", f.w);
  RawImages r;
  r.pixels = imgs.data;
  for (size_t i = 0; i < lbls.data.size(); ++i) {
    if (lbls.data[i] >= f.classes)
      throw fail(lbl_path, ": label ", int(lbls.data[i]), " of record ", i, " is outside the ", f.classes, " classes");
    r.labels.push_back(lbls.data[i]);
  }
  return r;
}

RawImages load_raw(const DataConfig& cfg, Split split) {
  const DataFormat& f = data_format(cfg.type);
  return f.idx ? load_idx_pair(cfg, f, split) : load_record_split(cfg.path, f, split == Split::Train);
}
}  // namespace

DataConfig DataConfig::read(ConfigMap cfg) {
  DataConfig d;
  d.type = cfg.choice("type", "mnist", data_types());
  const DataFormat& f = data_format(d.type);
  d.path = cfg.string("path", f.default_path);
  // No default for sets without standard statistics: computed from the training split at load.
  d.mean = cfg.has("mean") || !f.mean.empty() ? cfg.numbers("mean", f.mean, -10.0, 10.0) : std::vector<double>{};
  d.std = cfg.has("std") || !f.std.empty() ? cfg.numbers("std", f.std, 1e-6, 100.0) : std::vector<double>{};
  if (!cfg.has("mean")) cfg.numbers("mean", d.mean, -10.0, 10.0);  // mark the key as known
  if (!cfg.has("std")) cfg.numbers("std", d.std, 1e-6, 100.0);
  if (!d.mean.empty() && d.mean.size() != static_cast<size_t>(f.c))
    cfg.error("mean", f.type + " has " + std::to_string(f.c) + " channel(s): give one mean per channel");
  if (!d.std.empty() && d.std.size() != static_cast<size_t>(f.c))
    cfg.error("std", f.type + " has " + std::to_string(f.c) + " channel(s): give one std per channel");
  if (d.mean.empty() != d.std.empty()) cfg.error("mean", "give both mean and std, or neither");
  d.train_limit = cfg.integer("train_limit", 0, 0, 1L << 31);
  d.test_limit = cfg.integer("test_limit", 0, 0, 1L << 31);
  cfg.finish();
  return d;
}

bool resolve_normalisation(DataConfig& cfg) {
  if (!cfg.mean.empty()) return false;
  const DataFormat& f = data_format(cfg.type);
  const RawImages raw = load_raw(cfg, Split::Train);
  const size_t plane = static_cast<size_t>(f.h) * f.w, per = plane * f.c, n = raw.labels.size();
  cfg.mean.assign(f.c, 0.0);
  cfg.std.assign(f.c, 0.0);
  for (int c = 0; c < f.c; ++c) {
    double s = 0, sq = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t k = 0; k < plane; ++k) {
        const double v = raw.pixels[i * per + c * plane + k] / 255.0;
        s += v, sq += v * v;
      }
    const double count = static_cast<double>(n * plane);
    cfg.mean[c] = s / count;
    cfg.std[c] = std::sqrt(std::max(1e-12, sq / count - cfg.mean[c] * cfg.mean[c]));
  }
  return true;
}

Dataset load_dataset(const DataConfig& cfg, Split split) {
  const DataFormat& f = data_format(cfg.type);
  NM_CHECK(cfg.mean.size() == static_cast<size_t>(f.c) && cfg.std.size() == static_cast<size_t>(f.c), cfg.type,
           ": normalisation is not resolved (", f.c, " channel(s))");
  const RawImages raw = load_raw(cfg, split);
  long n = static_cast<long>(raw.labels.size());
  const long limit = split == Split::Train ? cfg.train_limit : cfg.test_limit;
  if (limit > 0) n = std::min(n, limit);
  Dataset d;
  d.name = cfg.type + ":" + cfg.path + (split == Split::Train ? "/train" : "/test");
  d.shape = Shape{f.c, f.h, f.w};
  d.classes = f.classes;
  d.labels.assign(raw.labels.begin(), raw.labels.begin() + n);
  const size_t plane = static_cast<size_t>(f.h) * f.w, per = plane * f.c;
  d.images.resize(per * n);
  for (long i = 0; i < n; ++i)
    for (int c = 0; c < f.c; ++c) {
      const float mean = static_cast<float>(cfg.mean[c]), inv_std = static_cast<float>(1.0 / cfg.std[c]);
      for (size_t k = 0; k < plane; ++k) {
        const size_t e = i * per + c * plane + k;
        d.images[e] = (raw.pixels[e] / 255.0f - mean) * inv_std;
      }
    }
  return d;
}

}  // namespace nullmark
