// The per-layer choice between native kernels and the vendor library, without a GPU: fixed choices
// never time anything, `auto` reserves room for both until it is resolved, and a machine without the
// library resolves `auto` to native. (Timing itself runs in the [cuda] training tests.)
#include <catch2/catch.hpp>

#include "common/strict_yaml.h"
#include "nn/layers/impl_choice.h"
#include "nn/network.h"

using namespace nullmark;
using namespace nullmark::layers;

TEST_CASE("fixed implementation choices are used as configured, without timing", "[impl]") {
  int runs = 0;
  auto run = [&](bool) { ++runs; };
  ImplChoice native(KernelImpl::Native);
  CHECK_FALSE(native.forward_library(nullptr, run));
  CHECK_FALSE(native.backward_library(nullptr, GradMode::Overwrite, run));
  CHECK(native.may_use(KernelImpl::Native));
  CHECK_FALSE(native.may_use(KernelImpl::Library));
  CHECK(native.name("cudnn") == "native");
  ImplChoice library(KernelImpl::Library);
  CHECK(library.forward_library(nullptr, run));
  CHECK(library.backward_library(nullptr, GradMode::Accumulate, run));
  CHECK_FALSE(library.may_use(KernelImpl::Native));
  CHECK(library.name("cublas") == "cublas");
  CHECK(runs == 0);
}

TEST_CASE("auto keeps both implementations possible until resolved", "[impl]") {
  ImplChoice choice(KernelImpl::Auto);
  CHECK(choice.may_use(KernelImpl::Native));
  CHECK(choice.may_use(KernelImpl::Library));
  CHECK(choice.name("cudnn") == "auto");
  choice.without_library();  // e.g. a CUDA build without cuDNN
  CHECK(choice.name("cudnn") == "native");
  CHECK_FALSE(choice.may_use(KernelImpl::Library));
  int runs = 0;
  CHECK_FALSE(choice.backward_library(nullptr, GradMode::Overwrite, [&](bool) { ++runs; }));
  CHECK(runs == 0);
}

TEST_CASE("impl keys name the layer's library", "[impl][config]") {
  ConfigMap conv = ConfigMap::load_string("impl: cudnn\n", "c.yaml");
  CHECK(read_impl(conv, "cudnn").forward() == KernelImpl::Library);
  ConfigMap dense = ConfigMap::load_string("{}\n", "d.yaml");
  CHECK(read_impl(dense, "cublas").forward() == KernelImpl::Auto);
  ConfigMap wrong = ConfigMap::load_string("impl: cudnn\n", "w.yaml");
  CHECK_THROWS_WITH(read_impl(wrong, "cublas"), Catch::Contains("valid values: auto, native, cublas"));
}

TEST_CASE("a network's impl is the default of layers that name none", "[impl][config]") {
  ConfigMap named_cfg = ConfigMap::load_string("impl: cudnn\n", "c.yaml");
  ImplChoice named = read_impl(named_cfg, "cudnn");
  ConfigMap unnamed_cfg = ConfigMap::load_string("{}\n", "c.yaml");
  ImplChoice unnamed = read_impl(unnamed_cfg, "cudnn");
  named.network_default(KernelImpl::Native);
  unnamed.network_default(KernelImpl::Native);
  CHECK(named.name("cudnn") == "cudnn");  // the layer's own choice stands
  CHECK(unnamed.name("cudnn") == "native");
  CHECK_FALSE(unnamed.may_use(KernelImpl::Library));
  int runs = 0;
  CHECK_FALSE(unnamed.forward_library(nullptr, [&](bool) { ++runs; }));  // fixed now: nothing timed
  CHECK(runs == 0);
}

TEST_CASE("a model's impl key is checked", "[impl][config]") {
  const std::string layers = "layers:\n  - {type: flatten}\n  - {type: dense, units: 3}\n";
  ConfigMap ok = ConfigMap::load_string("impl: library\n" + layers, "m.yaml");
  CHECK(Network::from_config(ok, Shape{1, 2, 2}, 3).output_shape() == Shape{3});
  ConfigMap bad = ConfigMap::load_string("impl: cudnn\n" + layers, "m.yaml");
  CHECK_THROWS_WITH(Network::from_config(bad, Shape{1, 2, 2}, 3),
                    Catch::Contains("impl") && Catch::Contains("valid values: auto, native, library"));
}
