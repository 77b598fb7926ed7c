#include "kernels/cuda/runtime.h"
#include "kernels/relu.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
class Relu : public Layer {
 public:
  std::string type() const override { return "relu"; }
  YAML::Node config() const override { return layer_config("relu"); }

 protected:
  Shape infer(const Shape& in) override { return in; }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext&) override {
    if (on_gpu())
      NM_GPU(cuda::relu_forward(gpu(), x.numel(), x.data, y.data));
    else
      cpu::relu_forward(x.numel(), x.data, y.data);
  }
  void do_backward(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext&) override {
    if (!dx) return;
    if (on_gpu())
      NM_GPU(cuda::relu_backward(gpu(), y.numel(), y.data, dy.data, dx->data, mode));
    else
      cpu::relu_backward(y.numel(), y.data, dy.data, dx->data, mode);
  }
};
}  // namespace

std::unique_ptr<Layer> make_relu(ConfigMap&) { return std::make_unique<Relu>(); }

}  // namespace nullmark::layers
