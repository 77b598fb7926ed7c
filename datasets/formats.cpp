#include "datasets/formats.h"

#include "common/error.h"

namespace nullmark {

namespace {
// MNIST and Fashion-MNIST statistics are the usual training-set values; CIFAR-10's are the
// per-channel mean and std of its 50k training images. GTSRB and the faces have no standard
// values: they are computed from the training split at load and recorded in the run's config.
const std::vector<DataFormat>& formats() {
  static const std::vector<DataFormat> f = {
      {"mnist", true, 10, 1, 28, 28, {0.1307}, {0.3081}, "data/mnist"},
      {"fashion-mnist", true, 10, 1, 28, 28, {0.2860}, {0.3530}, "/usr/share/datasets/fashion-mnist"},
      {"cifar-10", false, 10, 3, 32, 32, {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}, "../shared/data/cifar-10"},
      {"gtsrb", false, 43, 3, 32, 32, {}, {}, "../shared/data/gtsrb"},
      {"orl-faces", false, 40, 1, 112, 92, {}, {}, "../shared/data/orl-faces"},
  };
  return f;
}
}  // namespace

const DataFormat& data_format(const std::string& type) {
  for (const auto& f : formats())
    if (f.type == type) return f;
  throw fail("unknown data set type ", type);
}

std::vector<std::string> data_types() {
  std::vector<std::string> t;
  for (const auto& f : formats()) t.push_back(f.type);
  return t;
}

}  // namespace nullmark
