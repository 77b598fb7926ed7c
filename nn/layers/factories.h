// Factories of the built-in layers, one per file in nn/layers/; nn/registry.cpp maps YAML `type:`
// names to them. Each factory reads (and so validates) the layer's own keys.
#pragma once
#include <memory>

#include "common/strict_yaml.h"
#include "nn/layer.h"
#include "nn/registry.h"

namespace nullmark::layers {
// The start of a layer's config(): a map holding its `type:`.
inline YAML::Node layer_config(const char* type) {
  YAML::Node c(YAML::NodeType::Map);
  c["type"] = type;
  return c;
}

std::unique_ptr<Layer> make_conv2d(ConfigMap& cfg);
std::unique_ptr<Layer> make_dense(ConfigMap& cfg);
std::unique_ptr<Layer> make_relu(ConfigMap& cfg);
std::unique_ptr<Layer> make_maxpool2d(ConfigMap& cfg);
std::unique_ptr<Layer> make_flatten(ConfigMap& cfg);
std::unique_ptr<Layer> make_dropout(ConfigMap& cfg);
std::unique_ptr<Layer> make_global_avgpool(ConfigMap& cfg);
std::unique_ptr<Layer> make_batchnorm(ConfigMap& cfg);
std::unique_ptr<Layer> make_leaky_relu(ConfigMap& cfg);
// Children are created through `registry`, so a block can hold any registered layer (blocks included).
std::unique_ptr<Layer> make_residual(ConfigMap& cfg, const LayerRegistry& registry);
}  // namespace nullmark::layers
