// YAML configs: strict_yaml and the YAML guard (anchors, aliases, duplicate keys, depth, size).
#include "common/strict_yaml.h"
#include "fuzz_input.h"
#include "nn/optimizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nullmark::fuzz::refuse_cleanly([&] {
    nullmark::ConfigMap root = nullmark::ConfigMap::load_string(nullmark::fuzz::text(data, size), "fuzz.yaml");
    if (root.has("optimizer")) nullmark::OptimizerConfig::read(root.section("optimizer"));
  });
}
