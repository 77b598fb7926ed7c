#include "kernels/cuda/runtime.h"
#include "kernels/flatten.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
class Flatten : public Layer {
 public:
  std::string type() const override { return "flatten"; }
  YAML::Node config() const override { return layer_config("flatten"); }

 protected:
  Shape infer(const Shape& in) override { return Shape{static_cast<int>(in.numel())}; }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext&) override {
    if (on_gpu())
      NM_GPU(cuda::flatten_forward(gpu(), x.numel(), x.data, y.data));
    else
      cpu::flatten_forward(x.numel(), x.data, y.data);
  }
  void do_backward(const Tensor&, const Tensor&, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext&) override {
    if (!dx) return;
    if (on_gpu())
      NM_GPU(cuda::flatten_backward(gpu(), dy.numel(), dy.data, dx->data, mode));
    else
      cpu::flatten_backward(dy.numel(), dy.data, dx->data, mode);
  }
};
}  // namespace

std::unique_ptr<Layer> make_flatten(ConfigMap&) { return std::make_unique<Flatten>(); }

}  // namespace nullmark::layers
