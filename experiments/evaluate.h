// Accuracy and mean loss of a network on a data set, in evaluation mode.
#pragma once
#include "datasets/dataset.h"
#include "nn/network.h"

namespace nullmark {

struct EvalResult {
  double loss = 0.0;
  double accuracy = 0.0;
  long samples = 0;
};

EvalResult evaluate(Network& net, const Dataset& data, int batch_size = 500);

}  // namespace nullmark
