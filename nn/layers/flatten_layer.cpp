#include "kernels/flatten.h"
#include "nn/layers/factories.h"

namespace nullmark::layers {

namespace {
class Flatten : public Layer {
 public:
  std::string type() const override { return "flatten"; }

 protected:
  Shape infer(const Shape& in) override { return Shape{static_cast<int>(in.numel())}; }
  void do_forward(const Tensor& x, Tensor& y, const LayerContext&) override {
    cpu::flatten_forward(x.numel(), x.data, y.data);
  }
  void do_backward(const Tensor&, const Tensor&, const Tensor& dy, Tensor* dx, GradMode mode,
                   const LayerContext&) override {
    if (dx) cpu::flatten_backward(dy.numel(), dy.data, dx->data, mode);
  }
};
}  // namespace

std::unique_ptr<Layer> make_flatten(ConfigMap&) { return std::make_unique<Flatten>(); }

}  // namespace nullmark::layers
