#include "nn/registry.h"

#include "common/error.h"
#include "nn/layers/factories.h"

namespace nullmark {

void LayerRegistry::add(const std::string& type, Factory f) {
  NM_CHECK(!factories_.count(type), "layer type '", type, "' is registered twice");
  factories_[type] = std::move(f);
}

std::vector<std::string> LayerRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& kv : factories_) out.push_back(kv.first);
  return out;
}

std::unique_ptr<Layer> LayerRegistry::create(ConfigMap& cfg) const {
  const std::string type = cfg.choice("type", types());
  auto layer = factories_.at(type)(cfg);
  cfg.finish();
  return layer;
}

void register_builtin_layers(LayerRegistry& r) {
  r.add("conv2d", layers::make_conv2d);
  r.add("dense", layers::make_dense);
  r.add("relu", layers::make_relu);
  r.add("maxpool2d", layers::make_maxpool2d);
  r.add("flatten", layers::make_flatten);
  r.add("dropout", layers::make_dropout);
  r.add("global_avgpool", layers::make_global_avgpool);
  r.add("batchnorm", layers::make_batchnorm);
  r.add("leaky_relu", layers::make_leaky_relu);
  // The registry must outlive the networks built from it (builtin_layers() is never destroyed early).
  r.add("residual", [&r](ConfigMap& cfg) { return layers::make_residual(cfg, r); });
}

const LayerRegistry& builtin_layers() {
  // Filled in place: the residual factory refers back to the registry it belongs to.
  static LayerRegistry reg;
  static const bool filled = (register_builtin_layers(reg), true);
  (void)filled;
  return reg;
}

}  // namespace nullmark
