#include "common/error.h"
#include "kernels/cuda/runtime.h"
#include "kernels/leaky_relu.h"
#include "common/format.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
class LeakyRelu : public Layer {
 public:
  explicit LeakyRelu(float slope) : slope_(slope) {}
  YAML::Node config() const override {
    YAML::Node c = layer_config("leaky_relu");
    c["slope"] = float_decimal(slope_);
    return c;
  }
  std::string type() const override { return "leaky_relu"; }
  std::string describe() const override { return "slope " + std::to_string(slope_).substr(0, 5); }

 protected:
  Shape infer(const Shape& in) override { return in; }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext&) override {
    if (on_gpu())
      NM_GPU(cuda::leaky_relu_forward(gpu(), x.numel(), slope_, x.data, y.data));
    else
      cpu::leaky_relu_forward(x.numel(), slope_, x.data, y.data);
  }
  void do_backward(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext&) override {
    if (!dx) return;
    if (on_gpu())
      NM_GPU(cuda::leaky_relu_backward(gpu(), y.numel(), slope_, y.data, dy.data, dx->data, mode));
    else
      cpu::leaky_relu_backward(y.numel(), slope_, y.data, dy.data, dx->data, mode);
  }

 private:
  float slope_;
};
}  // namespace

std::unique_ptr<Layer> make_leaky_relu(ConfigMap& cfg) {
  // A slope of 0 would be plain ReLU; 1 or more would make the backward pass's sign test on y wrong.
  const double slope = cfg.number("slope", 0.01, 0.0, 0.999);
  return std::make_unique<LeakyRelu>(static_cast<float>(slope));
}

}  // namespace nullmark::layers
