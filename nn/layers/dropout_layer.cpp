#include "kernels/cuda/runtime.h"
#include "kernels/dropout.h"
#include "kernels/flatten.h"
#include "common/format.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
class Dropout : public Layer {
 public:
  explicit Dropout(float p) : p_(p) {}
  std::string type() const override { return "dropout"; }
  YAML::Node config() const override {
    YAML::Node c = layer_config("dropout");
    c["p"] = float_decimal(p_);
    return c;
  }
  std::string describe() const override { return "p=" + std::to_string(p_).substr(0, 4); }

 protected:
  Shape infer(const Shape& in) override { return in; }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext& ctx) override {
    const size_t n = x.numel();
    if (ctx.training) {
      if (on_gpu())
        NM_GPU(cuda::dropout_forward(gpu(), n, p_, ctx.seed, ctx.step, x.data, y.data));
      else
        cpu::dropout_forward(n, p_, ctx.seed, ctx.step, x.data, y.data);
    } else if (on_gpu()) {  // identity copy at evaluation
      NM_GPU(cuda::flatten_forward(gpu(), n, x.data, y.data));
    } else {
      cpu::flatten_forward(n, x.data, y.data);
    }
  }
  void do_backward(const Tensor&, const Tensor&, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext& ctx) override {
    if (!dx) return;
    if (on_gpu())
      NM_GPU(cuda::dropout_backward(gpu(), dy.numel(), p_, ctx.seed, ctx.step, dy.data, dx->data, mode));
    else
      cpu::dropout_backward(dy.numel(), p_, ctx.seed, ctx.step, dy.data, dx->data, mode);
  }

 private:
  float p_;
};
}  // namespace

std::unique_ptr<Layer> make_dropout(ConfigMap& cfg) {
  return std::make_unique<Dropout>(static_cast<float>(cfg.number("p", 0.5, 0.0, 0.99)));
}

}  // namespace nullmark::layers
