// A network built from a one-line model config, with the default optimizer and a trainer over it:
// the set-up of the tests that train a model for a few steps on the CPU.
#pragma once
#include <cstdint>

#include "common/strict_yaml.h"
#include "nn/network.h"
#include "train/trainer.h"

namespace nullmark::test {

struct SmallTraining {
  // model_yaml: "model: {layers: [...]}". The network's parameters come from init_seed, the
  // trainer's batch order and augmentation from train_seed.
  SmallTraining(const char* model_yaml, const Shape& input, int classes, int epochs, int batch_size,
                uint64_t init_seed, uint64_t train_seed)
      : net(make_network(model_yaml, input, classes, init_seed)),
        params(make_params(epochs, batch_size)),
        opt(params.optimizer, net.param_slices()),
        trainer(net, opt, params, train_seed) {}
  SmallTraining(const SmallTraining&) = delete;  // the trainer refers to the members

  Network net;
  TrainParams params;
  Optimizer opt;
  Trainer trainer;

 private:
  static Network make_network(const char* model_yaml, const Shape& input, int classes, uint64_t init_seed) {
    ConfigMap root = ConfigMap::load_string(model_yaml, "test-model.yaml");
    Network n = Network::from_config(root.section("model"), input, classes);
    n.init_params(init_seed);
    return n;
  }
  static TrainParams make_params(int epochs, int batch_size) {
    TrainParams p;
    p.epochs = epochs;
    p.batch_size = batch_size;
    return p;
  }
};

}  // namespace nullmark::test
