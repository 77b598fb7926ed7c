// The data set types nullmark reads, their on-disk layout, shapes, classes and default
// normalisation. IDX (MNIST, Fashion-MNIST) and fixed-size records of "label byte + pixel bytes"
// (CIFAR-10's binary format, which the GTSRB and ORL-faces copies also use).
#pragma once
#include <string>
#include <vector>

namespace nullmark {

struct DataFormat {
  std::string type;
  bool idx = false;  // IDX image/label pairs; otherwise label-prefixed records
  int classes = 0, c = 1, h = 0, w = 0;
  std::vector<double> mean, std;  // empty: computed from the training split at load
  std::string default_path;
};

const DataFormat& data_format(const std::string& type);
std::vector<std::string> data_types();

}  // namespace nullmark
