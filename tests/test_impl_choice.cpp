// The per-layer choice between native kernels and the vendor library, without a GPU: fixed choices
// never time anything, `auto` reserves room for both until it is resolved, and a machine without the
// library resolves `auto` to native. (Timing itself runs in the [cuda] training tests.)
#include <catch2/catch.hpp>

#include "common/strict_yaml.h"
#include "nn/layers/impl_choice.h"

using namespace nullmark;
using namespace nullmark::layers;

TEST_CASE("fixed implementation choices are used as configured, without timing", "[impl]") {
  int runs = 0;
  auto run = [&](bool) { ++runs; };
  ImplChoice native(Impl::Native);
  CHECK_FALSE(native.forward_library(run));
  CHECK_FALSE(native.backward_library(GradMode::Overwrite, run));
  CHECK(native.may_use(Impl::Native));
  CHECK_FALSE(native.may_use(Impl::Library));
  CHECK(native.name("cudnn") == "native");
  ImplChoice library(Impl::Library);
  CHECK(library.forward_library(run));
  CHECK(library.backward_library(GradMode::Accumulate, run));
  CHECK_FALSE(library.may_use(Impl::Native));
  CHECK(library.name("cublas") == "cublas");
  CHECK(runs == 0);
}

TEST_CASE("auto keeps both implementations possible until resolved", "[impl]") {
  ImplChoice choice(Impl::Auto);
  CHECK(choice.may_use(Impl::Native));
  CHECK(choice.may_use(Impl::Library));
  CHECK(choice.name("cudnn") == "auto");
  choice.without_library();  // e.g. a CUDA build without cuDNN
  CHECK(choice.name("cudnn") == "native");
  CHECK_FALSE(choice.may_use(Impl::Library));
  int runs = 0;
  CHECK_FALSE(choice.backward_library(GradMode::Overwrite, [&](bool) { ++runs; }));
  CHECK(runs == 0);
}

TEST_CASE("impl keys name the layer's library", "[impl][config]") {
  ConfigMap conv = ConfigMap::load_string("impl: cudnn\n", "c.yaml");
  CHECK(read_impl(conv, "cudnn") == Impl::Library);
  ConfigMap dense = ConfigMap::load_string("{}\n", "d.yaml");
  CHECK(read_impl(dense, "cublas") == Impl::Auto);
  ConfigMap wrong = ConfigMap::load_string("impl: cudnn\n", "w.yaml");
  CHECK_THROWS_WITH(read_impl(wrong, "cublas"), Catch::Contains("valid values: auto, native, cublas"));
}
