#include <vector>

#include "common/error.h"
#include "kernels/cuda/runtime.h"
#include "kernels/dense.h"
#include "kernels/relu.h"
#include "nn/init.h"
#include "nn/layers/impl_choice.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
class Dense : public Layer {
 public:
  Dense(int units, bool bias, bool relu, ImplChoice impl) : units_(units), bias_(bias), relu_(relu), impl_(impl) {}
  std::string type() const override { return relu_ ? "dense+relu" : "dense"; }
  YAML::Node config() const override {
    YAML::Node c = layer_config("dense");
    c["units"] = units_;
    c["bias"] = bias_;
    c["activation"] = relu_ ? "relu" : "none";
    return c;
  }
  std::string describe() const override {
    return std::to_string(units_) + " units" + (on_gpu() ? " " + impl_.name("cublas") : "");
  }
  void set_default_impl(KernelImpl impl) override { impl_.network_default(impl); }
  size_t param_count() const override { return weight_count() + (bias_ ? units_ : 0); }
  Weights weights() const override { return {weight_count(), units_}; }
  void init_params(std::mt19937_64& rng) override {
    fan_in_uniform(params_, weight_count(), in_[0], rng);
    if (bias_) fan_in_uniform(params_ + weight_count(), units_, in_[0], rng);
  }
  double flops() const override { return 2.0 * in_[0] * units_; }
  // dense+relu keeps dy with the ReLU mask applied in its inner part of the gradient arena.
  size_t inner_floats_per_sample() const override { return relu_ ? static_cast<size_t>(units_) : 0; }
  void place_inner(float*, float* dacts, int) override { masked_ = dacts; }

 protected:
  Shape infer(const Shape& in) override {
    NM_CHECK(in.rank() == 1, "dense needs a flat input (add a flatten layer before it), got ", in.str());
    return Shape{units_};
  }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext&) override {
    const float* b = bias_ ? params_ + weight_count() : nullptr;
    if (on_gpu()) {
#if NULLMARK_WITH_CUDA
      auto run = [&](bool library) {
        cuda::dense_forward(gpu(), shape(x.n), x.data, params_, b, y.data, library ? KernelImpl::Library : KernelImpl::Native);
      };
      run(impl_.forward_library(&gpu(), run));
      if (relu_) cuda::relu_forward(gpu(), y.numel(), y.data, y.data);
#else
      NM_GPU(cuda::dense_forward);  // the CPU-only build's one message
#endif
      return;
    }
    cpu::dense_forward(shape(x.n), x.data, params_, b, y.data);
    if (relu_) cpu::relu_forward(y.numel(), y.data, y.data);  // in place, while y is still in cache
  }
  void do_backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext& ctx) override {
    const float* g = dy.data;
    float* dw = ctx.param_grads ? grads_ : nullptr;
    float* db = bias_ && ctx.param_grads ? grads_ + weight_count() : nullptr;
    if (relu_) {
      if (on_gpu())
        NM_GPU(cuda::relu_backward(gpu(), y.numel(), y.data, dy.data, masked_, GradMode::Overwrite));
      else
        cpu::relu_backward(y.numel(), y.data, dy.data, masked_, GradMode::Overwrite);
      g = masked_;
    }
    if (on_gpu()) {
#if NULLMARK_WITH_CUDA
      auto run = [&](bool library) {
        cuda::dense_backward(gpu(), shape(x.n), x.data, params_, g, dx ? dx->data : nullptr, dw, db, mode,
                             library ? KernelImpl::Library : KernelImpl::Native);
      };
      run(impl_.backward_library(&gpu(), mode, run));
#else
      NM_GPU(cuda::dense_backward);
#endif
      return;
    }
    cpu::dense_backward(shape(x.n), x.data, params_, g, dx ? dx->data : nullptr, dw, db, mode);
  }

 private:
  size_t weight_count() const { return static_cast<size_t>(units_) * in_[0]; }
  DenseShape shape(int n) const { return DenseShape{n, in_[0], units_}; }
  void moved() override { masked_ = nullptr; }
  int units_;
  bool bias_, relu_;
  ImplChoice impl_;
  float* masked_ = nullptr;  // dy with the ReLU mask applied (placed by place_inner)
};
}  // namespace

std::unique_ptr<Layer> make_dense(ConfigMap& cfg) {
  const int units = static_cast<int>(cfg.integer("units", 1, 1 << 20));
  const bool bias = cfg.boolean("bias", true);
  const bool relu = cfg.choice("activation", "none", {"none", "relu"}) == "relu";
  return std::make_unique<Dense>(units, bias, relu, read_impl(cfg, "cublas"));
}

}  // namespace nullmark::layers
