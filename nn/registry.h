// Maps a layer's YAML `type:` to its factory. Filled by one explicit function
// (register_builtin_layers) rather than static self-registration, so what exists is visible in one place.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/strict_yaml.h"
#include "nn/layer.h"

namespace nullmark {

class LayerRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Layer>(ConfigMap&)>;
  void add(const std::string& type, Factory f);
  // Reads `type:` and the layer's keys; an unknown type lists the known ones.
  std::unique_ptr<Layer> create(ConfigMap& cfg) const;
  std::vector<std::string> types() const;

 private:
  std::map<std::string, Factory> factories_;
};

void register_builtin_layers(LayerRegistry& r);
const LayerRegistry& builtin_layers();

}  // namespace nullmark
